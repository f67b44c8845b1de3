import { z } from 'zod';
import { NotFound } from '../../errors.ts';
import { policySchema } from '../../registration/policy.ts';
import type { Services } from '../../services.ts';
import { adminRoute, created, noContent, ok } from '../route.ts';

const policy = z
  .object({
    grantTypes: z.array(z.string()),
    scopes: z.array(z.string()),
    redirectUriHosts: z.array(z.string()),
    allowConfidential: z.boolean(),
    resources: z.array(z.string()),
  })
  .meta({ id: 'RegistrationPolicy' });
/** The mint body (configuration as code uses the same shape). */
export const mintBody = z.object({
  expiresIn: z.number().int().describe('Lifetime in seconds (60 s to a year).'),
  quota: z.number().int().describe('How many clients it may register.'),
  policy: policySchema.optional(),
  description: z.string().optional().describe('What it is for (shown in `iat list`).'),
});
export const summary = z
  .object({
    id: z.string(),
    description: z.string().nullable(),
    quota: z.number().int(),
    used: z.number().int(),
    policy,
    expiresAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    state: z.enum(['active', 'expired', 'revoked', 'exhausted']),
  })
  .meta({ id: 'InitialAccessToken' });

export function initialAccessTokenRoutes(services: Services) {
  return [
    adminRoute({
      method: 'get',
      path: '/initial-access-tokens',
      operationId: 'listInitialAccessTokens',
      summary: 'Initial access tokens for dynamic registration: policy, quota, use and state (never the token)',
      tag: 'Dynamic registration',
      responses: { 200: { description: 'Tokens', schema: z.object({ items: z.array(summary) }) } },
      async handle() {
        const items = (await services.registration.listInitialAccessTokens()).map((token) => ({
          ...token,
          expiresAt: token.expiresAt.toISOString(),
          revokedAt: token.revokedAt?.toISOString() ?? null,
          createdAt: token.createdAt.toISOString(),
        }));
        return ok({ items });
      },
    }),
    adminRoute({
      method: 'post',
      path: '/initial-access-tokens',
      operationId: 'mintInitialAccessToken',
      summary: 'Mint an initial access token: expiry, quota of clients and the registration policy',
      tag: 'Dynamic registration',
      body: mintBody,
      responses: {
        201: {
          description: 'The token (shown once) and its settings',
          schema: z.object({
            id: z.string(),
            token: z.string(),
            quota: z.number().int(),
            policy,
            expiresAt: z.iso.datetime(),
            description: z.string().nullable(),
          }),
        },
      },
      async handle({ body, principal, ip }) {
        const minted = await services.registration.mintInitialAccessToken(body, { actor: principal.subject, ip });
        return created({ ...minted, expiresAt: minted.expiresAt.toISOString() });
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/initial-access-tokens/{id}',
      operationId: 'revokeInitialAccessToken',
      summary: 'Revoke an initial access token: no further registrations with it',
      tag: 'Dynamic registration',
      params: z.object({ id: z.string().min(1).max(64) }),
      responses: { 204: { description: 'Revoked' } },
      async handle({ params, principal, ip }) {
        if (!(await services.registration.revokeInitialAccessToken(params.id, { actor: principal.subject, ip }))) {
          throw new NotFound(`initial access token ${params.id}`);
        }
        return noContent();
      },
    }),
  ];
}
