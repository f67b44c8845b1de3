import { normalizeEmail } from '../../accounts/index.ts';
import { type CommandContext, parse, table, UsageError } from '../context.ts';

export async function auditCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { audit, accounts } = ctx.services;
  if (sub === 'verify') {
    const report = await audit.verify();
    if (report.ok) {
      ctx.out(`audit chain intact: ${report.checked} events verified`);
      return;
    }
    ctx.out(`AUDIT CHAIN BROKEN at event ${report.brokenAt}: ${report.reason} (${report.checked} events verified before it)`);
    throw new AuditChainBroken();
  }
  if (sub === 'tail') {
    const { values } = parse(rest, { type: { type: 'string' }, user: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } });
    let subject: string | undefined;
    if (values.user) {
      // Events about an account are keyed by its id once it is known, by the typed email before.
      const email = normalizeEmail(values.user);
      const account = (await accounts.list()).find((a) => a.email === email);
      subject = account?.id ?? email;
    }
    const rows = await audit.query({ type: values.type, subject, limit: values.limit ? Number(values.limit) : 50 });
    if (values.json) {
      ctx.out(JSON.stringify(rows.map(({ prev_hash: _p, hash: _h, ...row }) => row)));
      return;
    }
    ctx.out(
      table(
        rows.map((row) => ({
          id: row.id,
          at: new Date(row.occurred_at).toISOString(),
          type: row.type,
          outcome: row.outcome,
          actor: row.actor ?? '',
          subject: row.subject ?? '',
          ip: row.ip ?? '',
          details: JSON.stringify(row.details),
        })),
      ),
    );
    return;
  }
  if (sub === 'prune') {
    const { values } = parse(rest, { days: { type: 'string' } });
    const days = values.days ? Number(values.days) : ctx.config.auditRetentionDays;
    ctx.out(`pruned ${await audit.prune(days)} events older than ${days} days (a checkpoint keeps the chain verifiable)`);
    return;
  }
  throw new UsageError('audit verify|tail [--type T] [--user EMAIL] [--limit N] [--json]|prune [--days N]');
}

export class AuditChainBroken extends Error {
  override name = 'AuditChainBroken';
  constructor() {
    super('the audit chain does not verify');
  }
}
