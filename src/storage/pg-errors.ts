import { Conflict, StoreUnavailable } from '../errors.ts';

const UNIQUE_VIOLATION = '23505';
const CONNECTION_CLASS = '08';
/** A pooled connection that still points at a demoted primary after a failover. */
const READ_ONLY_TRANSACTION = '25006';

/** Translates driver errors into Gatehouse errors, once, at the storage boundary. */
export function translateDatabaseError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  if (code === UNIQUE_VIOLATION) return new Conflict('already exists', { cause: error });
  if (typeof code === 'string' && (code.startsWith(CONNECTION_CLASS) || code === 'ECONNREFUSED' || code === '57P01' || code === READ_ONLY_TRANSACTION)) {
    return new StoreUnavailable('Postgres', { cause: error });
  }
  if (error instanceof Error && /Knex: Timeout acquiring a connection/.test(error.message)) {
    return new StoreUnavailable('Postgres', { cause: error });
  }
  return error;
}

export async function translated<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw translateDatabaseError(error);
  }
}
