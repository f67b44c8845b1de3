/**
 * The message catalog: every string a person reads (pages, the console, mails) in ICU
 * MessageFormat, one JSON file per language: views/i18n/<locale>.json, plus
 * views/i18n/<part>/<locale>.json for each group that keeps its own (console/, mail/).
 *
 * ICU because translators' tools know it and it carries what languages need: `{name}` arguments,
 * `{count, plural, one {…} other {…}}` with each language's own plural rules (CLDR), and `'`
 * quoting (`'{'` is a literal brace; a lone apostrophe, as in "provider's", stays as it is).
 * Each message is compiled once per key and locale, on first use.
 *
 * Portuguese is Brazilian Portuguese (`pt`, served as `pt-BR`): most Portuguese-speaking users
 * are in Brazil, and a pt-PT reader understands it. Chinese is Simplified (`zh-Hans`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';

export const LOCALES = ['en', 'es', 'zh', 'fr', 'de', 'pt', 'ja'] as const;
export type Locale = (typeof LOCALES)[number];
export type Dictionaries = Record<Locale, Record<string, string>>;
export type Translate = (key: string, vars?: Record<string, string | number>) => string;

/** The BCP 47 tag of a catalog language (the `lang` attribute, the plural rules). */
const TAGS: Record<Locale, string> = { en: 'en', es: 'es', zh: 'zh-Hans', fr: 'fr', de: 'de', pt: 'pt-BR', ja: 'ja' };
export const languageTag = (locale: Locale): string => TAGS[locale];

export const isLocale = (value: unknown): value is Locale => typeof value === 'string' && (LOCALES as readonly string[]).includes(value);

/** `i18n/<locale>.json`, plus `i18n/<part>/<locale>.json` of each part that keeps its own (console, mail). */
export function loadDictionaries(viewsDir: string): Dictionaries {
  const root = join(viewsDir, 'i18n');
  const parts = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => join(root, entry.name));
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  return Object.fromEntries(
    LOCALES.map((locale) => [
      locale,
      Object.assign(read(join(root, `${locale}.json`)), ...parts.map((dir) => join(dir, `${locale}.json`)).filter(existsSync).map(read)),
    ]),
  ) as Dictionaries;
}

/** Compiles a message as the catalog does (tags are plain text: HTML is escaped by the views, never written in messages). */
export const compileMessage = (text: string, locale: Locale) => new IntlMessageFormat(text, languageTag(locale), undefined, { ignoreTag: true });

const compiled = new WeakMap<Dictionaries, Map<string, IntlMessageFormat | string>>();

/**
 * `t(key, vars)` in `locale`: the message of that language, else the English one, else the key.
 * A message that cannot be formatted (a value missing) falls back to its text with the given
 * values put in, never an exception in the middle of a page or a mail.
 */
export function translator(dictionaries: Dictionaries, locale: Locale): Translate {
  const messages = compiled.get(dictionaries) ?? new Map<string, IntlMessageFormat | string>();
  compiled.set(dictionaries, messages);
  const compile = (key: string): IntlMessageFormat | string => {
    const own = dictionaries[locale]?.[key];
    const [text, language] = own !== undefined ? [own, locale] : [dictionaries.en[key] ?? key, 'en' as const];
    try {
      return compileMessage(text, language);
    } catch {
      return text;
    }
  };
  return (key, vars) => {
    const id = `${locale}\u0000${key}`;
    const message = messages.get(id) ?? compile(key);
    messages.set(id, message);
    if (typeof message === 'string') return message;
    try {
      return String(message.format(vars));
    } catch {
      return fallbackFormat(dictionaries, locale, key, vars ?? {});
    }
  };
}

function fallbackFormat(dictionaries: Dictionaries, locale: Locale, key: string, vars: Record<string, string | number>): string {
  const text = dictionaries[locale]?.[key] ?? dictionaries.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name: string) => (name in vars ? String(vars[name]) : match));
}
