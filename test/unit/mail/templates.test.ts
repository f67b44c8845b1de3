/**
 * Issue #21.5, acceptance 3 (rendering half): every mail in every language, through the real mail
 * module: a subject, an HTML part and a plain-text part in that language, the link whole on its
 * own line in both, the theme (product name or logo, colour), and every value escaped in the HTML
 * part. The stored language reaching the mail over HTTP is test/interactions/localized-mail.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VIEWS_DIR } from '../../../src/http/views.ts';
import { LOCALES, languageTag, loadDictionaries, translator } from '../../../src/i18n/catalog.ts';
import { createMailTemplates, MAILS } from '../../../src/mail/templates.ts';

const theme = { productName: 'Acme ID', logoUrl: undefined, primaryColor: '#0b6e4f' };
const templates = createMailTemplates({ theme, issuer: 'https://id.example.com', viewsDir: VIEWS_DIR });
const dictionaries = loadDictionaries(VIEWS_DIR);
const link = 'https://id.example.com/password/reset?token=abc_DEF-123&x=1';
const data: Record<string, Record<string, unknown>> = {
  'verify-email': { link, hours: 24 },
  'already-registered': { resetLink: link },
  'reset-password': { link, minutes: 60 },
  'recovery-code-used': { left: 3 },
};
const ampersands = (html: string) => html.replace(/&amp;/g, '&');

for (const locale of LOCALES) {
  test(`${locale}: every mail has both parts in ${locale}, the link on its own line in each, the theme`, () => {
    const t = translator(dictionaries, locale);
    for (const [kind, shape] of Object.entries(MAILS)) {
      const mail = templates(kind, data[kind] ?? {}, locale, { name: 'Ada Lovelace' });
      const key = `mail.${kind.replaceAll('-', '_')}`;
      assert.equal(mail.subject, t(`${key}.subject`, { product: theme.productName }), `${kind}: subject in ${locale}`);
      assert.ok(mail.text.includes(t(`${key}.intro`, { product: theme.productName, ...(data[kind] as Record<string, number>) })), `${kind}: text in ${locale}`);
      assert.ok(mail.text.startsWith(t('mail.greeting.named', { name: 'Ada Lovelace' })), `${kind}: greeting by name`);
      assert.match(mail.html, new RegExp(`<html lang="${languageTag(locale)}">`), `${kind}: HTML in ${locale}`);
      assert.ok(mail.html.includes(`>${theme.productName}<`) && mail.html.includes(theme.primaryColor), `${kind}: themed`);
      assert.ok(!/\{\w+[,}]/.test(mail.text + mail.html), `${kind}: no placeholder left unformatted`);
      if (shape.link) {
        assert.ok(mail.text.split('\n').includes(link), `${kind}: the link alone on a line of the text part`);
        assert.ok(ampersands(mail.html).includes(`href="${link}"`), `${kind}: the link in the HTML part`);
        assert.match(ampersands(mail.html), new RegExp(`\\n<p[^>]*><a href="${link.replace(/[?.]/g, '\\$&')}"[^>]*>${link.replace(/[?.]/g, '\\$&')}</a></p>\\n`), `${kind}: the URL in a paragraph of its own`);
      } else {
        assert.ok(!/https?:\/\//.test(mail.text), `${kind}: no link`);
      }
    }
  });
}

test('a name with HTML is escaped in the HTML part and left as typed in the text part', () => {
  const name = '<img src=x onerror="alert(1)"> & <b>Eve</b>';
  const mail = templates('password-changed', {}, 'en', { name });
  assert.ok(!mail.html.includes('<img'), 'no img tag from the name');
  assert.ok(!mail.html.includes('<b>Eve'), 'no b tag from the name');
  assert.ok(mail.html.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;Eve&lt;/b&gt;'), 'the name, escaped');
  assert.ok(mail.text.startsWith(`Hello ${name},`), 'the text part is plain text: shown as typed');
});

test('no stored language or an unknown one: the server default (English); no name: a plain greeting; a logo on this server becomes a whole URL', () => {
  assert.equal(templates('password-changed', {}, undefined).subject, 'Your password was changed');
  assert.equal(templates('password-changed', {}, 'xx').subject, 'Your password was changed');
  assert.ok(templates('password-changed', {}, 'de').text.startsWith('Hallo,\n\n'));
  const withLogo = createMailTemplates({ theme: { ...theme, logoUrl: '/assets/logo.png' }, issuer: 'https://id.example.com', viewsDir: VIEWS_DIR });
  assert.match(withLogo('mfa-enrolled', {}, 'ja').html, /<img src="https:\/\/id\.example\.com\/assets\/logo\.png" alt="Acme ID"/);
});

test('counts use each language’s plural rules', () => {
  assert.match(templates('recovery-code-used', { left: 1 }, 'en').text, /1 code is left\./);
  assert.match(templates('recovery-code-used', { left: 0 }, 'en').text, /No codes are left\./);
  assert.match(templates('verify-email', { link, hours: 1 }, 'de').text, /in 1 Stunde ab/);
  assert.match(templates('reset-password', { link, minutes: 30 }, 'pt').text, /em 30 minutos/);
});
