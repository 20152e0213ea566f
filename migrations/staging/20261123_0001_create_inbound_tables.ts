// Staging store, inbound side: one table per ERP interface, written by the ERP (directly or via the HTTP batch
// endpoint) and read by the portal's sync. The ERP's own sequence number orders changes of one document.
import type { Knex } from 'knex';

// Listed here, not imported from shared/, so that this migration never changes after landing.
const INBOUND_INTERFACES = [
  'customer', 'material', 'sales_order', 'production_order', 'inventory',
  'delivery_note', 'invoice', 'customer_receipt', 'customer_balance', 'quality_certificate',
];
const inboundTable = (name: string) => `erp_in_${name}`;

export async function up(knex: Knex): Promise<void> {
  for (const name of INBOUND_INTERFACES) {
    await knex.schema.createTable(inboundTable(name), (t) => {
      t.bigIncrements('id').primary(); // arrival order
      t.string('doc_key', 100).notNullable(); // the ERP's document key (e.g. delivery number)
      t.bigInteger('seq').notNullable(); // the ERP's change sequence number
      t.string('op', 10).notNullable(); // upsert | delete
      t.text('payload', 'longtext').nullable(); // JSON as the ERP sent it; may be absent on delete
      t.string('batch_id', 64).nullable();
      t.datetime('received_at', { precision: 3 }).notNullable();
      t.string('state', 16).notNullable().defaultTo('new'); // new | applied | stale | waiting | quarantined
      t.datetime('state_at', { precision: 3 }).nullable();
      t.string('state_detail', 500).nullable();
      t.index(['doc_key', 'seq']);
      t.index(['state', 'id']);
      t.index(['received_at']);
    });
  }
  // Batches posted over HTTP, kept so that a batch id sent twice is applied once (idempotency).
  await knex.schema.createTable('erp_http_batches', (t) => {
    t.string('batch_id', 64).primary();
    t.string('interface', 32).notNullable();
    t.string('key_id', 64).notNullable();
    t.string('body_sha256', 64).notNullable();
    t.integer('row_count').notNullable();
    t.datetime('received_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('erp_http_batches');
  for (const name of [...INBOUND_INTERFACES].reverse()) await knex.schema.dropTable(inboundTable(name));
}
