/** The CLI's "unavailable" outcome (exit 6): neither the server nor the stores could be reached. */
import type { Config } from '../config.ts';
import { startProblem } from '../start-errors.ts';

/** Neither the server nor the stores could be reached (exit "unavailable"). */
export class Unavailable extends Error {
  override name = 'Unavailable';
}

/** A failure to open storage we can name (a store, a busy or foreign directory) as Unavailable; anything else as it is. */
export function unavailableIfKnown(error: unknown, config: Pick<Config, 'dataDir' | 'keysDir'>): unknown {
  const problem = startProblem(error, { dataDir: config.dataDir, keysDir: config.keysDir });
  return problem ? new Unavailable(problem, { cause: error }) : error;
}
