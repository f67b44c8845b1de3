/**
 * Issue #21.7: the catalog is ICU MessageFormat and complete. Every language has every key of
 * English (pages, console, mails), every message parses as ICU, and no translation uses an
 * argument the English message does not have, nor loses one (a translator's typo, or an
 * apostrophe that quoted a `{name}` away, would show raw text or lose a value on a page).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { VIEWS_DIR } from '../../src/http/views.ts';
import { compileMessage, LOCALES, type Locale, loadDictionaries, translator } from '../../src/i18n/catalog.ts';

const root = join(VIEWS_DIR, 'i18n');
const parts = ['', ...readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name)];
const read = (part: string, locale: string) => JSON.parse(readFileSync(join(root, part, `${locale}.json`), 'utf8')) as Record<string, string>;

/** Argument names of a message, plural and select branches included. */
function argumentsOf(elements: ReturnType<ReturnType<typeof compileMessage>['getAst']>, into = new Set<string>()): Set<string> {
  for (const element of elements) {
    // Literals (type 0) carry text in `value`; `#` (type 7) has none; every other element names an argument.
    if (element.type !== 0 && 'value' in element && typeof element.value === 'string') into.add(element.value);
    if ('options' in element) for (const option of Object.values(element.options)) argumentsOf(option.value, into);
  }
  return into;
}

for (const part of parts) {
  const english = read(part, 'en');
  for (const locale of LOCALES) {
    test(`views/i18n/${part ? `${part}/` : ''}${locale}.json: every key, ICU, no argument English lacks`, () => {
      const messages = read(part, locale);
      assert.deepEqual(Object.keys(messages).filter((key) => !(key in english)), [], 'keys English does not have');
      assert.deepEqual(Object.keys(english).filter((key) => !(key in messages)), [], 'keys missing');
      for (const [key, text] of Object.entries(messages)) {
        let parsed: ReturnType<typeof compileMessage>;
        try {
          parsed = compileMessage(text, locale);
        } catch (error) {
          assert.fail(`${locale} ${key} is not ICU MessageFormat: ${(error as Error).message}`);
        }
        const expected = argumentsOf(compileMessage(english[key]!, 'en').getAst());
        const used = argumentsOf(parsed.getAst());
        assert.deepEqual([...used].filter((name) => !expected.has(name)), [], `${locale} ${key} uses arguments the English message does not have`);
        // An apostrophe before a brace quotes it (ICU): the argument would silently become text.
        assert.deepEqual([...expected].filter((name) => !used.has(name)), [], `${locale} ${key} lost an argument (an apostrophe before a brace? write '' or ’)`);
      }
    });
  }
}

const dictionaries = loadDictionaries(VIEWS_DIR);
const t = (locale: Locale) => translator(dictionaries, locale);

test('plurals follow each language: one and other in English and German, one for 0 and 1 in French, one form in Japanese', () => {
  assert.equal(t('en')('account.mfa_on', { count: 1 }), 'On. 1 recovery code left.');
  assert.equal(t('en')('account.mfa_on', { count: 7 }), 'On. 7 recovery codes left.');
  assert.match(t('de')('login.too_many', { seconds: 1 }), /1 Sekunde und/);
  assert.match(t('de')('login.too_many', { seconds: 30 }), /30 Sekunden/);
  assert.match(t('fr')('device.limited_lead', { minutes: 1 }), /1 minute puis/);
  assert.match(t('fr')('device.limited_lead', { minutes: 5 }), /5 minutes/);
  assert.match(t('fr')('account.mfa_on', { count: 0 }), /Il ne reste aucun code/);
  assert.match(t('ja')('login.too_many', { seconds: 30 }), /30 秒/);
});

test('apostrophes: a lone one is text, a doubled one is one apostrophe, a quoted brace is a brace', () => {
  assert.match(t('en')('federation.refused.missing_state'), /The identity provider's answer/);
  assert.equal(compileMessage("It''s {name}'s", 'en').format({ name: 'Ada' }), "It's Ada's");
  assert.equal(compileMessage("'{literal}' {name}", 'en').format({ name: 'x' }), '{literal} x');
});

test('a message is compiled once per key and language; an unknown key is the key; a missing value never throws', () => {
  const english = t('en');
  assert.equal(english('consent.heading', { client: 'A' }), english('consent.heading', { client: 'A' }));
  assert.equal(english('no.such.key'), 'no.such.key');
  assert.equal(english('consent.heading'), 'Allow {client} to access your account?');
  assert.equal(t('pt')('consent.heading', { client: '<b>' }), 'Permitir que <b> acesse sua conta?', 'formatting does not escape: the views do');
});
