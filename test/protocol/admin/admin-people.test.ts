import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { ADMIN_READ_SCOPE, ADMIN_ROLE, adminAudience } from '../../../src/admin/index.ts';
import { Browser } from '../../harness/browser.ts';
import { createUser, createWebClient } from '../../harness/fixtures.ts';
import { authorizeThroughMfa, codeFor } from '../../harness/mfa-flow.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
let client: { clientId: string; clientSecret: string };
before(async () => {
  server = await startServer();
  client = await createWebClient(server, { resources: [adminAudience(server.url)], scopes: ['openid', ADMIN_READ_SCOPE] });
  const { rbac } = server.gatehouse.services;
  if (!(await rbac.findRole(ADMIN_ROLE))) await rbac.createRole({ name: ADMIN_ROLE });
});
after(() => server.close());

/** A person's admin-API access token from the authorization code flow (enrolling TOTP if asked). */
async function personToken(user: { email: string; password: string }) {
  let secret: string | undefined;
  const result = await authorizeThroughMfa(
    server,
    client,
    new Browser(),
    user,
    async (seen) => codeFor(seen.secret ?? secret ?? assert.fail('no TOTP secret'), 1),
    { extra: { scope: `openid ${ADMIN_READ_SCOPE}`, resource: adminAudience(server.url) }, tokenParams: { resource: adminAudience(server.url) } },
  );
  secret = result.seen.secret;
  assert.equal(result.rejected, false);
  return String((result as { tokens: Record<string, unknown> }).tokens.access_token);
}

const listUsers = (token: string) => fetch(`${server.url}/admin/v1/users?limit=1`, { headers: { authorization: `Bearer ${token}` } });

test('a person with the admin role who signed in with a second factor may use the admin API; once the role is revoked, not any more', async () => {
  const user = await createUser(server);
  await server.gatehouse.services.rbac.grant(ADMIN_ROLE, { kind: 'user', id: user.id });
  const token = await personToken(user);
  const claims = decodeJwt(token);
  assert.equal(claims.acr, 'urn:gatehouse:loa:2', 'admins are walked through enrolment, so the token says MFA');
  assert.ok((claims.amr as string[]).includes('otp'));
  assert.equal((await listUsers(token)).status, 200);

  await server.gatehouse.services.rbac.revoke(ADMIN_ROLE, { kind: 'user', id: user.id });
  const refused = await listUsers(token);
  assert.equal(refused.status, 403, 'the role is checked at each call, not when the token was minted');
  assert.match(((await refused.json()) as { detail: string }).detail, /admin role/);
});

test('a person without the admin role, signed in with a password only, is refused even with the admin scope', async () => {
  const user = await createUser(server);
  const token = await personToken(user);
  assert.equal(decodeJwt(token).acr, 'urn:gatehouse:loa:1');
  const refused = await listUsers(token);
  assert.equal(refused.status, 403);
  // The role is checked first: the answer names what this person lacks most.
  assert.match(((await refused.json()) as { detail: string }).detail, /admin role/);
});
