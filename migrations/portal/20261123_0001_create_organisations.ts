// Organisations: the mill itself and its customer organisations (commercial profile comes with the Customers module).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organisations', (t) => {
    t.increments('id').primary();
    t.string('kind', 16).notNullable(); // 'mill' | 'customer'
    t.string('code', 32).notNullable().unique(); // the ERP's customer code; 'MILL' for the mill
    t.string('name', 128).notNullable();
    t.string('short_name', 64).nullable();
    t.string('credit_code', 18).nullable(); // 统一社会信用代码, 18 characters (GB 32100-2015)
    t.string('province', 32).nullable();
    t.string('city', 32).nullable();
    t.string('address', 255).nullable();
    t.integer('account_manager_id').unsigned().nullable().index();
    t.boolean('active').notNullable().defaultTo(true);
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['kind', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('organisations');
}
