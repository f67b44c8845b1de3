/**
 * One error hierarchy for Gatehouse's own code. Errors carry a stable `code`, never an HTTP
 * status: `http/errors.ts` maps codes to responses in one table.
 */
export type GatehouseErrorCode =
  | 'invalid_credentials'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'csrf_failed'
  | 'rate_limited'
  | 'unavailable'
  | 'forbidden'
  | 'registration_refused'
  | 'invalid_token'
  | 'start_again';

export class GatehouseError extends Error {
  readonly code: GatehouseErrorCode;
  constructor(code: GatehouseErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * `account_disabled`: the right password for a disabled account; `no_usable_password`: an account
 * without a password Gatehouse can check (an imported one that was refused or never set).
 */
export type InvalidCredentialsReason = 'unknown_account' | 'bad_password' | 'account_disabled' | 'no_usable_password';

export class InvalidCredentials extends GatehouseError {
  /** For the audit trail only; every HTTP answer is the same whatever the reason. */
  readonly reason: InvalidCredentialsReason;
  constructor(reason: InvalidCredentialsReason) {
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

/**
 * How long a caller is told to wait after a store outage: a reconnect (Redis retries within 2 s),
 * a pool acquisition (5 s deadline) or a failover is usually that short.
 */
export const STORE_RETRY_AFTER_SECONDS = 5;

/** A store (database or Redis) could not answer in time; the caller may retry later. */
export class StoreUnavailable extends GatehouseError {
  readonly store: string;
  /** Seconds after which a retry is worth it. */
  readonly retryAfter = STORE_RETRY_AFTER_SECONDS;
  constructor(store: string, options?: ErrorOptions) {
    super('unavailable', `${store} is unavailable`, options);
    this.store = store;
  }
}

/** The StoreUnavailable behind an error, however deeply wrapped (e.g. as oidc-provider's 503). */
export function storeUnavailableIn(error: unknown): StoreUnavailable | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth += 1) {
    if (current instanceof StoreUnavailable) return current;
  }
  return undefined;
}

/** The caller is known but lacks the permission (e.g. a token without the admin scope). */
export class Forbidden extends GatehouseError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** RFC 7591 §3.2.2: a client registration (or RFC 7592 update) the server refuses, with the RFC's error code. */
export class RegistrationRefused extends GatehouseError {
  readonly error: 'invalid_client_metadata' | 'invalid_redirect_uri' | 'invalid_software_statement' | 'unapproved_software_statement';
  constructor(error: RegistrationRefused['error'], description: string) {
    super('registration_refused', description);
    this.error = error;
  }
}

/** A bearer token (RFC 6750) that is missing, unknown, expired, revoked or used up. */
export class InvalidToken extends GatehouseError {
  constructor(message = 'the access token is missing or not valid') {
    super('invalid_token', message);
  }
}

/**
 * A second-factor step can no longer continue: the account's factor changed since the sign-in
 * began, or no second factor is pending. The person's next step is a new sign-in.
 */
export class SignInMustStartAgain extends GatehouseError {
  constructor(reason: 'factor_changed' | 'nothing_pending') {
    super(
      'start_again',
      reason === 'factor_changed'
        ? 'the two-factor settings of this account changed since this sign-in began; start the sign-in again'
        : 'no second factor is pending; start the sign-in again',
    );
  }
}
