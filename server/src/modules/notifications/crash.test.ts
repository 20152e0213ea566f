// Exactly-once SMS across crashes: a deliverer process is killed with SIGKILL during delivery NOTIFY_CRASH_RUNS
// times (default 20); afterwards every queued message is marked sent and the log provider's file, standing in for
// the gateway, holds each idempotency key exactly once: nothing lost, nothing doubled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../config.js';
import { migrateLatest } from '../../db/migrate.js';
import { createStores, makeOrganisation, makeUser } from '../../../test/helpers.js';
import { notify } from './service.js';

const RUNS = Number(process.env.NOTIFY_CRASH_RUNS ?? 20);
const MESSAGES = 300;
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.ts');

test(`SMS delivery killed ${RUNS} times with SIGKILL sends each message exactly once`, { timeout: 10 * 60_000 }, async () => {
  const stores = await createStores();
  try {
    await migrateLatest(stores.db, 'portal');
    const org = await makeOrganisation(stores.db);
    const users = [];
    for (let i = 0; i < 10; i++) users.push(await makeUser(stores.db, { organisationId: org, role: 'customer_user', phone: `1390000${String(i).padStart(4, '0')}` }));
    await stores.db.transaction(async (trx) => {
      for (let i = 0; i < MESSAGES / users.length; i++) {
        await notify(trx, { kind: 'demand.answered', template: 'demand_answered', params: { demandNo: `D-${i}` }, organisationId: org, sms: true, idempotencyKey: `crash:${i}` });
      }
    });
    assert.equal(Number((await stores.db('sms_messages').count({ n: '*' }).first())!.n), MESSAGES);

    const logFile = path.join(path.dirname(stores.portalTarget.sqliteFile || path.join(repoRoot, '.tmp', 'x')), `sms-crash-${process.pid}.log`);
    const target = JSON.stringify(stores.portalTarget);
    const run = (killAfterMs: number | null) =>
      new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', child, target, logFile, '20'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        const timer = killAfterMs === null ? null : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
        p.on('exit', (code, signal) => {
          if (timer) clearTimeout(timer);
          resolve({ code, signal, out });
        });
      });

    const delivered = () => {
      const keys = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { key: string }).key) : [];
      const counts = new Map<string, number>();
      for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
      return counts;
    };

    let x = 11;
    const rnd = () => ((x = (x * 48271) % 2147483647) / 2147483647);
    let killed = 0;
    for (let i = 0; i < RUNS; i++) {
      // tsx needs ~0.7 s to start; kills land from start-up to deep inside delivery.
      const r = await run(700 + Math.floor(rnd() * 800));
      if (r.signal === 'SIGKILL') killed++;
      else assert.equal(r.code, 0, r.out);
      const doubled = [...delivered()].filter(([, n]) => n > 1);
      assert.deepEqual(doubled, [], `run ${i + 1}: no message handed to the gateway twice`);
    }
    const last = await run(null);
    assert.equal(last.code, 0, last.out);

    const counts = delivered();
    const rows = await stores.db('sms_messages').select('idempotency_key', 'state', 'provider_id');
    assert.equal(rows.length, MESSAGES);
    for (const row of rows) {
      assert.equal(row.state, 'sent', `${row.idempotency_key} sent`);
      assert.equal(counts.get(row.idempotency_key), 1, `${row.idempotency_key} delivered exactly once`);
    }
    assert.equal(counts.size, MESSAGES, 'nothing else delivered');
    const retried = Number((await stores.db('sms_messages').where('attempts', '>', 1).count({ n: '*' }).first())!.n);
    console.log(`# ${MESSAGES} messages, ${killed} of ${RUNS} runs killed during delivery, ${retried} messages re-claimed after a crash`);
  } finally {
    await stores.cleanup();
  }
});
