// Data access for plans, plan lines, allocations and answer versions. Tonnage moves between a plan line and its
// allocations only through moveHeld, a guarded update that cannot take a line above its plan or below zero.
import type { Knex } from 'knex';
import type { AllocationState, AnswerDecision, PlanKind, PlanState } from '../../../../shared/api/allocation.js';
import { forUpdate } from '../../db/knex.js';

type Db = Knex | Knex.Transaction;

export const num = (v: number | string | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));

export interface PlanRow {
  id: number;
  kind: PlanKind;
  period: string;
  name: string;
  state: PlanState;
  round: number;
  answer_deadline: string | null;
  published_at: string | null;
  created_by: number | null;
  created_at: string;
  updated_at: string;
}

export interface LineRow {
  id: number;
  plan_id: number;
  position: number;
  variety: string;
  grade: string;
  spec: string;
  planned_kg: number | string;
  lot_kg: number | string;
  base_price_fen_per_t: number | string;
  allocated_kg: number | string;
}

export interface AllocationRow {
  id: number;
  plan_id: number;
  plan_line_id: number;
  customer_id: number;
  round: number;
  state: AllocationState;
  offered_kg: number | string;
  held_kg: number | string;
  decision: AnswerDecision | null;
  accepted_kg: number | string | null;
  quoted_price_fen_per_t: number | string | null;
  amount_fen: number | string | null;
  remarks: string | null;
  answer_version: number;
  deadline: string | null;
  published_at: string | null;
  answered_at: string | null;
  intent_contract_id: number | null;
  row_version: number;
  created_at: string;
  updated_at: string;
}

export function findPlan(db: Db, id: number, opts: { lock?: boolean } = {}): Promise<PlanRow | undefined> {
  const q = db('resource_plans').where('id', id).first();
  return opts.lock ? forUpdate(db, q) : q;
}

export function listPlanRows(db: Db, q: { kind?: PlanKind; state?: PlanState; year?: string }): Promise<PlanRow[]> {
  const qb = db('resource_plans').select('*').orderBy([{ column: 'period', order: 'desc' }, { column: 'kind' }]);
  if (q.kind) qb.where('kind', q.kind);
  if (q.state) qb.where('state', q.state);
  if (q.year) qb.where('period', 'like', `${q.year}%`);
  return qb;
}

export function linesOf(db: Db, planIds: number[]): Promise<LineRow[]> {
  if (!planIds.length) return Promise.resolve([]);
  return db('plan_lines').whereIn('plan_id', planIds).orderBy(['plan_id', 'position']);
}

export function findLine(db: Db, id: number): Promise<LineRow | undefined> {
  return db('plan_lines').where('id', id).first();
}

/**
 * Moves `deltaKg` of a line's tonnage into (positive) or out of (negative) its allocations, guarded in the UPDATE
 * itself: the row changes only if the result stays within 0..planned. Returns whether it moved; concurrent callers
 * queue on the row and each sees the other's result, so no interleaving oversells the line.
 */
export async function moveHeld(trx: Db, lineId: number, deltaKg: number): Promise<boolean> {
  if (deltaKg === 0) return true;
  const q = trx('plan_lines').where('id', lineId);
  if (deltaKg > 0) q.andWhereRaw('allocated_kg + ? <= planned_kg', [deltaKg]);
  else q.andWhere('allocated_kg', '>=', -deltaKg);
  const n = await q.update({ allocated_kg: trx.raw('allocated_kg + ?', [deltaKg]) });
  return n === 1;
}

export function findAllocation(db: Db, id: number, opts: { lock?: boolean } = {}): Promise<AllocationRow | undefined> {
  const q = db('allocations').where('id', id).first();
  return opts.lock ? forUpdate(db, q) : q;
}

export function allocationsOfPlan(db: Db, planId: number): Promise<AllocationRow[]> {
  return db('allocations').where('plan_id', planId).orderBy(['plan_line_id', 'customer_id', 'round']);
}

export function findDraft(db: Db, lineId: number, customerId: number, round: number): Promise<AllocationRow | undefined> {
  return db('allocations').where({ plan_line_id: lineId, customer_id: customerId, round }).first();
}

/**
 * Changes an allocation only if nobody else changed it since it was read (row_version), and bumps the version.
 * Returns whether it changed.
 */
export async function guardedUpdate(trx: Db, row: Pick<AllocationRow, 'id' | 'row_version'>, changes: Record<string, unknown>): Promise<boolean> {
  const n = await trx('allocations')
    .where({ id: row.id, row_version: row.row_version })
    .update({ ...changes, row_version: row.row_version + 1 });
  return n === 1;
}

export async function insertAllocation(trx: Db, row: Omit<AllocationRow, 'id' | 'decision' | 'accepted_kg' | 'quoted_price_fen_per_t' | 'amount_fen' | 'remarks' | 'answer_version' | 'deadline' | 'published_at' | 'answered_at' | 'intent_contract_id' | 'row_version'>): Promise<number> {
  const [id] = await trx('allocations').insert(row);
  return Number(id);
}

export interface AnswerVersionRow {
  allocation_id: number;
  version: number;
  decision: AnswerDecision;
  accepted_kg: number | string;
  quoted_price_fen_per_t: number | string | null;
  remarks: string | null;
  username: string;
  at: string;
}

export async function insertAnswerVersion(trx: Db, row: AnswerVersionRow & { user_id: number }): Promise<void> {
  await trx('allocation_answers').insert(row);
}

export function answerVersions(db: Db, allocationIds: number[]): Promise<AnswerVersionRow[]> {
  if (!allocationIds.length) return Promise.resolve([]);
  return db('allocation_answers').whereIn('allocation_id', allocationIds).orderBy(['allocation_id', 'version']);
}

/** Amounts in approval or returned for change: answered business not yet an intent contract. */
export async function pendingAnswerFen(db: Db, customerId: number): Promise<number> {
  const a = await db('allocations').where('customer_id', customerId).whereIn('state', ['approving', 'returned']).sum({ s: 'amount_fen' }).first();
  const d = await db('demands').where('customer_id', customerId).whereIn('state', ['approving', 'returned']).sum({ s: 'amount_fen' }).first();
  return num(a?.s) + num(d?.s);
}

export async function readSetting(db: Db, key: string, fallback: string): Promise<string> {
  const row = await db('allocation_settings').where('key', key).first('value');
  return row?.value ?? fallback;
}
