import { deleteInBatches } from '../batched-deletion.ts';
import type { Job } from './job.ts';

/** A batched deletion of rows that expired before a cutoff; returns how many it removed. */
type DeleteExpired = (before: Date, limit: number) => Promise<number>;

/**
 * Deletes what can no longer be used: oidc-provider's durable records (grants, refresh tokens —
 * consumed or not — and the registration tokens it stores) and unused mail tokens, once they are
 * past their own expiry plus the clock-skew margin.
 *
 * Why not sooner: a consumed refresh token is the evidence of reuse. Presenting it again inside
 * its lifetime revokes the whole family (tokens/refresh-decision.ts) and its row is where rotation
 * finds the successor, so it stays until it expires; after that oidc-provider refuses it as
 * expired before looking any further, and the row has no reader left. Sessions, codes, access
 * tokens and interactions live in Redis (or the embedded store) with TTLs and need no job.
 */
export function expiredTokensJob(deps: {
  oidcPayloads: DeleteExpired;
  emailTokens: DeleteExpired;
  batchSize: number;
  /** Kept this long past expiry: instances whose clocks lag still see the row as merely expired. */
  graceSeconds: number;
  intervalSeconds: number;
}): Job {
  return {
    name: 'tokens.delete-expired',
    summary: 'Delete expired grants, refresh tokens (consumed or not) and mail tokens, in batches',
    scope: 'cluster',
    intervalSeconds: deps.intervalSeconds,
    async run({ now, signal }) {
      const cutoff = new Date(now.getTime() - deps.graceSeconds * 1000);
      const payloads = await deleteInBatches((limit) => deps.oidcPayloads(cutoff, limit), deps.batchSize, signal);
      const mail = await deleteInBatches((limit) => deps.emailTokens(cutoff, limit), deps.batchSize, signal);
      return {
        rows: payloads.rows + mail.rows,
        details: {
          cutoff: cutoff.toISOString(),
          batchSize: deps.batchSize,
          oidcPayloads: payloads,
          emailTokens: mail,
        },
      };
    },
  };
}
