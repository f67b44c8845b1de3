import type { Knex } from 'knex';

/**
 * The last run of each scheduled cluster job (src/jobs/), shared by every instance: an instance
 * that starts, or takes a job's turn, knows whether the job is due without having run it itself,
 * so a job runs about once per interval across the cluster however often instances restart.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('job_runs', (t) => {
    t.text('name').primary();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true }).notNullable();
    // 'success' | 'failure'
    t.text('outcome').notNullable();
    t.bigInteger('rows').notNullable().defaultTo(0);
    t.integer('duration_ms').notNullable();
    // The failure's message (never a token or secret: storage and domain errors only).
    t.text('error');
    // Scheduling counts from the last success, so a failed run is retried at the next check.
    t.timestamp('last_success_at', { useTz: true });
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('job_runs');
}
