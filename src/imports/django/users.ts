/**
 * Django users → Gatehouse accounts, as a pure plan: which to create, which to update, which to
 * leave, and why. Emails are lower-cased and deduplicated; an email that already belongs to an
 * account this import did not create is a conflict, never overwritten. Password hashes are kept
 * as they are when Gatehouse can verify them; refused formats send the user through a reset.
 */
import { isValidEmail, normalizeEmail } from '../../accounts/index.ts';
import { classifyDjangoHash } from '../../legacy-hashes/django.ts';
import type { DjangoEmailAddressRow, DjangoUserRow } from '../../storage/django-source.ts';
import type { ImportedUserRow, ImportLinkRow, UserChanges } from '../../storage/queries/imports.ts';
import { credentialFingerprint, decideCredential } from './credentials.ts';
import type { Counts, ImportIssue, PasswordReset } from './report.ts';

export interface UserPlan {
  counts: Counts;
  hashes: Record<string, number>;
  unusablePasswords: number;
  insert: ImportedUserRow[];
  update: Array<{ id: string; changes: UserChanges }>;
  links: Array<{ sourceKey: string; target: string; fingerprint: string }>;
  /** Django user id → Gatehouse user id, for every user this import owns (new or linked before). */
  imported: Map<string, { userId: string; row: DjangoUserRow }>;
  issues: ImportIssue[];
  resets: PasswordReset[];
}

interface Candidate {
  row: DjangoUserRow;
  email: string;
  verified: boolean;
}

/** Stored instead of a hash Gatehouse refuses: it can never match, and says why. */
const refusedHash = (algorithm: string) => `!django-refused:${algorithm}`;
const UNUSABLE = '!django-unusable';

/** Django's email, or allauth's primary address for users whose `auth_user.email` is empty. */
function candidates(users: readonly DjangoUserRow[], addresses: readonly DjangoEmailAddressRow[], issues: ImportIssue[]): Candidate[] {
  const byUser = new Map<string, DjangoEmailAddressRow[]>();
  for (const address of addresses) byUser.set(address.userId, [...(byUser.get(address.userId) ?? []), address]);
  const out: Candidate[] = [];
  for (const row of users) {
    const own = byUser.get(row.id) ?? [];
    const raw = row.email.trim() || own.find((address) => address.primary)?.email || '';
    const label = row.username || `#${row.id}`;
    if (!raw) {
      issues.push({ kind: 'user', key: row.id, label, code: 'no_email', detail: 'no email address (Gatehouse signs in by email)', imported: false });
      continue;
    }
    const email = normalizeEmail(raw);
    if (!isValidEmail(email)) {
      issues.push({ kind: 'user', key: row.id, label: raw, code: 'invalid_email', detail: 'not a valid email address', imported: false });
      continue;
    }
    const verified = own.some((address) => address.verified && normalizeEmail(address.email) === email);
    out.push({ row, email, verified });
  }
  return out;
}

/** One account per email: verified first, then active, then the latest sign-in, then the oldest id. */
function deduplicate(all: Candidate[], issues: ImportIssue[]): Candidate[] {
  const byEmail = new Map<string, Candidate[]>();
  for (const candidate of all) byEmail.set(candidate.email, [...(byEmail.get(candidate.email) ?? []), candidate]);
  const winners: Candidate[] = [];
  for (const group of byEmail.values()) {
    const [winner, ...losers] = [...group].sort(
      (a, b) =>
        Number(b.verified) - Number(a.verified) ||
        Number(b.row.isActive) - Number(a.row.isActive) ||
        (b.row.lastLogin?.getTime() ?? 0) - (a.row.lastLogin?.getTime() ?? 0) ||
        Number(a.row.id) - Number(b.row.id) ||
        a.row.id.localeCompare(b.row.id),
    );
    if (!winner) continue;
    winners.push(winner);
    for (const loser of losers) {
      issues.push({
        kind: 'user',
        key: loser.row.id,
        label: loser.row.email,
        code: 'duplicate_email',
        detail: `same email as Django user ${winner.row.id} (lower-cased), which is imported instead`,
        imported: false,
      });
    }
  }
  return winners;
}

function passwordFor(row: DjangoUserRow): { stored: string; algorithm: string | undefined; refused: string | undefined } {
  const kind = classifyDjangoHash(row.password);
  if (kind.kind === 'supported') return { stored: row.password, algorithm: kind.algorithm, refused: undefined };
  if (kind.kind === 'unsupported') return { stored: refusedHash(kind.algorithm), algorithm: undefined, refused: kind.algorithm };
  return { stored: UNUSABLE, algorithm: undefined, refused: undefined };
}

const displayName = (row: DjangoUserRow) => `${row.firstName} ${row.lastName}`.trim() || null;
const later = (a: Date | null, b: Date | null) => (!a ? b : !b ? a : a > b ? a : b);

/** The changes that bring an existing account in step with Django (only what differs). */
function profileChanges(current: ImportedUserRow, candidate: Candidate, now: Date): UserChanges {
  const changes: UserChanges = {};
  const name = displayName(candidate.row);
  if (name !== current.name) changes.name = name;
  // A verification done in Gatehouse is never undone by an import.
  if (candidate.verified && !current.email_verified) changes.email_verified = true;
  if (candidate.row.isActive === (current.disabled_at !== null)) changes.disabled_at = candidate.row.isActive ? null : now;
  const lastLogin = later(current.last_login_at, candidate.row.lastLogin);
  if (lastLogin?.getTime() !== current.last_login_at?.getTime()) changes.last_login_at = lastLogin;
  return changes;
}

export function planUsers(input: {
  users: readonly DjangoUserRow[];
  emailAddresses: readonly DjangoEmailAddressRow[];
  links: readonly ImportLinkRow[];
  existing: readonly ImportedUserRow[];
  now: Date;
  newId: () => string;
}): UserPlan {
  const plan: UserPlan = {
    counts: { inSource: input.users.length, create: 0, update: 0, unchanged: 0, skipped: 0 },
    hashes: {},
    unusablePasswords: 0,
    insert: [],
    update: [],
    links: [],
    imported: new Map(),
    issues: [],
    resets: [],
  };
  const linkOf = new Map(input.links.filter((link) => link.kind === 'user').map((link) => [link.source_key, link]));
  const byId = new Map(input.existing.map((row) => [row.id, row]));
  const byEmail = new Map(input.existing.map((row) => [row.email, row]));
  const issue = (candidate: Candidate, code: ImportIssue['code'], detail: string, imported: boolean) =>
    plan.issues.push({ kind: 'user', key: candidate.row.id, label: candidate.email, code, detail, imported });

  for (const candidate of deduplicate(candidates(input.users, input.emailAddresses, plan.issues), plan.issues)) {
    const { row } = candidate;
    const password = passwordFor(row);
    const link = linkOf.get(row.id);
    if (link && !byId.has(link.target)) {
      issue(candidate, 'deleted_in_gatehouse', 'imported before and deleted in Gatehouse since; not re-created', false);
      continue;
    }
    if (!link) {
      if (byEmail.has(candidate.email)) {
        issue(candidate, 'email_taken', 'a Gatehouse account not created by this import has this email; it is left as it is', false);
        continue;
      }
      const id = input.newId();
      plan.insert.push({
        id,
        email: candidate.email,
        email_verified: candidate.verified,
        password_hash: password.stored,
        name: displayName(row),
        disabled_at: row.isActive ? null : input.now,
        last_login_at: row.lastLogin,
        created_at: row.dateJoined ?? input.now,
      });
      plan.links.push({ sourceKey: row.id, target: id, fingerprint: credentialFingerprint(row.password, password.stored) });
      plan.imported.set(row.id, { userId: id, row });
      plan.counts.create += 1;
      countPassword(plan, candidate, password);
      continue;
    }
    const current = byId.get(link.target)!;
    plan.imported.set(row.id, { userId: current.id, row });
    if (current.email !== candidate.email) {
      issue(candidate, 'email_changed', `the email changed in Django; Gatehouse keeps ${current.email}`, true);
    }
    const changes = profileChanges(current, candidate, input.now);
    const decision = decideCredential(link.fingerprint, row.password, current.password_hash);
    if (decision.kind === 'replace') {
      changes.password_hash = password.stored;
      countPassword(plan, candidate, password);
    } else if (decision.kind === 'keep_gatehouse') {
      issue(candidate, 'password_kept', 'the password changed in Django, and in Gatehouse since the last import: Gatehouse’s is kept', true);
    }
    if (decision.kind !== 'unchanged') {
      plan.links.push({ sourceKey: row.id, target: current.id, fingerprint: credentialFingerprint(row.password, changes.password_hash ?? current.password_hash) });
    }
    if (Object.keys(changes).length > 0) {
      plan.update.push({ id: current.id, changes });
      plan.counts.update += 1;
    } else if (decision.kind === 'unchanged') {
      plan.counts.unchanged += 1;
    } else {
      plan.counts.update += 1;
    }
  }
  plan.counts.skipped = plan.issues.filter((entry) => !entry.imported).length;
  return plan;
}

function countPassword(plan: UserPlan, candidate: Candidate, password: ReturnType<typeof passwordFor>) {
  if (password.algorithm) plan.hashes[password.algorithm] = (plan.hashes[password.algorithm] ?? 0) + 1;
  else if (password.refused) {
    // A disabled account gets no mail: it could not sign in after the reset either.
    if (candidate.row.isActive) plan.resets.push({ key: candidate.row.id, email: candidate.email, algorithm: password.refused });
  } else plan.unusablePasswords += 1;
}
