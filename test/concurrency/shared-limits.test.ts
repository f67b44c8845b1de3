import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApi, createMachineClient } from '../harness/fixtures.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { clusterSecrets, type ServerProcess, startServerProcess } from '../harness/server-process.ts';

let admin: TestServer;
let a: ServerProcess;
let b: ServerProcess;
before(async () => {
  const secrets = clusterSecrets();
  [a, b] = await Promise.all([
    startServerProcess({ ...secrets, GATEHOUSE_TRUST_PROXY: 'true' }),
    startServerProcess({ ...secrets, GATEHOUSE_TRUST_PROXY: 'true' }),
  ]);
  admin = await startServer();
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await admin?.close();
});

test('two instances share the failed-authentication counter: 3 guesses at A and 2 at B make the 6th a 429 at either', async () => {
  const client = await createMachineClient(admin, await createApi(admin));
  const guess = (instance: ServerProcess, secret: string) =>
    fetch(`${instance.url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': '203.0.113.77',
      },
      body: 'grant_type=client_credentials',
    });
  for (const [instance, i] of [[a, 1], [a, 2], [a, 3], [b, 4], [b, 5]] as const) {
    const response = await guess(instance, `wrong-${i}`);
    assert.equal(response.status, 401, await response.text());
  }
  assert.equal((await guess(a, 'wrong-6')).status, 429);
  assert.equal((await guess(b, 'wrong-7')).status, 429);
});
