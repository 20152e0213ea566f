// Customers (客户信息管理): classes with their sales policy, the portal's profile of each customer beside the ERP's
// master, contracted varieties, contacts, the ERP match, groups with unified credit, credit policies and exceptions.
// erp_records gains the document status and due date, which credit and grading filter on.
import type { Knex } from 'knex';

const DEFAULT_CLASSES = [
  // Strategic customers are served first and approved by fewer levels; agreement customers carry the usual terms.
  { code: 'strategic', name_zh: '战略客户', name_en: 'Strategic customer', allocation_priority: 1, price_adjust_fen_per_t: -3000, payment_terms: 'deferred', payment_days: 30, deposit_required: false, deposit_pct: 0, approval_levels: 1 },
  { code: 'direct_supply', name_zh: '直供户', name_en: 'Direct-supply customer', allocation_priority: 2, price_adjust_fen_per_t: -1000, payment_terms: 'cash_on_delivery', payment_days: 0, deposit_required: true, deposit_pct: 10, approval_levels: 2 },
  { code: 'agreement', name_zh: '协议户', name_en: 'Agreement customer', allocation_priority: 3, price_adjust_fen_per_t: 0, payment_terms: 'prepay', payment_days: 0, deposit_required: true, deposit_pct: 20, approval_levels: 2 },
];

// Defaults of the credit policy by grade; administrators change them in the portal.
const DEFAULT_POLICIES = [
  { grade: 'AAA', prepayment_required: false, deferred_days: 90, stop_when_overdue_days: 60 },
  { grade: 'AA', prepayment_required: false, deferred_days: 60, stop_when_overdue_days: 45 },
  { grade: 'A', prepayment_required: false, deferred_days: 30, stop_when_overdue_days: 30 },
  { grade: 'B', prepayment_required: false, deferred_days: 0, stop_when_overdue_days: 15 },
  { grade: 'C', prepayment_required: true, deferred_days: 0, stop_when_overdue_days: 0 },
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('erp_records', (t) => {
    t.string('doc_status', 16).nullable(); // sales order, production order, invoice status
    t.string('due_date', 10).nullable(); // invoice due date, YYYY-MM-DD
  });
  // Lift the two new fields out of the documents synced before this migration.
  for (const iface of ['sales_order', 'production_order', 'invoice']) {
    let after = '';
    for (;;) {
      const rows: { doc_key: string; payload: string | null }[] = await knex('erp_records')
        .select('doc_key', 'payload')
        .where('interface', iface)
        .andWhere('doc_key', '>', after)
        .orderBy('doc_key')
        .limit(1000);
      if (!rows.length) break;
      for (const r of rows) {
        const p = r.payload ? (JSON.parse(r.payload) as { status?: string; dueDate?: string }) : {};
        await knex('erp_records')
          .where({ interface: iface, doc_key: r.doc_key })
          .update({ doc_status: typeof p.status === 'string' ? p.status : null, due_date: typeof p.dueDate === 'string' ? p.dueDate : null });
      }
      after = rows[rows.length - 1].doc_key;
    }
  }

  await knex.schema.createTable('customer_classes', (t) => {
    t.increments('id').primary();
    t.string('code', 32).notNullable().unique();
    t.string('name_zh', 32).notNullable();
    t.string('name_en', 64).notNullable();
    t.integer('allocation_priority').notNullable();
    t.bigInteger('price_adjust_fen_per_t').notNullable().defaultTo(0);
    t.string('payment_terms', 20).notNullable(); // prepay | cash_on_delivery | deferred
    t.integer('payment_days').notNullable().defaultTo(0);
    t.boolean('deposit_required').notNullable().defaultTo(false);
    t.integer('deposit_pct').notNullable().defaultTo(0);
    t.integer('approval_levels').notNullable().defaultTo(1);
    t.boolean('active').notNullable().defaultTo(true);
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  await knex('customer_classes').insert(DEFAULT_CLASSES.map((c) => ({ ...c, active: true, created_at: now, updated_at: now })));

  await knex.schema.createTable('customer_groups', (t) => {
    t.increments('id').primary();
    t.string('name', 100).notNullable().unique();
    t.string('kind', 16).notNullable(); // control | guarantee
    t.bigInteger('limit_fen').notNullable().defaultTo(0);
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });

  // One row per customer organisation: what the portal manages, the ERP's read-only extras, the credit
  // snapshot (refreshed after every sync) and the grade (computed nightly). Every column has a default so that
  // a profile can be created by any of the writers.
  await knex.schema.createTable('customer_profiles', (t) => {
    t.integer('organisation_id').unsigned().primary().references('id').inTable('organisations');
    t.integer('class_id').unsigned().nullable().references('id').inTable('customer_classes');
    t.string('industry', 60).nullable();
    t.integer('group_id').unsigned().nullable().references('id').inTable('customer_groups');
    t.bigInteger('monthly_kg').notNullable().defaultTo(0); // sum of the contracted varieties' monthly tonnage
    t.string('match_state', 16).notNullable().defaultTo('unmatched'); // matched | unmatched | conflict
    t.string('erp_class', 30).nullable();
    t.text('erp_contacts').nullable(); // JSON, as the ERP sent them
    t.datetime('erp_synced_at', { precision: 3 }).nullable();
    t.bigInteger('credit_limit_fen').notNullable().defaultTo(0);
    t.bigInteger('balance_fen').notNullable().defaultTo(0);
    t.bigInteger('advance_fen').notNullable().defaultTo(0);
    t.bigInteger('open_order_fen').notNullable().defaultTo(0);
    t.bigInteger('used_fen').notNullable().defaultTo(0);
    t.bigInteger('overdue_fen').notNullable().defaultTo(0);
    t.integer('overdue_days').notNullable().defaultTo(0);
    t.datetime('credit_as_of', { precision: 3 }).nullable();
    t.integer('score').nullable();
    t.string('computed_grade', 3).nullable();
    t.text('grade_factors').nullable(); // JSON
    t.datetime('graded_at', { precision: 3 }).nullable();
    t.string('override_grade', 3).nullable();
    t.string('override_reason', 500).nullable();
    t.string('override_by', 64).nullable();
    t.datetime('override_at', { precision: 3 }).nullable();
    t.string('grade', 3).nullable(); // effective: the override, else the computed grade
    t.index(['class_id']);
    t.index(['grade']);
    t.index(['industry']);
    t.index(['group_id']);
    t.index(['match_state']);
  });
  const customers: { id: number }[] = await knex('organisations').select('id').where('kind', 'customer');
  for (let i = 0; i < customers.length; i += 400) {
    await knex('customer_profiles').insert(customers.slice(i, i + 400).map((c) => ({ organisation_id: c.id })));
  }

  await knex.schema.createTable('customer_varieties', (t) => {
    t.integer('organisation_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('variety', 20).notNullable();
    t.bigInteger('monthly_kg').notNullable();
    t.primary(['organisation_id', 'variety']);
  });

  await knex.schema.createTable('customer_contacts', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').unsigned().notNullable().references('id').inTable('organisations');
    t.integer('position').notNullable();
    t.string('name', 60).notNullable();
    t.string('phone', 30).nullable();
    t.string('title', 60).nullable();
    t.string('email', 120).nullable();
    t.index(['organisation_id', 'position']);
  });

  // The ERP customer master's link to portal customers, by the ERP's customer code; a conflicting record is held
  // here, unapplied, until an administrator accepts the ERP's values.
  await knex.schema.createTable('customer_erp_match', (t) => {
    t.string('code', 32).primary();
    t.integer('organisation_id').unsigned().nullable();
    t.string('state', 16).notNullable(); // matched | conflict
    t.string('conflict_kind', 32).nullable();
    t.text('conflict_details').nullable(); // JSON
    t.bigInteger('staging_id').notNullable(); // the ERP version last looked at
    t.datetime('since', { precision: 3 }).notNullable();
    t.index(['state']);
  });

  await knex.schema.createTable('credit_policies', (t) => {
    t.string('grade', 3).primary();
    t.boolean('prepayment_required').notNullable();
    t.integer('deferred_days').notNullable();
    t.integer('stop_when_overdue_days').nullable();
  });
  await knex('credit_policies').insert(DEFAULT_POLICIES);

  await knex.schema.createTable('customer_settings', (t) => {
    t.string('key', 64).primary();
    t.string('value', 255).notNullable();
  });
  await knex('customer_settings').insert([
    { key: 'credit.warning_share_pct', value: '80' },
    { key: 'match.staging_id', value: '0' },
  ]);

  await knex.schema.createTable('credit_exceptions', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').unsigned().notNullable().references('id').inTable('organisations');
    t.bigInteger('amount_fen').notNullable();
    t.string('reason', 500).notNullable();
    t.integer('granted_by_id').unsigned().notNullable();
    t.string('granted_by', 64).notNullable();
    t.datetime('granted_at', { precision: 3 }).notNullable();
    t.datetime('valid_until', { precision: 3 }).notNullable();
    t.datetime('used_at', { precision: 3 }).nullable();
    t.string('used_for', 100).nullable();
    t.index(['organisation_id', 'granted_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of [
    'credit_exceptions',
    'customer_settings',
    'credit_policies',
    'customer_erp_match',
    'customer_contacts',
    'customer_varieties',
    'customer_profiles',
    'customer_groups',
    'customer_classes',
  ]) {
    await knex.schema.dropTable(t);
  }
  await knex.schema.alterTable('erp_records', (t) => {
    t.dropColumn('doc_status');
    t.dropColumn('due_date');
  });
}
