import type { CommandContext } from '../context.ts';

/** Migrations run when the context opens (under the advisory lock); this reports what ran. */
export async function migrateCommand(ctx: CommandContext): Promise<void> {
  const applied = ctx.appliedMigrations;
  ctx.out(applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`);
}
