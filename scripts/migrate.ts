// `npm run migrate [-- latest|rollback|status] [--store portal|staging|all]`: runs the schema migrations
// of the portal DB and the staging store outside the server (the server also migrates on start).
import path from 'node:path';
import { loadConfigOrExit } from '../server/src/config.js';
import { createKnex } from '../server/src/db/knex.js';
import { migrateLatest, migrateRollbackAll, pendingMigrations, type Store } from '../server/src/db/migrate.js';

const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith('--')) ?? 'latest';
const storeArg = args.includes('--store') ? args[args.indexOf('--store') + 1] : 'all';
if (!['latest', 'rollback', 'status'].includes(command) || !['portal', 'staging', 'all'].includes(storeArg ?? '')) {
  console.error('usage: npm run migrate -- [latest|rollback|status] [--store portal|staging|all]');
  process.exit(2);
}

const config = loadConfigOrExit();

const targets: Array<{ store: Store; url: string | undefined; sqliteFile: string }> = [
  { store: 'portal', url: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'portal.sqlite') },
  { store: 'staging', url: config.stagingDatabaseUrl, sqliteFile: path.join(config.dataDir, 'staging.sqlite') },
];

for (const t of targets) {
  if (storeArg !== 'all' && storeArg !== t.store) continue;
  const db = createKnex({ url: t.url, sqliteFile: t.sqliteFile });
  try {
    if (command === 'latest') {
      const applied = await migrateLatest(db, t.store);
      console.log(`${t.store}: ${applied.length ? `applied ${applied.join(', ')}` : 'already current'}`);
    } else if (command === 'rollback') {
      await migrateRollbackAll(db, t.store);
      console.log(`${t.store}: rolled back every migration`);
    } else {
      console.log(`${t.store}: ${await pendingMigrations(db, t.store)} pending`);
    }
  } finally {
    await db.destroy();
  }
}
