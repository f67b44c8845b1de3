import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';
import { type Locale, languageTag, loadDictionaries, translator } from './i18n.ts';

export interface Theme {
  productName: string;
  logoUrl: string | undefined;
  primaryColor: string;
}

export interface Views {
  /** Renders a page; `data.locale` picks the language (default English). */
  render(template: string, data: Record<string, unknown> & { locale?: Locale }): string;
  /** Static assets (CSS), prepared once at start. */
  asset(name: string): { body: Buffer; type: string } | undefined;
}

export const VIEWS_DIR = join(import.meta.dirname, '..', '..', 'views');

/**
 * Server-rendered pages; every interpolation is HTML-escaped unless it uses the raw tag. The theme
 * colour is served as /assets/theme.css so no page needs an inline style (strict CSP).
 */
export function createViews(options: { theme: Theme; cache: boolean; viewsDir?: string }): Views {
  const dir = options.viewsDir ?? VIEWS_DIR;
  const eta = new Eta({ views: dir, autoEscape: true, cache: options.cache, autoTrim: false });
  const dictionaries = loadDictionaries(dir);
  const css = 'text/css; charset=utf-8';
  const assets = new Map<string, { body: Buffer; type: string }>([
    ['gatehouse.css', { body: readFileSync(join(dir, 'static', 'gatehouse.css')), type: css }],
    ['console.css', { body: readFileSync(join(dir, 'static', 'console.css')), type: css }],
    ['theme.css', { body: Buffer.from(`:root { --primary: ${options.theme.primaryColor}; }\n`), type: css }],
    ['logout.js', { body: readFileSync(join(dir, 'static', 'logout.js')), type: 'text/javascript; charset=utf-8' }],
    ['show-password.js', { body: readFileSync(join(dir, 'static', 'show-password.js')), type: 'text/javascript; charset=utf-8' }],
  ]);
  return {
    render: (template, data) => {
      const locale = data.locale ?? 'en';
      return eta.render(template, {
        productName: options.theme.productName,
        logoUrl: options.theme.logoUrl,
        lang: languageTag(locale),
        t: translator(dictionaries, locale),
        ...data,
      });
    },
    asset: (name) => assets.get(name),
  };
}
