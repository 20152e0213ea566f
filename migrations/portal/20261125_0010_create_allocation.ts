// Resource allocation (资源分配): plans and their lines, allocations to customers with every answer version,
// customer demands (需求提报) with their negotiation thread, and the intent contracts (意向合同) approvals produce.
// Tonnage is integer kilograms, money integer fen, prices fen per tonne (DESIGN.md §3).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('resource_plans', (t) => {
    t.increments('id').primary();
    t.string('kind', 8).notNullable(); // annual | monthly
    t.string('period', 7).notNullable(); // YYYY for annual, YYYY-MM for monthly
    t.string('name', 100).notNullable();
    t.string('state', 12).notNullable(); // draft | published | closed
    t.integer('round').notNullable().defaultTo(0); // 0 before the first publication
    t.datetime('answer_deadline', { precision: 3 }).nullable(); // of the current round
    t.datetime('published_at', { precision: 3 }).nullable();
    t.integer('created_by').unsigned().nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.unique(['kind', 'period']);
  });

  await knex.schema.createTable('plan_lines', (t) => {
    t.increments('id').primary();
    t.integer('plan_id').unsigned().notNullable().references('id').inTable('resource_plans');
    t.integer('position').notNullable();
    t.string('variety', 20).notNullable();
    // '' when the mill plans the whole variety: a unique index treats NULLs as distinct, '' it does not.
    t.string('grade', 30).notNullable().defaultTo('');
    t.string('spec', 40).notNullable().defaultTo('');
    t.bigInteger('planned_kg').notNullable();
    t.bigInteger('lot_kg').notNullable();
    t.bigInteger('base_price_fen_per_t').notNullable();
    // The sum of the held tonnage of this line's allocations, kept by guarded updates: never above planned_kg.
    t.bigInteger('allocated_kg').notNullable().defaultTo(0);
    t.unique(['plan_id', 'variety', 'grade', 'spec']);
  });

  await knex.schema.createTable('allocations', (t) => {
    t.increments('id').primary();
    t.integer('plan_id').unsigned().notNullable().references('id').inTable('resource_plans');
    t.integer('plan_line_id').unsigned().notNullable().references('id').inTable('plan_lines');
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.integer('round').notNullable();
    t.string('state', 12).notNullable(); // see allocation/service.ts transitions
    t.bigInteger('offered_kg').notNullable();
    // What the plan line counts for this allocation: the offer while open, the accepted tonnage once answered, 0 at the end.
    t.bigInteger('held_kg').notNullable();
    t.string('decision', 8).nullable(); // accept | partial | decline
    t.bigInteger('accepted_kg').nullable();
    t.bigInteger('quoted_price_fen_per_t').nullable();
    // accepted_kg at the quoted price (else the customer's price): what the answer asks of its credit
    t.bigInteger('amount_fen').nullable();
    t.string('remarks', 500).nullable();
    t.integer('answer_version').notNullable().defaultTo(0);
    t.datetime('deadline', { precision: 3 }).nullable();
    t.datetime('published_at', { precision: 3 }).nullable();
    t.datetime('answered_at', { precision: 3 }).nullable();
    t.integer('intent_contract_id').unsigned().nullable();
    t.integer('row_version').notNullable().defaultTo(0);
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.unique(['plan_line_id', 'customer_id', 'round']);
    t.index(['customer_id', 'plan_id']);
    t.index(['plan_id', 'state']);
  });

  // Every answer a customer submitted, never updated.
  await knex.schema.createTable('allocation_answers', (t) => {
    t.bigIncrements('id').primary();
    t.integer('allocation_id').unsigned().notNullable().references('id').inTable('allocations');
    t.integer('version').notNullable();
    t.string('decision', 8).notNullable();
    t.bigInteger('accepted_kg').notNullable();
    t.bigInteger('quoted_price_fen_per_t').nullable();
    t.string('remarks', 500).nullable();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('username', 64).notNullable();
    t.datetime('at', { precision: 3 }).notNullable();
    t.unique(['allocation_id', 'version']);
  });

  await knex.schema.createTable('demands', (t) => {
    t.increments('id').primary();
    t.string('demand_no', 32).notNullable().unique();
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('state', 12).notNullable(); // see demands/service.ts transitions
    t.string('variety', 20).notNullable();
    t.string('grade', 30).notNullable().defaultTo('');
    t.string('spec', 40).notNullable().defaultTo('');
    // The terms on the table: the last proposal of either side; agreed once the other side accepts it.
    t.bigInteger('kg').notNullable();
    t.string('delivery_month', 7).notNullable();
    t.bigInteger('price_fen_per_t').nullable();
    t.bigInteger('amount_fen').nullable(); // kg at price_fen_per_t, when there is a price
    t.string('proposed_by', 8).notNullable(); // customer | mill
    t.integer('intent_contract_id').unsigned().nullable();
    t.integer('row_version').notNullable().defaultTo(0);
    t.integer('created_by').unsigned().notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['customer_id', 'state']);
    t.index(['state']);
  });

  await knex.schema.createTable('demand_messages', (t) => {
    t.bigIncrements('id').primary();
    t.integer('demand_id').unsigned().notNullable().references('id').inTable('demands');
    t.string('side', 8).notNullable(); // customer | mill
    t.string('kind', 12).notNullable(); // submit | counter | accept | message | withdraw | approval
    t.bigInteger('kg').nullable();
    t.string('delivery_month', 7).nullable();
    t.bigInteger('price_fen_per_t').nullable();
    t.string('text', 1000).nullable();
    t.integer('user_id').unsigned().nullable();
    t.string('username', 64).notNullable();
    t.datetime('at', { precision: 3 }).notNullable();
    t.index(['demand_id', 'id']);
  });

  await knex.schema.createTable('intent_contracts', (t) => {
    t.increments('id').primary();
    t.string('contract_no', 32).notNullable().unique();
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('source_type', 20).notNullable(); // allocation_answer | demand
    t.integer('source_id').unsigned().notNullable();
    t.integer('approval_id').unsigned().nullable();
    t.string('state', 12).notNullable(); // open | listed | contracted | cancelled (the Contracts module moves it on)
    t.string('delivery_month', 7).notNullable();
    t.bigInteger('total_kg').notNullable();
    t.bigInteger('amount_fen').notNullable();
    t.string('payment_terms', 20).notNullable();
    t.integer('payment_days').notNullable();
    t.string('terms', 2000).nullable();
    t.integer('credit_exception_id').unsigned().nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.unique(['source_type', 'source_id']);
    t.index(['customer_id', 'state']);
  });

  await knex.schema.createTable('intent_contract_lines', (t) => {
    t.integer('intent_contract_id').unsigned().notNullable().references('id').inTable('intent_contracts');
    t.integer('position').notNullable();
    t.string('variety', 20).notNullable();
    t.string('grade', 30).notNullable().defaultTo('');
    t.string('spec', 40).notNullable().defaultTo('');
    t.bigInteger('kg').notNullable();
    t.bigInteger('price_fen_per_t').notNullable();
    t.bigInteger('amount_fen').notNullable();
    t.primary(['intent_contract_id', 'position']);
  });

  // Numbering of intent contracts and demands per month, taken under a row lock.
  await knex.schema.createTable('document_counters', (t) => {
    t.string('key', 32).primary(); // e.g. 'YX202612'
    t.integer('last').notNullable();
  });

  await knex.schema.createTable('allocation_settings', (t) => {
    t.string('key', 64).primary();
    t.string('value', 255).notNullable();
  });
  await knex('allocation_settings').insert([
    // A customer on the credit warning list is proposed this share of its monthly tonnage (whole percent).
    { key: 'proposal.reduced_pct', value: '50' },
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('allocation_settings');
  await knex.schema.dropTable('document_counters');
  await knex.schema.dropTable('intent_contract_lines');
  await knex.schema.dropTable('intent_contracts');
  await knex.schema.dropTable('demand_messages');
  await knex.schema.dropTable('demands');
  await knex.schema.dropTable('allocation_answers');
  await knex.schema.dropTable('allocations');
  await knex.schema.dropTable('plan_lines');
  await knex.schema.dropTable('resource_plans');
}
