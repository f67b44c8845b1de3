/**
 * Configuration: the environment, parsed once, validated, frozen.
 *
 * This is the only module that reads `process.env`. Everything else receives the `Config`
 * (or the slice it needs) from the composition root.
 *
 * @example
 * const config = loadConfig(process.env); // throws ConfigError naming the variable
 */
import { z } from 'zod';
import { guessableSecretReason } from './secret-strength.ts';
import { jsonText } from './validation.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const seconds = (fallback: number, description: string) =>
  z.coerce.number().int().positive().default(fallback).describe(description);

const flag = (fallback: boolean, description: string) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1')
    .describe(description);

/** Every environment variable Gatehouse reads. `.describe()` texts feed docs/configuration.md. */
export const environmentSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('`production` turns on every start-up guard (https issuer, secrets from the environment, strong keys).'),
  GATEHOUSE_ISSUER: z
    .url()
    .optional()
    .describe('Public issuer URL, e.g. https://id.example.com. Defaults to http://localhost:PORT outside production.'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('HTTP port to listen on.'),
  GATEHOUSE_HOST: z.string().default('127.0.0.1').describe('Interface to bind. Use 0.0.0.0 in containers.'),
  GATEHOUSE_SHUTDOWN_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(600)
    .default(25)
    .describe(
      'On SIGTERM/SIGINT: /readyz answers 503 at once, new connections are refused, requests in flight finish and kept-alive connections close after their current response; past this many seconds the rest are cut and the process exits 1. Keep it below the orchestrator\'s kill timeout (Kubernetes: 30 s).',
    ),
  DATABASE_URL: z
    .string()
    .optional()
    .describe('Postgres connection string. Unset: embedded Postgres (PGlite) under GATEHOUSE_DATA_DIR.'),
  REDIS_URL: z
    .string()
    .optional()
    .describe('Redis URL for ephemeral state (sessions, codes, replay records): redis[s]://… or redis+sentinel://[:pw@]host:port,host:port/master. Unset: in-process store.'),
  GATEHOUSE_REDIS_PREFIX: z.string().default('gatehouse:').describe('Prefix of every Redis key this instance writes.'),
  GATEHOUSE_DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10).describe('Largest Postgres connection pool per instance.'),
  GATEHOUSE_DB_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(5000)
    .describe('Deadline of every SQL statement (server-side; the client gives up 1 s later).'),
  GATEHOUSE_DATA_DIR: z
    .string()
    .default('./data')
    .describe('Local state: PGlite\'s files (embedded mode), the mail outbox and the CLI\'s admin socket (run/admin.sock, 0600 in a 0700 directory).'),
  GATEHOUSE_BOOTSTRAP_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A configuration-as-code file (YAML or JSON, the format of `gatehouse apply`) applied at every start, before the server listens: the clients, APIs, roles and groups it lists are created or brought in line; nothing is deleted. Instances starting together apply it one at a time (an advisory lock); secrets it references come from the environment or files.',
    ),
  GATEHOUSE_KEYS_DIR: z
    .string()
    .default('./keys')
    .describe('Development only: where generated secrets are kept (0600). Never used in production.'),
  GATEHOUSE_KEY_ENCRYPTION_SECRET: z
    .string()
    .optional()
    .describe(
      '32 random bytes, base64/base64url (`openssl rand -base64 32`). Encrypts private signing keys at rest. Required in production, which refuses guessable values (one repeated byte, a pattern, typed text, a placeholder).',
    ),
  GATEHOUSE_COOKIE_KEYS: z
    .string()
    .optional()
    .describe(
      'Comma-separated cookie signing keys (each >= 32 chars, e.g. `openssl rand -hex 32`); the first signs. Required in production, which refuses guessable keys (one repeated character, a pattern, a placeholder).',
    ),
  GATEHOUSE_ACCESS_TOKEN_TTL: seconds(900, 'Access token lifetime in seconds (15 min).'),
  GATEHOUSE_REFRESH_TOKEN_TTL: seconds(604_800, 'Absolute refresh-token lifetime in seconds, counted from sign-in (7 days).'),
  GATEHOUSE_AUTHORIZATION_CODE_TTL: seconds(60, 'Authorization code lifetime in seconds.'),
  GATEHOUSE_ID_TOKEN_TTL: seconds(3600, 'ID token lifetime in seconds.'),
  GATEHOUSE_SESSION_TTL: seconds(43_200, 'Absolute browser-session lifetime in seconds (12 h).'),
  GATEHOUSE_SESSION_IDLE_TIMEOUT: seconds(1800, 'A browser session unused at the server this long (seconds) must sign in again (30 min).'),
  GATEHOUSE_PRODUCT_NAME: z.string().min(1).max(60).default('Gatehouse').describe('Product name shown on every page and in mails.'),
  GATEHOUSE_LOGO_URL: z.url().optional().describe('Logo shown on every page instead of the product name (https or a path on this server).'),
  GATEHOUSE_PRIMARY_COLOR: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a #RRGGBB colour')
    .default('#1f5fbf')
    .describe('Primary colour of the pages (#RRGGBB). Keep 4.5:1 contrast with white text.'),
  GATEHOUSE_REGISTRATION_ENABLED: flag(true, 'Offer self-registration on the sign-in page.'),
  GATEHOUSE_REQUIRE_VERIFIED_EMAIL: flag(
    true,
    'Unverified accounts cannot complete an authorization (a client registered with allow_unverified_email is exempt).',
  ),
  GATEHOUSE_EMAIL_VERIFICATION_TTL: seconds(86_400, 'Lifetime of an email-verification link, in seconds (24 h).'),
  GATEHOUSE_PASSWORD_RESET_TTL: seconds(3600, 'Lifetime of a password-reset link, in seconds (1 h).'),
  GATEHOUSE_MFA_REQUIRED_ROLES: z
    .string()
    .default('admin')
    .transform((value) => value.split(',').map((role) => role.trim()).filter(Boolean))
    .describe('Users holding any of these roles (comma-separated) must use a second factor; enrolment is forced at sign-in.'),
  GATEHOUSE_PASSKEY_REQUIRED_ROLES: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((role) => role.trim()).filter(Boolean))
    .describe(
      'Users holding any of these roles (comma-separated) must sign in with a passkey (acr urn:gatehouse:loa:3); a TOTP code is not accepted. They add the passkey on /account first.',
    ),
  GATEHOUSE_WEBAUTHN_RP_ID: z
    .string()
    .regex(/^[a-z0-9.-]+$/i)
    .optional()
    .describe(
      "WebAuthn relying-party ID: the issuer's host by default; set a parent domain (e.g. example.com for id.example.com) so passkeys work across its subdomains. Must be the issuer's host or a suffix of it.",
    ),
  GATEHOUSE_WEBAUTHN_ORIGINS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((origin) => origin.trim().replace(/\/+$/, '')).filter(Boolean))
    .describe("Extra origins (comma-separated) whose passkey ceremonies are accepted, besides the issuer's own origin (e.g. another subdomain under a parent RP ID)."),
  GATEHOUSE_PASSKEY_COUNTER_REGRESSION: z
    .enum(['refuse', 'audit'])
    .default('refuse')
    .describe('A passkey whose signature counter goes backwards (a cloned authenticator?) is always audited; `refuse` also refuses the sign-in, `audit` lets it through.'),
  GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: flag(
    false,
    'Allow outbound calls (back-channel logout, client jwks_uri, webhooks) to loopback, private and link-local addresses. Needed when internal tools listen on them.',
  ),
  GATEHOUSE_WEBHOOKS_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(50)
    .default(10)
    .describe('Attempts at delivering one event to one webhook before it is dead-lettered (`gatehouse webhooks dead-letters`).'),
  GATEHOUSE_WEBHOOKS_RETRY_BASE: seconds(
    30,
    'Wait (seconds) after a webhook delivery\'s first failure; it doubles after each further failure, up to 6 hours (10 attempts span about 4 hours).',
  ),
  GATEHOUSE_WEBHOOKS_POLL_INTERVAL: seconds(2, 'How often (seconds) each instance looks for webhook deliveries that are due.'),
  GATEHOUSE_WEBHOOKS_TIMEOUT: seconds(10, 'How long (seconds) a webhook receiver has to answer one delivery.'),
  GATEHOUSE_WEBHOOKS_ALLOW_HTTP: flag(
    false,
    'Accept `http:` webhook URLs (development, or a receiver on a trusted internal network). Deliveries stay signed, but anyone on the path can read them.',
  ),
  GATEHOUSE_INTERACTION_TTL: seconds(1800, 'How long a sign-in page stays valid, in seconds.'),
  GATEHOUSE_REFRESH_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(300)
    .default(10)
    .describe(
      'A client that retries the same refresh within this window gets the same new refresh token instead of tripping reuse detection. 0 = off.',
    ),
  GATEHOUSE_PKCE_REQUIRED: z
    .enum(['all', 'public'])
    .default('all')
    .describe('`all` (RFC 9700): PKCE S256 for every client. `public`: only for public clients.'),
  GATEHOUSE_RSA_MODULUS_LENGTH: z.coerce
    .number()
    .int()
    .refine((bits) => [2048, 3072, 4096].includes(bits), 'must be 2048, 3072 or 4096')
    .default(2048)
    .describe('Size of generated RSA signing keys: 2048, 3072 or 4096 bits.'),
  GATEHOUSE_SIGNING_ALGS: z
    .string()
    .default('RS256')
    .transform((value) => [...new Set(['RS256', ...value.split(',').map((alg) => alg.trim()).filter(Boolean)])])
    .pipe(z.array(z.enum(['RS256', 'ES256', 'EdDSA'])))
    .describe('Signing algorithms with their own rotating keys. RS256 is always on; add ES256 and/or EdDSA for clients that ask for them.'),
  GATEHOUSE_JWKS_MAX_AGE: seconds(300, 'Cache-Control max-age of /jwks, in seconds. Resource servers may cache the key set this long.'),
  GATEHOUSE_KEY_PUBLISH_LEAD: seconds(
    3600,
    'How long a new key is published before it signs, in seconds. Must be at least GATEHOUSE_JWKS_MAX_AGE.',
  ),
  GATEHOUSE_KEY_ROTATION_DAYS: z.coerce.number().positive().max(3650).default(30).describe('A new signing key takes over every N days.'),
  GATEHOUSE_KEY_POLL_SECONDS: seconds(5, 'How often every instance re-reads the key table, in seconds (bounds how fast rotations and revocations spread).'),
  GATEHOUSE_CLOCK_SKEW: seconds(300, 'Clock-skew margin, in seconds: added before a superseded key leaves the JWKS, and before an expired token row is deleted.'),
  GATEHOUSE_PASSWORD_MEMORY_KIB: z.coerce
    .number()
    .int()
    .min(1024)
    .default(19_456)
    .describe('argon2id memory cost in KiB (OWASP: 19456). Production refuses less.'),
  GATEHOUSE_PASSWORD_TIME_COST: z.coerce
    .number()
    .int()
    .min(1)
    .default(2)
    .describe('argon2id iterations (OWASP: 2). Production refuses less.'),
  GATEHOUSE_PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).max(128).default(12).describe('Minimum password length in characters (Unicode code points, NFC). The maximum is 1024.'),
  GATEHOUSE_PASSWORD_MIN_SCORE: z.coerce
    .number()
    .int()
    .min(0)
    .max(4)
    .default(3)
    .describe('Minimum zxcvbn strength score (0-4) for new passwords; 0 turns the estimate off.'),
  GATEHOUSE_PASSWORD_BREACH_API_URL: z
    .url()
    .optional()
    .describe('Pwned-Passwords-compatible range API (k-anonymity: 5 hex digits of the SHA-1 are sent), e.g. https://api.pwnedpasswords.com/range. Unset: off.'),
  GATEHOUSE_PASSWORD_BREACH_TIMEOUT_MS: z.coerce.number().int().min(100).max(10_000).default(2000).describe('Deadline of the breach-check call; if it passes, the password is not rejected for it.'),
  GATEHOUSE_TRUST_PROXY: flag(false, 'Trust X-Forwarded-* headers (set when behind a reverse proxy).'),
  GATEHOUSE_BODY_LIMIT_KB: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(32)
    .describe('Largest accepted form body on Gatehouse pages, in KiB.'),
  SMTP_URL: z
    .string()
    .optional()
    .describe('SMTP connection URL (smtps://user:pass@host:465). Unset: mails are written to GATEHOUSE_DATA_DIR/outbox.'),
  GATEHOUSE_MAIL_FROM: z.string().default('Gatehouse <no-reply@localhost>').describe('From address of every mail.'),
  GATEHOUSE_BACKOFF_CEILING_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(900)
    .describe('Longest wait failed sign-ins can impose on an account (the backoff cap; never an indefinite lock).'),
  GATEHOUSE_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(365).describe('Audit events older than this are pruned by the `audit.prune` job (the chain stays verifiable).'),
  GATEHOUSE_JOBS_ENABLED: flag(
    true,
    'Whether this instance takes turns running the cluster jobs (expired-token deletion, audit retention, unused-client sweep); each runs on one instance at a time whatever this says. `false` leaves them to other instances (or to `gatehouse jobs run`). The key refresh runs on every instance regardless.',
  ),
  GATEHOUSE_JOBS_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(10)
    .max(50_000)
    .default(1000)
    .describe('Rows deleted per statement by the cleanup jobs (expired tokens, audit retention): bounds how long each statement and its locks last.'),
  GATEHOUSE_TOKEN_CLEANUP_INTERVAL: seconds(3600, 'How often (seconds, cluster-wide) expired grants, refresh tokens and mail tokens are deleted.'),
  GATEHOUSE_AUDIT_PRUNE_INTERVAL: seconds(86_400, 'How often (seconds, cluster-wide) audit events past GATEHOUSE_AUDIT_RETENTION_DAYS are removed.'),
  GATEHOUSE_DCR_SWEEP_INTERVAL: seconds(3600, 'How often (seconds, cluster-wide) unused dynamically registered clients are looked for (when registration is on).'),
  GATEHOUSE_METRICS_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe('Bearer token required on /metrics. In production /metrics is off on the main port unless this or GATEHOUSE_METRICS_PORT is set.'),
  GATEHOUSE_METRICS_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('Serve /metrics on this separate port (bind it to a private interface) instead of the main port.'),
  GATEHOUSE_ACCESS_TOKEN_CLAIMS: z
    .string()
    .default('roles,groups,org_id')
    .transform((value) => [...new Set(value.split(',').map((claim) => claim.trim()).filter(Boolean))])
    .describe(
      'Claims (comma-separated) an API may choose for its access tokens, besides sub, client_id and scope: any of roles, groups, org_id. Personal data (email, name, phone_number, address, ...) is refused at start.',
    ),
  OTEL_SDK_DISABLED: flag(false, 'OpenTelemetry: `true` keeps tracing off whatever the other OTEL_* variables say.'),
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'console', 'none'])
    .optional()
    .describe('OpenTelemetry: where spans go. Tracing is off unless this (other than `none`) or an OTLP endpoint is set; `otlp` is the default once an endpoint is.'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional().describe('OpenTelemetry: the collector\'s base URL (spans are posted to `<endpoint>/v1/traces`); setting it turns tracing on.'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional().describe('OpenTelemetry: the full URL spans are posted to (overrides the base endpoint); setting it turns tracing on.'),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(['http/protobuf', 'http/json'])
    .default('http/protobuf')
    .describe('OpenTelemetry: OTLP encoding over HTTP (`grpc` is not shipped: run a collector that accepts HTTP, as they all do).'),
  OTEL_SERVICE_NAME: z.string().min(1).default('gatehouse').describe('OpenTelemetry: the `service.name` of every span.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
  GATEHOUSE_DEVICE_CODE_TTL: z.coerce
    .number()
    .int()
    .min(60)
    .max(3600)
    .default(600)
    .describe('Device authorization grant (RFC 8628): how long a device code and its user code stay valid, in seconds (10 min).'),
  GATEHOUSE_DEVICE_POLL_INTERVAL: z.coerce
    .number()
    .int()
    .min(1)
    .max(60)
    .default(5)
    .describe('Device authorization grant: the `interval` (seconds) a CLI must wait between polls of /token; a faster poll is answered `slow_down` (RFC 8628 §3.5).'),
  GATEHOUSE_DCR_ENABLED: flag(false, 'Dynamic client registration (RFC 7591/7592) at /register, gated by initial access tokens (`gatehouse iat create`).'),
  GATEHOUSE_DCR_UNUSED_CLIENT_TTL: seconds(7_776_000, 'A dynamically registered client unused this long (seconds) is deleted (90 days).'),
  GATEHOUSE_DCR_SOFTWARE_STATEMENT_ISSUERS: jsonText('must be a JSON object', z.string().default('{}'))
    .pipe(z.record(z.string().min(1), z.union([z.url(), z.object({ keys: z.array(z.looseObject({ kty: z.string() }).refine((jwk) => !('d' in jwk), 'public keys only')).min(1) })])))
    .describe('Trusted software-statement issuers, JSON: {"issuer": "https://…/jwks.json"} or {"issuer": {"keys": [public JWKs]}}.'),
  GATEHOUSE_DCR_REQUIRE_SOFTWARE_STATEMENT: flag(false, 'Every registration must carry a software statement signed by a trusted issuer.'),
  GATEHOUSE_DCR_RATE_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(20).describe('Registration requests (RFC 7591) accepted per client IP per hour.'),
});

export type Environment = z.input<typeof environmentSchema>;

export interface Config {
  readonly production: boolean;
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly issuer: string;
  readonly port: number;
  readonly host: string;
  readonly shutdownGraceSeconds: number;
  readonly storage:
    | { readonly kind: 'embedded'; readonly dataDir: string }
    | {
        readonly kind: 'services';
        readonly databaseUrl: string;
        readonly redisUrl: string;
        readonly poolMax: number;
        readonly statementTimeoutMs: number;
      };
  readonly redisPrefix: string;
  /** GATEHOUSE_DATA_DIR in either mode: the mail outbox and the admin socket live there too. */
  readonly dataDir: string;
  /** GATEHOUSE_BOOTSTRAP_FILE: applied at start (configuration as code). */
  readonly bootstrapFile: string | undefined;
  readonly keysDir: string;
  /** Unset outside production means "generate one into keysDir". */
  readonly keyEncryptionSecret: Uint8Array | undefined;
  readonly cookieKeys: readonly string[] | undefined;
  readonly ttl: {
    readonly accessToken: number;
    readonly refreshToken: number;
    readonly authorizationCode: number;
    readonly idToken: number;
    readonly session: number;
    readonly sessionIdle: number;
    readonly interaction: number;
  };
  readonly outboundAllowPrivate: boolean;
  readonly mfaRequiredRoles: readonly string[];
  readonly passkeys: {
    readonly requiredRoles: readonly string[];
    /** The WebAuthn relying party: its ID (a host or parent domain) and the accepted origins. */
    readonly rpId: string;
    readonly origins: readonly string[];
    readonly counterRegression: 'refuse' | 'audit';
  };
  readonly theme: { readonly productName: string; readonly logoUrl: string | undefined; readonly primaryColor: string };
  readonly registration: { readonly enabled: boolean; readonly requireVerifiedEmail: boolean; readonly verifyTtl: number; readonly resetTtl: number };
  readonly refreshGraceSeconds: number;
  readonly pkceRequired: 'all' | 'public';
  readonly rsaModulusLength: number;
  readonly keys: {
    readonly algorithms: ReadonlyArray<'RS256' | 'ES256' | 'EdDSA'>;
    readonly jwksMaxAge: number;
    readonly publishLead: number;
    readonly rotationInterval: number;
    readonly pollInterval: number;
    /** Longest lifetime of anything a key signs, plus skew: how long a superseded key stays published. */
    readonly retireAfter: number;
  };
  readonly passwordHashing: { readonly memoryKib: number; readonly timeCost: number };
  readonly passwordPolicy: {
    readonly minLength: number;
    readonly minScore: number;
    readonly breachCheck: { readonly rangeApiUrl: string; readonly timeoutMs: number } | undefined;
  };
  readonly trustProxy: boolean;
  readonly bodyLimitBytes: number;
  readonly logLevel: string;
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string; readonly outboxDir: string };
  readonly backoffCeilingSeconds: number;
  readonly auditRetentionDays: number;
  /** Periodic work (src/jobs/): intervals in seconds. */
  readonly jobs: {
    /** This instance takes turns running the cluster jobs. */
    readonly enabled: boolean;
    readonly batchSize: number;
    readonly tokenCleanupInterval: number;
    readonly auditPruneInterval: number;
    readonly clientSweepInterval: number;
    /** Expired rows are kept this much longer (the clock-skew margin). */
    readonly expiredGraceSeconds: number;
  };
  /** OpenTelemetry tracing (src/tracing/), from the standard OTEL_* variables; undefined = off. */
  readonly tracing:
    | {
        readonly exporter: 'otlp' | 'console';
        /** Where OTLP spans are posted (full URL). */
        readonly url: string;
        readonly protocol: 'http/protobuf' | 'http/json';
        readonly serviceName: string;
      }
    | undefined;
  /** Event hooks (src/webhooks/); receivers on private networks follow `outboundAllowPrivate`. */
  readonly webhooks: {
    readonly maxAttempts: number;
    readonly retryBaseSeconds: number;
    readonly pollInterval: number;
    readonly timeoutSeconds: number;
    readonly allowHttp: boolean;
  };
  /** Claims an API may list for its access tokens (never PII; see ACCESS_TOKEN_PII_CLAIMS). */
  readonly accessTokenClaims: readonly AccessTokenClaim[];
  readonly metrics: { readonly token: string | undefined; readonly port: number | undefined; readonly onMainPort: boolean };
  /** RFC 8628 device authorization grant. */
  readonly deviceFlow: { readonly codeTtl: number; readonly pollInterval: number };
  readonly dcr: {
    readonly enabled: boolean;
    readonly unusedClientTtl: number;
    /** issuer → its jwks_uri, or its public JWKS inline. */
    readonly softwareStatementIssuers: Readonly<Record<string, string | { readonly keys: ReadonlyArray<Record<string, unknown>> }>>;
    readonly requireSoftwareStatement: boolean;
    readonly registrationsPerIpPerHour: number;
  };
}

/** The longest access-token lifetime an API may set (apis/): keys outlive it before leaving the JWKS. */
export const MAX_API_ACCESS_TOKEN_TTL = 86_400;
/** Claims Gatehouse can put in access tokens on an API's request (besides sub, client_id, scope). */
export const ACCESS_TOKEN_CLAIMS = ['roles', 'groups', 'org_id'] as const;
export type AccessTokenClaim = (typeof ACCESS_TOKEN_CLAIMS)[number];

/**
 * Personal data that never goes into an access token: access tokens travel to every API and
 * its logs, so profile claims stay in the ID token and userinfo, released by scope and consent
 * (OIDC Core §5.1, §5.4).
 */
export const ACCESS_TOKEN_PII_CLAIMS: ReadonlySet<string> = new Set([
  'email', 'email_verified', 'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username',
  'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified',
  'address', 'updated_at',
]);

function parseAccessTokenClaims(claims: readonly string[]): AccessTokenClaim[] {
  const variable = 'GATEHOUSE_ACCESS_TOKEN_CLAIMS';
  for (const claim of claims) {
    if (ACCESS_TOKEN_PII_CLAIMS.has(claim)) {
      throw new ConfigError(`${variable} must not contain ${claim}: personal data never goes into access tokens (use the ID token or userinfo)`);
    }
    if (!(ACCESS_TOKEN_CLAIMS as readonly string[]).includes(claim)) {
      throw new ConfigError(`${variable}: unknown claim ${claim} (choose from ${ACCESS_TOKEN_CLAIMS.join(', ')})`);
    }
  }
  return claims as AccessTokenClaim[];
}

const OWASP_ARGON2_MEMORY_KIB = 19_456;
const OWASP_ARGON2_TIME_COST = 2;

function decodeSecret(value: string, name: string): Uint8Array {
  const bytes = Buffer.from(value.trim(), value.includes('+') || value.includes('/') ? 'base64' : 'base64url');
  if (bytes.length !== 32) throw new ConfigError(`${name} must be 32 random bytes, base64 or base64url encoded`);
  return new Uint8Array(bytes);
}

function parseCookieKeys(value: string): string[] {
  const keys = value
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (keys.length === 0 || keys.some((key) => key.length < 32)) {
    throw new ConfigError('GATEHOUSE_COOKIE_KEYS must hold one or more comma-separated keys of at least 32 characters');
  }
  return keys;
}

/**
 * Production refuses secrets of the right length that carry no entropy (32 zero bytes, `aaaa…`,
 * a repeated pattern, a placeholder): the message names the variable and how to make a good
 * one, never the value.
 */
function assertUnguessableSecrets(keyEncryptionSecret: Uint8Array, cookieKeys: readonly string[]): void {
  const kekProblem = guessableSecretReason(keyEncryptionSecret);
  if (kekProblem) {
    throw new ConfigError(`GATEHOUSE_KEY_ENCRYPTION_SECRET is guessable: it ${kekProblem}; generate one with: openssl rand -base64 32`);
  }
  for (const [index, key] of cookieKeys.entries()) {
    const problem = guessableSecretReason(key);
    if (problem) {
      throw new ConfigError(
        `GATEHOUSE_COOKIE_KEYS: key ${index + 1} of ${cookieKeys.length} is guessable: it ${problem}; generate keys with: openssl rand -hex 32`,
      );
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses and validates the environment. Throws `ConfigError` with a one-line message naming the
 * offending variable; `main.ts` prints it and exits 1.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue?.path.join('.') ?? 'environment'}: ${issue?.message ?? 'invalid'}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const issuer = (e.GATEHOUSE_ISSUER ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');

  if ((e.DATABASE_URL === undefined) !== (e.REDIS_URL === undefined)) {
    throw new ConfigError('DATABASE_URL and REDIS_URL go together: set both (services mode) or neither (embedded mode)');
  }
  if (e.GATEHOUSE_KEY_PUBLISH_LEAD < e.GATEHOUSE_JWKS_MAX_AGE) {
    throw new ConfigError('GATEHOUSE_KEY_PUBLISH_LEAD must be at least GATEHOUSE_JWKS_MAX_AGE, or cached key sets would miss new keys');
  }
  if (e.GATEHOUSE_DCR_REQUIRE_SOFTWARE_STATEMENT && Object.keys(e.GATEHOUSE_DCR_SOFTWARE_STATEMENT_ISSUERS).length === 0) {
    throw new ConfigError('GATEHOUSE_DCR_REQUIRE_SOFTWARE_STATEMENT needs at least one issuer in GATEHOUSE_DCR_SOFTWARE_STATEMENT_ISSUERS');
  }
  const issuerHost = new URL(issuer).hostname;
  const rpId = (e.GATEHOUSE_WEBAUTHN_RP_ID ?? issuerHost).toLowerCase();
  if (rpId !== issuerHost && !issuerHost.endsWith(`.${rpId}`)) {
    throw new ConfigError(`GATEHOUSE_WEBAUTHN_RP_ID must be the issuer's host (${issuerHost}) or a parent domain of it (got ${rpId})`);
  }
  const keyEncryptionSecret = e.GATEHOUSE_KEY_ENCRYPTION_SECRET
    ? decodeSecret(e.GATEHOUSE_KEY_ENCRYPTION_SECRET, 'GATEHOUSE_KEY_ENCRYPTION_SECRET')
    : undefined;
  const cookieKeys = e.GATEHOUSE_COOKIE_KEYS ? parseCookieKeys(e.GATEHOUSE_COOKIE_KEYS) : undefined;
  if (production) {
    if (!issuer.startsWith('https://')) {
      throw new ConfigError(`GATEHOUSE_ISSUER must be an https:// URL in production (got ${issuer})`);
    }
    if (!e.DATABASE_URL) throw new ConfigError('DATABASE_URL and REDIS_URL are required in production');
    if (!keyEncryptionSecret) {
      throw new ConfigError('GATEHOUSE_KEY_ENCRYPTION_SECRET is required in production (32 random bytes, base64)');
    }
    if (!cookieKeys) throw new ConfigError('GATEHOUSE_COOKIE_KEYS is required in production');
    assertUnguessableSecrets(keyEncryptionSecret, cookieKeys);
    if (e.GATEHOUSE_PASSWORD_MEMORY_KIB < OWASP_ARGON2_MEMORY_KIB || e.GATEHOUSE_PASSWORD_TIME_COST < OWASP_ARGON2_TIME_COST) {
      throw new ConfigError('GATEHOUSE_PASSWORD_MEMORY_KIB/TIME_COST are below the OWASP argon2id minimum (19456 KiB, t=2)');
    }
  }

  return deepFreeze({
    production,
    nodeEnv: e.NODE_ENV,
    issuer,
    port: e.PORT,
    host: e.GATEHOUSE_HOST,
    shutdownGraceSeconds: e.GATEHOUSE_SHUTDOWN_GRACE_SECONDS,
    storage:
      e.DATABASE_URL && e.REDIS_URL
        ? {
            kind: 'services',
            databaseUrl: e.DATABASE_URL,
            redisUrl: e.REDIS_URL,
            poolMax: e.GATEHOUSE_DB_POOL_MAX,
            statementTimeoutMs: e.GATEHOUSE_DB_STATEMENT_TIMEOUT_MS,
          }
        : { kind: 'embedded', dataDir: e.GATEHOUSE_DATA_DIR },
    redisPrefix: e.GATEHOUSE_REDIS_PREFIX,
    dataDir: e.GATEHOUSE_DATA_DIR,
    bootstrapFile: e.GATEHOUSE_BOOTSTRAP_FILE,
    keysDir: e.GATEHOUSE_KEYS_DIR,
    keyEncryptionSecret,
    cookieKeys,
    ttl: {
      accessToken: e.GATEHOUSE_ACCESS_TOKEN_TTL,
      refreshToken: e.GATEHOUSE_REFRESH_TOKEN_TTL,
      authorizationCode: e.GATEHOUSE_AUTHORIZATION_CODE_TTL,
      idToken: e.GATEHOUSE_ID_TOKEN_TTL,
      session: e.GATEHOUSE_SESSION_TTL,
      sessionIdle: e.GATEHOUSE_SESSION_IDLE_TIMEOUT,
      interaction: e.GATEHOUSE_INTERACTION_TTL,
    },
    outboundAllowPrivate: e.GATEHOUSE_OUTBOUND_ALLOW_PRIVATE,
    mfaRequiredRoles: e.GATEHOUSE_MFA_REQUIRED_ROLES,
    passkeys: {
      requiredRoles: e.GATEHOUSE_PASSKEY_REQUIRED_ROLES,
      rpId,
      origins: [new URL(issuer).origin, ...e.GATEHOUSE_WEBAUTHN_ORIGINS],
      counterRegression: e.GATEHOUSE_PASSKEY_COUNTER_REGRESSION,
    },
    theme: { productName: e.GATEHOUSE_PRODUCT_NAME, logoUrl: e.GATEHOUSE_LOGO_URL, primaryColor: e.GATEHOUSE_PRIMARY_COLOR },
    registration: {
      enabled: e.GATEHOUSE_REGISTRATION_ENABLED,
      requireVerifiedEmail: e.GATEHOUSE_REQUIRE_VERIFIED_EMAIL,
      verifyTtl: e.GATEHOUSE_EMAIL_VERIFICATION_TTL,
      resetTtl: e.GATEHOUSE_PASSWORD_RESET_TTL,
    },
    refreshGraceSeconds: e.GATEHOUSE_REFRESH_GRACE_SECONDS,
    pkceRequired: e.GATEHOUSE_PKCE_REQUIRED,
    rsaModulusLength: e.GATEHOUSE_RSA_MODULUS_LENGTH,
    keys: {
      algorithms: e.GATEHOUSE_SIGNING_ALGS,
      jwksMaxAge: e.GATEHOUSE_JWKS_MAX_AGE,
      publishLead: e.GATEHOUSE_KEY_PUBLISH_LEAD,
      rotationInterval: Math.round(e.GATEHOUSE_KEY_ROTATION_DAYS * 86_400),
      pollInterval: e.GATEHOUSE_KEY_POLL_SECONDS,
      retireAfter:
        Math.max(e.GATEHOUSE_ACCESS_TOKEN_TTL, e.GATEHOUSE_ID_TOKEN_TTL, MAX_API_ACCESS_TOKEN_TTL) + e.GATEHOUSE_CLOCK_SKEW,
    },
    passwordHashing: { memoryKib: e.GATEHOUSE_PASSWORD_MEMORY_KIB, timeCost: e.GATEHOUSE_PASSWORD_TIME_COST },
    passwordPolicy: {
      minLength: e.GATEHOUSE_PASSWORD_MIN_LENGTH,
      minScore: e.GATEHOUSE_PASSWORD_MIN_SCORE,
      breachCheck: e.GATEHOUSE_PASSWORD_BREACH_API_URL
        ? { rangeApiUrl: e.GATEHOUSE_PASSWORD_BREACH_API_URL, timeoutMs: e.GATEHOUSE_PASSWORD_BREACH_TIMEOUT_MS }
        : undefined,
    },
    trustProxy: e.GATEHOUSE_TRUST_PROXY,
    bodyLimitBytes: e.GATEHOUSE_BODY_LIMIT_KB * 1024,
    logLevel: e.LOG_LEVEL,
    mail: { smtpUrl: e.SMTP_URL, from: e.GATEHOUSE_MAIL_FROM, outboxDir: `${e.GATEHOUSE_DATA_DIR.replace(/\/+$/, '')}/outbox` },
    backoffCeilingSeconds: e.GATEHOUSE_BACKOFF_CEILING_SECONDS,
    auditRetentionDays: e.GATEHOUSE_AUDIT_RETENTION_DAYS,
    jobs: {
      enabled: e.GATEHOUSE_JOBS_ENABLED,
      batchSize: e.GATEHOUSE_JOBS_BATCH_SIZE,
      tokenCleanupInterval: e.GATEHOUSE_TOKEN_CLEANUP_INTERVAL,
      auditPruneInterval: e.GATEHOUSE_AUDIT_PRUNE_INTERVAL,
      clientSweepInterval: e.GATEHOUSE_DCR_SWEEP_INTERVAL,
      expiredGraceSeconds: e.GATEHOUSE_CLOCK_SKEW,
    },
    tracing: tracingSettings(e),
    webhooks: {
      maxAttempts: e.GATEHOUSE_WEBHOOKS_MAX_ATTEMPTS,
      retryBaseSeconds: e.GATEHOUSE_WEBHOOKS_RETRY_BASE,
      pollInterval: e.GATEHOUSE_WEBHOOKS_POLL_INTERVAL,
      timeoutSeconds: e.GATEHOUSE_WEBHOOKS_TIMEOUT,
      allowHttp: e.GATEHOUSE_WEBHOOKS_ALLOW_HTTP,
    },
    accessTokenClaims: parseAccessTokenClaims(e.GATEHOUSE_ACCESS_TOKEN_CLAIMS),
    metrics: {
      token: e.GATEHOUSE_METRICS_TOKEN,
      port: e.GATEHOUSE_METRICS_PORT,
      // Metrics reveal traffic shape: in production they need a token or a private port.
      onMainPort: e.GATEHOUSE_METRICS_PORT === undefined && (!production || e.GATEHOUSE_METRICS_TOKEN !== undefined),
    },
    deviceFlow: { codeTtl: e.GATEHOUSE_DEVICE_CODE_TTL, pollInterval: e.GATEHOUSE_DEVICE_POLL_INTERVAL },
    dcr: {
      enabled: e.GATEHOUSE_DCR_ENABLED,
      unusedClientTtl: e.GATEHOUSE_DCR_UNUSED_CLIENT_TTL,
      softwareStatementIssuers: e.GATEHOUSE_DCR_SOFTWARE_STATEMENT_ISSUERS,
      requireSoftwareStatement: e.GATEHOUSE_DCR_REQUIRE_SOFTWARE_STATEMENT,
      registrationsPerIpPerHour: e.GATEHOUSE_DCR_RATE_LIMIT_PER_HOUR,
    },
  } satisfies Config);
}

/** Tracing is on when an exporter or an OTLP endpoint is named, and OTEL_SDK_DISABLED is not set. */
function tracingSettings(e: z.output<typeof environmentSchema>): Config['tracing'] {
  const exporter = e.OTEL_TRACES_EXPORTER ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : 'none');
  if (e.OTEL_SDK_DISABLED || exporter === 'none') return undefined;
  const base = (e.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318').replace(/\/+$/, '');
  return {
    exporter,
    url: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${base}/v1/traces`,
    protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL,
    serviceName: e.OTEL_SERVICE_NAME,
  };
}

/** The composition root's entry: the one place that touches `process.env`. */
export function loadConfigFromProcess(): Config {
  return loadConfig(process.env);
}

/**
 * A secret a configuration-as-code file references by variable name (`secret: { env: NAME }`):
 * read here, when a file is applied, so this stays the one module that reads the environment.
 */
export function referencedEnvironmentVariable(name: string): string | undefined {
  return process.env[name];
}
