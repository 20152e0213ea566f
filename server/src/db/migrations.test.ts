// Every migration runs up, down and up again cleanly, on SQLite and on MariaDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStores } from '../../test/helpers.js';
import { migrateLatest, migrateRollbackAll, pendingMigrations, type Store } from './migrate.js';

for (const store of ['portal', 'staging'] as Store[]) {
  test(`the ${store} migrations run up, all the way down, and up again`, async () => {
    const s = await createStores();
    const db = store === 'portal' ? s.db : s.staging;
    try {
      await migrateLatest(db, store);
      assert.equal(await pendingMigrations(db, store), 0);
      const tablesUp = await tables(db);
      await migrateRollbackAll(db, store);
      const left = (await tables(db)).filter((n) => !n.startsWith('knex_'));
      assert.deepEqual(left, [], 'down removes every table');
      await migrateLatest(db, store);
      assert.deepEqual(await tables(db), tablesUp);
    } finally {
      await s.cleanup();
    }
  });
}

async function tables(db: import('knex').Knex): Promise<string[]> {
  const client = db.client.config.client;
  const rows =
    client === 'mysql2'
      ? (await db.raw('select table_name as name from information_schema.tables where table_schema = database()'))[0]
      : await db.raw("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'");
  return rows.map((r: { name?: string; NAME?: string; TABLE_NAME?: string }) => r.name ?? r.NAME ?? r.TABLE_NAME).sort();
}
