// Workloads of the ERP sync figures (see run.ts): the apply rate of 100,000 mixed staging rows against a plain
// multi-row upsert of the same rows, and the lag from a staging write to the data answering through the API.
import type { Knex } from 'knex';
import { inboundTable } from '../../shared/erp/interfaces.js';
import type { Config } from '../../server/src/config.js';
import { toDbTime } from '../../server/src/db/knex.js';
import { syncUntilIdle, type RunResult } from '../../server/src/modules/erp-sync/engine.js';
import { customer } from '../../server/test/erp-fixtures.js';
import { DEFAULT_WORLD, generateWorld, writeRows, type WorldRow } from '../erp/world.js';

/**
 * The simulator's world at 100 customers, 6 months and scale 3 (about 105,000 rows: masters, orders, production,
 * inventory, deliveries, invoices, receipts, balances, certificates, with updates and deletes), cut to `count`
 * rows in sequence order. Documents whose parent fell beyond the cut wait, as they would in production.
 */
export function mixedRows(count: number): WorldRow[] {
  const rows = generateWorld({ ...DEFAULT_WORLD, customers: 100, months: 6, scale: Math.max(1, Math.ceil(count / 35_000)), startSeq: 1 });
  if (rows.length < count) throw new Error(`the world has ${rows.length} rows, fewer than ${count}`);
  return [...rows].sort((a, b) => a.seq - b.seq).slice(0, count);
}

export interface MixCounts {
  [iface: string]: number;
}

export function mix(rows: readonly WorldRow[]): MixCounts {
  const out: MixCounts = {};
  for (const r of rows) out[`${r.iface}${r.op === 'delete' ? ':delete' : ''}`] = (out[`${r.iface}${r.op === 'delete' ? ':delete' : ''}`] ?? 0) + 1;
  return out;
}

export async function loadStaging(staging: Knex, rows: readonly WorldRow[]): Promise<number> {
  return writeRows(staging, rows, 'BENCH-SYNC');
}

export interface ApplyResult {
  ms: number;
  runs: number;
  consumed: number;
  applied: number;
  stale: number;
  waiting: number;
  released: number;
  quarantined: number;
}

/** Syncs everything in staging (the engine exactly as the server runs it) and times it. */
export async function timeSync(db: Knex, staging: Knex, config: Config): Promise<ApplyResult> {
  const t0 = process.hrtime.bigint();
  const results: RunResult[] = await syncUntilIdle({ db, staging, config }, { trigger: 'script', holder: 'bench' }, 10_000);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const failed = results.find((r) => r.status !== 'done');
  if (failed) throw new Error(`sync run ${failed.status}: ${failed.error ?? failed.reason ?? ''}`);
  const sum = (k: 'applied' | 'stale' | 'waiting' | 'released' | 'quarantined') => results.reduce((a, r) => a + r[k], 0);
  return {
    ms,
    runs: results.length,
    // Rows taken from staging: applied (including deletes), stale repeats, parked to wait for a parent, quarantined.
    consumed: sum('applied') + sum('stale') + sum('waiting') + sum('quarantined'),
    applied: sum('applied'),
    stale: sum('stale'),
    waiting: sum('waiting'),
    released: sum('released'),
    quarantined: sum('quarantined'),
  };
}

export const BARE_TABLE = 'bench_bare_upsert';

export async function createBareTable(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists(BARE_TABLE);
  await db.schema.createTable(BARE_TABLE, (t) => {
    t.string('interface', 32).notNullable();
    t.string('doc_key', 100).notNullable();
    t.bigInteger('seq').notNullable();
    t.text('payload', 'longtext').nullable();
    t.primary(['interface', 'doc_key']);
  });
}

export interface BareRow {
  interface: string;
  doc_key: string;
  seq: number;
  payload: string | null;
}

/**
 * The reference: the same rows upserted into a bare table (interface, key, seq, payload) by plain
 * 1,000-row multi-row INSERT ... ON DUPLICATE KEY UPDATE statements, each committed on its own, in the order
 * the sync reads them (per interface, by staging id).
 */
export async function timeBareUpsert(db: Knex, rows: readonly BareRow[], chunk = 1000): Promise<{ ms: number; statements: number }> {
  await db(BARE_TABLE).truncate();
  let statements = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += chunk) {
    await db(BARE_TABLE).insert(rows.slice(i, i + chunk)).onConflict(['interface', 'doc_key']).merge(['seq', 'payload']);
    statements++;
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, statements };
}

/** One lag sample: a customer master change written into staging, then polled through the API until it answers. */
export async function lagSample(
  staging: Knex,
  code: string,
  seq: number,
  read: (code: string) => Promise<{ status: number; body: string }>,
  timeoutMs: number,
  afterWrite?: () => Promise<void>,
): Promise<number> {
  const marker = `延迟测试客户${code}-${seq}`;
  await staging(inboundTable('customer')).insert({
    doc_key: code,
    seq,
    op: 'upsert',
    payload: JSON.stringify(customer(code, marker)),
    received_at: toDbTime(new Date()),
    state: 'new',
  });
  const t0 = Date.now();
  if (afterWrite) await afterWrite();
  for (;;) {
    const res = await read(code);
    if (res.status === 200 && (JSON.parse(res.body) as { payload?: { name?: string } }).payload?.name === marker) return Date.now() - t0;
    if (res.status !== 200 && res.status !== 404) throw new Error(`record lookup answered ${res.status}: ${res.body}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`${code} seq ${seq} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
