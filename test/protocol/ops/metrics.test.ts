import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApi, createMachineClient, createWebClient, tokenRequest } from '../../harness/fixtures.ts';
import { openSignInPage } from '../../harness/login-attempts.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
let server: TestServer;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_METRICS_TOKEN: TOKEN, GATEHOUSE_TRUST_PROXY: 'true' } });
});
after(() => server.close());

/** Parses the Prometheus text format into name{labels} → value. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    assert.ok(match, `malformed exposition line: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

const value = (samples: Map<string, number>, name: string, labels: Record<string, string> = {}) => {
  for (const [key, v] of samples) {
    if (!key.startsWith(`${name}{`) && key !== name) continue;
    if (Object.entries(labels).every(([k, val]) => key.includes(`${k}="${val}"`))) return v;
  }
  return undefined;
};

test('/metrics requires its bearer token', async () => {
  assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
  const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789ab' } });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('content-type') ?? '', /^application\/problem\+json/, 'an RFC 9457 problem, from the one error map');
  assert.equal(((await wrong.json()) as { status: number }).status, 401);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer realm="gatehouse-metrics", error="invalid_token"/);
});

test('/metrics exposes requests, tokens by grant type, sign-ins, rate-limit rejections, key age, pool and store health', async () => {
  const api = await createApi(server);
  const machine = await createMachineClient(server, api);
  for (let i = 0; i < 3; i += 1) {
    await tokenRequest(server, { grant_type: 'client_credentials' }, { id: machine.clientId, secret: machine.clientSecret });
  }
  const { clientId } = await createWebClient(server);
  const attempt = await openSignInPage(server, clientId);
  await attempt('nobody@example.test', 'wrong password here', '192.0.2.10');
  for (let i = 0; i < 6; i += 1) await tokenRequest(server, { grant_type: 'client_credentials' }, { id: machine.clientId, secret: `wrong-${i}` });

  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  const samples = parse(await response.text());

  assert.ok((value(samples, 'gatehouse_tokens_issued_total', { grant_type: 'client_credentials' }) ?? 0) >= 3);
  assert.ok((value(samples, 'gatehouse_http_requests_total', { route: '/token', method: 'POST', status: '200' }) ?? 0) >= 3);
  assert.ok((value(samples, 'gatehouse_http_request_duration_seconds_count', { route: '/token' }) ?? 0) >= 3);
  assert.ok((value(samples, 'gatehouse_security_events_total', { type: 'signin.failure', outcome: 'failure' }) ?? 0) >= 1);
  assert.ok((value(samples, 'gatehouse_security_events_total', { type: 'ratelimit.rejected' }) ?? 0) >= 1);
  const keyAge = value(samples, 'gatehouse_signing_key_age_seconds', { alg: 'RS256' });
  assert.ok(keyAge !== undefined && keyAge >= 0 && keyAge < 3600);
  assert.ok(value(samples, 'gatehouse_process_resident_memory_bytes') !== undefined);
  const perInteraction = [...samples.keys()].filter((key) => key.includes('/interaction/') && !key.includes(':uid'));
  assert.deepEqual(perInteraction, [], 'no per-interaction label values');
  if (server.gatehouse.storage.kind === 'services') {
    assert.equal(value(samples, 'gatehouse_redis_up'), 1);
    assert.ok(value(samples, 'gatehouse_db_pool_connections', { state: 'used' }) !== undefined);
  }
});
