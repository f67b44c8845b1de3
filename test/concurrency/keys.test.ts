/**
 * Keys across instances: two processes share Postgres; rotations and revocations made anywhere
 * reach both within the poll interval, and the scheduler runs on exactly one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../harness/server.ts';
import { clusterSecrets, type ServerProcess, startServerProcess } from '../harness/server-process.ts';
import { waitFor } from '../harness/wait.ts';

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

/** Kids of every key.created audit line any of the three servers logged. */
const createdKids = () =>
  [a.output(), b.output(), admin.rawLogs()]
    .join('\n')
    .split('\n')
    .filter((line) => line.includes('"event":"key.created"'))
    .map((line) => String((JSON.parse(line) as { subject?: unknown }).subject));

// Poll 1 s: a change reaches both instances within about a second; the deadline allows for a loaded machine.
const SPREAD_DEADLINE_MS = 5000;

test('the scheduler creates each successor exactly once though both instances run it every second', async () => {
  type Key = Awaited<ReturnType<typeof admin.gatehouse.services.keys.list>>[number];
  let keys: Key[] = [];
  // Wait for two rotations (the first key and two successors), not for a fixed time.
  await waitFor(
    'two rotations',
    async () => {
      keys = (await admin.gatehouse.services.keys.list()).filter((key) => key.alg === 'RS256').sort((x, y) => x.activate_at.getTime() - y.activate_at.getTime());
      return keys.length >= 3;
    },
    60_000,
  );
  for (let i = 1; i < keys.length; i += 1) {
    const gap = keys[i]!.activate_at.getTime() - keys[i - 1]!.activate_at.getTime();
    assert.ok(gap >= 1900, `successors are not duplicated: keys ${i - 1} and ${i} activate ${gap} ms apart`);
  }
  await waitFor('the instances to log the keys they created', () => keys.every((key) => createdKids().includes(key.kid)));
  for (const key of keys) assert.equal(createdKids().filter((kid) => kid === key.kid).length, 1, `key ${key.kid} was created by exactly one instance`);
});

test('a revocation made elsewhere leaves both instances’ JWKS within the poll interval', async () => {
  const [active] = (await admin.gatehouse.services.keys.list()).filter((key) => key.state === 'active');
  assert.ok(active);
  await waitFor('both instances to serve the active key', async () => (await kidsAt(a)).includes(active.kid) && (await kidsAt(b)).includes(active.kid), SPREAD_DEADLINE_MS);
  const result = await admin.gatehouse.services.keys.revoke(active.kid);
  assert.ok(result);
  await waitFor(
    'the revoked key to leave both instances’ JWKS',
    async () => !(await kidsAt(a)).includes(active.kid) && !(await kidsAt(b)).includes(active.kid),
    SPREAD_DEADLINE_MS,
  );
});

test('a rotation made elsewhere is published by both instances within the poll interval', async () => {
  // For part of every turn the instances' own scheduler has a successor waiting, and a manual
  // rotation then has nothing to do; the test rotates at a moment when it does create a key, so
  // the key it checks for is one the instances did not make themselves.
  let kid: string | undefined;
  await waitFor('a manual rotation that creates a key', async () => {
    kid = (await admin.gatehouse.services.keys.rotateNow())[0];
    return kid !== undefined;
  });
  const madeBy = (logs: string) => logs.split('\n').some((line) => line.includes('"event":"key.created"') && line.includes(`"subject":"${kid}"`));
  assert.ok(madeBy(admin.rawLogs()) && !madeBy(a.output()) && !madeBy(b.output()), 'the key was made by the admin server, not by an instance');
  await waitFor(`both instances to publish ${kid}`, async () => (await kidsAt(a)).includes(kid!) && (await kidsAt(b)).includes(kid!), SPREAD_DEADLINE_MS);
});
