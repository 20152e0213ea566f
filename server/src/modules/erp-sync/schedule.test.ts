// The scheduled sync across processes: three portal processes share one database; every schedule tick runs
// exactly once (lease with fencing token + unique tick), and when the process holding the lease is killed,
// another takes over within the lease time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { repoRoot } from '../../config.js';
import { migrateLatest } from '../../db/migrate.js';
import { createStores } from '../../../test/helpers.js';

const LEASE_SECONDS = 2;

test('three processes run each tick exactly once, and a new holder takes over after the holder is killed', { timeout: 120_000 }, async () => {
  const stores = await createStores();
  const children: ChildProcess[] = [];
  try {
    await migrateLatest(stores.db, 'portal');
    await migrateLatest(stores.staging, 'staging');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATA_DIR: path.dirname(stores.portalTarget.sqliteFile || path.join(repoRoot, '.tmp', 'x')),
      PORT: '0',
      HOST: '127.0.0.1',
      DEMO_DATA: 'false',
      ERP_SIMULATE_ON_START: 'false',
      JWT_SECRET: randomBytes(32).toString('hex'),
      SYNC_SCHEDULE: '* * * * * *',
      SYNC_LEASE_SECONDS: String(LEASE_SECONDS),
      WEB_DIST: path.join(repoRoot, '.tmp', 'no-web'),
    };
    if (stores.portalTarget.url) env.DATABASE_URL = stores.portalTarget.url;
    if (stores.stagingTarget.url) env.STAGING_DATABASE_URL = stores.stagingTarget.url;
    const started: Array<Promise<void>> = [];
    for (let i = 0; i < 3; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      started.push(
        new Promise((resolve, reject) => {
          let out = '';
          child.stdout!.on('data', (d) => {
            out += d;
            if (out.includes('is running at')) resolve();
          });
          child.stderr!.on('data', (d) => (out += d));
          child.on('exit', (code) => reject(new Error(`process exited early (${code}): ${out}`)));
        }),
      );
    }
    await Promise.all(started);
    const t0 = new Date();
    await new Promise((r) => setTimeout(r, 8000));
    const runs = await stores.db('sync_runs').where('trigger', 'schedule').select('tick', 'holder', 'started_at');
    const ticks = runs.map((r) => String(r.tick));
    assert.equal(new Set(ticks).size, ticks.length, 'no tick ran twice');
    const window = ticks.filter((t) => t >= t0.toISOString().slice(0, 19));
    assert.ok(window.length >= 6, `about one run per second over 8 s (got ${window.length})`);
    const holders = new Set(runs.map((r) => String(r.holder).split(':')[1]));
    assert.ok(holders.size >= 1);

    // Kill whichever process holds the lease right now (or ran last), in the middle of its work.
    const lease = await stores.db('sync_leases').where('name', 'erp-sync').first();
    const victimPid = Number(String(lease.holder).split(':')[1]);
    const victim = children.find((c) => c.pid === victimPid);
    assert.ok(victim, `lease holder ${lease.holder} is one of ours`);
    const killedAt = new Date();
    victim!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, (LEASE_SECONDS + 3) * 1000));
    const after = await stores.db('sync_runs').where('trigger', 'schedule').where('tick', '>', killedAt.toISOString().slice(0, 19)).select('tick', 'holder');
    assert.ok(after.length >= 2, 'ticks keep running after the kill');
    assert.ok(after.every((r) => Number(String(r.holder).split(':')[1]) !== victimPid), 'by the other processes');
    const firstTick = after.map((r) => String(r.tick)).sort()[0]!;
    const gap = (Date.parse(firstTick + 'Z') - killedAt.getTime()) / 1000;
    assert.ok(gap <= LEASE_SECONDS + 1.5, `taken over ${gap.toFixed(1)} s after the kill (lease ${LEASE_SECONDS} s)`);
    const all = (await stores.db('sync_runs').where('trigger', 'schedule').pluck('tick')).map(String);
    assert.equal(new Set(all).size, all.length, 'still no tick ran twice');
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await stores.cleanup();
  }
});
