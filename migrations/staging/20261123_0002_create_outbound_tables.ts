// Staging store, outbound side: what the portal sends the ERP (formal contracts, customer demands, customer
// profile changes). The portal inserts each outbox entry once (unique portal_outbox_id); the ERP picks the row
// up and acknowledges it with its own document number or a rejection reason.
import type { Knex } from 'knex';

// Listed here, not imported from shared/, so that this migration never changes after landing.
const OUTBOUND_KINDS = ['contract', 'demand', 'customer_profile'];
const outboundTable = (kind: string) => `erp_out_${kind}`;

export async function up(knex: Knex): Promise<void> {
  for (const kind of OUTBOUND_KINDS) {
    await knex.schema.createTable(outboundTable(kind), (t) => {
      t.bigIncrements('id').primary();
      t.bigInteger('portal_outbox_id').notNullable().unique();
      t.string('doc_key', 100).notNullable();
      t.text('payload', 'longtext').notNullable(); // JSON
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.string('ack_state', 16).notNullable().defaultTo('pending'); // pending | accepted | rejected
      t.string('erp_doc_no', 64).nullable();
      t.string('reject_reason', 500).nullable();
      t.datetime('acked_at', { precision: 3 }).nullable();
      t.index(['ack_state', 'id']);
      t.index(['acked_at']);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const kind of [...OUTBOUND_KINDS].reverse()) await knex.schema.dropTable(outboundTable(kind));
}
