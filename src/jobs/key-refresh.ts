import type { KeyService, KeyView } from '../keys/index.ts';
import type { Logger } from '../logger.ts';
import type { Job } from './job.ts';

export const KEY_REFRESH_JOB = 'keys.refresh';

/**
 * Every instance re-reads the key table: key state is derived from stored timestamps and the
 * clock, so a rotation or revocation made anywhere (or a scheduled activation time passing)
 * reaches every instance within one interval, without a restart. An instance job: each instance
 * rebuilds its own provider and JWKS. Creating successors that are due is safe on every instance
 * at once (keys/ does it under its own rotation lock; the others skip).
 */
export function keyRefreshJob(deps: {
  keys: Pick<KeyService, 'ensureSigningKeys' | 'currentView'>;
  initial: KeyView;
  apply: (view: KeyView) => void;
  pollSeconds: number;
  logger: Logger;
}): Job {
  let fingerprint = deps.initial.fingerprint;
  return {
    name: KEY_REFRESH_JOB,
    summary: 'Create signing keys that are due, and apply key-set changes made anywhere to this instance',
    scope: 'instance',
    intervalSeconds: deps.pollSeconds,
    async run() {
      const created = await deps.keys.ensureSigningKeys();
      const view = await deps.keys.currentView();
      const changed = view.fingerprint !== fingerprint;
      if (changed) {
        fingerprint = view.fingerprint;
        deps.apply(view);
        deps.logger.info({ event: 'keys.applied', signingKids: view.signingKids, published: view.publicJwks.map((k) => k.kid) }, 'key set applied');
      }
      return { rows: created.length, details: { created, applied: changed } };
    },
  };
}
