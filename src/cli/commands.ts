import { apisCommand } from './commands/apis.ts';
import { auditCommand } from './commands/audit.ts';
import { clientsCommand } from './commands/clients.ts';
import { groupsCommand } from './commands/groups.ts';
import { iatCommand } from './commands/iat.ts';
import { importCommand } from './commands/import-django.ts';
import { jobsCommand } from './commands/jobs.ts';
import { keysCommand } from './commands/keys.ts';
import { migrateCommand } from './commands/migrate.ts';
import { rolesCommand } from './commands/roles.ts';
import { usersCommand } from './commands/users.ts';
import type { CommandContext } from './context.ts';

export const COMMANDS: Record<string, (ctx: CommandContext, args: string[]) => Promise<void>> = {
  migrate: migrateCommand,
  clients: clientsCommand,
  apis: apisCommand,
  users: usersCommand,
  keys: keysCommand,
  audit: auditCommand,
  roles: rolesCommand,
  groups: groupsCommand,
  iat: iatCommand,
  import: importCommand,
  jobs: jobsCommand,
};

export const USAGE = `Usage: gatehouse <command> [options]

  migrate                                   apply database migrations
  users create --email E --password-stdin [--verified] [--role R]... [--name N]
  users list [--json]
  users logout EMAIL                        end every session and revoke every grant of a user
  users mfa reset EMAIL                     remove a user's second factor (audited)
  clients create --name N --type public|confidential --grant-types a,b [--redirect-uris u,v]
                 [--post-logout-redirect-uris u] [--scopes s,t] [--resources r]
                 [--auth-method client_secret_basic|client_secret_post|private_key_jwt|none]
                 [--jwks-uri U] [--backchannel-logout-uri U] [--keep-offline-access-on-logout]
                 [--first-party] [--id-token-alg RS256|ES256|EdDSA] [--jwks JSON] [--require-mfa]
                 [--cors-origins o,p] [--access-token-ttl 10m] [--refresh-token-ttl 30d] [--json]
  clients list [--json]
  clients delete CLIENT_ID
  clients rotate-secret CLIENT_ID [--overlap 24h] [--json]
                                            new secret shown once; the old one works until the overlap ends
  apis create --identifier URL --name N [--scopes a,b] [--access-token-ttl SECONDS]
              [--claims roles,groups,org_id] [--signing-alg RS256|ES256|EdDSA] [--json]
  apis update IDENTIFIER [--name N] [--scopes a,b] [--access-token-ttl S] [--claims c] [--signing-alg A]
  apis list [--json]
  keys list [--json]
  keys rotate [--json]                      publish a successor now; it signs after the publish lead
  keys revoke KID [--json]                  compromise: drop KID from the JWKS now, sign with the next key
  audit verify                              check the hash chain; exit 1 if any row was edited or removed
  audit tail [--type T] [--user EMAIL] [--limit N] [--json]
  audit prune [--days N]                    drop events past retention (GATEHOUSE_AUDIT_RETENTION_DAYS)
  jobs list [--json]                        periodic jobs and their last run
  jobs run NAME [--json]                    run a job once now (one instance at a time)
  roles create NAME [--api IDENTIFIER] [--description D]   a global role, or one of an API's roles
  roles list [--api IDENTIFIER] [--json]
  roles delete NAME                         also removes every grant of it
  roles grant|revoke ROLE (--user EMAIL | --client CLIENT_ID | --group NAME)
  groups create NAME [--description D] | list [--json] | delete NAME
  groups add-member|remove-member GROUP EMAIL
  iat create --expires 7d --quota N [--grant-types a,b] [--scopes s,t] [--redirect-hosts h,*.h]
             [--resources r] [--allow-confidential] [--description D] [--json]
                                            an initial access token for /register (shown once)
  iat list [--json]
  iat revoke ID                             no further registrations with it
  import django (--sqlite PATH | --database URL) [--commit] ...   users, groups, OAuth apps from Django (--help)

Environment: the same variables as the server (DATABASE_URL, REDIS_URL, GATEHOUSE_DATA_DIR, ...).
In embedded mode, while the server runs, commands are executed by the server itself.`;

/** Commands that read a secret: the CLI collects it before handing the command to a server. */
export function needsSecret(argv: readonly string[]): boolean {
  return argv[0] === 'users' && argv[1] === 'create';
}
