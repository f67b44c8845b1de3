/**
 * `gatehouse import django`, as the CLI lists it. The importer (and the whole service graph it
 * needs) is loaded only when the command runs, so every other command stays fast.
 */
import type { LocalCommand } from '../local-command.ts';

/**
 * A local command: it reads the foreign database itself and writes through the services, so in
 * embedded mode it needs the data directory (stop the server first; the CLI says so when it is busy).
 */
export const importDjangoCommand: LocalCommand = {
  command: 'import django',
  summary: "Import a Django project's users (with their password hashes), groups, roles and OAuth applications",
  flags: {
    sqlite: { type: 'string', valueName: 'PATH', description: "the project's SQLite file (db.sqlite3)" },
    database: { type: 'string', valueName: 'URL', description: 'a postgres:// URL; put the password in PGPASSWORD, not in the URL' },
    commit: { type: 'boolean', description: 'write (one transaction), then mail a password reset to users whose hash format is refused' },
    'staff-role': { type: 'string', valueName: 'ROLE', description: 'grant ROLE to is_staff users (created as a global role if missing)' },
    'superuser-role': { type: 'string', valueName: 'ROLE', description: 'grant ROLE to is_superuser users (e.g. admin)' },
    'client-auth-method': { type: 'string', valueName: 'M', description: 'client_secret_basic (default) or client_secret_post, for confidential applications' },
    'client-scopes': { type: 'string', valueName: 'a,b', description: 'scopes of every imported client' },
    'client-resources': { type: 'string', valueName: 'URL,…', description: 'registered APIs every imported client may get tokens for' },
    'user-table': { type: 'string', valueName: 'TABLE', description: "a custom AUTH_USER_MODEL's table (default auth_user)" },
    source: { type: 'string', valueName: 'NAME', description: 'name of this Django project, if you import more than one (default django)' },
    'no-reset-mails': { type: 'boolean', description: 'report refused hashes but mail nobody' },
  },
  examples: [
    'gatehouse import django --sqlite ../myproject/db.sqlite3',
    'gatehouse import django --sqlite ../myproject/db.sqlite3 --superuser-role admin --commit',
    'PGPASSWORD=… gatehouse import django --database postgres://django@db/myproject --commit --json',
  ],
  async run(input) {
    const [{ withContext }, { importCommand }] = await Promise.all([import('../context.ts'), import('./import-django-run.ts')]);
    return withContext((ctx, argv) => importCommand(ctx, ['django', ...argv]))(input);
  },
};
