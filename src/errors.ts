/**
 * One error hierarchy for Gatehouse's own code. Errors carry a stable `code`, never an HTTP
 * status: `http/error-middleware.ts` maps codes to responses in one table.
 */
export type GatehouseErrorCode =
  | 'invalid_credentials'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'csrf_failed'
  | 'rate_limited'
  | 'unavailable'
  | 'unauthenticated'
  | 'forbidden';

export class GatehouseError extends Error {
  readonly code: GatehouseErrorCode;
  constructor(code: GatehouseErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class InvalidCredentials extends GatehouseError {
  /** For the audit trail only; every HTTP answer is the same whatever the reason. */
  readonly reason: 'unknown_account' | 'bad_password';
  constructor(reason: 'unknown_account' | 'bad_password') {
    super('invalid_credentials', 'Email or password is incorrect.');
    this.reason = reason;
  }
}

export class NotFound extends GatehouseError {
  constructor(what: string) {
    super('not_found', `${what} not found`);
  }
}

export class Conflict extends GatehouseError {
  constructor(message: string, options?: ErrorOptions) {
    super('conflict', message, options);
  }
}

export class ValidationFailed extends GatehouseError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super('validation_failed', issues.join('; ') || 'invalid input');
    this.issues = issues;
  }
}

export class CsrfFailed extends GatehouseError {
  constructor() {
    super('csrf_failed', 'The form expired or did not come from this site. Please try again.');
  }
}

/** A store (database or Redis) could not answer in time; the caller may retry later. */
export class StoreUnavailable extends GatehouseError {
  constructor(store: string, options?: ErrorOptions) {
    super('unavailable', `${store} is unavailable`, options);
  }
}

/** No valid credential was presented (a missing, expired or forged bearer token). */
export class Unauthenticated extends GatehouseError {
  constructor(message = 'a valid bearer token is required') {
    super('unauthenticated', message);
  }
}

/** The caller is known but lacks the permission (e.g. a token without the admin scope). */
export class Forbidden extends GatehouseError {
  constructor(message: string) {
    super('forbidden', message);
  }
}
