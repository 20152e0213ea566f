// The ERP sync: applies staging rows to the portal DB per interface in arrival order, masters first, one
// transaction per batch together with the watermark, under a fenced lease. Stale versions are skipped,
// documents whose parent has not arrived wait, and bad rows are quarantined with their reason.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { APPLY_ORDER, inboundTable, type InboundInterface } from '../../../../shared/erp/interfaces.js';
import { docKeyOf, parentsOf, validatePayload } from '../../../../shared/erp/payloads.js';
import type { Config } from '../../config.js';
import { toDbTime } from '../../db/knex.js';
import { acquireLease, fence, releaseLease, type Lease } from './lease.js';
import { lift, type Lifted } from './extract.js';
import { prepareFacts, projectRecords, type PreparedFacts } from '../reports/projection.js';
import { deliverOutbox, pullAcks } from './outbox.js';

export const LEASE_NAME = 'erp-sync';

export interface SyncDeps {
  db: Knex;
  staging: Knex;
  config: Pick<Config, 'sync'>;
}

/** A staging row as the engine sees it (also rebuilt from the waiting and quarantine tables). */
export interface SourceRow {
  id: number;
  doc_key: string;
  seq: number;
  op: string;
  payload: string | null;
}

export type QuarantineReason = 'envelope.invalid' | 'payload.invalid_json' | 'payload.schema' | 'payload.rule' | 'parent.missing';

type Decision =
  | {
      kind: 'apply';
      row: SourceRow;
      record: RecordRow;
      /** the document was in the portal before this batch */
      known: boolean;
      /** the payload as parsed by check() (null on delete) */
      parsed: unknown;
    }
  | { kind: 'stale'; row: SourceRow }
  | { kind: 'wait'; row: SourceRow; parent: { iface: string; key: string; path: string } }
  | { kind: 'quarantine'; row: SourceRow; reason: QuarantineReason; message: string; path: string | null };

/** A row of erp_records: the document's version and raw payload, plus the fields lifted out of it. */
interface RecordRow extends Lifted {
  interface: string;
  doc_key: string;
  seq: number;
  staging_id: number;
  deleted: boolean;
  payload: string | null;
  payload_hash: string | null;
  synced_at: string;
}

export interface InterfaceCounts {
  applied: number;
  stale: number;
  waiting: number;
  quarantined: number;
  released: number;
}

export interface RunResult {
  status: 'done' | 'skipped' | 'failed';
  reason?: string;
  runId?: number;
  applied: number;
  stale: number;
  waiting: number;
  released: number;
  quarantined: number;
  delivered: number;
  acknowledged: number;
  perInterface: Partial<Record<InboundInterface, InterfaceCounts>>;
  error?: string;
}

export const payloadHash = (text: string) => createHash('sha256').update(text).digest('hex');

const CHUNK = 400;
/** Rows per multi-row insert of records on MySQL/MariaDB; SQLite compiles multi-row inserts to a compound SELECT, limited to 500 terms. */
const RECORD_CHUNK = 1000;
const recordChunk = (db: Knex | Knex.Transaction) => (String(db.client.config.client).includes('sqlite') ? CHUNK : RECORD_CHUNK);
async function chunked<T>(items: T[], size: number, fn: (part: T[]) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}

/** Envelope and payload checks that need no database: returns a quarantine decision or the parsed payload. */
export function check(
  iface: InboundInterface,
  row: SourceRow,
): { ok: true; payload: unknown } | { ok: false; reason: QuarantineReason; message: string; path: string | null } {
  if (row.op !== 'upsert' && row.op !== 'delete') return { ok: false, reason: 'envelope.invalid', message: `unknown operation "${row.op}"`, path: '/op' };
  if (!Number.isSafeInteger(row.seq) || row.seq <= 0) return { ok: false, reason: 'envelope.invalid', message: `sequence must be a positive integer (got ${row.seq})`, path: '/seq' };
  if (!row.doc_key || row.doc_key.trim() !== row.doc_key) return { ok: false, reason: 'envelope.invalid', message: 'document key is empty or has surrounding spaces', path: '/doc_key' };
  if (row.op === 'delete') return { ok: true, payload: null };
  if (row.payload === null || row.payload === '') return { ok: false, reason: 'envelope.invalid', message: 'an upsert needs a payload', path: '/payload' };
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch (err) {
    return { ok: false, reason: 'payload.invalid_json', message: `payload is not JSON: ${(err as Error).message}`, path: '' };
  }
  const v = validatePayload(iface, payload);
  if (!v.ok) {
    const first = v.errors[0]!;
    const rule = (first as { rule?: boolean }).rule === true;
    const more = v.errors.length > 1 ? ` (and ${v.errors.length - 1} more)` : '';
    return { ok: false, reason: rule ? 'payload.rule' : 'payload.schema', message: first.message + more, path: first.path };
  }
  const key = docKeyOf(iface, payload as never);
  if (key !== row.doc_key) {
    return { ok: false, reason: 'envelope.invalid', message: `document key "${row.doc_key}" does not match the payload's key "${key}"`, path: '/doc_key' };
  }
  return { ok: true, payload };
}

function recordOf(iface: InboundInterface, row: SourceRow, payload: unknown, now: string): RecordRow {
  const deleted = row.op === 'delete';
  const lifted = deleted ? lift(iface, {}) : lift(iface, payload as Record<string, unknown>);
  return {
    interface: iface,
    doc_key: row.doc_key,
    seq: row.seq,
    staging_id: row.id,
    deleted,
    payload: deleted ? null : row.payload,
    payload_hash: deleted ? null : payloadHash(row.payload!),
    ...lifted,
    synced_at: now,
  };
}

async function currentVersions(db: Knex | Knex.Transaction, iface: string, keys: string[]): Promise<Map<string, number>> {
  const map = new Map<string, number>();
  await chunked([...new Set(keys)], CHUNK, async (part) => {
    const rows = await db('erp_records').select('doc_key', 'seq').where('interface', iface).whereIn('doc_key', part);
    for (const r of rows) map.set(r.doc_key, Number(r.seq));
  });
  return map;
}

/**
 * The parents among refs present in the portal (not deleted). `known` caches parents found present: valid while
 * one interface is synced, because parents belong to earlier interfaces, which nothing changes meanwhile (the
 * lease keeps other syncs out).
 */
async function existingParents(db: Knex | Knex.Transaction, refs: Array<{ iface: string; key: string }>, known?: Set<string>): Promise<Set<string>> {
  const found = new Set<string>();
  const byIface = new Map<string, Set<string>>();
  for (const r of refs) {
    const id = `${r.iface}\u0000${r.key}`;
    if (known?.has(id)) {
      found.add(id);
      continue;
    }
    if (!byIface.has(r.iface)) byIface.set(r.iface, new Set());
    byIface.get(r.iface)!.add(r.key);
  }
  await Promise.all(
    [...byIface].map(([iface, keys]) =>
      chunked([...keys], CHUNK, async (part) => {
        const rows = await db('erp_records').select('doc_key').where({ interface: iface, deleted: false }).whereIn('doc_key', part);
        for (const r of rows) {
          found.add(`${iface}\u0000${r.doc_key}`);
          known?.add(`${iface}\u0000${r.doc_key}`);
        }
      }),
    ),
  );
  return found;
}

/**
 * Decides what happens to each row, in order, against the current versions and the parents present.
 * `pending` holds the versions applied by a batch of the same interface whose transaction may not have
 * committed yet (the sync decides the next batch while the previous one is written). Parents always belong
 * to interfaces earlier in APPLY_ORDER, which are committed before this interface starts.
 */
async function decide(
  db: Knex | Knex.Transaction,
  iface: InboundInterface,
  rows: SourceRow[],
  now: string,
  pending?: ReadonlyMap<string, number>,
  knownParents?: Set<string>,
): Promise<Decision[]> {
  const checked = rows.map((row) => ({ row, c: check(iface, row) }));
  const refs: Array<{ iface: string; key: string; path: string }> = [];
  const parentsByRow = new Map<SourceRow, Array<{ iface: string; key: string; path: string }>>();
  for (const { row, c } of checked) {
    if (c.ok && row.op === 'upsert') {
      const ps = parentsOf(iface, c.payload as never) as Array<{ iface: string; key: string; path: string }>;
      parentsByRow.set(row, ps);
      refs.push(...ps);
    }
  }
  const [current, present] = await Promise.all([
    currentVersions(db, iface, rows.map((r) => r.doc_key)),
    refs.length ? existingParents(db, refs, knownParents) : Promise.resolve(new Set<string>()),
  ]);
  if (pending) for (const [key, seq] of pending) if ((current.get(key) ?? -Infinity) < seq) current.set(key, seq);
  const known = new Set(current.keys());
  const decisions: Decision[] = [];
  for (const { row, c } of checked) {
    if (!c.ok) {
      decisions.push({ kind: 'quarantine', row, reason: c.reason, message: c.message, path: c.path });
      continue;
    }
    const have = current.get(row.doc_key);
    if (have !== undefined && row.seq <= have) {
      decisions.push({ kind: 'stale', row });
      continue;
    }
    const missing = (parentsByRow.get(row) ?? []).find((p) => !present.has(`${p.iface}\u0000${p.key}`));
    if (missing) {
      decisions.push({ kind: 'wait', row, parent: missing });
      continue;
    }
    current.set(row.doc_key, row.seq);
    decisions.push({ kind: 'apply', row, record: recordOf(iface, row, c.payload, now), known: known.has(row.doc_key), parsed: c.payload });
  }
  return decisions;
}

/** Only the last applied version of each document in a batch is written; the projection sees the same list. */
function toWrite(decisions: Decision[]): Array<Extract<Decision, { kind: 'apply' }>> {
  const last = new Map<string, Extract<Decision, { kind: 'apply' }>>();
  for (const d of decisions) if (d.kind === 'apply') last.set(d.record.doc_key, d);
  return [...last.values()];
}

/**
 * The reports' facts of a batch, computed outside its transaction: the sync prepares batch N+1's while batch N is
 * written, so that parsing and lookups overlap the database's work instead of lengthening the transaction.
 */
function prepareProjection(db: Knex, decisions: Decision[]): Promise<PreparedFacts> {
  return prepareFacts(db, toWrite(decisions).map((d) => ({ ...d.record, parsed: d.parsed })));
}

async function writeRecords(trx: Knex.Transaction, decisions: Decision[], prepared?: PreparedFacts) {
  const applied = toWrite(decisions);
  if (!applied.length) return;
  const records = applied.map((d) => d.record);
  if (isMysql(trx)) await upsertRecordsMysql(trx, records);
  else await chunked(records, recordChunk(trx), (part) => trx('erp_records').insert(part).onConflict(['interface', 'doc_key']).merge());
  // The reports' facts and summaries move in the same transaction as the documents (issue 8: never able to drift).
  // Documents new to the portal have no facts yet: the projection skips looking for them.
  await projectRecords(trx, applied.map((d) => ({ ...d.record, known: d.known })), { prepared });
}

const RECORD_COLUMNS = [
  'interface', 'doc_key', 'seq', 'staging_id', 'deleted', 'payload', 'payload_hash',
  'customer_code', 'contract_no', 'order_no', 'doc_date', 'weight_kg', 'amount_fen', 'doc_status', 'due_date', 'synced_at',
] as const satisfies readonly (keyof RecordRow)[];
const isMysql = (db: Knex | Knex.Transaction) => String(db.client.config.client).includes('mysql');

/**
 * The hot path of the sync on MySQL/MariaDB: a prepared multi-row upsert on the transaction's own connection.
 * Values travel in the binary protocol, so the payloads (most of the bytes) are not escaped into SQL text,
 * which was the largest CPU cost of a sync in the benchmark. Same statement and semantics as the knex path.
 */
async function upsertRecordsMysql(trx: Knex.Transaction, records: RecordRow[]) {
  const conn = (await trx.client.acquireConnection()) as { execute(sql: string, values: unknown[], cb: (err: Error | null) => void): void };
  const cols = RECORD_COLUMNS.map((c) => `\`${c}\``).join(', ');
  const updates = RECORD_COLUMNS.filter((c) => c !== 'interface' && c !== 'doc_key').map((c) => `\`${c}\` = VALUES(\`${c}\`)`).join(', ');
  const one = `(${RECORD_COLUMNS.map(() => '?').join(', ')})`;
  // Statement sizes are 1,000 rows and powers of two for the remainder: at most 11 distinct prepared statements
  // per connection, far from MariaDB's max_prepared_stmt_count.
  const sizes: number[] = [];
  let left = records.length;
  while (left >= RECORD_CHUNK) (sizes.push(RECORD_CHUNK), (left -= RECORD_CHUNK));
  for (let bit = 512; bit >= 1; bit >>= 1) if (left & bit) sizes.push(bit);
  let i = 0;
  for (const size of sizes) {
    const part = records.slice(i, i + size);
    i += size;
    const values: unknown[] = [];
    for (const r of part) for (const c of RECORD_COLUMNS) values.push(c === 'deleted' ? (r.deleted ? 1 : 0) : (r[c] ?? null));
    const sql = `INSERT INTO \`erp_records\` (${cols}) VALUES ${Array(part.length).fill(one).join(', ')} ON DUPLICATE KEY UPDATE ${updates}`;
    await new Promise<void>((resolve, reject) => conn.execute(sql, values, (err) => (err ? reject(err) : resolve())));
  }
}

async function writeQuarantine(trx: Knex.Transaction, iface: string, decisions: Decision[], now: string) {
  const rows = decisions
    .filter((d): d is Extract<Decision, { kind: 'quarantine' }> => d.kind === 'quarantine')
    .map((d) => ({
      interface: iface,
      staging_id: d.row.id,
      doc_key: d.row.doc_key.slice(0, 100),
      seq: Number.isSafeInteger(d.row.seq) ? d.row.seq : 0,
      op: String(d.row.op).slice(0, 10),
      payload: d.row.payload,
      reason: d.reason,
      message: d.message.slice(0, 1000),
      path: d.path === null ? null : d.path.slice(0, 200),
      state: 'open',
      attempts: 0,
      created_at: now,
    }));
  await chunked(rows, CHUNK, (part) => trx('erp_quarantine').insert(part).onConflict(['interface', 'staging_id']).ignore());
}

async function writeWaiting(trx: Knex.Transaction, iface: string, decisions: Decision[], now: string) {
  const rows = decisions
    .filter((d): d is Extract<Decision, { kind: 'wait' }> => d.kind === 'wait')
    .map((d) => ({
      interface: iface,
      staging_id: d.row.id,
      doc_key: d.row.doc_key,
      seq: d.row.seq,
      payload: d.row.payload!,
      parent_interface: d.parent.iface,
      parent_key: d.parent.key.slice(0, 100),
      parent_path: d.parent.path.slice(0, 200),
      since: now,
    }));
  await chunked(rows, CHUNK, (part) => trx('erp_waiting').insert(part).onConflict(['interface', 'staging_id']).ignore());
}

function countsOf(decisions: Decision[]): InterfaceCounts {
  const c: InterfaceCounts = { applied: 0, stale: 0, waiting: 0, quarantined: 0, released: 0 };
  for (const d of decisions) {
    if (d.kind === 'apply') c.applied++;
    else if (d.kind === 'stale') c.stale++;
    else if (d.kind === 'wait') c.waiting++;
    else c.quarantined++;
  }
  return c;
}

/** Tells the ERP side what became of its rows. Informational: the portal's watermark is the truth. */
async function markStaging(staging: Knex, iface: InboundInterface, decisions: Decision[], now: string) {
  const groups = new Map<string, { state: string; detail: string | null; ids: number[] }>();
  for (const d of decisions) {
    const state = d.kind === 'apply' ? 'applied' : d.kind === 'wait' ? 'waiting' : d.kind === 'stale' ? 'stale' : 'quarantined';
    const detail = d.kind === 'quarantine' ? `${d.reason}: ${d.message}`.slice(0, 500) : d.kind === 'wait' ? `waiting for ${d.parent.iface} ${d.parent.key}`.slice(0, 500) : null;
    const k = `${state}\u0000${detail ?? ''}`;
    if (!groups.has(k)) groups.set(k, { state, detail, ids: [] });
    groups.get(k)!.ids.push(d.row.id);
  }
  for (const g of groups.values()) {
    const first = g.ids[0]!;
    const last = g.ids[g.ids.length - 1]!;
    // The usual batch is one contiguous run of applied ids: one range update instead of a long id list.
    if (last - first + 1 === g.ids.length) {
      await staging(inboundTable(iface)).whereBetween('id', [first, last]).update({ state: g.state, state_at: now, state_detail: g.detail });
      continue;
    }
    await chunked(g.ids, CHUNK, (part) =>
      staging(inboundTable(iface)).whereIn('id', part).update({ state: g.state, state_at: now, state_detail: g.detail }),
    );
  }
}

/**
 * Reads the next rows after the watermark. A hole in the ids that is younger than the grace period may be a
 * writer's transaction not yet committed (MySQL hands out auto-increment ids before commit): stop before it.
 */
async function nextRows(deps: SyncDeps, iface: InboundInterface, watermark: number): Promise<{ rows: SourceRow[]; upTo: number }> {
  const raw = await deps.staging(inboundTable(iface))
    .select('id', 'doc_key', 'seq', 'op', 'payload', 'received_at')
    .where('id', '>', watermark)
    .orderBy('id')
    .limit(deps.config.sync.batchSize);
  const graceEdge = toDbTime(new Date(Date.now() - deps.config.sync.gapGraceMs));
  const rows: SourceRow[] = [];
  let expected = watermark + 1;
  for (const r of raw) {
    const id = Number(r.id);
    if (id !== expected && String(r.received_at) > graceEdge) break;
    rows.push({ id, doc_key: String(r.doc_key), seq: Number(r.seq), op: String(r.op), payload: r.payload === null ? null : String(r.payload) });
    expected = id + 1;
  }
  return { rows, upTo: rows.length ? rows[rows.length - 1]!.id : watermark };
}

async function ensureState(db: Knex) {
  const have = new Set((await db('sync_state').select('interface')).map((r) => r.interface as string));
  const missing = APPLY_ORDER.filter((i) => !have.has(i)).map((i) => ({ interface: i }));
  if (missing.length) await db('sync_state').insert(missing).onConflict('interface').ignore();
}

/**
 * Applies one interface until it has caught up with what was in staging when the run started.
 * Pipelined: while batch N's transaction is written, batch N+1 is read from staging and decided (against the
 * committed data plus N's versions), and N-1's staging states are marked. Every batch still commits its data
 * and its watermark together, strictly in order; a failure stops the interface before the next commit.
 */
async function syncInterface(deps: SyncDeps, lease: Lease, iface: InboundInterface, startedAt: string): Promise<InterfaceCounts> {
  const total: InterfaceCounts = { applied: 0, stale: 0, waiting: 0, quarantined: 0, released: 0 };
  // Rows arriving during the run wait for the next run, so a busy ERP cannot keep one run going forever.
  const maxAtStart = Number((await deps.staging(inboundTable(iface)).max('id as m').first())?.m ?? 0);
  const state = await deps.db('sync_state').where('interface', iface).first();
  let watermark = Number(state?.watermark ?? 0);
  let lastSeq = Number(state?.last_seq ?? 0);
  const read = (from: number) => (from >= maxAtStart ? Promise.resolve({ rows: [] as SourceRow[], upTo: from }) : nextRows(deps, iface, from));

  // A read that fails while the previous batch is being written is reported when it is awaited, not as an
  // unhandled rejection in between.
  const quiet = <T,>(p: Promise<T>) => (p.catch(() => undefined), p);
  let next = quiet(read(watermark));
  let writing: Promise<void> = Promise.resolve();
  let pending: Map<string, number> | undefined;
  const knownParents = new Set<string>();
  // Staging states are informational (the watermark is the truth): marked after the commit, one batch at a time.
  let marking: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      const { rows, upTo } = await next;
      if (!rows.length) {
        await writing;
        // Caught up: everything received before the run started is in the portal ("data as of" the start).
        const caughtUp = watermark >= maxAtStart;
        const now = toDbTime(new Date());
        await deps.db.transaction(async (trx) => {
          await fence(trx, lease, deps.config.sync.leaseSeconds);
          await trx('sync_state')
            .where('interface', iface)
            .update(caughtUp ? { last_run_at: now, last_success_at: startedAt, last_error: null } : { last_run_at: now });
        });
        return total;
      }
      next = quiet(read(upTo));
      const now = toDbTime(new Date());
      const decisions = await decide(deps.db, iface, rows, now, pending, knownParents);
      const prepared = await prepareProjection(deps.db, decisions);
      await writing;
      const c = countsOf(decisions);
      const from = watermark;
      watermark = upTo;
      lastSeq = Math.max(lastSeq, ...rows.map((r) => (Number.isSafeInteger(r.seq) ? r.seq : 0)));
      const seqTo = lastSeq;
      pending = new Map();
      for (const d of decisions) if (d.kind === 'apply') pending.set(d.record.doc_key, d.record.seq);
      writing = deps.db.transaction(async (trx) => {
        await fence(trx, lease, deps.config.sync.leaseSeconds);
        await writeRecords(trx, decisions, prepared);
        await writeQuarantine(trx, iface, decisions, now);
        await writeWaiting(trx, iface, decisions, now);
        // The watermark moves in the same transaction as the data, and only if nobody moved it meanwhile.
        const moved = await trx('sync_state')
          .where({ interface: iface, watermark: from })
          .update({
            watermark: upTo,
            last_seq: seqTo,
            last_run_at: now,
            applied_total: trx.raw('applied_total + ?', [c.applied]),
            stale_total: trx.raw('stale_total + ?', [c.stale]),
            quarantined_total: trx.raw('quarantined_total + ?', [c.quarantined]),
          });
        if (moved !== 1) throw new Error(`watermark of ${iface} moved under the sync (expected ${from})`);
      });
      const committed = writing;
      marking = Promise.all([marking, committed]).then(
        () => markStaging(deps.staging, iface, decisions, now).catch(() => undefined),
        () => undefined,
      );
      for (const k of Object.keys(total) as Array<keyof InterfaceCounts>) total[k] += c[k];
    }
  } finally {
    // Never leave a transaction or a read running behind the caller's back.
    await Promise.allSettled([writing, next, marking]);
  }
}

const ORDER_INDEX = new Map(APPLY_ORDER.map((i, n) => [i as string, n]));

/**
 * Waiting documents whose parents have arrived are applied (repeating, since a released delivery may be the
 * parent of a waiting certificate); documents waiting longer than the limit are quarantined as parent.missing.
 */
async function releaseWaiting(deps: SyncDeps, lease: Lease): Promise<{ released: number; stale: number; quarantined: number; byIface: Map<string, number> }> {
  const out = { released: 0, stale: 0, quarantined: 0, byIface: new Map<string, number>() };
  for (let round = 0; round < 10; round++) {
    const waiting = await deps.db('erp_waiting').select('*').orderBy('id').limit(5000);
    if (!waiting.length) break;
    waiting.sort((a, b) => (ORDER_INDEX.get(a.interface)! - ORDER_INDEX.get(b.interface)!) || Number(a.seq) - Number(b.seq));
    const now = toDbTime(new Date());
    const expiredBefore = toDbTime(new Date(Date.now() - deps.config.sync.parentWaitSeconds * 1000));
    let progress = 0;
    for (const iface of APPLY_ORDER) {
      const mine = waiting.filter((w) => w.interface === iface);
      if (!mine.length) continue;
      const rows: SourceRow[] = mine.map((w) => ({ id: Number(w.staging_id), doc_key: w.doc_key, seq: Number(w.seq), op: 'upsert', payload: w.payload }));
      const decisions = await decide(deps.db, iface, rows, now);
      const since = new Map(mine.map((w) => [Number(w.staging_id), String(w.since)]));
      const done: Decision[] = [];
      const expired: Decision[] = [];
      for (const d of decisions) {
        if (d.kind === 'wait') {
          if (since.get(d.row.id)! < expiredBefore) {
            expired.push({
              kind: 'quarantine',
              row: d.row,
              reason: 'parent.missing',
              message: `${d.parent.iface} ${d.parent.key} did not arrive within ${deps.config.sync.parentWaitSeconds} s`,
              path: d.parent.path,
            });
          }
        } else done.push(d);
      }
      if (!done.length && !expired.length) continue;
      await deps.db.transaction(async (trx) => {
        await fence(trx, lease, deps.config.sync.leaseSeconds);
        await writeRecords(trx, done);
        await writeQuarantine(trx, iface, [...done, ...expired], now);
        const ids = [...done, ...expired].map((d) => d.row.id);
        await chunked(ids, CHUNK, (part) => trx('erp_waiting').where('interface', iface).whereIn('staging_id', part).delete());
        const c = countsOf(done);
        await trx('sync_state').where('interface', iface).update({
          applied_total: trx.raw('applied_total + ?', [c.applied]),
          stale_total: trx.raw('stale_total + ?', [c.stale]),
          quarantined_total: trx.raw('quarantined_total + ?', [c.quarantined + expired.length]),
        });
      });
      await markStaging(deps.staging, iface, [...done, ...expired], now).catch(() => undefined);
      const applied = done.filter((d) => d.kind === 'apply').length;
      out.released += applied;
      out.stale += done.filter((d) => d.kind === 'stale').length;
      out.quarantined += expired.length + done.filter((d) => d.kind === 'quarantine').length;
      out.byIface.set(iface, (out.byIface.get(iface) ?? 0) + applied);
      progress += applied;
    }
    if (!progress) break;
  }
  return out;
}

/** Quarantined rows an administrator asked to retry: checked again from their raw payload, under the lease. */
async function processRetries(deps: SyncDeps, lease: Lease): Promise<number> {
  const requested = await deps.db('erp_quarantine').where('state', 'retrying').orderBy('id').limit(1000);
  let resolved = 0;
  for (const q of requested) {
    const iface = q.interface as InboundInterface;
    const row: SourceRow = { id: Number(q.staging_id), doc_key: q.doc_key, seq: Number(q.seq), op: q.op, payload: q.payload };
    const now = toDbTime(new Date());
    const [d] = await decide(deps.db, iface, [row], now);
    await deps.db.transaction(async (trx) => {
      await fence(trx, lease, deps.config.sync.leaseSeconds);
      const base = { attempts: Number(q.attempts) + 1 };
      if (d!.kind === 'apply' || d!.kind === 'stale') {
        await writeRecords(trx, [d!]);
        await trx('erp_quarantine').where('id', q.id).update({
          ...base,
          state: 'resolved',
          resolved_at: now,
          message: d!.kind === 'stale' ? `${q.message} — retried: a newer version was already applied` : q.message,
        });
        resolved++;
      } else if (d!.kind === 'wait') {
        await trx('erp_quarantine').where('id', q.id).update({
          ...base,
          state: 'open',
          reason: 'parent.missing',
          message: `retried: ${d!.parent.iface} ${d!.parent.key} has still not arrived`,
          path: d!.parent.path,
        });
      } else {
        await trx('erp_quarantine').where('id', q.id).update({ ...base, state: 'open', reason: d!.reason, message: d!.message.slice(0, 1000), path: d!.path });
      }
    });
    if (d!.kind === 'apply') await markStaging(deps.staging, iface, [d!], now).catch(() => undefined);
  }
  return resolved;
}

export interface RunOptions {
  trigger: 'schedule' | 'manual' | 'script';
  holder: string;
  /** the schedule slot; a slot already run by any process is skipped */
  tick?: string;
  /** wait this long for the lease when another process holds it */
  waitForLeaseMs?: number;
}

function emptyResult(status: RunResult['status'], reason?: string): RunResult {
  return { status, reason, applied: 0, stale: 0, waiting: 0, released: 0, quarantined: 0, delivered: 0, acknowledged: 0, perInterface: {} };
}

export async function runSync(deps: SyncDeps, opts: RunOptions): Promise<RunResult> {
  await ensureState(deps.db);
  let lease = await acquireLease(deps.db, LEASE_NAME, opts.holder, deps.config.sync.leaseSeconds);
  const deadline = Date.now() + (opts.waitForLeaseMs ?? 0);
  while (!lease && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    lease = await acquireLease(deps.db, LEASE_NAME, opts.holder, deps.config.sync.leaseSeconds);
  }
  if (!lease) return emptyResult('skipped', 'lease_held');

  const startedAt = toDbTime(new Date());
  let runId: number;
  try {
    const [id] = await deps.db('sync_runs').insert({
      tick: opts.tick ?? null,
      trigger: opts.trigger,
      holder: opts.holder,
      token: lease.token,
      started_at: startedAt,
    });
    runId = Number(id);
  } catch (err) {
    await releaseLease(deps.db, lease);
    if (opts.tick) return emptyResult('skipped', 'tick_done');
    throw err;
  }
  if (!runId) {
    runId = Number((await deps.db('sync_runs').where({ holder: opts.holder, started_at: startedAt }).orderBy('id', 'desc').first())?.id);
  }

  const result = emptyResult('done');
  result.runId = runId;
  try {
    for (const iface of APPLY_ORDER) {
      const c = await syncInterface(deps, lease, iface, startedAt);
      result.perInterface[iface] = c;
      result.applied += c.applied;
      result.stale += c.stale;
      result.waiting += c.waiting;
      result.quarantined += c.quarantined;
    }
    const rel = await releaseWaiting(deps, lease);
    result.released = rel.released;
    result.stale += rel.stale;
    result.quarantined += rel.quarantined;
    for (const [iface, n] of rel.byIface) {
      const c = result.perInterface[iface as InboundInterface];
      if (c) c.released += n;
    }
    result.released += await processRetries(deps, lease);
    const out = await deliverOutbox(deps.db, deps.staging);
    result.delivered = out.delivered;
    result.acknowledged = await pullAcks(deps.db, deps.staging);
  } catch (err) {
    result.status = 'failed';
    result.error = err instanceof Error ? err.message : String(err);
  }
  await deps.db('sync_runs')
    .where('id', runId)
    .update({
      finished_at: toDbTime(new Date()),
      applied: result.applied,
      stale: result.stale,
      waiting: result.waiting,
      released: result.released,
      quarantined: result.quarantined,
      delivered: result.delivered,
      acknowledged: result.acknowledged,
      details: JSON.stringify(result.perInterface),
      error: result.error ?? null,
    })
    .catch(() => undefined);
  await releaseLease(deps.db, lease).catch(() => undefined);
  return result;
}

/** Runs until a run applies nothing more (for scripts and tests). */
export async function syncUntilIdle(deps: SyncDeps, opts: RunOptions, maxRuns = 20): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (let i = 0; i < maxRuns; i++) {
    const r = await runSync(deps, opts);
    results.push(r);
    if (r.status !== 'done' || (r.applied === 0 && r.released === 0 && r.quarantined === 0 && r.stale === 0 && r.waiting === 0)) break;
  }
  return results;
}
