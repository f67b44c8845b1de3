import { z } from 'zod';
import { NotFound } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { adminRoute, created, ok } from '../route.ts';

export const key = z
  .object({
    kid: z.string(),
    alg: z.string(),
    state: z.string().describe('pending | published | active | retiring | retired | revoked'),
    publishAt: z.iso.datetime(),
    activateAt: z.iso.datetime(),
    deactivateAt: z.iso.datetime().nullable(),
    retireAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'SigningKey' });

const iso = (date: Date | null) => date?.toISOString() ?? null;

const publicView = (row: SigningKeyRow) => ({
  kid: row.kid,
  alg: row.alg,
  state: row.state,
  publishAt: row.publish_at.toISOString(),
  activateAt: row.activate_at.toISOString(),
  deactivateAt: iso(row.deactivate_at),
  retireAt: iso(row.retire_at),
  revokedAt: iso(row.revoked_at),
});

type SigningKeyRow = Awaited<ReturnType<Services['keys']['list']>>[number];

export function keyRoutes(services: Services) {
  return [
    adminRoute({
      method: 'get',
      path: '/keys',
      operationId: 'listKeys',
      summary: 'Signing keys and their lifecycle state (public data only)',
      tag: 'Keys',
      responses: { 200: { description: 'Keys', schema: z.object({ items: z.array(key) }) } },
      handle: async () => ok({ items: (await services.keys.list()).map(publicView) }),
    }),
    adminRoute({
      method: 'post',
      path: '/keys/rotate',
      operationId: 'rotateKeys',
      summary: 'Publish successors now; they sign after the publish lead',
      tag: 'Keys',
      responses: {
        201: {
          description: 'The new key ids and the keys themselves (none when a successor is already scheduled)',
          schema: z.object({ created: z.array(z.string()), keys: z.array(key) }),
        },
      },
      async handle() {
        const kids = await services.keys.rotateNow();
        const keys = (await services.keys.list()).filter((row) => kids.includes(row.kid)).map(publicView);
        return created({ created: kids, keys });
      },
    }),
    adminRoute({
      method: 'post',
      path: '/keys/{kid}/revoke',
      operationId: 'revokeKey',
      summary: 'Compromise: drop the key from the JWKS now and revoke grants from its window',
      tag: 'Keys',
      params: z.object({ kid: z.string().min(1).max(200) }),
      responses: {
        200: {
          description: 'What the revocation did',
          schema: z.object({ revoked: z.string(), activated: z.string().optional(), generated: z.string().optional(), grantsRevoked: z.number().int() }),
        },
      },
      async handle({ params }) {
        const result = await services.keys.revoke(params.kid);
        if (!result) throw new NotFound(`key ${params.kid}`);
        return ok(result);
      },
    }),
  ];
}
