// Customer users' answer right, verified phones and forced password change; the SMS outbox and phone verification codes.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    // May answer allocations for the organisation (Customers issue: "who may answer allocations").
    t.boolean('can_answer').notNullable().defaultTo(false);
    // Set when the user proved they receive SMS at `phone`; cleared whenever the phone changes (DESIGN.md §5: signing codes go there).
    t.datetime('phone_verified_at', { precision: 3 }).nullable();
    // Set by an invitation or an administrator's reset: the password is temporary until the user chooses their own.
    t.boolean('must_change_password').notNullable().defaultTo(false);
  });

  // The SMS outbox every module writes to in its own transaction; a deliverer hands pending rows to the provider.
  await knex.schema.createTable('sms_messages', (t) => {
    t.bigIncrements('id').primary();
    // The caller's key for this message: a retried send with the same key adds nothing.
    t.string('idempotency_key', 128).notNullable().unique();
    t.string('phone', 20).notNullable();
    t.string('template', 32).notNullable(); // e.g. phone_verify
    t.text('params').notNullable(); // JSON; secret values (codes) are redacted once the provider has them
    t.string('state', 16).notNullable().defaultTo('pending'); // pending | sent | failed
    t.integer('attempts').unsigned().notNullable().defaultTo(0);
    // When a deliverer may next pick the row up: a claim pushes it forward, a failure backs off.
    t.datetime('next_attempt_at', { precision: 3 }).notNullable();
    t.string('provider_id', 128).nullable();
    t.string('last_error', 1000).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('sent_at', { precision: 3 }).nullable();
    t.index(['state', 'next_attempt_at']);
    t.index(['phone', 'created_at']);
  });

  // One row per code sent to prove a user's phone; the code itself is kept only as an HMAC.
  await knex.schema.createTable('phone_verifications', (t) => {
    t.bigIncrements('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('phone', 20).notNullable();
    t.string('code_hash', 64).notNullable(); // HMAC-SHA256 hex, keyed with the server secret
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.integer('attempts').unsigned().notNullable().defaultTo(0); // tries so far; the sixth is refused, so at most 5 wrong ones
    t.datetime('consumed_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['user_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('phone_verifications');
  await knex.schema.dropTable('sms_messages');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('must_change_password');
    t.dropColumn('phone_verified_at');
    t.dropColumn('can_answer');
  });
}
