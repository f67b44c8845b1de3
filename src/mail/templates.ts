import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';

export interface RenderedMail {
  subject: string;
  text: string;
}

export type MailTemplates = (template: string, data: Record<string, unknown>, locale?: string) => RenderedMail;

/**
 * Plain-text mails from views/mail/, beside the pages they belong to. A template starts with a
 * `Subject:` line and a blank line; the rest is the body. Lookup is keyed by locale:
 * views/mail/<locale>/<template>.eta when it exists, else the English views/mail/<template>.eta.
 */
export function createMailTemplates(options: { productName: string; viewsDir: string }): MailTemplates {
  const dir = join(options.viewsDir, 'mail');
  const eta = new Eta({ views: dir, autoEscape: false, cache: true });
  const localized = new Map<string, boolean>();
  const pathFor = (template: string, locale: string | undefined) => {
    if (!locale || locale === 'en' || !/^[a-z]{2}(-[A-Za-z]+)?$/.test(locale)) return template;
    const key = `${locale}/${template}`;
    if (!localized.has(key)) localized.set(key, existsSync(join(dir, locale, `${template}.eta`)));
    return localized.get(key) ? key : template;
  };
  return (template, data, locale) => {
    const rendered = eta.render(pathFor(template, locale), { productName: options.productName, ...data });
    const match = /^Subject: (.+)\r?\n\r?\n/.exec(rendered);
    if (!match) throw new Error(`mail template ${template} has no Subject line`);
    return { subject: match[1]!.trim(), text: rendered.slice(match[0].length) };
  };
}
