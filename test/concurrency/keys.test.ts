/**
 * Keys across instances: two processes share Postgres; rotations and revocations made anywhere
 * reach both within the poll interval, and the scheduler runs on exactly one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../harness/server.ts';
import { clusterSecrets, type ServerProcess, startServerProcess } from '../harness/server-process.ts';

const KEY_ENV = {
  GATEHOUSE_KEY_POLL_SECONDS: '1',
  GATEHOUSE_JWKS_MAX_AGE: '1',
  GATEHOUSE_KEY_PUBLISH_LEAD: '2',
  // A rotation every ~4 s, so both schedulers race many times during the test.
  GATEHOUSE_KEY_ROTATION_DAYS: String(4 / 86_400),
  LOG_LEVEL: 'info',
};

let admin: TestServer;
let a: ServerProcess;
let b: ServerProcess;
before(async () => {
  const secrets = clusterSecrets();
  [a, b] = await Promise.all([startServerProcess({ ...secrets, ...KEY_ENV }), startServerProcess({ ...secrets, ...KEY_ENV })]);
  admin = await startServer({ env: { GATEHOUSE_KEY_POLL_SECONDS: '3600' } });
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await admin?.close();
});

const kidsAt = async (instance: ServerProcess) =>
  ((await (await fetch(`${instance.url}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid).sort();

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not within ${withinMs} ms`);
}

test('the scheduler creates each successor exactly once though both instances run it every second', async () => {
  await new Promise((resolve) => setTimeout(resolve, 9000));
  const keys = (await admin.gatehouse.services.keys.list()).filter((key) => key.alg === 'RS256').sort((x, y) => x.activate_at.getTime() - y.activate_at.getTime());
  assert.ok(keys.length >= 3, `rotations happened (${keys.length} keys)`);
  for (let i = 1; i < keys.length; i += 1) {
    const gap = keys[i]!.activate_at.getTime() - keys[i - 1]!.activate_at.getTime();
    assert.ok(gap >= 1900, `successors are not duplicated: keys ${i - 1} and ${i} activate ${gap} ms apart`);
  }
  const created = (a.output() + b.output()).split('\n').filter((line) => line.includes('"event":"key.created"')).length;
  assert.equal(created, keys.length, 'every key was created by exactly one instance');
});

test('a revocation made elsewhere leaves both instances’ JWKS within the poll interval', async () => {
  const [active] = (await admin.gatehouse.services.keys.list()).filter((key) => key.state === 'active');
  assert.ok(active);
  await eventually(async () => (await kidsAt(a)).includes(active.kid) && (await kidsAt(b)).includes(active.kid), 3000);
  const result = await admin.gatehouse.services.keys.revoke(active.kid);
  assert.ok(result);
  const elapsed = await eventually(async () => !(await kidsAt(a)).includes(active.kid) && !(await kidsAt(b)).includes(active.kid), 3000);
  assert.ok(elapsed < 3000);
});

test('a rotation made elsewhere is published by both instances within the poll interval', async () => {
  const created = await admin.gatehouse.services.keys.rotateNow();
  const kid = created[0];
  if (!kid) {
    // The instances' own scheduler already published a successor: that one must be served too.
    const pending = (await admin.gatehouse.services.keys.list()).find((key) => key.state === 'published');
    assert.ok(pending, 'a published successor exists');
    await eventually(async () => (await kidsAt(a)).includes(pending.kid) && (await kidsAt(b)).includes(pending.kid), 3000);
    return;
  }
  await eventually(async () => (await kidsAt(a)).includes(kid) && (await kidsAt(b)).includes(kid), 3000);
});
