/**
 * Issue #23 acceptance 4: locale negotiation as a table — the client's ui_locales first, then the
 * browser's Accept-Language as Koa negotiates it (q-values, regional tags), then English.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import Koa from 'koa';
import { negotiateLocale } from '../../src/http/i18n.ts';

const app = new Koa();
const contextWith = (acceptLanguage: string | undefined) =>
  app.createContext(
    { headers: acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage }, url: '/', method: 'GET', socket: {} } as unknown as IncomingMessage,
    {} as ServerResponse,
  );

const CASES: Array<[uiLocales: string | undefined, acceptLanguage: string | undefined, expected: string]> = [
  [undefined, undefined, 'en'],
  [undefined, '', 'en'],
  [undefined, 'es', 'es'],
  [undefined, 'es-MX', 'es'],
  [undefined, 'zh-CN,zh;q=0.9,en;q=0.8', 'zh'],
  [undefined, 'it-IT, es;q=0.5', 'es'],
  [undefined, 'en;q=0.2, es;q=0.9', 'es'],
  [undefined, 'es;q=0, zh', 'zh'],
  [undefined, 'it, ko', 'en'],
  [undefined, '*', 'en'],
  [undefined, 'not a header;;;q=x', 'en'],
  ['zh', 'es', 'zh'],
  ['it es', 'zh', 'es'],
  ['es-419', undefined, 'es'],
  ['it ko', 'zh;q=0.5', 'zh'],
  // French, German, Portuguese (pt-BR, and pt-PT readers) and Japanese
  [undefined, 'fr-FR,fr;q=0.9,en;q=0.8', 'fr'],
  [undefined, 'de-AT', 'de'],
  [undefined, 'pt-BR', 'pt'],
  [undefined, 'pt-PT, en;q=0.5', 'pt'],
  [undefined, 'ja,en-US;q=0.7', 'ja'],
  ['ja-JP', 'de', 'ja'],
  ['pt-BR fr', undefined, 'pt'],
  ['', 'es', 'es'],
];

for (const [uiLocales, acceptLanguage, expected] of CASES) {
  test(`ui_locales=${JSON.stringify(uiLocales)} Accept-Language=${JSON.stringify(acceptLanguage)} → ${expected}`, () => {
    assert.equal(negotiateLocale(uiLocales, contextWith(acceptLanguage)), expected);
  });
}
