// `npm run sync [-- --until-idle] [--wait-ms N]`: one ERP sync run outside the server (cron on another box,
// operations by hand, the crash test). Takes the same lease as the server's scheduled sync.
import path from 'node:path';
import { loadConfigOrExit } from '../server/src/config.js';
import { createKnex } from '../server/src/db/knex.js';
import { migrateLatest } from '../server/src/db/migrate.js';
import { runSync, syncUntilIdle } from '../server/src/modules/erp-sync/engine.js';
import { processHolder } from '../server/src/modules/erp-sync/plugin.js';

const args = process.argv.slice(2);
const untilIdle = args.includes('--until-idle');
const waitMs = args.includes('--wait-ms') ? Number(args[args.indexOf('--wait-ms') + 1]) : 60_000;

const config = loadConfigOrExit();
const db = createKnex({ url: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'portal.sqlite') });
const staging = createKnex({ url: config.stagingDatabaseUrl, sqliteFile: path.join(config.dataDir, 'staging.sqlite') });
try {
  await migrateLatest(db, 'portal');
  await migrateLatest(staging, 'staging');
  const deps = { db, staging, config };
  const opts = { trigger: 'script' as const, holder: processHolder(), waitForLeaseMs: waitMs };
  const results = untilIdle ? await syncUntilIdle(deps, opts, 1000) : [await runSync(deps, opts)];
  for (const r of results) {
    const { perInterface, ...rest } = r;
    console.log(JSON.stringify(rest));
  }
  const failed = results.some((r) => r.status === 'failed' || r.status === 'skipped');
  process.exitCode = failed ? 1 : 0;
} finally {
  await db.destroy();
  await staging.destroy();
}
