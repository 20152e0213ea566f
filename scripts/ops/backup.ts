// Backup and restore of the portal's two databases and its file store (docs/operations.md):
//   npm run backup -- [--out DIR]            writes DIR/ssp-backup-<time>/ (default DIR: DATA_DIR/backups)
//   npm run restore -- BACKUP_DIR [--force]  loads it into the configured, empty databases
// MySQL/MariaDB through mariadb-dump / mariadb (or mysqldump / mysql) with one consistent snapshot per database;
// SQLite through its online backup API. A manifest records what was taken and the SHA-256 of every file.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createKnex } from '../../server/src/db/knex.js';

export interface StoreTarget {
  url: string | undefined;
  sqliteFile: string;
}

export interface BackupSources {
  portal: StoreTarget;
  staging: StoreTarget;
  /** folders of files the databases point at (e.g. feedback attachments), copied as they are */
  fileDirs: Record<string, string>;
}

export interface Manifest {
  format: 1;
  createdAt: string;
  appVersion: string;
  stores: Record<'portal' | 'staging', { kind: 'mysql' | 'sqlite'; file: string; sha256: string; bytes: number }>;
  files: Record<string, { dir: string; count: number }>;
}

/** The first of the client programs that exists on PATH: MariaDB's names first, then MySQL's. */
function program(names: string[]): string {
  for (const n of names) if (spawnSync(n, ['--version'], { stdio: 'ignore' }).status === 0) return n;
  throw new Error(`none of ${names.join(', ')} is installed (apt-get install mariadb-client)`);
}

/** Connection arguments of a mysql:// URL; the password goes through the environment, never the command line. */
function mysqlArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv; database: string } {
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new Error(`${u.protocol}//${u.host}: the URL names no database`);
  const args = [`--host=${u.hostname || '127.0.0.1'}`, `--port=${u.port || '3306'}`, `--user=${decodeURIComponent(u.username || 'root')}`, '--protocol=TCP'];
  return { args, env: { ...process.env, MYSQL_PWD: decodeURIComponent(u.password) }, database };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, io: { stdin?: string; stdout?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: [io.stdin ? 'pipe' : 'ignore', io.stdout ? 'pipe' : 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
    if (io.stdout) child.stdout!.pipe(createWriteStream(io.stdout));
    if (io.stdin) createReadStream(io.stdin).pipe(child.stdin!);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.trim()}`))));
  });
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function dumpStore(target: StoreTarget, dir: string, name: string): Promise<Manifest['stores']['portal']> {
  let file: string;
  if (target.url) {
    file = `${name}.sql`;
    const { args, env, database } = mysqlArgs(target.url);
    // --single-transaction: one consistent InnoDB snapshot without locking the portal; --hex-blob keeps bytes exact.
    await run(
      program(['mariadb-dump', 'mysqldump']),
      [...args, '--single-transaction', '--quick', '--routines', '--triggers', '--hex-blob', '--default-character-set=utf8mb4', '--skip-lock-tables', database],
      env,
      { stdout: path.join(dir, file) },
    );
  } else {
    file = `${name}.sqlite`;
    // The online backup API copies a consistent image while the portal keeps writing (WAL mode).
    if (!existsSync(target.sqliteFile)) throw new Error(`${name}: ${target.sqliteFile} does not exist`);
    const db = createKnex(target, { max: 1 });
    try {
      // knex's better-sqlite3 connection is the driver's Database object, which has the backup method.
      const conn = (await db.client.acquireConnection()) as { backup(to: string): Promise<unknown> };
      try {
        await conn.backup(path.join(dir, file));
      } finally {
        await db.client.releaseConnection(conn);
      }
    } finally {
      await db.destroy();
    }
  }
  const full = path.join(dir, file);
  return { kind: target.url ? 'mysql' : 'sqlite', file, sha256: await sha256(full), bytes: statSync(full).size };
}

const countFiles = (dir: string): number =>
  existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1), 0) : 0;

export async function backup(sources: BackupSources, outRoot: string, appVersion: string, now = new Date()): Promise<{ dir: string; manifest: Manifest }> {
  const dir = path.join(outRoot, `ssp-backup-${now.toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  const portal = await dumpStore(sources.portal, dir, 'portal');
  const staging = await dumpStore(sources.staging, dir, 'staging');
  const files: Manifest['files'] = {};
  for (const [name, src] of Object.entries(sources.fileDirs)) {
    const to = path.join('files', name);
    if (existsSync(src)) cpSync(src, path.join(dir, to), { recursive: true });
    files[name] = { dir: to, count: countFiles(path.join(dir, to)) };
  }
  const manifest: Manifest = { format: 1, createdAt: now.toISOString(), appVersion, stores: { portal, staging }, files };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { dir, manifest };
}

async function isEmpty(target: StoreTarget): Promise<boolean> {
  if (!target.url) return !existsSync(target.sqliteFile) || statSync(target.sqliteFile).size === 0;
  const { default: knex } = await import('knex');
  const db = knex({ client: 'mysql2', connection: target.url });
  try {
    const [rows] = (await db.raw('select count(*) as n from information_schema.tables where table_schema = database()')) as [Array<{ n: number }>];
    return Number(rows[0]!.n) === 0;
  } finally {
    await db.destroy();
  }
}

/**
 * Loads a backup into the given stores. Refuses a backup whose files do not match their manifest, and (unless
 * force) stores that already hold tables: a restore never merges into a live database.
 */
export async function restore(dir: string, targets: BackupSources, opts: { force?: boolean } = {}): Promise<Manifest> {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  if (manifest.format !== 1) throw new Error(`unknown backup format ${manifest.format}`);
  for (const [name, s] of Object.entries(manifest.stores)) {
    const got = await sha256(path.join(dir, s.file));
    if (got !== s.sha256) throw new Error(`${name}: ${s.file} is damaged (SHA-256 ${got}, manifest ${s.sha256})`);
  }
  for (const name of ['portal', 'staging'] as const) {
    const s = manifest.stores[name];
    const target = targets[name];
    if ((s.kind === 'mysql') !== Boolean(target.url)) throw new Error(`${name}: the backup is ${s.kind}, the target is ${target.url ? 'mysql' : 'sqlite'}`);
    if (!opts.force && !(await isEmpty(target))) throw new Error(`${name}: the target database is not empty (restore into an empty one, or pass --force)`);
    if (target.url) {
      const { args, env, database } = mysqlArgs(target.url);
      await run(program(['mariadb', 'mysql']), [...args, '--default-character-set=utf8mb4', database], env, { stdin: path.join(dir, s.file) });
    } else {
      mkdirSync(path.dirname(target.sqliteFile), { recursive: true });
      for (const ext of ['-wal', '-shm']) if (existsSync(target.sqliteFile + ext)) writeFileSync(target.sqliteFile + ext, '');
      cpSync(path.join(dir, s.file), target.sqliteFile);
    }
  }
  for (const [name, f] of Object.entries(manifest.files)) {
    const to = targets.fileDirs[name];
    if (to && existsSync(path.join(dir, f.dir))) cpSync(path.join(dir, f.dir), to, { recursive: true });
  }
  return manifest;
}

async function main() {
  const { loadConfig, repoRoot } = await import('../../server/src/config.js');
  const config = loadConfig();
  const sources: BackupSources = {
    portal: { url: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'portal.sqlite') },
    staging: { url: config.stagingDatabaseUrl, sqliteFile: path.join(config.dataDir, 'staging.sqlite') },
    // Keep in step with the modules that store files under DATA_DIR (feedback attachments).
    fileDirs: { 'feedback-attachments': path.join(config.dataDir, 'feedback-attachments') },
  };
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, force: { type: 'boolean' } } });
  const [command, from] = positionals;
  if (command === 'backup') {
    const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
    const { dir, manifest } = await backup(sources, values.out ?? path.join(config.dataDir, 'backups'), version);
    console.log(JSON.stringify({ dir, ...manifest }));
  } else if (command === 'restore' && from) {
    const manifest = await restore(path.resolve(from), sources, { force: values.force });
    console.log(`restored the backup of ${manifest.createdAt} (version ${manifest.appVersion}); run \`npm run migrate\` if this release is newer`);
  } else {
    console.error('usage: npm run backup -- [--out DIR] | npm run restore -- BACKUP_DIR [--force]');
    process.exit(2);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
