import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Conflict, StoreUnavailable } from '../../../src/errors.ts';
import { translateDatabaseError } from '../../../src/storage/pg-errors.ts';

const withCode = (code: string, message = 'driver error') => Object.assign(new Error(message), { code });

test('every way Postgres goes away is StoreUnavailable (answered 503, never 500)', () => {
  const outages = [
    withCode('08006', 'connection failure'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P02', 'crash shutdown'),
    withCode('57P03', 'the database system is starting up'),
    withCode('57014', 'canceling statement due to statement timeout'),
    withCode('53300', 'too many connections'),
    withCode('25006', 'cannot execute UPDATE in a read-only transaction'),
    withCode('ECONNREFUSED'),
    withCode('ECONNRESET'),
    withCode('ETIMEDOUT'),
    new Error('Connection terminated unexpectedly'),
    new Error('Connection terminated due to connection timeout'),
    new Error('select 1 - Query read timeout'),
    new Error('timeout expired'),
    new Error('Client has encountered a connection error and is not queryable'),
    Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
  ];
  for (const error of outages) assert.ok(translateDatabaseError(error) instanceof StoreUnavailable, error.message);
});

test('a unique violation is a Conflict; a bug stays what it is', () => {
  assert.ok(translateDatabaseError(withCode('23505')) instanceof Conflict);
  const bug = withCode('42703', 'column "nope" does not exist');
  assert.equal(translateDatabaseError(bug), bug);
  const check = withCode('23514', 'new row violates check constraint');
  assert.equal(translateDatabaseError(check), check);
});
