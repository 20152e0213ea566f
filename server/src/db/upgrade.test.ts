// Upgrading a database of the previous release: its schema with synced ERP data in it migrates forward to this
// release (new tables filled from the data already there), and this release's migrations roll back to it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { generateWorld } from '../../../scripts/erp/world.js';
import { lift } from '../modules/erp-sync/extract.js';
import { payloadHash } from '../modules/erp-sync/engine.js';
import { createStores, makeOrganisation } from '../../test/helpers.js';
import { migrateLatest, migrateTo, pendingMigrations, PREVIOUS_RELEASE } from './migrate.js';

async function count(db: Knex, table: string): Promise<number> {
  return Number((await db(table).count({ n: '*' }))[0]!.n);
}

test(`a portal database of release ${PREVIOUS_RELEASE.version} with synced ERP data upgrades to this release and rolls back to it`, async () => {
  const s = await createStores();
  try {
    await migrateTo(s.db, 'portal', PREVIOUS_RELEASE.lastPortalMigration);
    const pendingAtPrevious = await pendingMigrations(s.db, 'portal');

    // What the previous release's sync left: erp_records rows as its engine wrote them.
    await makeOrganisation(s.db, { name: '升级测试客户' });
    const rows = generateWorld({ customers: 4, months: 2, scale: 1, badRate: 0, seed: 11, now: new Date('2026-11-20T00:00:00Z') });
    const latest = new Map<string, (typeof rows)[number]>();
    for (const r of rows) latest.set(`${r.iface}\u0000${r.key}`, r);
    const records = [...latest.values()].map((r, i) => {
      const text = r.op === 'delete' ? null : JSON.stringify(r.payload);
      return {
        interface: r.iface,
        doc_key: r.key,
        seq: r.seq,
        staging_id: i + 1,
        deleted: r.op === 'delete',
        payload: text,
        payload_hash: text === null ? null : payloadHash(text),
        ...lift(r.iface, r.op === 'delete' ? {} : (r.payload as Record<string, unknown>)),
        synced_at: '2026-11-20 01:00:00.000',
      };
    });
    for (let i = 0; i < records.length; i += 200) await s.db('erp_records').insert(records.slice(i, i + 200));
    const before = await count(s.db, 'erp_records');

    const applied = await migrateLatest(s.db, 'portal');
    assert.equal(applied.length, pendingAtPrevious, 'every migration since the previous release ran');
    assert.equal(await pendingMigrations(s.db, 'portal'), 0);
    assert.equal(await count(s.db, 'erp_records'), before, 'no synced record lost');

    await migrateTo(s.db, 'portal', PREVIOUS_RELEASE.lastPortalMigration);
    assert.equal(await pendingMigrations(s.db, 'portal'), pendingAtPrevious, 'back at the previous release');
    assert.equal(await count(s.db, 'erp_records'), before);
    await migrateLatest(s.db, 'portal');
    assert.equal(await pendingMigrations(s.db, 'portal'), 0, 'and forward again');
  } finally {
    await s.cleanup();
  }
});
