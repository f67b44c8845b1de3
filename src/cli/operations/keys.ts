import type { OperationSpec } from '../operation-spec.ts';
import { table } from '../output.ts';

interface SigningKey {
  kid: string;
  alg: string;
  state: string;
  publishAt: string;
  activateAt: string;
  deactivateAt: string | null;
  retireAt: string | null;
  revokedAt: string | null;
}

export const keyCommands: Record<string, OperationSpec> = {
  listKeys: {
    command: 'keys list',
    examples: ['gatehouse keys list', 'gatehouse keys list --json | jq -r \'.[] | select(.state == "active") | .kid\''],
    show: (keys) =>
      table(keys as SigningKey[], {
        kid: (k) => k.kid,
        alg: (k) => k.alg,
        state: (k) => k.state,
        publish_at: (k) => k.publishAt,
        activate_at: (k) => k.activateAt,
        deactivate_at: (k) => k.deactivateAt,
        retire_at: (k) => k.retireAt,
        revoked_at: (k) => k.revokedAt,
      }),
  },
  rotateKeys: {
    command: 'keys rotate',
    examples: ['gatehouse keys rotate'],
    show: (result) => {
      const { keys } = result as { keys: SigningKey[] };
      if (keys.length === 0) return 'a successor is already scheduled for every algorithm; nothing to do';
      return keys.map((key) => `published ${key.alg} key ${key.kid}; it signs from ${key.activateAt} (after the publish lead)`).join('\n');
    },
  },
  revokeKey: {
    command: 'keys revoke',
    args: [{ name: 'KID', field: 'kid', description: 'The key id (from `keys list`).' }],
    examples: ['gatehouse keys revoke KID'],
    show: (result, { args }) => {
      const { revoked, activated, generated, grantsRevoked } = result as { revoked: string; activated?: string; generated?: string; grantsRevoked: number };
      return [
        `revoked ${revoked}: removed from the JWKS now (every instance within one poll interval)`,
        ...(activated ? [`activated the published successor ${activated} at once`] : []),
        ...(generated ? [`no successor was published: generated ${generated}, signing now`] : []),
        `revoked ${grantsRevoked} grants whose refresh tokens were issued while ${args.KID} signed`,
      ].join('\n');
    },
  },
};
