// Reports (issue 8): the facts of synced sales orders, production orders, delivery notes and invoices, and the two
// summaries the reports read (per month × customer × variety × destination, and per contract), kept by the sync in the
// same transaction as the documents. Documents synced before this migration are projected by the next one, which
// gives the month summary its final shape (20261129_0017_report_rollups).
import type { Knex } from 'knex';

const measures = (t: Knex.CreateTableBuilder) => {
  for (const c of ['contracted_kg', 'contracted_fen', 'scheduled_kg', 'shipped_kg', 'shipped_fen', 'settled_fen']) t.bigInteger(c).notNullable().defaultTo(0);
};

export async function up(knex: Knex): Promise<void> {
  // One row per contracted order line, scheduled production order, shipped delivery line, settled invoice: exactly
  // what the summaries hold, so that a changed or deleted document subtracts what it once added.
  await knex.schema.createTable('report_facts', (t) => {
    t.string('kind', 12).notNullable(); // contracted | scheduled | shipped | settled
    t.string('doc_key', 100).notNullable();
    t.integer('line_no').notNullable();
    t.string('contract_key', 100).nullable(); // contract number, else the sales order number
    t.string('customer_code', 32).notNullable();
    t.string('day', 10).notNullable(); // YYYY-MM-DD
    t.string('month', 7).notNullable(); // YYYY-MM
    t.string('variety', 20).notNullable();
    t.string('province', 30).notNullable(); // '' except on shipped lines
    t.string('city', 30).notNullable();
    t.bigInteger('kg').notNullable();
    t.bigInteger('fen').notNullable();
    t.primary(['kind', 'doc_key', 'line_no']);
  });
  await knex.schema.createTable('report_monthly', (t) => {
    t.string('month', 7).notNullable();
    t.string('customer_code', 32).notNullable();
    t.string('variety', 20).notNullable();
    t.string('province', 30).notNullable();
    t.string('city', 30).notNullable();
    measures(t);
    t.primary(['month', 'customer_code', 'variety', 'province', 'city']);
    t.index(['customer_code', 'month']);
  });
  await knex.schema.createTable('report_contracts', (t) => {
    t.string('contract_key', 100).notNullable().primary();
    t.string('customer_code', 32).notNullable();
    t.string('signed_on', 10).nullable(); // the earliest live sales order's date; null without one
    measures(t);
    t.index(['customer_code', 'signed_on']);
    t.index(['signed_on']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['report_contracts', 'report_monthly', 'report_facts']) await knex.schema.dropTable(t);
}
