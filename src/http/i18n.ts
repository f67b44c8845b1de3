/**
 * Page text in English, Spanish and Simplified Chinese (views/i18n/*.json). The language comes
 * from the client's `ui_locales`, then the browser's Accept-Language, then English.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** First supported language among `ui_locales` (space-separated) and Accept-Language (by q). */
export function negotiateLocale(uiLocales: string | undefined, acceptLanguage: string | undefined): Locale {
  const requested = [
    ...(uiLocales ?? '').split(' ').filter(Boolean),
    ...(acceptLanguage ?? '')
      .split(',')
      .map((part) => {
        const [tag, ...params] = part.trim().split(';');
        const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? 1);
        return { tag: tag ?? '', q: Number.isFinite(q) ? q : 0 };
      })
      .filter((entry) => entry.tag && entry.q > 0)
      .sort((a, b) => b.q - a.q)
      .map((entry) => entry.tag),
  ];
  for (const tag of requested) {
    const base = tag.toLowerCase().split('-')[0] as Locale;
    if (LOCALES.includes(base)) return base;
  }
  return 'en';
}

export function translator(dictionaries: Record<Locale, Record<string, string>>, locale: Locale): Translate {
  return (key, vars) => {
    const text = dictionaries[locale][key] ?? dictionaries.en[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (match, name: string) => (name in vars ? String(vars[name]) : match)) : text;
  };
}
