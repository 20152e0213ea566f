// Approval engine (审核流转): rules, their immutable versions, approvals of subjects (answers, demands) and every action on them.
// Seeds the default rule the engine falls back to when no other rule matches (one step: any one sales manager).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('approval_rules', (t) => {
    t.increments('id').primary();
    t.string('name', 100).notNullable();
    t.integer('priority').notNullable(); // smaller is tried first
    t.boolean('active').notNullable().defaultTo(true);
    t.boolean('is_default').notNullable().defaultTo(false);
    t.integer('current_version').notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['active', 'priority']);
  });

  // Written once, never updated: an approval in progress points at the version it started with.
  await knex.schema.createTable('approval_rule_versions', (t) => {
    t.integer('rule_id').unsigned().notNullable().references('id').inTable('approval_rules');
    t.integer('version').notNullable();
    t.text('conditions').notNullable(); // JSON, RuleConditions
    t.text('steps').notNullable(); // JSON, RuleStep[]
    t.integer('created_by').unsigned().nullable();
    t.string('created_by_name', 64).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.primary(['rule_id', 'version']);
  });

  await knex.schema.createTable('approvals', (t) => {
    t.increments('id').primary();
    t.string('subject_type', 32).notNullable();
    t.integer('subject_id').unsigned().notNullable();
    // A returned or decided subject is submitted again as the next round; one round per submission.
    t.integer('round').notNullable();
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.integer('rule_id').unsigned().notNullable();
    t.integer('rule_version').notNullable();
    t.string('state', 16).notNullable(); // pending | approved | rejected | returned | cancelled
    t.integer('current_step').notNullable().defaultTo(0);
    t.text('facts').notNullable(); // JSON snapshot, ApprovalFacts
    // 'subject_type:subject_id' while pending, null after: the unique index allows one live approval per subject.
    t.string('live_key', 64).nullable().unique();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('decided_at', { precision: 3 }).nullable();
    t.unique(['subject_type', 'subject_id', 'round']);
    t.foreign(['rule_id', 'rule_version']).references(['rule_id', 'version']).inTable('approval_rule_versions');
    t.index(['state', 'customer_id']);
  });

  await knex.schema.createTable('approval_actions', (t) => {
    t.bigIncrements('id').primary();
    t.integer('approval_id').unsigned().notNullable().references('id').inTable('approvals');
    t.integer('step').notNullable();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('username', 64).notNullable();
    t.string('role', 20).notNullable(); // the role held when acting: an 'all of' step counts one approval per listed role
    t.string('action', 16).notNullable(); // approve | reject | return
    t.string('comment', 1000).nullable();
    t.datetime('at', { precision: 3 }).notNullable();
    // An approver acts once per step, also when two of their requests race.
    t.unique(['approval_id', 'step', 'user_id']);
  });

  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  const [ruleId] = await knex('approval_rules').insert({
    name: '默认审核 Default approval',
    priority: 9999,
    active: true,
    is_default: true,
    current_version: 1,
    created_at: now,
    updated_at: now,
  });
  await knex('approval_rule_versions').insert({
    rule_id: Number(ruleId),
    version: 1,
    conditions: '{}',
    steps: JSON.stringify([{ approvers: { roles: ['sales_manager'] }, mode: 'any' }]),
    created_by: null,
    created_by_name: 'system:migration',
    created_at: now,
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('approval_actions');
  await knex.schema.dropTable('approvals');
  await knex.schema.dropTable('approval_rule_versions');
  await knex.schema.dropTable('approval_rules');
}
