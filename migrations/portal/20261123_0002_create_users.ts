// Users of the mill and of customer organisations, with their role and customer rights.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('username', 64).notNullable().unique();
    t.string('display_name', 64).notNullable();
    t.string('role', 32).notNullable();
    t.string('phone', 20).nullable();
    t.boolean('can_sign').notNullable().defaultTo(false);
    t.boolean('can_print').notNullable().defaultTo(false);
    t.string('password_hash', 255).notNullable();
    t.boolean('active').notNullable().defaultTo(true);
    // Bumped when the password changes or an administrator forces sign-out; access tokens carry it.
    t.integer('token_version').unsigned().notNullable().defaultTo(0);
    t.integer('failed_logins').unsigned().notNullable().defaultTo(0);
    t.datetime('locked_until', { precision: 3 }).nullable();
    t.datetime('last_login_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['organisation_id', 'role']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
