// Runs the knex migrations of one store (portal or staging) from migrations/<store>/, in source (.ts) and built (.js) form alike.
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Knex } from 'knex';

export type Store = 'portal' | 'staging';

const ownExt = path.extname(fileURLToPath(import.meta.url)); // .ts under tsx, .js when built

function migrationsDir(store: Store): string {
  // server/src/db -> <root>/migrations ; dist/server/src/db -> <root>/dist/migrations
  return fileURLToPath(new URL(`../../../migrations/${store}/`, import.meta.url));
}

interface Migration {
  name: string;
  file: string;
}

class DirectorySource implements Knex.MigrationSource<Migration> {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<Migration[]> {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(ownExt) && !f.endsWith('.d.ts') && !f.endsWith('.test' + ownExt))
      .sort()
      .map((f) => ({ name: f.slice(0, -ownExt.length), file: path.join(this.dir, f) }));
  }
  getMigrationName(m: Migration): string {
    return m.name;
  }
  async getMigration(m: Migration): Promise<Knex.Migration> {
    return (await import(pathToFileURL(m.file).href)) as Knex.Migration;
  }
}

function options(store: Store): Knex.MigratorConfig {
  return {
    migrationSource: new DirectorySource(migrationsDir(store)),
    tableName: store === 'portal' ? 'knex_migrations' : 'knex_staging_migrations',
  };
}

/** How long a starting process waits for another one's migrations before giving up (a crashed run leaves its lock). */
const MIGRATION_WAIT_MS = 10 * 60_000;

/**
 * Several portal processes starting at once on one database (docs/operations.md §9) race to migrate: knex refuses
 * the run whose lock is taken ("Migration table is already locked") and two processes may both create its tables
 * or both insert its lock row, after which no process could ever take the lock. So the lock table and its single
 * row are made race-free first, and a process that finds the lock taken waits and tries again: the one holding it
 * migrates, the others then find nothing left to do.
 */
export async function migrateLatest(db: Knex, store: Store): Promise<string[]> {
  const opts = options(store);
  await ensureLockRow(db, `${opts.tableName}_lock`);
  const deadline = Date.now() + MIGRATION_WAIT_MS;
  for (;;) {
    try {
      const [, applied] = (await db.migrate.latest(opts)) as [number, string[]];
      return applied;
    } catch (err) {
      if (!racedAnotherProcess(err, opts.tableName!) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
    }
  }
}

/** knex's lock table with exactly one row (index 1), however many processes get here at the same moment. */
async function ensureLockRow(db: Knex, lockTable: string): Promise<void> {
  if (!(await db.schema.hasTable(lockTable))) {
    try {
      await db.schema.createTable(lockTable, (t) => {
        t.increments('index').primary();
        t.integer('is_locked');
      });
    } catch (err) {
      if (!(await db.schema.hasTable(lockTable))) throw err;
    }
  }
  const rows = await db(lockTable).count({ n: '*' });
  if (Number(rows[0]!.n) === 0) await db(lockTable).insert({ index: 1, is_locked: 0 }).onConflict('index').ignore();
}

function racedAnotherProcess(err: unknown, tableName: string): boolean {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'MigrationLocked') return true;
  // Both created knex's own table of applied migrations; the loser's next try finds it.
  const exists = e.code === 'ER_TABLE_EXISTS_ERROR' || /already exists/.test(e.message ?? '');
  return exists && (e.message ?? '').includes(tableName) && !(e.message ?? '').includes(`${tableName}_`);
}

export async function migrateRollbackAll(db: Knex, store: Store): Promise<void> {
  await db.migrate.rollback(options(store), true);
}

export async function pendingMigrations(db: Knex, store: Store): Promise<number> {
  const [, pending] = (await db.migrate.list(options(store))) as [unknown[], unknown[]];
  return pending.length;
}

/**
 * The release before this one, by its last migration: the upgrade test migrates a database of that schema forward.
 * Move it when a release is cut (docs/operations.md, "Upgrading").
 */
export const PREVIOUS_RELEASE = { version: '0.1.0 (issues 1-7)', lastPortalMigration: '20261128_0015_create_certificate_printing' } as const;

/** Migrates up or down, one migration at a time, until `name` is the last one applied. */
export async function migrateTo(db: Knex, store: Store, name: string): Promise<void> {
  const opts = options(store);
  const [done, pending] = (await db.migrate.list(opts)) as [Array<{ name: string }>, Array<{ file: string }>];
  const doneNames = done.map((d) => d.name);
  if (doneNames.includes(name)) {
    while (true) {
      const [now] = (await db.migrate.list(opts)) as [Array<{ name: string }>];
      if (now[now.length - 1]?.name === name) return;
      await db.migrate.down(opts);
    }
  }
  const pendingNames = pending.map((p) => (p as unknown as { name?: string }).name ?? p.file);
  if (!pendingNames.includes(name)) throw new Error(`no migration named ${name} in ${store}`);
  while (true) {
    await db.migrate.up(opts);
    const [now] = (await db.migrate.list(opts)) as [Array<{ name: string }>];
    if (now[now.length - 1]?.name === name) return;
  }
}
