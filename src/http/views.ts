import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

const require = createRequire(import.meta.url);

export const VIEWS_DIR = join(import.meta.dirname, '..', '..', 'views');

/**
 * Server-rendered pages; every interpolation is HTML-escaped unless it uses the raw tag. The theme
 * colour is served as /assets/theme.css so no page needs an inline style (strict CSP).
 */
export function createViews(options: { theme: Theme; viewsDir?: string }): Views {
  const dir = options.viewsDir ?? VIEWS_DIR;
  // Compiled once per process in every mode, as the dictionaries and assets are read once: reading
  // and compiling each template at each render cost every page a file read and a compile. A
  // changed template shows after a restart.
  const eta = new Eta({ views: dir, autoEscape: true, cache: true, autoTrim: false });
  const dictionaries = loadDictionaries(dir);
  const css = 'text/css; charset=utf-8';
  const assets = new Map<string, { body: Buffer; type: string }>([
    ['gatehouse.css', { body: readFileSync(join(dir, 'static', 'gatehouse.css')), type: css }],
    ['console.css', { body: readFileSync(join(dir, 'static', 'console.css')), type: css }],
    ['theme.css', { body: Buffer.from(`:root { --primary: ${options.theme.primaryColor}; }\n`), type: css }],
    ['logout.js', { body: readFileSync(join(dir, 'static', 'logout.js')), type: 'text/javascript; charset=utf-8' }],
    ['show-password.js', { body: readFileSync(join(dir, 'static', 'show-password.js')), type: 'text/javascript; charset=utf-8' }],
    ['passkeys.js', { body: readFileSync(join(dir, 'static', 'passkeys.js')), type: 'text/javascript; charset=utf-8' }],
    // @simplewebauthn/browser's UMD bundle (global SimpleWebAuthnBrowser), served same-origin (CSP script-src 'self').
    ['simplewebauthn-browser.js', { body: readFileSync(join(dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js')), type: 'text/javascript; charset=utf-8' }],
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
