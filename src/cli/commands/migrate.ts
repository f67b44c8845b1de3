import { EXIT } from '../exit-codes.ts';
import type { LocalCommand } from '../local-command.ts';
import { unavailableIfKnown } from '../unavailable.ts';

/** Applies pending migrations under the advisory lock (the server also does at every start). */
export const migrateCommand: LocalCommand = {
  command: 'migrate',
  summary: 'Apply pending database migrations (the server also applies them at start)',
  flags: {},
  examples: ['gatehouse migrate', 'DATABASE_URL=postgres://… REDIS_URL=redis://… gatehouse migrate'],
  async run({ config, json, out }) {
    const { migrateToLatest, openStorage } = await import('../../storage/index.ts');
    const storage = await openStorage(config).catch((error: unknown) => {
      throw unavailableIfKnown(error, config);
    });
    try {
      const applied = await migrateToLatest(storage.db);
      out(json ? JSON.stringify({ applied }, null, 2) : applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`);
      return EXIT.ok;
    } finally {
      await storage.close();
    }
  },
};
