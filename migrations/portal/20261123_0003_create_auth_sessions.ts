// Sign-in sessions, their rotating refresh tokens (stored hashed) and sign-in attempts for rate limiting.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('auth_sessions', (t) => {
    t.increments('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('ip', 64).nullable();
    t.string('user_agent', 255).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('revoked_at', { precision: 3 }).nullable();
    t.string('revoked_reason', 32).nullable();
    t.index(['user_id', 'revoked_at']);
  });
  await knex.schema.createTable('refresh_tokens', (t) => {
    t.increments('id').primary();
    t.integer('session_id').unsigned().notNullable().references('id').inTable('auth_sessions');
    t.string('token_hash', 64).notNullable().unique(); // SHA-256 hex of the random token
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.datetime('used_at', { precision: 3 }).nullable(); // set when rotated; a second use is reuse
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['session_id']);
  });
  await knex.schema.createTable('login_attempts', (t) => {
    t.increments('id').primary();
    t.string('username', 64).notNullable();
    t.string('ip', 64).notNullable();
    t.boolean('success').notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['username', 'created_at']);
    t.index(['ip', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_attempts');
  await knex.schema.dropTable('refresh_tokens');
  await knex.schema.dropTable('auth_sessions');
}
