/**
 * The page language. The catalog itself (languages, ICU messages, the translator) is
 * src/i18n/catalog.ts, shared with the mails; this file adds what needs the request.
 */
import type { Context } from 'koa';
import { LOCALES, type Locale } from '../i18n/catalog.ts';

export { LOCALES, type Locale, languageTag, loadDictionaries, type Translate, translator } from '../i18n/catalog.ts';

/**
 * The page language: the first supported tag of the client's `ui_locales` (OIDC Core §3.1.2.1,
 * space-separated, in order of preference), else the browser's Accept-Language as Koa negotiates
 * it (`ctx.acceptsLanguages`: q-values, `es-MX` → `es`, `pt-PT` → `pt`), else English.
 */
export function negotiateLocale(uiLocales: string | undefined, ctx: Pick<Context, 'acceptsLanguages'>): Locale {
  for (const tag of (uiLocales ?? '').split(' ').filter(Boolean)) {
    const base = tag.toLowerCase().split('-')[0] as Locale;
    if (LOCALES.includes(base)) return base;
  }
  const accepted = ctx.acceptsLanguages(...LOCALES);
  return typeof accepted === 'string' && (LOCALES as readonly string[]).includes(accepted) ? (accepted as Locale) : 'en';
}
