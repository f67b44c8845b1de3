/**
 * What an import found and did (or would do, in a dry run): counts, every record it could not
 * take as it is, and the users sent through a password reset. Printed by the CLI, as text or JSON.
 */

export type IssueCode =
  | 'no_email'
  | 'invalid_email'
  | 'duplicate_email'
  | 'email_taken'
  | 'email_changed'
  | 'deleted_in_gatehouse'
  | 'password_kept'
  | 'group_name_taken'
  | 'group_renamed'
  | 'unsupported_grant'
  | 'client_id_taken'
  | 'invalid_client'
  | 'secret_hash_unsupported'
  | 'secret_kept'
  | 'id_token_algorithm';

export interface ImportIssue {
  kind: 'user' | 'group' | 'client';
  /** The record's key in Django (user id, group id, application client_id). */
  key: string;
  /** Something a person recognises: an email, a group or application name. */
  label: string;
  code: IssueCode;
  detail: string;
  /** False: reported, nothing written for this record; true: imported, with a caveat. */
  imported: boolean;
}

export interface Counts {
  inSource: number;
  create: number;
  update: number;
  unchanged: number;
  skipped: number;
}

export interface PasswordReset {
  key: string;
  email: string;
  /** The refused hash format (md5, sha1, …). */
  algorithm: string;
  /** After a commit: whether the reset mail went out. */
  mailed?: boolean;
}

export interface ImportReport {
  mode: 'dry-run' | 'commit';
  source: string;
  users: Counts;
  /** Password formats of the users imported with a usable hash, by Django algorithm. */
  hashes: Record<string, number>;
  /** Users without a usable password in Django (social-only accounts, `set_unusable_password`). */
  unusablePasswords: number;
  groups: Counts;
  memberships: { add: number; remove: number };
  roles: { create: string[]; grant: number; revoke: number };
  clients: Counts;
  socialLinks: { inSource: number; byProvider: Record<string, number>; status: string };
  issues: ImportIssue[];
  passwordResets: PasswordReset[];
}

export function emptyCounts(): Counts {
  return { inSource: 0, create: 0, update: 0, unchanged: 0, skipped: 0 };
}

/** True when the import would write nothing (a re-run over an unchanged Django database). */
export function changesNothing(report: ImportReport): boolean {
  const { users, groups, clients, memberships, roles } = report;
  return (
    users.create + users.update + groups.create + groups.update + clients.create + clients.update + memberships.add + memberships.remove + roles.grant + roles.revoke === 0 &&
    roles.create.length === 0
  );
}

const line = (label: string, counts: Counts) =>
  `${label.padEnd(13)}${counts.inSource} in Django: ${counts.create} new, ${counts.update} updated, ${counts.unchanged} unchanged, ${counts.skipped} skipped`;

/** The report as an operator reads it in a terminal. */
export function renderReport(report: ImportReport): string {
  const out: string[] = [];
  out.push(
    report.mode === 'commit'
      ? `Django import from ${report.source}: written.`
      : `Django import from ${report.source}: DRY RUN, nothing written (add --commit to write).`,
    '',
    line('users', report.users),
  );
  const hashes = Object.entries(report.hashes).map(([algorithm, count]) => `${algorithm} ${count}`);
  if (hashes.length) out.push(`  passwords kept as they are (re-hashed to argon2id at each user's first sign-in): ${hashes.join(', ')}`);
  if (report.passwordResets.length) out.push(`  refused password formats (users sent through password reset): ${report.passwordResets.length}`);
  if (report.unusablePasswords) out.push(`  without a usable password in Django (they can use "Forgot password"): ${report.unusablePasswords}`);
  out.push(line('groups', report.groups), `memberships  ${report.memberships.add} to add, ${report.memberships.remove} to remove`);
  out.push(
    `roles        ${report.roles.grant} grants to add, ${report.roles.revoke} to remove${report.roles.create.length ? `; roles to create: ${report.roles.create.join(', ')}` : ''}`,
  );
  out.push(line('clients', report.clients));
  const providers = Object.entries(report.socialLinks.byProvider).map(([provider, count]) => `${provider} ${count}`);
  out.push(`social links ${report.socialLinks.inSource}${providers.length ? ` (${providers.join(', ')})` : ''}: ${report.socialLinks.status}`);
  if (report.issues.length) {
    out.push('', 'Conflicts and records not taken as they are:');
    for (const issue of report.issues) {
      out.push(`  ${issue.kind} ${issue.key} ${issue.label}: ${issue.detail}${issue.imported ? '' : ' (not imported)'}`);
    }
  }
  if (report.passwordResets.length) {
    out.push('', 'Password resets:');
    for (const reset of report.passwordResets) {
      const state = reset.mailed === undefined ? 'a reset mail is sent on --commit' : reset.mailed ? 'reset mail sent' : 'reset mail FAILED (they can use "Forgot password")';
      out.push(`  user ${reset.key} ${reset.email}: ${reset.algorithm} hashes are refused; ${state}`);
    }
  }
  return out.join('\n');
}
