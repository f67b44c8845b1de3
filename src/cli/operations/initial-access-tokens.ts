import type { OperationSpec } from '../operation-spec.ts';
import { table } from '../output.ts';

interface InitialAccessToken {
  id: string;
  state: string;
  used: number;
  quota: number;
  expiresAt: string;
  policy: { grantTypes: string[]; scopes: string[]; redirectUriHosts: string[]; allowConfidential: boolean };
}

export const initialAccessTokenCommands: Record<string, OperationSpec> = {
  listInitialAccessTokens: {
    command: 'iat list',
    examples: ['gatehouse iat list'],
    show: (tokens) =>
      table(tokens as InitialAccessToken[], {
        id: (t) => t.id,
        state: (t) => t.state,
        used: (t) => `${t.used}/${t.quota}`,
        expires_at: (t) => t.expiresAt,
        grants: (t) => t.policy.grantTypes,
        scopes: (t) => t.policy.scopes.join(' '),
        redirect_hosts: (t) => t.policy.redirectUriHosts,
        confidential: (t) => (t.policy.allowConfidential ? 'yes' : 'no'),
      }),
  },
  mintInitialAccessToken: {
    command: 'iat create',
    flatten: ['policy'],
    flags: {
      expiresIn: { flag: 'expires', duration: true, description: 'How long the token works (e.g. 7d; 60 s to a year).' },
      redirectUriHosts: { flag: 'redirect-hosts', description: 'Hosts its clients’ redirect URIs may use (`*.example.org` for subdomains).' },
      grantTypes: { description: 'Grant types its clients may use.' },
      scopes: { description: 'Scopes its clients may ask for.' },
      resources: { description: 'APIs (identifiers) its clients may ask tokens for.' },
      allowConfidential: { description: 'Its clients may be confidential (get a secret); otherwise public only.' },
    },
    examples: ['gatehouse iat create --expires 7d --quota 5 --redirect-hosts app.example.com,*.example.org --scopes openid,email,offline_access'],
    show: (result) => {
      const minted = result as { id: string; expiresAt: string; quota: number; token: string };
      return [
        `id:          ${minted.id}`,
        `expires_at:  ${minted.expiresAt}`,
        `quota:       ${minted.quota}`,
        `token:       ${minted.token}`,
        '(shown once: hand it to the client developer; only its digest is kept)',
      ].join('\n');
    },
  },
  revokeInitialAccessToken: {
    command: 'iat revoke',
    args: [{ name: 'ID', field: 'id', description: 'The token’s id (from `iat list`), not the token.' }],
    examples: ['gatehouse iat revoke ID'],
    show: (_, { args }) => `revoked initial access token ${args.ID}`,
  },
};
