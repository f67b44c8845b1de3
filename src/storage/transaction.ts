/**
 * The one way to compose writes across query modules: `work` receives every query module bound
 * to one transaction; it commits when `work` resolves and rolls back when it throws.
 *
 * A query module may still use a transaction inside one operation on its own rows (a row lock
 * for a compare-and-set, a batch that must land whole); anything that spans modules — spending
 * a quota and inserting what it pays for — is composed here, by the domain, not hidden in a
 * use-case-shaped query.
 *
 * @example
 * await withTransaction(db, async (q) => {
 *   if (!(await q.dynamicRegistration.takeQuota(digest, now))) return false;
 *   await q.clients.insert(metadata);
 * });
 */
import type { Knex } from 'knex';
import { translated } from './pg-errors.ts';
import { createQueries, type Queries } from './queries/index.ts';

export type Transact = <T>(work: (q: Queries) => Promise<T>) => Promise<T>;

export function withTransaction<T>(db: Knex, work: (q: Queries) => Promise<T>): Promise<T> {
  return translated(db.transaction((trx) => work(createQueries(trx))));
}
