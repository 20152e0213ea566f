// Rotating CA_PASSPHRASE: every stored seal key (root, organisations', a revoked one) opens with the new passphrase
// and no longer with the old; the rotated CA goes on issuing and signing; a wrong current passphrase or a damaged key
// changes nothing. The script is run as operators run it, with the passphrases in the environment.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../server/src/config.js';
import { toDbTime } from '../../server/src/db/knex.js';
import { migrateLatest } from '../../server/src/db/migrate.js';
import { createStores, makeOrganisation, type Stores } from '../../server/test/helpers.js';
import { loadSigner } from '../../server/src/modules/seals/ca.js';
import { certificateFor, passphraseOf, rootCertificate } from '../../server/src/modules/seals/service.js';
import { markRevoked, type CertificateRow } from '../../server/src/modules/seals/store.js';
import { checkCaPassphrase, rotateCaPassphrase } from '../../server/src/modules/seals/rotate.js';

const OLD = 'old-ca-passphrase-0123456789';
const NEW = 'new-ca-passphrase-9876543210';
const cfg = (caPassphrase: string) => ({ caPassphrase, tsaUrl: undefined, tsaTimeoutMs: 1000, schedule: '* * * * *' });

let s: Stores;
before(async () => {
  s = await createStores();
  await migrateLatest(s.db, 'portal');
  const mill = await makeOrganisation(s.db, { kind: 'mill', name: '测试钢铁集团' });
  const customer = await makeOrganisation(s.db, { name: '恒达钢材贸易有限公司' });
  await s.db('organisations').whereIn('id', [mill, customer]).update({ credit_code: '91320582MA1NX8TQ3L' });
  await rootCertificate(s.db, cfg(OLD));
  await certificateFor(s.db, cfg(OLD), mill, 'contract');
  await certificateFor(s.db, cfg(OLD), mill, 'quality');
  const revoked = await certificateFor(s.db, cfg(OLD), customer, 'contract');
  await markRevoked(s.db, revoked.id, toDbTime(new Date()), 'test', 'rotation test');
});
after(() => s.cleanup());

const rows = (): Promise<CertificateRow[]> => s.db('seal_certificates').orderBy('id');
const opens = (row: CertificateRow, ca: string) => {
  try {
    loadSigner({ certPem: row.cert_pem, keyPem: row.key_pem, passphrase: passphraseOf({ caPassphrase: ca }, row) }, []);
    return true;
  } catch {
    return false;
  }
};

function script(command: string, env: Record<string, string>) {
  const target = s.portalTarget;
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts/ops/ca-passphrase.ts'), command], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATA_DIR: path.dirname(target.sqliteFile || path.join(repoRoot, 'data', 'x')),
      ...(target.url ? { DATABASE_URL: target.url } : {}),
      ...env,
    },
  });
}

test('a wrong current passphrase or a weak new one changes nothing', async () => {
  const before = await rows();
  assert.equal(before.length, 4);
  await assert.rejects(rotateCaPassphrase(s.db, 'not-the-passphrase-at-all', NEW), { code: 'seal.key_passphrase_wrong' });
  await assert.rejects(rotateCaPassphrase(s.db, OLD, 'short'), { code: 'seal.passphrase_weak' });
  await assert.rejects(rotateCaPassphrase(s.db, OLD, OLD), { code: 'seal.passphrase_same' });
  assert.deepEqual(await rows(), before);
  const wrong = script('check', { CA_PASSPHRASE: 'not-the-passphrase-at-all' });
  assert.equal(wrong.status, 1, wrong.stderr);
  assert.match(wrong.stderr, /seal\.key_passphrase_wrong/);
});

test('one damaged key stops the rotation of all of them', async () => {
  const before = await rows();
  const victim = before[before.length - 1];
  const lines = victim.key_pem.split('\n');
  lines.splice(5, 1); // a line of the encrypted key lost, as in a bad copy
  await s.db('seal_certificates').where({ id: victim.id }).update({ key_pem: lines.join('\n') });
  try {
    await assert.rejects(rotateCaPassphrase(s.db, OLD, NEW), (e: { code: string; details: { certificateId: number } }) => e.code === 'seal.key_passphrase_wrong' && e.details.certificateId === victim.id);
    for (const row of (await rows()).slice(0, -1)) assert.ok(opens(row, OLD), `certificate ${row.id} still under the old passphrase`);
  } finally {
    await s.db('seal_certificates').where({ id: victim.id }).update({ key_pem: victim.key_pem });
  }
});

test('rotate moves every key, revoked ones included, to the new passphrase; the CA goes on issuing and signing', async () => {
  const check = script('check', { CA_PASSPHRASE: OLD });
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /opens all 4 stored seal keys/);

  const missing = script('rotate', { CA_PASSPHRASE: OLD });
  assert.equal(missing.status, 1, 'no CA_PASSPHRASE_NEW');
  assert.match(missing.stderr, /seal\.passphrase_weak/);

  const run = script('rotate', { CA_PASSPHRASE: OLD, CA_PASSPHRASE_NEW: NEW });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /4 seal keys re-encrypted/);

  for (const row of await rows()) {
    assert.ok(opens(row, NEW), `certificate ${row.id} (${row.purpose}, ${row.state}) opens with the new passphrase`);
    assert.ok(!opens(row, OLD), `certificate ${row.id} no longer opens with the old one`);
  }
  assert.deepEqual(await checkCaPassphrase(s.db, NEW), { keys: 4 });
  await assert.rejects(checkCaPassphrase(s.db, OLD), { code: 'seal.key_passphrase_wrong' });

  // The root's key signs new certificates under the new passphrase: a fresh organisation gets its seal.
  const other = await makeOrganisation(s.db, { name: '华东建设工程有限公司' });
  await s.db('organisations').where({ id: other }).update({ credit_code: '91310115MA7EH4LB2Y' });
  const issued = await certificateFor(s.db, cfg(NEW), other, 'contract');
  assert.ok(opens(issued, NEW));
  await assert.rejects(certificateFor(s.db, cfg(OLD), (await makeOrganisation(s.db, { name: '旧口令客户' })), 'contract'));
});
