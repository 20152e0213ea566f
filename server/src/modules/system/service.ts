// Readiness: each store answers a query and has no pending migrations.
import type { Knex } from 'knex';
import type { Readiness } from '../../../../shared/api/system.js';
import { pendingMigrations, type Store } from '../../db/migrate.js';

async function check(db: Knex, store: Store) {
  try {
    await db.raw('select 1');
    const pending = await pendingMigrations(db, store);
    return pending === 0 ? { ok: true, pendingMigrations: 0 } : { ok: false, pendingMigrations: pending, message: `${pending} migration(s) pending` };
  } catch (err) {
    return { ok: false, pendingMigrations: 0, message: `unreachable: ${(err as Error).message}` };
  }
}

export async function readiness(db: Knex, staging: Knex): Promise<Readiness> {
  const [portalDb, stagingDb] = await Promise.all([check(db, 'portal'), check(staging, 'staging')]);
  return { status: portalDb.ok && stagingDb.ok ? 'ready' : 'not_ready', checks: { portalDb, stagingDb } };
}
