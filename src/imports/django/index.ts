/**
 * `gatehouse import django`: a Django project's users (with their password hashes), allauth
 * email verification, groups, staff/superuser roles and django-oauth-toolkit applications,
 * brought into Gatehouse. A dry run by default: the report says what a commit would write. A
 * commit writes everything in one transaction (or nothing), then mails a password reset to the
 * users whose hash format is refused. Re-running updates what changed and never duplicates.
 *
 * @example
 * const importer = createDjangoImporter({ imports: queries.imports, transact: storage.transaction, clients, sendPasswordReset, audit, clock });
 * const report = await importer.run(snapshot, { sourceLabel: 'sqlite:db.sqlite3', commit: false, ... });
 * console.log(renderReport(report));
 */
import { randomUUID } from 'node:crypto';
import { normalizeEmail } from '../../accounts/index.ts';
import type { AuditEvent } from '../../audit/index.ts';
import type { ClientService } from '../../clients/index.ts';
import type { Clock } from '../../clock.ts';
import type { DjangoSnapshot } from '../../storage/django-source.ts';
import type { ImportQueries, ImportWrites } from '../../storage/queries/imports.ts';
import type { Transact } from '../../storage/transaction.ts';
import { type ClientImportOptions, planClients } from './clients.ts';
import { groupNameFor, planGroups, planRoles } from './groups.ts';
import { emptyCounts, type ImportReport } from './report.ts';
import { type SocialLinkImport, socialLinksAwaitingFederation } from './social-links.ts';
import { planUsers } from './users.ts';

export { changesNothing, type ImportReport, renderReport } from './report.ts';
export { type SocialLinkImport, socialLinksAwaitingFederation, socialLinksToUpstreams } from './social-links.ts';

export interface DjangoImportOptions {
  /** Shown in the report: where the data came from (never a password). */
  sourceLabel: string;
  /** Namespace of the import's links: a second Django project gets its own name. */
  source: string;
  commit: boolean;
  staffRole: string | undefined;
  superuserRole: string | undefined;
  clients: ClientImportOptions;
  /** Mail a password reset to users whose hash is refused (on commit). */
  sendResetMails: boolean;
}

export interface DjangoImporterDeps {
  imports: Pick<ImportQueries, 'facts'>;
  /** Composes the import's writes in one transaction (storage/transaction.ts): all of them, or none. */
  transact: Transact;
  clients: Pick<ClientService, 'importedMetadata' | 'forget'>;
  /** The normal "reset your password" mail of the account flows. */
  sendPasswordReset: (email: string) => Promise<void>;
  audit: (event: AuditEvent) => void;
  clock: Clock;
  /** Where allauth's social accounts go: links to upstream identity providers (social-links.ts), or only counted. */
  socialLinks?: SocialLinkImport;
  newId?: () => string;
}

export function createDjangoImporter(deps: DjangoImporterDeps) {
  const socialLinks = deps.socialLinks ?? socialLinksAwaitingFederation;
  const newId = deps.newId ?? randomUUID;

  async function plan(snapshot: DjangoSnapshot, options: DjangoImportOptions) {
    const emails = [...snapshot.users.map((user) => user.email), ...snapshot.emailAddresses.map((address) => address.email)].map(normalizeEmail);
    const facts = await deps.imports.facts({
      source: options.source,
      emails: [...new Set(emails.filter(Boolean))],
      // The names new groups would take: an existing Gatehouse group of that name is a conflict.
      groups: snapshot.groups.map(groupNameFor),
      roles: [options.staffRole, options.superuserRole].filter((role): role is string => role !== undefined),
      clientIds: snapshot.applications.map((app) => app.clientId),
    });
    const now = deps.clock.now();
    const users = planUsers({ users: snapshot.users, emailAddresses: snapshot.emailAddresses, links: facts.links, existing: facts.users, now, newId });
    const userIds = new Map([...users.imported].map(([djangoId, { userId }]) => [djangoId, userId]));
    const groups = planGroups({
      groups: snapshot.groups,
      memberships: snapshot.memberships,
      links: facts.links,
      existingGroups: facts.groups,
      existingMembers: facts.memberships,
      userIds,
    });
    const roles = planRoles({ staffRole: options.staffRole, superuserRole: options.superuserRole, existingRoles: facts.roles, existingGrants: facts.roleGrants, users: users.imported });
    const clients = await planClients({ applications: snapshot.applications, links: facts.links, existing: facts.clients, options: options.clients, metadataFor: deps.clients.importedMetadata });
    const social = socialLinks.plan(snapshot.socialAccounts, userIds);
    const writes: ImportWrites = {
      source: options.source,
      roles: roles.create,
      groups: groups.create,
      insertUsers: users.insert,
      updateUsers: users.update,
      addMembers: groups.add,
      removeMembers: groups.remove,
      grantRoles: roles.grant,
      revokeRoles: roles.revoke,
      insertClients: clients.insert,
      updateClients: clients.update,
      links: [
        ...users.links.map((link) => ({ kind: 'user' as const, ...link })),
        ...groups.links.map((link) => ({ kind: 'group' as const, ...link, fingerprint: null })),
        ...clients.links.map((link) => ({ kind: 'client' as const, ...link })),
      ],
      upstreamLinks: social.links,
    };
    const report: ImportReport = {
      mode: options.commit ? 'commit' : 'dry-run',
      source: options.sourceLabel,
      users: users.counts,
      hashes: users.hashes,
      unusablePasswords: users.unusablePasswords,
      groups: { ...emptyCounts(), ...groups.counts },
      memberships: { add: groups.add.length, remove: groups.remove.length },
      roles: { create: roles.create, grant: roles.grant.length, revoke: roles.revoke.length },
      clients: clients.counts,
      socialLinks: { inSource: social.inSource, byProvider: social.byProvider, status: social.status },
      issues: [...users.issues, ...groups.issues, ...clients.issues],
      passwordResets: users.resets,
    };
    return { writes, report };
  }

  function audit(writes: ImportWrites, report: ImportReport, source: string) {
    for (const user of writes.insertUsers) deps.audit({ type: 'import.user_created', outcome: 'success', subject: user.id, actor: 'cli', details: { source } });
    for (const user of writes.updateUsers) {
      deps.audit({ type: 'import.user_updated', outcome: 'success', subject: user.id, actor: 'cli', details: { source, fields: Object.keys(user.changes) } });
    }
    for (const client of writes.insertClients) deps.audit({ type: 'import.client_created', outcome: 'success', subject: client.client_id, actor: 'cli', details: { source } });
    for (const client of writes.updateClients) deps.audit({ type: 'import.client_updated', outcome: 'success', subject: client.client_id, actor: 'cli', details: { source } });
    deps.audit({
      type: 'import.committed',
      outcome: 'success',
      actor: 'cli',
      subject: source,
      details: { users: report.users, groups: report.groups, clients: report.clients, memberships: report.memberships, roles: report.roles, passwordResets: report.passwordResets.length },
    });
  }

  return {
    /** Plans the import of `snapshot` and, with `commit`, writes it and mails the password resets. */
    async run(snapshot: DjangoSnapshot, options: DjangoImportOptions): Promise<ImportReport> {
      const { writes, report } = await plan(snapshot, options);
      if (!options.commit) return report;
      await deps.transact((q) => q.imports.apply(writes));
      for (const metadata of [...writes.insertClients, ...writes.updateClients]) deps.clients.forget(metadata.client_id);
      audit(writes, report, options.source);
      if (options.sendResetMails) {
        for (const reset of report.passwordResets) {
          reset.mailed = await deps.sendPasswordReset(reset.email).then(
            () => true,
            () => false,
          );
        }
      }
      return report;
    },
  };
}

export type DjangoImporter = ReturnType<typeof createDjangoImporter>;
