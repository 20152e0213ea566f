// Reports (issue 8): the month summary split in two, each with its roll-up rows ('*' = every variety, every customer),
// so that a report reads a few thousand rows at any data size: per customer (managers, classes, scoped reports) and
// per destination (regional flow). Estimated: a year of the single month × customer × variety × destination table
// would be about 430,000 rows at the scale (2,000 customers), too many to sum within 300 ms.
import type { Knex } from 'knex';
import { rebuildProjection } from '../../server/src/modules/reports/projection.js';

const MEASURES = ['contracted_kg', 'contracted_fen', 'scheduled_kg', 'shipped_kg', 'shipped_fen', 'settled_fen'];
const sums = (cols: string[]) => cols.map((c) => `SUM(${c}) AS ${c}`).join(', ');
/** The measures of one fact kind, as report_facts holds them in kg and fen (the way down, in SQL). */
const FACT_MEASURES = `
  CASE WHEN kind = 'contracted' THEN kg ELSE 0 END AS contracted_kg,
  CASE WHEN kind = 'contracted' THEN fen ELSE 0 END AS contracted_fen,
  CASE WHEN kind = 'scheduled' THEN kg ELSE 0 END AS scheduled_kg,
  CASE WHEN kind = 'shipped' THEN kg ELSE 0 END AS shipped_kg,
  CASE WHEN kind = 'shipped' THEN fen ELSE 0 END AS shipped_fen,
  CASE WHEN kind = 'settled' THEN fen ELSE 0 END AS settled_fen`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('report_customer_months', (t) => {
    t.string('variety', 20).notNullable(); // or '*'
    t.string('month', 7).notNullable();
    t.string('customer_code', 32).notNullable(); // or '*'
    for (const c of MEASURES) t.bigInteger(c).notNullable().defaultTo(0);
    t.primary(['variety', 'month', 'customer_code']);
    t.index(['customer_code', 'variety', 'month']);
  });
  await knex.schema.createTable('report_region_months', (t) => {
    t.string('variety', 20).notNullable(); // or '*'
    t.string('customer_code', 32).notNullable(); // or '*'
    t.string('month', 7).notNullable();
    t.string('province', 30).notNullable();
    t.string('city', 30).notNullable();
    t.bigInteger('shipped_kg').notNullable().defaultTo(0);
    t.bigInteger('shipped_fen').notNullable().defaultTo(0);
    t.primary(['variety', 'customer_code', 'month', 'province', 'city']);
  });
  await knex.schema.dropTable('report_monthly');
  // Contracts signed in a period per customer with their open tonnage, read from the index alone (the managers report).
  await knex.schema.alterTable('report_contracts', (t) => {
    t.index(['signed_on', 'customer_code', 'contracted_kg', 'shipped_kg'], 'report_contracts_signed_cover');
  });
  // The backfill: every document synced before this migration, projected as the sync projects new ones.
  await rebuildProjection(knex);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('report_contracts', (t) => {
    t.dropIndex(['signed_on', 'customer_code', 'contracted_kg', 'shipped_kg'], 'report_contracts_signed_cover');
  });
  await knex.schema.createTable('report_monthly', (t) => {
    t.string('month', 7).notNullable();
    t.string('customer_code', 32).notNullable();
    t.string('variety', 20).notNullable();
    t.string('province', 30).notNullable();
    t.string('city', 30).notNullable();
    for (const c of MEASURES) t.bigInteger(c).notNullable().defaultTo(0);
    t.primary(['month', 'customer_code', 'variety', 'province', 'city']);
    t.index(['customer_code', 'month']);
  });
  await knex.raw(
    `INSERT INTO report_monthly (month, customer_code, variety, province, city, ${MEASURES.join(', ')}) SELECT month, customer_code, variety, province, city, ${sums(MEASURES)} FROM (SELECT kind, variety, month, customer_code, province, city, ${FACT_MEASURES} FROM report_facts) f GROUP BY month, customer_code, variety, province, city`,
  );
  await knex.schema.dropTable('report_region_months');
  await knex.schema.dropTable('report_customer_months');
}
