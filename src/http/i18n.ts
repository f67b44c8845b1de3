/**
 * Page text in English, Spanish and Simplified Chinese (views/i18n/*.json). The language comes
 * from the client's `ui_locales`, then the browser's Accept-Language, then English.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'koa';

export const LOCALES = ['en', 'es', 'zh'] as const;
export type Locale = (typeof LOCALES)[number];

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

/** `i18n/<locale>.json`, plus `i18n/<part>/<locale>.json` of each page group that keeps its own (the console). */
export function loadDictionaries(viewsDir: string): Record<Locale, Record<string, string>> {
  const root = join(viewsDir, 'i18n');
  const parts = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => join(root, entry.name));
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  return Object.fromEntries(
    LOCALES.map((locale) => [
      locale,
      Object.assign(read(join(root, `${locale}.json`)), ...parts.map((dir) => join(dir, `${locale}.json`)).filter(existsSync).map(read)),
    ]),
  ) as Record<Locale, Record<string, string>>;
}

/**
 * The page language: the first supported tag of the client's `ui_locales` (OIDC Core §3.1.2.1,
 * space-separated, in order of preference), else the browser's Accept-Language as Koa negotiates
 * it (`ctx.acceptsLanguages`: q-values, `es-MX` → `es`), else English.
 */
export function negotiateLocale(uiLocales: string | undefined, ctx: Pick<Context, 'acceptsLanguages'>): Locale {
  for (const tag of (uiLocales ?? '').split(' ').filter(Boolean)) {
    const base = tag.toLowerCase().split('-')[0] as Locale;
    if (LOCALES.includes(base)) return base;
  }
  const accepted = ctx.acceptsLanguages(...LOCALES);
  return typeof accepted === 'string' && (LOCALES as readonly string[]).includes(accepted) ? (accepted as Locale) : 'en';
}

export function translator(dictionaries: Record<Locale, Record<string, string>>, locale: Locale): Translate {
  return (key, vars) => {
    const text = dictionaries[locale][key] ?? dictionaries.en[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (match, name: string) => (name in vars ? String(vars[name]) : match)) : text;
  };
}
