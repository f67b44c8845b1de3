/**
 * Every mail's words come from the catalog (views/i18n/mail/<locale>.json, ICU MessageFormat like
 * the pages), in the recipient's language; its shape from `MAILS` below. A mail is sent as HTML
 * (views/mail/layout.eta: the product name or logo and the primary colour of the pages, every
 * value escaped) with a plain-text part carrying the same words. A link stands on its own line
 * in both parts, so a mail client that breaks lines or drops the button still shows it whole.
 */
import { join } from 'node:path';
import { Eta } from 'eta';
import { isLocale, type Locale, languageTag, loadDictionaries, translator } from '../i18n/catalog.ts';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** What a mail says about its recipient (from the account), beyond the notice itself. */
export interface Recipient {
  name?: string | null | undefined;
}

export type MailTemplates = (template: string, data: Record<string, unknown>, locale?: string, recipient?: Recipient) => RenderedMail;

/**
 * The shape of each mail: an introduction, an optional link (the notice field holding it, and
 * the words on its button), and a closing paragraph. Keys: `mail.<kind>.subject|intro|action|outro`.
 */
export const MAILS: Record<string, { link?: string }> = {
  'verify-email': { link: 'link' },
  'already-registered': { link: 'resetLink' },
  'reset-password': { link: 'link' },
  'password-reset-done': {},
  'password-changed': {},
  'signin-backoff': {},
  'recovery-code-used': {},
  'mfa-enrolled': {},
  'mfa-replaced': {},
  'mfa-removed': {},
};

export function createMailTemplates(options: {
  theme: { productName: string; logoUrl: string | undefined; primaryColor: string };
  issuer: string;
  viewsDir: string;
  defaultLocale?: Locale;
}): MailTemplates {
  const dictionaries = loadDictionaries(options.viewsDir);
  const eta = new Eta({ views: join(options.viewsDir, 'mail'), autoEscape: true, cache: true, autoTrim: false });
  const { productName, primaryColor } = options.theme;
  // A logo on this server is a path: a mail needs the whole URL.
  const logoUrl = options.theme.logoUrl?.startsWith('/') ? `${options.issuer}${options.theme.logoUrl}` : options.theme.logoUrl;

  return (template, data, localeWanted, recipient = {}) => {
    const shape = MAILS[template];
    if (!shape) throw new Error(`no mail template ${template}`);
    const locale = isLocale(localeWanted) ? localeWanted : (options.defaultLocale ?? 'en');
    const t = translator(dictionaries, locale);
    const vars = { product: productName, ...numbersAndStrings(data) };
    const key = `mail.${template.replaceAll('-', '_')}`;
    const name = recipient.name?.trim();
    const words = {
      subject: t(`${key}.subject`, vars),
      greeting: name ? t('mail.greeting.named', { name }) : t('mail.greeting.plain'),
      intro: t(`${key}.intro`, vars),
      link: shape.link ? String(data[shape.link]) : undefined,
      action: shape.link ? t(`${key}.action`, vars) : undefined,
      outro: t(`${key}.outro`, vars),
      footer: t('mail.footer', vars),
    };
    const text = [words.greeting, words.intro, ...(words.link ? [words.link] : []), words.outro, `-- \n${words.footer}`].join('\n\n') + '\n';
    const html = eta.render('layout', { ...words, lang: languageTag(locale), productName, logoUrl, color: primaryColor, linkHint: t('mail.link_hint') });
    return { subject: words.subject, text, html };
  };
}

const numbersAndStrings = (data: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(data).filter((entry): entry is [string, string | number] => typeof entry[1] === 'string' || typeof entry[1] === 'number'));
