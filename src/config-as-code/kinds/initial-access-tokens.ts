/**
 * Initial access tokens for dynamic registration, keyed by a name (their description): the file
 * says which tokens should be active, with what quota, lifetime and policy. A token cannot be
 * changed once minted, so a change revokes it and mints a successor; every new token is printed
 * once. An expired, revoked or used-up token no longer counts, so apply mints a fresh one.
 */
import { z } from 'zod';
import { mintBody } from '../../admin/resources/initial-access-tokens.ts';
import { policySchema } from '../../registration/policy.ts';
import { segment } from '../admin-client.ts';
import { type Current, type Kind, withoutDefaults } from '../kind.ts';

const entry = mintBody
  .omit({ description: true })
  .extend({
    name: z.string().min(1).max(200).describe('Names the token (its description in `gatehouse iat list`).'),
    policy: policySchema.default(policySchema.parse({})),
  })
  .strict();
type TokenEntry = ReturnType<typeof entry.parse>;

interface TokenSummary {
  id: string;
  description: string | null;
  quota: number;
  policy: unknown;
  expiresAt: string;
  createdAt: string;
  state: string;
}

/** Current tokens by name, with the id to revoke; unnamed tokens (minted by hand) are left alone. */
async function named(admin: Parameters<Kind<TokenEntry>['current']>[0]['admin']): Promise<Array<Current<TokenEntry> & { tokenId: string }>> {
  const { items } = await admin.call<{ items: TokenSummary[] }>('GET', '/initial-access-tokens');
  const newestFirst = items.filter((token) => token.state === 'active' && token.description).reverse();
  const seen = new Set<string>();
  return newestFirst.flatMap((token) => {
    const name = token.description ?? '';
    if (seen.has(name)) return [];
    seen.add(name);
    const expiresIn = Math.round((Date.parse(token.expiresAt) - Date.parse(token.createdAt)) / 1000);
    return [{ id: name, tokenId: token.id, entry: entry.parse({ name, quota: token.quota, expiresIn, policy: token.policy }) }];
  });
}

async function mint(desired: TokenEntry, admin: Parameters<Kind<TokenEntry>['current']>[0]['admin']): Promise<string[]> {
  const { name, ...settings } = desired;
  const minted = await admin.call<{ token: string }>('POST', '/initial-access-tokens', { ...settings, description: name });
  return [`initial access token ${name}: ${minted.token} (shown once: store it now; only its digest is kept)`];
}

export const initialAccessTokenKind: Kind<TokenEntry> = {
  key: 'initialAccessTokens',
  label: 'initial access token',
  entry,
  description: 'Initial access tokens for dynamic client registration (RFC 7591), by name: quota, lifetime and registration policy. Each is printed once, when minted.',
  idOf: (token) => token.name,
  async current({ admin }) {
    return (await named(admin)).map(({ id, entry }) => ({ id, entry }));
  },
  // A lifetime is read back as expiry minus creation, two clocks (the server's and the database's): compared in minutes.
  comparable: (token) => ({ ...token, expiresIn: Math.round(token.expiresIn / 60) }),
  async create(desired, { admin }) {
    return mint(desired, admin);
  },
  async update(desired, current, _fields, { admin }) {
    const found = (await named(admin)).find((token) => token.id === current.id);
    if (found) await admin.call('DELETE', `/initial-access-tokens/${segment(found.tokenId)}`);
    return mint(desired, admin);
  },
  async remove(id, { admin }) {
    const found = (await named(admin)).find((token) => token.id === id);
    if (found) await admin.call('DELETE', `/initial-access-tokens/${segment(found.tokenId)}`);
  },
  exported: ({ name, ...settings }) => withoutDefaults({ name, ...settings }, ['name', 'quota', 'expiresIn']),
};
