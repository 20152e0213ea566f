// Quality certificates (质保书) as data, materialised from the ERP's certificate documents: the header, one row per
// heat/batch, every identifier (heat, batch, coil, bundle) as its own searchable row, and every result with its value
// both as DECIMAL and as the text the ERP sent, its operator, limits and verdict. No floats (DESIGN.md §3).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('certificates', (t) => {
    t.increments('id').primary();
    t.string('certificate_no', 32).notNullable().unique();
    // the ERP document the certificate comes from, and the hash of the payload it was built from (skip unchanged)
    t.string('erp_doc_key', 100).notNullable().unique();
    t.string('payload_hash', 64).notNullable();
    t.string('document_type', 24).notNullable(); // 2.2 | 3.1 | 3.2 | zh_quality_certificate
    t.string('issue_date', 10).notNullable(); // YYYY-MM-DD, China date as printed
    t.string('standard', 60).notNullable();
    t.string('product_name', 100).notNullable();
    t.string('customer_code', 32).notNullable();
    // null until the customers module has matched the ERP customer; only staff see the certificate meanwhile
    t.integer('customer_id').unsigned().nullable().references('id').inTable('organisations');
    t.string('contract_no', 64).nullable();
    t.string('delivery_no', 32).nullable();
    t.string('sales_order_no', 32).nullable();
    t.string('vehicle_no', 30).nullable();
    t.string('inspector', 60).notNullable();
    t.datetime('withdrawn_at', { precision: 3 }).nullable();
    t.string('withdrawn_by', 64).nullable(); // a username, or 'erp' when the ERP deleted the document
    t.string('withdrawn_reason', 500).nullable();
    t.datetime('synced_at', { precision: 3 }).notNullable();
    t.index(['customer_id', 'issue_date']);
    t.index(['issue_date']);
    t.index(['contract_no']);
    t.index(['delivery_no']);
    t.index(['customer_code']);
  });

  await knex.schema.createTable('certificate_batches', (t) => {
    t.increments('id').primary();
    t.integer('certificate_id').unsigned().notNullable().references('id').inTable('certificates');
    t.integer('position').notNullable();
    t.string('heat_no', 30).notNullable();
    t.string('batch_no', 30).notNullable();
    t.string('grade', 30).notNullable();
    t.string('spec', 60).notNullable();
    t.integer('pieces').notNullable();
    t.bigInteger('weight_kg').notNullable();
    t.string('result', 8).notNullable(); // 合格 | 不合格
    t.string('result_source', 8).notNullable(); // erp: the ERP's verdict; derived: from the results' in_spec
    t.unique(['certificate_id', 'position']);
    t.index(['grade']);
    t.index(['spec']);
  });

  await knex.schema.createTable('certificate_identifiers', (t) => {
    t.increments('id').primary();
    t.integer('certificate_id').unsigned().notNullable().references('id').inTable('certificates');
    t.integer('batch_id').unsigned().notNullable().references('id').inTable('certificate_batches');
    t.string('kind', 8).notNullable(); // heat | batch | coil | bundle
    t.string('value', 30).notNullable();
    t.unique(['batch_id', 'kind', 'value']);
    t.index(['value', 'certificate_id']);
    t.index(['certificate_id']);
  });

  await knex.schema.createTable('certificate_results', (t) => {
    t.increments('id').primary();
    t.integer('certificate_id').unsigned().notNullable().references('id').inTable('certificates');
    t.integer('batch_id').unsigned().notNullable().references('id').inTable('certificate_batches');
    t.integer('position').notNullable();
    t.string('result_group', 12).notNullable(); // chemical | mechanical | other
    t.string('symbol', 60).notNullable();
    // null for a test judged pass/fail (弯曲 合格): value_text then holds the verdict
    t.decimal('value', 18, 6).nullable();
    t.string('value_text', 40).notNullable(); // exactly as the ERP sent it ("0.0050" stays "0.0050")
    t.string('operator', 2).nullable(); // < ≤ = ≥ >
    t.string('unit', 20).nullable();
    t.decimal('min', 18, 6).nullable();
    t.string('min_text', 40).nullable();
    t.decimal('max', 18, 6).nullable();
    t.string('max_text', 40).nullable();
    t.string('limit_source', 12).nullable(); // certificate | standard
    t.string('method', 60).nullable();
    t.boolean('in_spec').nullable(); // null: no limit known, or the operator leaves it open
    t.unique(['batch_id', 'position']);
    t.index(['certificate_id']);
  });

  // The materialiser's position in the synced ERP certificate documents (by synced_at, then doc key).
  await knex.schema.createTable('certificate_sync_state', (t) => {
    t.string('name', 40).primary();
    t.string('value', 200).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['certificate_sync_state', 'certificate_results', 'certificate_identifiers', 'certificate_batches', 'certificates']) await knex.schema.dropTable(t);
}
