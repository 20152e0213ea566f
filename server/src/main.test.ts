// The real process (server/src/main.ts): a fresh start plays the ERP simulator once and syncs it; graceful
// shutdown on SIGTERM lets in-flight requests finish, refuses new work (503 or connection refused), closes the
// pools and exits 0 well within the timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { repoRoot } from './config.js';
import { createStores } from '../test/helpers.js';
import { INBOUND_INTERFACES, inboundTable } from '../../shared/erp/interfaces.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Started {
  base: string;
  output: () => string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** Runs main.ts on the given stores, as `npm start` would, and waits for its banner. */
async function startMain(stores: Awaited<ReturnType<typeof createStores>>, dataDir: string, extra: NodeJS.ProcessEnv): Promise<Started> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    DEMO_DATA: 'true',
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOGIN_PER_ACCOUNT_PER_MINUTE: '10000',
    LOGIN_PER_ADDRESS_PER_MINUTE: '100000',
    SHUTDOWN_TIMEOUT_MS: '10000',
    WEB_DIST: path.join(dataDir, 'no-web'),
    ...extra,
  };
  if (stores.portalTarget.url) env.DATABASE_URL = stores.portalTarget.url;
  else env.DATA_DIR = path.dirname(stores.portalTarget.sqliteFile);
  if (stores.stagingTarget.url) env.STAGING_DATABASE_URL = stores.stagingTarget.url;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; ; i++) {
    if (output.includes('is running at')) break;
    if (i > 600 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base: `http://127.0.0.1:${port}`, output: () => output, exited, kill: (signal) => child.kill(signal) };
}

test('a fresh start writes the ERP simulator\'s world into staging once and syncs it; a restart writes nothing more', { timeout: 120_000 }, async () => {
  const stores = await createStores();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ssp-start-'));
  let server: Started | undefined;
  try {
    server = await startMain(stores, dataDir, { ERP_SIMULATE_ON_START: 'true', SYNC_ENABLED: 'false' });
    const match = /ERP simulator: (\d+) staging rows written and synced/.exec(server.output());
    assert.ok(match, server.output());
    const written = Number(match[1]);
    assert.ok(written > 1000, `world of ${written} rows`);
    let staged = 0;
    for (const iface of INBOUND_INTERFACES) staged += Number((await stores.staging(inboundTable(iface)).count({ n: '*' }))[0].n);
    assert.equal(staged, written);
    // Everything the simulator wrote is in the portal (its default world has no bad rows), the demo customers included.
    const records = Number((await stores.db('erp_records').count({ n: '*' }))[0].n);
    const tombstones = Number((await stores.db('erp_records').where({ deleted: true }).count({ n: '*' }))[0].n);
    assert.ok(records > 0 && records <= written);
    assert.equal(Number((await stores.db('erp_quarantine').count({ n: '*' }))[0].n), 0);
    assert.equal(Number((await stores.db('erp_waiting').count({ n: '*' }))[0].n), 0);
    const watermarks = await stores.db('sync_state').select('interface', 'watermark');
    for (const iface of INBOUND_INTERFACES) {
      const max = Number((await stores.staging(inboundTable(iface)).max({ m: 'id' }))[0].m ?? 0);
      assert.equal(Number(watermarks.find((w) => w.interface === iface)?.watermark ?? 0), max, `${iface} fully synced`);
    }
    const demo = await stores.db('erp_records').where({ interface: 'customer' }).whereIn('doc_key', ['C10001', 'C10002', 'C10003']);
    assert.equal(demo.length, 3);
    assert.ok(tombstones < records);
    server.kill('SIGTERM');
    assert.equal(await server.exited, 0);

    server = await startMain(stores, dataDir, { ERP_SIMULATE_ON_START: 'true', SYNC_ENABLED: 'false' });
    assert.doesNotMatch(server.output(), /ERP simulator/);
    let again = 0;
    for (const iface of INBOUND_INTERFACES) again += Number((await stores.staging(inboundTable(iface)).count({ n: '*' }))[0].n);
    assert.equal(again, written, 'a restart writes no second world');
    server.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  } finally {
    server?.kill('SIGKILL');
    await stores.cleanup().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('SIGTERM finishes in-flight requests, refuses new ones and exits 0', { timeout: 60_000 }, async () => {
  const stores = await createStores();
  await stores.db.destroy();
  await stores.staging.destroy();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ssp-shutdown-'));
  const server = await startMain(stores, dataDir, { ERP_SIMULATE_ON_START: 'false' });
  try {
    const base = server.base;
    // Each sign-in spends ~40 ms hashing at the production cost, so 40 of them queue for a while.
    const login = () =>
      fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'hengda.user', password: 'Portal@2026' }),
      }).then((r) => r.status);
    const inFlight = Array.from({ length: 40 }, login);
    // Signal once the server is visibly working through them: the first answer means every request was
    // received (they were all sent at once) and the rest are queued behind the hashing.
    await Promise.race(inFlight);
    const signalledAt = Date.now();
    server.kill('SIGTERM');
    const statuses = await Promise.all(inFlight);
    assert.deepEqual(new Set(statuses), new Set([200]), `in-flight statuses: ${statuses}`);

    // New work after the signal is refused: 503 on a kept-alive socket or a refused connection.
    const late = await fetch(`${base}/api/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.ok(late === 503 || late === 'refused', `late request got ${late}`);

    const code = await server.exited;
    assert.equal(code, 0, server.output());
    assert.ok(Date.now() - signalledAt < 10_000, 'exited within the 10 s shutdown timeout');
  } finally {
    server.kill('SIGKILL');
    await stores.cleanup().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
});
