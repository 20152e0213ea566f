// Writing simulator rows into the staging store the way an ERP should (docs/erp-interfaces.md): one transaction,
// each interface's rows in sequence order, multi-row inserts of 500.
import type { Knex } from 'knex';
import { INBOUND_INTERFACES, inboundTable, type InboundInterface, type StagingOp } from '../../shared/erp/interfaces.js';
import { toDbTime } from '../../server/src/db/knex.js';

export type BadKind = 'invalid_json' | 'schema' | 'rule';

export interface WorldRow {
  iface: InboundInterface;
  key: string;
  seq: number;
  op: StagingOp;
  /** the payload object, or a string written as it is (a bad row may carry text that is not JSON); null on delete */
  payload: unknown | string;
  /** set on rows made bad on purpose (--bad-rate), for summaries and tests */
  bad?: BadKind;
}

export const CHUNK_ROWS = 500;

/** Inserts rows inside the caller's transaction; returns the number written. */
export async function insertRows(trx: Knex | Knex.Transaction, rows: readonly WorldRow[], batchId: string | null = null, receivedAt = new Date()): Promise<number> {
  const at = toDbTime(receivedAt);
  for (const iface of INBOUND_INTERFACES) {
    const mine = rows.filter((r) => r.iface === iface);
    for (let i = 0; i < mine.length; i += CHUNK_ROWS) {
      await trx(inboundTable(iface)).insert(
        mine.slice(i, i + CHUNK_ROWS).map((r) => ({
          doc_key: r.key,
          seq: r.seq,
          op: r.op,
          payload: r.payload === null || r.payload === undefined ? null : typeof r.payload === 'string' ? r.payload : JSON.stringify(r.payload),
          batch_id: batchId,
          received_at: at,
          state: 'new',
        })),
      );
    }
  }
  return rows.length;
}

/**
 * Writes rows into the staging store in one transaction, so that the sync sees all of a batch or none of it and
 * each table's ids are committed in order (one writer per table at a time).
 */
export async function writeRows(staging: Knex, rows: readonly WorldRow[], batchId?: string): Promise<number> {
  if (!rows.length) return 0;
  return staging.transaction((trx) => insertRows(trx, rows, batchId ?? null));
}

export interface InterfaceSummary {
  rows: number;
  upserts: number;
  updates: number;
  deletes: number;
  bad: number;
}

/** Rows per interface: upserts, later versions of a document already sent, deletes, and rows made bad. */
export function summarize(rows: readonly WorldRow[]): Record<InboundInterface, InterfaceSummary> {
  const out = Object.fromEntries(INBOUND_INTERFACES.map((i) => [i, { rows: 0, upserts: 0, updates: 0, deletes: 0, bad: 0 }])) as Record<InboundInterface, InterfaceSummary>;
  const seen = new Set<string>();
  for (const r of rows) {
    const s = out[r.iface];
    s.rows++;
    if (r.bad) s.bad++;
    if (r.op === 'delete') s.deletes++;
    else {
      s.upserts++;
      const k = `${r.iface}\u0000${r.key}`;
      if (seen.has(k)) s.updates++;
      seen.add(k);
    }
  }
  return out;
}

/** Highest seq in the staging store (0 when empty), so that new rows continue the ERP's counter. */
export async function maxSeq(staging: Knex | Knex.Transaction): Promise<number> {
  let max = 0;
  for (const iface of INBOUND_INTERFACES) {
    const row = await staging(inboundTable(iface)).max({ m: 'seq' }).first();
    max = Math.max(max, Number(row?.m ?? 0));
  }
  return max;
}

export async function stagingRowCount(staging: Knex | Knex.Transaction): Promise<number> {
  let n = 0;
  for (const iface of INBOUND_INTERFACES) {
    const row = await staging(inboundTable(iface)).count({ n: '*' }).first();
    n += Number(row?.n ?? 0);
  }
  return n;
}
