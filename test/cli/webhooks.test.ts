/**
 * `gatehouse webhooks` against a running server (over its admin socket): the secret printed once,
 * settings changed one at a time, the dead letters listed and redelivered.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { storageEnv, storageMode } from '../harness/mode.ts';
import { TEST_ENV } from '../harness/server.ts';
import { clusterSecrets, type ServerProcess, startServerProcess } from '../harness/server-process.ts';
import { runCli } from './run-cli.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-hooks-'));
let env: Record<string, string>;
let server: ServerProcess;
const cli = (args: string[]) => runCli(args, env);

async function ok(args: string[]): Promise<string> {
  const result = await cli(args);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

before(async () => {
  // One attempt: the first failure is a dead letter.
  env = { ...TEST_ENV, ...(await storageEnv()), ...clusterSecrets(), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_KEYS_DIR: join(dataDir, 'keys'), GATEHOUSE_WEBHOOKS_MAX_ATTEMPTS: '1' };
  server = await startServerProcess(env);
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('webhooks create prints the signing secret once; list, show and update never print it (unless rotated)', async () => {
  const created = await ok(['webhooks', 'create', '--url', 'https://siem.example.test/hook', '--events', 'refresh_token.reused,signin.blocked,mfa.disabled,key.revoked']);
  const id = /created webhook (wh_[0-9a-f]+) → https:\/\/siem\.example\.test\/hook \(key\.revoked,mfa\.disabled,refresh_token\.reused,signin\.blocked\)/.exec(created)?.[1];
  assert.ok(id, created);
  const secret = /^secret: {2}(whsec_\S+)$/m.exec(created)?.[1];
  assert.ok(secret, 'the secret is printed');
  assert.match(created, /shown once/);

  const listed = await ok(['webhooks', 'list']);
  assert.match(listed, new RegExp(`${id}\\s+https://siem\\.example\\.test/hook`));
  const shown = await ok(['webhooks', 'show', id]);
  const updated = await ok(['webhooks', 'update', id, '--events', 'signin.blocked', '--disable']);
  assert.match(updated, /\(signin\.blocked\) \[disabled\]/);
  for (const output of [listed, shown, updated]) assert.equal(output.includes(secret), false);
  const rotated = JSON.parse(await ok(['webhooks', 'update', id, '--rotate-secret', '--json'])) as { secret: string };
  assert.match(rotated.secret, /^whsec_/);
  assert.notEqual(rotated.secret, secret);

  const both = await cli(['webhooks', 'update', id, '--enable', '--disable']);
  assert.equal(both.code, 2, 'usage error');
  const refused = await cli(['webhooks', 'create', '--url', 'http://siem.example.test/hook', '--events', 'signin.blocked']);
  assert.equal(refused.code, 4, 'validation error');
  assert.match(refused.stderr, /must be https:/);
  assert.match(await ok(['webhooks', 'delete', id]), new RegExp(`deleted webhook ${id}`));
  assert.equal((await cli(['webhooks', 'show', id])).code, 3, 'not found');
});

test(
  'a failed delivery is in `webhooks deliveries --status dead` and `webhooks redeliver` queues it again',
  // The server sends every pending delivery of its database: in services mode that is shared with
  // the other test files' servers and their receivers, so this runs on the embedded store only.
  { skip: storageMode() === 'services' ? 'needs an outbox of its own (embedded)' : false },
  async () => {
    // Port 9 (discard) is closed here: the connection is refused, the one attempt fails.
    const created = JSON.parse(await ok(['webhooks', 'create', '--url', 'https://127.0.0.1:9/hook', '--events', 'webhook.updated', '--json'])) as { webhook: { id: string } };
    const id = created.webhook.id;
    await ok(['webhooks', 'update', id, '--description', 'the event it is subscribed to']);
    await ok(['jobs', 'run', 'webhooks.deliver']);
    const dead = JSON.parse(await ok(['webhooks', 'deliveries', '--status', 'dead', '--webhook', id, '--json'])) as Array<{ id: string; eventType: string; attempts: number; lastError: string }>;
    assert.equal(dead.length, 1);
    assert.deepEqual([dead[0]?.eventType, dead[0]?.attempts], ['webhook.updated', 1]);
    assert.match(await ok(['webhooks', 'deliveries', '--status', 'dead']), new RegExp(`${dead[0]?.id}\\s+${id}\\s+evt_\\d+\\s+webhook\\.updated\\s+dead\\s+1`));
    assert.match(await ok(['webhooks', 'redeliver', String(dead[0]?.id)]), /queued again/);
    assert.deepEqual(JSON.parse(await ok(['webhooks', 'deliveries', '--status', 'dead', '--webhook', id, '--json'])), []);
    const again = await cli(['webhooks', 'redeliver', String(dead[0]?.id)]);
    assert.equal(again.code, 5, `only a dead delivery: conflict (${again.stderr})`);
    await ok(['webhooks', 'delete', id]);
  },
);
