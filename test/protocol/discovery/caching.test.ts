/** Discovery is served from the document oidc-provider built, kept per provider, with a strong ETag. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const DISCOVERY = '/.well-known/openid-configuration';

test('discovery carries a strong ETag; a matching If-None-Match is a 304, a stale one the full document', async () => {
  const first = await fetch(`${server.url}${DISCOVERY}`);
  assert.equal(first.status, 200);
  const document = await first.text();
  const second = await fetch(`${server.url}${DISCOVERY}`);
  assert.equal(second.status, 200);
  assert.equal(await second.text(), document, 'the kept copy is the document oidc-provider answered');
  assert.match(second.headers.get('content-type') ?? '', /^application\/json/);
  const etag = second.headers.get('etag');
  assert.match(etag ?? '', /^"[A-Za-z0-9_-]{43}"$/);
  assert.equal(first.headers.get('etag'), etag, 'the first answer already names the same version');
  assert.equal((JSON.parse(document) as { issuer: string }).issuer, server.url);

  const unchanged = await fetch(`${server.url}${DISCOVERY}`, { headers: { 'if-none-match': etag! } });
  assert.equal(unchanged.status, 304);
  assert.equal(await unchanged.text(), '');
  const stale = await fetch(`${server.url}${DISCOVERY}`, { headers: { 'if-none-match': '"stale"' } });
  assert.equal(stale.status, 200);
  assert.equal(await stale.text(), document);
});

test('a cross-origin request still gets oidc-provider’s CORS answer', async () => {
  const response = await fetch(`${server.url}${DISCOVERY}`, { headers: { origin: 'https://app.example.test' } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example.test');
});
