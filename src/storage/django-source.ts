/**
 * Reads a Django project's identity tables — django.contrib.auth, django-allauth and
 * django-oauth-toolkit — straight from its database, for `gatehouse import django`. Read-only:
 * Postgres in a READ ONLY, REPEATABLE READ transaction (one consistent snapshot while Django
 * keeps running), SQLite opened read-only through Node's built-in `node:sqlite`.
 *
 * Returns facts only, with Django's column semantics normalised (booleans, UTC dates, string
 * ids); what to do with them is decided in src/imports/django/.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { ValidationFailed } from '../errors.ts';

export type DjangoSourceLocation = { kind: 'postgres'; url: string } | { kind: 'sqlite'; path: string };

export interface DjangoUserRow {
  id: string;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  /** `auth_user.password` as stored: `algorithm$…`, or `!…` for an unusable password. */
  password: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  dateJoined: Date | null;
  lastLogin: Date | null;
}
/** allauth `account_emailaddress`. */
export interface DjangoEmailAddressRow {
  userId: string;
  email: string;
  verified: boolean;
  primary: boolean;
}
export interface DjangoGroupRow {
  id: string;
  name: string;
}
export interface DjangoMembershipRow {
  userId: string;
  groupId: string;
}
/** django-oauth-toolkit `oauth2_provider_application`; columns added by later DOT versions may be null. */
export interface DjangoApplicationRow {
  id: string;
  clientId: string;
  name: string;
  /** 'confidential' | 'public' */
  clientType: string;
  /** 'authorization-code' | 'client-credentials' | 'implicit' | 'password' | 'openid-hybrid' | … */
  grantType: string;
  clientSecret: string;
  /** DOT ≥ 2.0: whether `clientSecret` is a Django hash; null before (plain secrets). */
  hashClientSecret: boolean | null;
  redirectUris: string;
  postLogoutRedirectUris: string;
  allowedOrigins: string;
  skipAuthorization: boolean;
  algorithm: string;
  tokenEndpointAuthMethod: string | null;
}
/** allauth `socialaccount_socialaccount`: a user's link to an upstream provider. */
export interface DjangoSocialAccountRow {
  userId: string;
  provider: string;
  uid: string;
}

export interface DjangoSnapshot {
  /** Which optional parts the project has. */
  has: { allauth: boolean; groups: boolean; oauthToolkit: boolean; socialAccounts: boolean };
  users: DjangoUserRow[];
  emailAddresses: DjangoEmailAddressRow[];
  groups: DjangoGroupRow[];
  memberships: DjangoMembershipRow[];
  applications: DjangoApplicationRow[];
  socialAccounts: DjangoSocialAccountRow[];
}

export interface DjangoReadOptions {
  /** The user model's table (`auth_user`, or e.g. `accounts_user` with a custom AUTH_USER_MODEL). */
  userTable?: string;
}

type Row = Record<string, unknown>;
interface Executor {
  /** `sql` uses `?` placeholders. */
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  tables(): Promise<Set<string>>;
  columns(table: string): Promise<Set<string>>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const quote = (identifier: string) => `"${identifier}"`;

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}
function flag(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}
/** Django stores UTC (USE_TZ) as `YYYY-MM-DD HH:MM:SS[.ffffff][+00:00]` in SQLite, timestamptz in Postgres. */
function date(value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (typeof value !== 'string' || value === '') return null;
  const iso = value.replace(' ', 'T');
  const parsed = new Date(/([+-]\d{2}:?\d{2}|Z)$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

async function openPostgres(url: string): Promise<{ executor: Executor; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  // One consistent snapshot of every table, and no way to write by mistake.
  await client.query('begin transaction isolation level repeatable read read only');
  const query = async (sql: string, params: unknown[] = []) => {
    let index = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++index}`), params)).rows as Row[];
  };
  return {
    executor: {
      query,
      tables: async () =>
        new Set((await query('select table_name from information_schema.tables where table_schema = current_schema()')).map((row) => text(row.table_name))),
      columns: async (table) =>
        new Set(
          (await query('select column_name from information_schema.columns where table_schema = current_schema() and table_name = ?', [table])).map((row) =>
            text(row.column_name),
          ),
        ),
    },
    close: async () => {
      await client.query('rollback').catch(() => undefined);
      await client.end();
    },
  };
}

async function openSqlite(path: string): Promise<{ executor: Executor; close(): Promise<void> }> {
  const file = resolve(path);
  if (!existsSync(file)) throw new ValidationFailed([`no SQLite database at ${file}`]);
  // Loaded here, not at the top: only this command needs node:sqlite.
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file, { readOnly: true });
  const query = async (sql: string, params: unknown[] = []) => db.prepare(sql).all(...(params as Array<string | number>)) as Row[];
  return {
    executor: {
      query,
      tables: async () => new Set((await query("select name from sqlite_master where type = 'table'")).map((row) => text(row.name))),
      columns: async (table) => new Set((await query('select name from pragma_table_info(?)', [table])).map((row) => text(row.name))),
    },
    close: async () => db.close(),
  };
}

/** `column` when the table has it, otherwise a constant, so older schemas read the same way. */
function optional(columns: Set<string>, column: string, fallback: string): string {
  return columns.has(column) ? quote(column) : `${fallback} as ${quote(column)}`;
}

async function readUsers(db: Executor, table: string): Promise<DjangoUserRow[]> {
  const columns = await db.columns(table);
  for (const required of ['id', 'password', 'email']) {
    if (!columns.has(required)) throw new ValidationFailed([`${table} has no ${required} column: is this the user model's table?`]);
  }
  const select = [
    ...['id', 'password', 'email'].map(quote),
    optional(columns, 'username', "''"),
    optional(columns, 'first_name', "''"),
    optional(columns, 'last_name', "''"),
    optional(columns, 'is_active', '1'),
    optional(columns, 'is_staff', '0'),
    optional(columns, 'is_superuser', '0'),
    optional(columns, 'date_joined', 'null'),
    optional(columns, 'last_login', 'null'),
  ];
  const rows = await db.query(`select ${select.join(', ')} from ${quote(table)} order by ${quote('id')}`);
  return rows.map((row) => ({
    id: text(row.id),
    username: text(row.username),
    email: text(row.email),
    firstName: text(row.first_name),
    lastName: text(row.last_name),
    password: text(row.password),
    isActive: flag(row.is_active),
    isStaff: flag(row.is_staff),
    isSuperuser: flag(row.is_superuser),
    dateJoined: date(row.date_joined),
    lastLogin: date(row.last_login),
  }));
}

async function readApplications(db: Executor): Promise<DjangoApplicationRow[]> {
  const columns = await db.columns('oauth2_provider_application');
  const select = [
    'id',
    'client_id',
    'name',
    'client_type',
    'authorization_grant_type',
    'client_secret',
    'redirect_uris',
    'skip_authorization',
  ]
    .map(quote)
    .concat([
      optional(columns, 'hash_client_secret', 'null'),
      optional(columns, 'post_logout_redirect_uris', "''"),
      optional(columns, 'allowed_origins', "''"),
      optional(columns, 'algorithm', "''"),
      optional(columns, 'token_endpoint_auth_method', 'null'),
    ]);
  const rows = await db.query(`select ${select.join(', ')} from ${quote('oauth2_provider_application')} order by ${quote('id')}`);
  return rows.map((row) => ({
    id: text(row.id),
    clientId: text(row.client_id),
    name: text(row.name),
    clientType: text(row.client_type),
    grantType: text(row.authorization_grant_type),
    clientSecret: text(row.client_secret),
    hashClientSecret: row.hash_client_secret === null || row.hash_client_secret === undefined ? null : flag(row.hash_client_secret),
    redirectUris: text(row.redirect_uris),
    postLogoutRedirectUris: text(row.post_logout_redirect_uris),
    allowedOrigins: text(row.allowed_origins),
    skipAuthorization: flag(row.skip_authorization),
    algorithm: text(row.algorithm),
    tokenEndpointAuthMethod: row.token_endpoint_auth_method ? text(row.token_endpoint_auth_method) : null,
  }));
}

async function readSnapshot(db: Executor, userTable: string): Promise<DjangoSnapshot> {
  const tables = await db.tables();
  if (!tables.has(userTable)) {
    throw new ValidationFailed([`no ${userTable} table: not a Django database, or a custom user model (pass --user-table)`]);
  }
  // Django names the many-to-many table after the model's table: auth_user_groups, accounts_user_groups.
  const membershipTable = `${userTable}_groups`;
  const has = {
    allauth: tables.has('account_emailaddress'),
    groups: tables.has('auth_group') && tables.has(membershipTable),
    oauthToolkit: tables.has('oauth2_provider_application'),
    socialAccounts: tables.has('socialaccount_socialaccount'),
  };
  const users = await readUsers(db, userTable);
  const emailAddresses = has.allauth
    ? (await db.query('select "user_id", "email", "verified", "primary" from "account_emailaddress" order by "id"')).map((row) => ({
        userId: text(row.user_id),
        email: text(row.email),
        verified: flag(row.verified),
        primary: flag(row.primary),
      }))
    : [];
  const groups = has.groups
    ? (await db.query('select "id", "name" from "auth_group" order by "id"')).map((row) => ({ id: text(row.id), name: text(row.name) }))
    : [];
  const memberships = has.groups
    ? (await db.query(`select "user_id", "group_id" from ${quote(membershipTable)} order by "id"`)).map((row) => ({
        userId: text(row.user_id),
        groupId: text(row.group_id),
      }))
    : [];
  const applications = has.oauthToolkit ? await readApplications(db) : [];
  const socialAccounts = has.socialAccounts
    ? (await db.query('select "user_id", "provider", "uid" from "socialaccount_socialaccount" order by "id"')).map((row) => ({
        userId: text(row.user_id),
        provider: text(row.provider),
        uid: text(row.uid),
      }))
    : [];
  return { has, users, emailAddresses, groups, memberships, applications, socialAccounts };
}

/**
 * Reads every identity table of the Django database at `location` in one snapshot. Throws
 * ValidationFailed with a one-line reason when the database cannot be opened or is not Django's.
 */
export async function readDjangoDatabase(location: DjangoSourceLocation, options: DjangoReadOptions = {}): Promise<DjangoSnapshot> {
  const userTable = options.userTable ?? 'auth_user';
  if (!IDENTIFIER.test(userTable)) throw new ValidationFailed([`--user-table ${userTable} is not a table name`]);
  let source: { executor: Executor; close(): Promise<void> };
  try {
    source = location.kind === 'postgres' ? await openPostgres(location.url) : await openSqlite(location.path);
  } catch (error) {
    if (error instanceof ValidationFailed) throw error;
    throw new ValidationFailed([`cannot open the Django database: ${(error as Error).message}`]);
  }
  try {
    return await readSnapshot(source.executor, userTable);
  } catch (error) {
    if (error instanceof ValidationFailed) throw error;
    throw new ValidationFailed([`cannot read the Django database: ${(error as Error).message}`]);
  } finally {
    await source.close();
  }
}
