import { Conflict, StoreUnavailable } from '../errors.ts';

const UNIQUE_VIOLATION = '23505';

/**
 * SQLSTATEs that mean "the database cannot serve this now; the same request may succeed later":
 * connection exceptions (class 08), too many connections, statement/lock timeouts and cancels
 * (57014: our statement_timeout), the operator intervention class (57P01 admin shutdown,
 * 57P02 crash shutdown, 57P03 starting up, 57P05 idle session timeout), a pooled connection
 * that still points at a demoted primary after a failover (25006), and system-resource errors
 * (class 53: disk full, out of memory, too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57014|57P0[1-5]|25006|40P01|55P03)$/;

/** Socket-level codes of the pg driver and Node (a reset link, a refused or timed-out connect). */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * What the pg driver and knex's pool say when the link dies or stays silent (a connect or read
 * timeout, a reset, a reply out of step after one). They carry no code, only these messages
 * (pg 8: lib/client.js; knex 3: KnexTimeoutError).
 */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|Query read timeout|timeout expired|timeout exceeded when trying to connect|not queryable|Received unexpected \w+ message from backend|Knex: Timeout acquiring a connection|connected to a read-only standby/;

/** Translates driver errors into Gatehouse errors, once, at the storage boundary. */
export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof StoreUnavailable || error instanceof Conflict) return error;
  const code = (error as { code?: unknown })?.code;
  if (code === UNIQUE_VIOLATION) return new Conflict('already exists', { cause: error });
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET_CODES.has(code))) {
    return new StoreUnavailable('Postgres', { cause: error });
  }
  const name = (error as { name?: unknown })?.name;
  if (name === 'KnexTimeoutError' || (error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message))) {
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
