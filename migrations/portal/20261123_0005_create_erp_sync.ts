// ERP sync on the portal side: synced ERP records, per-interface watermarks, the lease that lets one process
// sync at a time, runs, rows waiting for their parent, quarantined rows, and the outbox back to the ERP.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Latest applied version of every ERP document; deletes leave a tombstone so that an older upsert
  // arriving late cannot bring a deleted document back. Common fields are lifted out of the payload
  // for scoping (customer_code), joining (contract_no, order_no) and control totals (weight_kg, amount_fen).
  await knex.schema.createTable('erp_records', (t) => {
    t.string('interface', 32).notNullable();
    t.string('doc_key', 100).notNullable();
    t.bigInteger('seq').notNullable();
    t.bigInteger('staging_id').notNullable();
    t.boolean('deleted').notNullable().defaultTo(false);
    t.text('payload', 'longtext').nullable();
    t.string('payload_hash', 64).nullable();
    t.string('customer_code', 32).nullable();
    t.string('contract_no', 64).nullable();
    t.string('order_no', 64).nullable();
    t.string('doc_date', 10).nullable(); // YYYY-MM-DD, the document's business date
    t.bigInteger('weight_kg').nullable();
    t.bigInteger('amount_fen').nullable();
    t.datetime('synced_at', { precision: 3 }).notNullable();
    t.primary(['interface', 'doc_key']);
    t.index(['interface', 'customer_code']);
    t.index(['interface', 'contract_no']);
    t.index(['interface', 'order_no']);
    t.index(['interface', 'doc_date']);
  });

  await knex.schema.createTable('sync_state', (t) => {
    t.string('interface', 32).primary();
    t.bigInteger('watermark').notNullable().defaultTo(0); // highest staging id accounted for
    t.bigInteger('last_seq').notNullable().defaultTo(0);
    t.datetime('last_run_at', { precision: 3 }).nullable();
    t.datetime('last_success_at', { precision: 3 }).nullable();
    t.text('last_error').nullable();
    t.bigInteger('applied_total').notNullable().defaultTo(0);
    t.bigInteger('stale_total').notNullable().defaultTo(0);
    t.bigInteger('quarantined_total').notNullable().defaultTo(0);
  });

  // One row per lease name; token increases with every change of holder (fencing token).
  await knex.schema.createTable('sync_leases', (t) => {
    t.string('name', 64).primary();
    t.string('holder', 128).notNullable();
    t.bigInteger('token').notNullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
  });

  await knex.schema.createTable('sync_runs', (t) => {
    t.bigIncrements('id').primary();
    t.string('tick', 40).nullable().unique(); // scheduled runs: the schedule slot, so each slot runs once
    t.string('trigger', 16).notNullable(); // schedule | manual | script
    t.string('holder', 128).notNullable();
    t.bigInteger('token').notNullable();
    t.datetime('started_at', { precision: 3 }).notNullable();
    t.datetime('finished_at', { precision: 3 }).nullable();
    t.integer('applied').notNullable().defaultTo(0);
    t.integer('stale').notNullable().defaultTo(0);
    t.integer('waiting').notNullable().defaultTo(0);
    t.integer('released').notNullable().defaultTo(0);
    t.integer('quarantined').notNullable().defaultTo(0);
    t.integer('delivered').notNullable().defaultTo(0);
    t.integer('acknowledged').notNullable().defaultTo(0);
    t.text('details').nullable(); // JSON: per interface counts
    t.text('error').nullable();
    t.index(['started_at']);
  });

  // Valid documents whose parent (customer, sales order, ...) has not arrived yet.
  await knex.schema.createTable('erp_waiting', (t) => {
    t.bigIncrements('id').primary();
    t.string('interface', 32).notNullable();
    t.bigInteger('staging_id').notNullable();
    t.string('doc_key', 100).notNullable();
    t.bigInteger('seq').notNullable();
    t.text('payload', 'longtext').notNullable();
    t.string('parent_interface', 32).notNullable();
    t.string('parent_key', 100).notNullable();
    t.string('parent_path', 200).notNullable();
    t.datetime('since', { precision: 3 }).notNullable();
    t.unique(['interface', 'staging_id']);
    t.index(['since']);
  });

  await knex.schema.createTable('erp_quarantine', (t) => {
    t.bigIncrements('id').primary();
    t.string('interface', 32).notNullable();
    t.bigInteger('staging_id').notNullable();
    t.string('doc_key', 100).notNullable();
    t.bigInteger('seq').notNullable();
    t.string('op', 10).notNullable();
    t.text('payload', 'longtext').nullable(); // raw, exactly as received
    t.string('reason', 40).notNullable();
    t.string('message', 1000).notNullable();
    t.string('path', 200).nullable();
    t.string('state', 16).notNullable().defaultTo('open'); // open | resolved | dismissed
    t.integer('attempts').notNullable().defaultTo(0);
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('resolved_at', { precision: 3 }).nullable();
    t.string('resolved_by', 64).nullable();
    t.string('dismiss_reason', 500).nullable();
    t.unique(['interface', 'staging_id']);
    t.index(['state', 'interface']);
  });

  // Written in the same transaction as the portal change the ERP must learn about; delivered to the
  // staging store's outbound tables by the sync, acknowledged by the ERP there.
  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('kind', 32).notNullable(); // contract | demand | customer_profile
    t.string('doc_key', 100).notNullable();
    t.text('payload', 'longtext').notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('delivered_at', { precision: 3 }).nullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.datetime('next_attempt_at', { precision: 3 }).notNullable();
    t.string('last_error', 1000).nullable();
    t.string('ack_state', 16).notNullable().defaultTo('pending'); // pending | accepted | rejected
    t.string('erp_doc_no', 64).nullable();
    t.string('reject_reason', 500).nullable();
    t.datetime('acked_at', { precision: 3 }).nullable();
    t.index(['delivered_at', 'next_attempt_at']);
    t.index(['kind', 'doc_key']);
    t.index(['ack_state']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['outbox', 'erp_quarantine', 'erp_waiting', 'sync_runs', 'sync_leases', 'sync_state', 'erp_records']) {
    await knex.schema.dropTable(t);
  }
}
