/**
 * `gatehouse import django`: a local command. It opens the Django database itself (read-only)
 * and writes through the same services as the server; see docs/migrating-from-django.md.
 */
import { resolve } from 'node:path';
import { systemClock } from '../../clock.ts';
import { createDjangoImporter, renderReport, socialLinksToUpstreams } from '../../imports/django/index.ts';
import { type DjangoSourceLocation, readDjangoDatabase } from '../../storage/django-source.ts';
import { type CommandContext, list, parse, UsageError } from '../context.ts';

export const IMPORT_DJANGO_HELP = `Usage: gatehouse import django (--sqlite PATH | --database postgres://USER@HOST/DB) [options]

Reads a Django project's database (read-only) and shows what would be imported: users with
their password hashes (pbkdf2, argon2, bcrypt, scrypt: re-hashed to argon2id at each user's
first sign-in), allauth email verification, groups, staff/superuser roles, and
django-oauth-toolkit applications with their client ids and secrets. Nothing is written
without --commit. Re-running updates what changed in Django and never duplicates.

  --sqlite PATH              the project's SQLite file (db.sqlite3)
  --database URL             a postgres:// URL; put the password in PGPASSWORD, not in the URL
  --commit                   write (one transaction), then mail a password reset to users whose
                             hash format is refused (md5, sha1, crypt)
  --staff-role ROLE          grant ROLE to is_staff users (created as a global role if missing)
  --superuser-role ROLE      grant ROLE to is_superuser users (e.g. admin)
  --client-auth-method M     client_secret_basic (default) or client_secret_post, for confidential
                             applications that do not name one
  --client-scopes a,b        scopes of every imported client (default: openid profile email
                             offline_access for authorization-code apps, none for machines)
  --client-resources URL,…   registered APIs every imported client may get tokens for
  --user-table TABLE         a custom AUTH_USER_MODEL's table (default auth_user)
  --source NAME              name of this Django project, if you import more than one (default django)
  --no-reset-mails           report refused hashes but mail nobody
  --json                     the report as JSON

Social accounts (allauth socialaccount) are counted, not imported: imported once federation lands.`;

function location(values: { sqlite?: string | undefined; database?: string | undefined }): { where: DjangoSourceLocation; label: string } {
  if (values.sqlite && values.database) throw new UsageError('give --sqlite or --database, not both');
  if (values.sqlite) {
    const path = resolve(values.sqlite);
    return { where: { kind: 'sqlite', path }, label: `sqlite:${path}` };
  }
  if (!values.database) throw new UsageError(`--sqlite PATH or --database URL is required\n\n${IMPORT_DJANGO_HELP}`);
  let url: URL;
  try {
    url = new URL(values.database);
  } catch {
    throw new UsageError('--database must be a postgres:// URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new UsageError('--database must be a postgres:// URL (for SQLite use --sqlite)');
  const shown = new URL(url.href);
  shown.password = '';
  return { where: { kind: 'postgres', url: url.href }, label: shown.href };
}

export async function importCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [what, ...rest] = args;
  if (what !== 'django' || rest.includes('--help')) {
    if (what === 'django') return ctx.out(IMPORT_DJANGO_HELP);
    throw new UsageError(`import django ...\n\n${IMPORT_DJANGO_HELP}`);
  }
  const { values } = parse(rest, {
    sqlite: { type: 'string' },
    database: { type: 'string' },
    commit: { type: 'boolean' },
    'staff-role': { type: 'string' },
    'superuser-role': { type: 'string' },
    'client-auth-method': { type: 'string' },
    'client-scopes': { type: 'string' },
    'client-resources': { type: 'string' },
    'user-table': { type: 'string' },
    source: { type: 'string' },
    'no-reset-mails': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const authMethod = values['client-auth-method'] ?? 'client_secret_basic';
  if (authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post') {
    throw new UsageError('--client-auth-method must be client_secret_basic or client_secret_post');
  }
  const { where, label } = location(values);
  const snapshot = await readDjangoDatabase(where, values['user-table'] ? { userTable: values['user-table'] } : {});
  const { services, storage } = ctx;
  const importer = createDjangoImporter({
    imports: storage.queries.imports,
    transact: storage.transaction,
    clients: services.clients,
    sendPasswordReset: (email) => services.flows.requestPasswordReset(email),
    audit: (event) => services.audit.record(event),
    clock: systemClock,
    // allauth social accounts become links to the upstream identity providers configured now.
    socialLinks: socialLinksToUpstreams(await storage.queries.upstreamProviders.list()),
  });
  const report = await importer.run(snapshot, {
    sourceLabel: label,
    source: values.source ?? 'django',
    commit: values.commit ?? false,
    staffRole: values['staff-role'],
    superuserRole: values['superuser-role'],
    clients: {
      authMethod,
      scopes: values['client-scopes'] === undefined ? undefined : list(values['client-scopes']),
      resources: list(values['client-resources']),
    },
    sendResetMails: !values['no-reset-mails'],
  });
  ctx.out(values.json ? JSON.stringify(report) : renderReport(report));
}

