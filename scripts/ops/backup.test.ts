// Backup and restore on the database under test (SQLite, and MariaDB with mariadb-dump): a restored copy holds
// exactly the rows of the original, Chinese text, exact money and millisecond times included, and the files.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { migrateLatest } from '../../server/src/db/migrate.js';
import { dialectOf } from '../../server/src/db/knex.js';
import { createStores, makeOrganisation, type Stores } from '../../server/test/helpers.js';
import { backup, restore, type BackupSources } from './backup.js';

let source: Stores;
let target: Stores;
let dir: string;
before(async () => {
  source = await createStores();
  target = await createStores();
  dir = mkdtempSync(path.join(tmpdir(), 'ssp-backup-'));
});
after(async () => {
  await source.cleanup();
  await target.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function tables(db: Knex): Promise<string[]> {
  if (dialectOf(db) === 'mysql') {
    const [rows] = (await db.raw('select table_name as t from information_schema.tables where table_schema = database() order by 1')) as [Array<{ t: string }>];
    return rows.map((r) => r.t);
  }
  const rows = (await db.raw("select name as t from sqlite_master where type = 'table' and name not like 'sqlite_%' order by 1")) as Array<{ t: string }>;
  return rows.map((r) => r.t);
}

/** Every table's rows, as sorted JSON: two databases with equal snapshots hold the same data. */
async function snapshot(db: Knex): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of await tables(db)) out[t] = (await db(t).select('*')).map((r) => JSON.stringify(r)).sort();
  return out;
}

const sourcesOf = (s: Stores, files: string): BackupSources => ({
  portal: s.portalTarget,
  staging: s.stagingTarget,
  fileDirs: { 'feedback-attachments': files },
});

test('a backup restored into empty databases holds exactly the original rows and files, and a second restore is refused', async () => {
  await migrateLatest(source.db, 'portal');
  await migrateLatest(source.staging, 'staging');
  const org = await makeOrganisation(source.db, { name: '江苏某某建材贸易有限公司' });
  await source.db('erp_records').insert({
    interface: 'invoice',
    doc_key: 'INV-备份-1',
    seq: 9_007_199_254_740_000,
    staging_id: 1,
    deleted: false,
    payload: JSON.stringify({ note: '发票 Φ25 ≤ 0.045 ℃', filler: 'x'.repeat(70_000) }),
    payload_hash: 'a'.repeat(64),
    customer_code: 'C001',
    amount_fen: 123_456_789_012,
    weight_kg: 25_125,
    doc_date: '2026-11-01',
    synced_at: '2026-11-23 08:00:00.123',
  });
  await source.staging('erp_in_customer').insert({ doc_key: 'C001', seq: 1, op: 'upsert', payload: '{"name":"客户"}', received_at: '2026-11-23 08:00:00.000' });
  const files = path.join(dir, 'source-files');
  mkdirSync(path.join(files, '2026', '11'), { recursive: true });
  writeFileSync(path.join(files, '2026', '11', 'a1b2c3'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]));

  const { dir: taken, manifest } = await backup(sourcesOf(source, files), path.join(dir, 'out'), '0.1.0');
  assert.equal(manifest.files['feedback-attachments']!.count, 1);
  assert.equal(manifest.stores.portal.kind, source.portalTarget.url ? 'mysql' : 'sqlite');

  const restoredFiles = path.join(dir, 'restored-files');
  await restore(taken, sourcesOf(target, restoredFiles));
  assert.deepEqual(await snapshot(target.db), await snapshot(source.db));
  assert.deepEqual(await snapshot(target.staging), await snapshot(source.staging));
  const row = await target.db('erp_records').where('doc_key', 'INV-备份-1').first();
  assert.equal(Number(row.amount_fen), 123_456_789_012);
  assert.equal(String(row.synced_at), '2026-11-23 08:00:00.123');
  assert.equal((await target.db('organisations').where('id', org).first()).name, '江苏某某建材贸易有限公司');
  assert.deepEqual(readFileSync(path.join(restoredFiles, '2026', '11', 'a1b2c3')), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]));
  // The restored schema is the current one: migrating again has nothing to do.
  assert.deepEqual(await migrateLatest(target.db, 'portal'), []);

  await assert.rejects(() => restore(taken, sourcesOf(target, restoredFiles)), /not empty/);
});

test('a damaged backup file is refused before anything is loaded', async () => {
  const files = path.join(dir, 'none');
  const { dir: taken, manifest } = await backup(sourcesOf(source, files), path.join(dir, 'out2'), '0.1.0');
  const file = path.join(taken, manifest.stores.staging.file);
  const bytes = readFileSync(file);
  bytes[bytes.length - 10] ^= 0xff;
  writeFileSync(file, bytes);
  const fresh = await createStores();
  try {
    await assert.rejects(() => restore(taken, sourcesOf(fresh, files)), /damaged/);
    assert.deepEqual(await tables(fresh.db), []);
  } finally {
    await fresh.cleanup();
  }
});
