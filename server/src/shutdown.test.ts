// Graceful shutdown of the real process: SIGTERM while requests are in flight lets them finish,
// refuses new work (503 or connection refused), closes the pools and exits 0 well within the timeout.
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

test('SIGTERM finishes in-flight requests, refuses new ones and exits 0', { timeout: 60_000 }, async () => {
  const stores = await createStores();
  await stores.db.destroy();
  await stores.staging.destroy();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ssp-shutdown-'));
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
  };
  if (stores.portalTarget.url) env.DATABASE_URL = stores.portalTarget.url;
  else env.DATA_DIR = path.dirname(stores.portalTarget.sqliteFile);
  if (stores.stagingTarget.url) env.STAGING_DATABASE_URL = stores.stagingTarget.url;

  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (output.includes('is running at')) break;
      if (i > 300) throw new Error(`server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }

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
    child.kill('SIGTERM');
    const statuses = await Promise.all(inFlight);
    assert.deepEqual(new Set(statuses), new Set([200]), `in-flight statuses: ${statuses}`);

    // New work after the signal is refused: 503 on a kept-alive socket or a refused connection.
    const late = await fetch(`${base}/api/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.ok(late === 503 || late === 'refused', `late request got ${late}`);

    const code = await exited;
    assert.equal(code, 0, output);
    assert.ok(Date.now() - signalledAt < 10_000, 'exited within the 10 s shutdown timeout');
  } finally {
    child.kill('SIGKILL');
    await stores.cleanup().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
});
