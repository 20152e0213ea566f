// Surveys (问卷调查, issue 9): questionnaires with their definition and targeting, the invitations the scheduler and
// the event triggers send to customers, customers' drafts and answers (one per organisation or user, by a unique
// respondent key), and the cursor of the ERP event reader.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('surveys', (t) => {
    t.increments('id').primary();
    t.string('title', 200).notNullable();
    t.text('introduction').notNullable();
    t.string('kind', 8).notNullable(); // campaign | event
    t.string('trigger_event', 24).nullable();
    t.string('answer_per', 16).notNullable(); // organisation | user
    t.boolean('anonymous').notNullable();
    t.datetime('opens_at', { precision: 3 }).nullable();
    t.datetime('closes_at', { precision: 3 }).nullable();
    t.text('target').notNullable(); // JSON
    t.text('definition', 'longtext').notNullable(); // JSON: the sections with their questions
    t.string('state', 12).notNullable(); // draft | scheduled | open | closed
    t.integer('version').notNullable();
    t.integer('previous_id').unsigned().nullable().references('id').inTable('surveys');
    t.string('created_by', 64).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.datetime('opened_at', { precision: 3 }).nullable();
    t.datetime('closed_at', { precision: 3 }).nullable();
    t.index(['state']);
    t.index(['kind', 'trigger_event', 'state']);
  });

  // One row per customer asked: targeting materialised when a campaign opens (the response rate's denominator), or
  // one per event (ref names it, e.g. delivery_note:D123; '' for campaigns), so a repeated event invites once.
  await knex.schema.createTable('survey_invitations', (t) => {
    t.increments('id').primary();
    t.integer('survey_id').unsigned().notNullable().references('id').inTable('surveys');
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('event', 24).nullable();
    t.string('ref', 100).notNullable();
    t.datetime('closes_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('notified_at', { precision: 3 }).nullable();
    t.datetime('reminded_at', { precision: 3 }).nullable();
    t.unique(['survey_id', 'customer_id', 'ref']);
    t.index(['customer_id', 'event', 'created_at']);
  });

  // respondent_key is o:<organisation>, u:<user>, or i:<invitation>[:u:<user>] for event surveys; its unique index
  // is what lets exactly one of two concurrent submits through.
  await knex.schema.createTable('survey_responses', (t) => {
    t.increments('id').primary();
    t.integer('survey_id').unsigned().notNullable().references('id').inTable('surveys');
    t.integer('invitation_id').unsigned().notNullable().references('id').inTable('survey_invitations');
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('respondent_key', 48).notNullable();
    t.string('state', 12).notNullable(); // draft | submitted
    t.text('answers', 'longtext').notNullable(); // JSON
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.datetime('submitted_at', { precision: 3 }).nullable();
    t.unique(['survey_id', 'respondent_key']);
    t.index(['invitation_id']);
    t.index(['survey_id', 'state', 'submitted_at']);
  });

  await knex.schema.createTable('survey_state', (t) => {
    t.string('name', 64).primary();
    t.string('value', 255).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['survey_state', 'survey_responses', 'survey_invitations', 'surveys']) await knex.schema.dropTable(t);
}
