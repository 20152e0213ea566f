// Starts a throwaway MariaDB server in a temporary directory on a free port (tests, benchmarks), and stops it.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function findMariadbd() {
  for (const p of ['/usr/sbin/mariadbd', '/usr/sbin/mysqld', '/usr/bin/mariadbd']) if (existsSync(p)) return p;
  return null;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Initialises a data directory and starts mariadbd bound to 127.0.0.1 (DESIGN.md §7).
 * Returns { url, port, dir, pid, stop(), halt(), resume() }; url is the root URL without a database name.
 * bufferPoolMb: InnoDB buffer pool (default 256; benchmarks that hold 100,000 documents in three tables want more).
 */
export async function startMariadb({ log = () => {}, bufferPoolMb = 256 } = {}) {
  const bin = findMariadbd();
  if (!bin) throw new Error('mariadbd is not installed (apt-get install mariadb-server)');
  const dir = mkdtempSync(path.join(tmpdir(), 'ssp-mariadb-'));
  const datadir = path.join(dir, 'data');
  const user = process.getuid?.() === 0 ? ['--user=root'] : [];
  execFileSync('mariadb-install-db', [...user, `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db'], {
    stdio: 'ignore',
  });
  const port = await freePort();
  const url = `mysql://root@127.0.0.1:${port}`;
  const args = [
    '--no-defaults',
    ...user,
    `--datadir=${datadir}`,
    `--socket=${path.join(dir, 'sock')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-log-bin',
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--max-connections=500',
    `--innodb-buffer-pool-size=${bufferPoolMb}M`,
    '--innodb-flush-log-at-trx-commit=2',
    `--pid-file=${path.join(dir, 'mariadb.pid')}`,
  ];
  let child = await launch(bin, args, port);
  log(`MariaDB started on port ${port} (${dir})`);
  return {
    url,
    port,
    dir,
    get pid() {
      return child.pid;
    },
    /** Stops mariadbd (SIGTERM, SIGKILL after 15 s) and keeps its data directory: `resume()` starts it again. */
    async halt() {
      await halt(child);
    },
    /** Starts mariadbd again on the same data directory and port after `halt()` (fault tests: a database restart). */
    async resume() {
      if (child.exitCode === null && child.signalCode === null) return;
      child = await launch(bin, args, port);
      log(`MariaDB restarted on port ${port}`);
    },
    async stop() {
      await halt(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns mariadbd and waits until it accepts connections (30 s at most). */
async function launch(bin, args, port) {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 30_000;
  const mysql = (await import('mysql2/promise')).default;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mariadbd exited early:\n${stderr}`);
    try {
      const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
      await c.end();
      return child;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`mariadbd did not accept connections within 30 s:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function halt(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      r();
    }, 15_000);
    child.once('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}
