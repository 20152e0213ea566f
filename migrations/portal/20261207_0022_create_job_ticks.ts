// Schedule slots claimed by scheduled jobs that must run once across portal instances (docs/operations.md §9):
// every instance fires the job, the first to insert the slot runs it, the others skip it.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('job_ticks', (t) => {
    t.string('job', 64).notNullable();
    t.string('slot', 40).notNullable(); // the slot the schedule fired for, ISO UTC, the same on every instance
    t.string('holder', 128).notNullable(); // host:pid of the instance that ran it
    t.datetime('claimed_at', { precision: 3 }).notNullable();
    t.primary(['job', 'slot']);
    t.index(['claimed_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('job_ticks');
}
