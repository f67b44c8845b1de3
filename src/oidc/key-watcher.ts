import type { KeyService, KeyView } from '../keys/index.ts';
import type { Logger } from '../logger.ts';

export interface KeyWatcher {
  /** One tick: rotate if due (one instance, under the lock), re-derive the view, apply changes. */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Every instance polls the key table: key state is derived from stored timestamps and the
 * clock, so a rotation or revocation made anywhere (or a scheduled activation time passing)
 * reaches every instance within one poll interval, without a restart.
 */
export function startKeyWatcher(deps: {
  keys: KeyService;
  initial: KeyView;
  onChange: (view: KeyView) => void;
  pollSeconds: number;
  logger: Logger;
}): KeyWatcher {
  let fingerprint = deps.initial.fingerprint;
  let running: Promise<void> | undefined;
  const tick = async () => {
    await deps.keys.ensureSigningKeys();
    const view = await deps.keys.currentView();
    if (view.fingerprint !== fingerprint) {
      fingerprint = view.fingerprint;
      deps.onChange(view);
      deps.logger.info({ event: 'keys.applied', signingKids: view.signingKids, published: view.publicJwks.map((k) => k.kid) }, 'key set applied');
    }
  };
  const refresh = () => {
    running ??= tick().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    refresh().catch((error: unknown) => deps.logger.warn({ err: error }, 'key refresh failed; keeping the current key set'));
  }, deps.pollSeconds * 1000);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}
