// Customer feedback and complaints (客户反馈 / 质量异议, issue 9): items, their thread (replies, internal notes,
// state changes) and attachments stored on disk under the data directory (only their generated names here).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feedback_items', (t) => {
    t.increments('id').primary();
    t.string('feedback_no', 20).notNullable().unique();
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('category', 20).notNullable(); // see shared/api/feedback.ts FEEDBACK_CATEGORIES
    t.string('state', 24).notNullable(); // see feedback/service.ts transitions
    t.string('subject', 200).notNullable();
    t.text('description').notNullable();
    t.text('desired_resolution').nullable();
    t.integer('contract_id').unsigned().nullable();
    t.string('contract_no', 64).nullable();
    t.string('delivery_no', 32).nullable();
    t.integer('certificate_id').unsigned().nullable();
    t.string('certificate_no', 32).nullable();
    // The product concerned, copied from the linked document when submitted, for the analysis.
    t.string('variety', 20).nullable();
    t.string('grade', 30).nullable();
    t.integer('assignee_id').unsigned().nullable().references('id').inTable('users');
    t.integer('created_by').unsigned().notNullable().references('id').inTable('users');
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    // Due times computed from the category's targets when submitted, so the overdue filter is one indexed query.
    t.datetime('first_response_due_at', { precision: 3 }).notNullable();
    t.datetime('first_responded_at', { precision: 3 }).nullable();
    t.datetime('resolution_due_at', { precision: 3 }).notNullable();
    t.datetime('resolved_at', { precision: 3 }).nullable();
    t.datetime('closed_at', { precision: 3 }).nullable();
    t.tinyint('rating').nullable();
    t.string('rating_comment', 2000).nullable();
    t.datetime('rated_at', { precision: 3 }).nullable();
    // When the scheduled check last told someone an item is overdue (once per due time).
    t.datetime('response_overdue_notified_at', { precision: 3 }).nullable();
    t.datetime('resolution_overdue_notified_at', { precision: 3 }).nullable();
    t.integer('row_version').notNullable().defaultTo(0);
    t.index(['customer_id', 'created_at']);
    t.index(['state', 'resolution_due_at']);
    t.index(['state', 'first_response_due_at']);
    t.index(['assignee_id', 'state']);
    t.index(['category', 'created_at']);
  });

  await knex.schema.createTable('feedback_messages', (t) => {
    t.bigIncrements('id').primary();
    t.integer('feedback_id').unsigned().notNullable().references('id').inTable('feedback_items');
    t.string('kind', 12).notNullable(); // submit | reply | note | state | assignment | rating
    t.string('side', 8).notNullable(); // customer | mill
    t.boolean('internal').notNullable().defaultTo(false);
    t.text('text').nullable();
    t.string('from_state', 24).nullable();
    t.string('to_state', 24).nullable();
    t.integer('user_id').unsigned().nullable();
    t.string('author', 100).notNullable();
    t.datetime('at', { precision: 3 }).notNullable();
    t.index(['feedback_id', 'id']);
  });

  await knex.schema.createTable('feedback_attachments', (t) => {
    t.increments('id').primary();
    t.integer('feedback_id').unsigned().notNullable().references('id').inTable('feedback_items');
    // A generated name under DATA_DIR/feedback-attachments: never derived from the uploader's file name.
    t.string('storage_name', 64).notNullable().unique();
    t.string('original_name', 255).notNullable();
    t.string('content_type', 40).notNullable();
    t.integer('size').notNullable();
    t.string('sha256', 64).notNullable();
    t.string('side', 8).notNullable();
    t.boolean('internal').notNullable().defaultTo(false);
    t.integer('uploaded_by').unsigned().notNullable();
    t.string('uploader', 100).notNullable();
    t.datetime('uploaded_at', { precision: 3 }).notNullable();
    t.index(['feedback_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feedback_attachments');
  await knex.schema.dropTable('feedback_messages');
  await knex.schema.dropTable('feedback_items');
}
