// Credit from synced ERP documents: the per-customer snapshot (limit, balance, open orders, used, overdue)
// refreshed after every sync, the nightly grading of all customers, and the check other modules call before
// business on credit (DESIGN.md §1 customers; the seed's 信用额度 and credit-management practice).
import type { Knex } from 'knex';
import type { CreditCheck, CreditGrade, CreditPolicy } from '../../../../shared/api/customers.js';
import { toDbTime } from '../../db/knex.js';
import { chinaToday } from '../../china-time.js';
import { audit, systemActor } from '../../plugins/audit.js';
import { matchErpCustomers } from './matching.js';
import { score, windows, type History, type Invoice, type Receipt } from './grading.js';
import { groupUsed, num, readPolicies, readSetting, writeSetting } from './store.js';

type Db = Knex | Knex.Transaction;
const CHUNK = 400;

async function chunks<T>(items: T[], size: number, fn: (part: T[]) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}

async function customerIds(db: Db): Promise<Map<string, number>> {
  const rows: { id: number; code: string }[] = await db('organisations').select('id', 'code').where('kind', 'customer');
  return new Map(rows.map((r) => [r.code, Number(r.id)]));
}

const CREDIT_INTERFACES = ['customer', 'customer_balance', 'sales_order', 'invoice'];
const REFRESHED_AT = 'credit.refreshed_at';
// A sync stamps synced_at before its transaction commits; looking back this far covers any commit in flight.
const OVERLAP_MS = 5 * 60_000;
// Beyond this many changed customers one pass over all of them is cheaper than a long IN list.
const INCREMENTAL_MAX = 1000;

/**
 * After a sync: refreshes the customers whose balances, orders, invoices or master changed since the last refresh
 * (all of them on the first run or after a large change), so that the cost follows the change, not the customer count.
 */
export async function refreshChangedCredit(db: Knex): Promise<{ customers: number }> {
  const startedAt = new Date();
  const last = await readSetting(db, REFRESHED_AT, '');
  let codes: string[] | undefined;
  if (last) {
    const since = toDbTime(new Date(new Date(last).getTime() - OVERLAP_MS));
    const rows: { customer_code: string }[] = await db('erp_records')
      .distinct('customer_code')
      .whereIn('interface', CREDIT_INTERFACES)
      .andWhere('synced_at', '>=', since)
      .whereNotNull('customer_code')
      .limit(INCREMENTAL_MAX + 1);
    if (rows.length <= INCREMENTAL_MAX) codes = rows.map((r) => r.customer_code);
  }
  const result = await refreshCredit(db, codes);
  await writeSetting(db, REFRESHED_AT, startedAt.toISOString());
  return result;
}

/**
 * Recomputes the credit snapshot of the given customers (all when `codes` is undefined) from the synced balances
 * (客户余额) and open sales orders: used = max(0, ERP balance + open orders not yet invoiced) — open, unsettled
 * value less advance receipts, since the ERP's balance is invoiced minus received (negative when paid in advance).
 */
export async function refreshCredit(db: Knex, codes?: string[]): Promise<{ customers: number }> {
  if (codes && !codes.length) return { customers: 0 };
  const all = await customerIds(db);
  const ids = codes ? new Map(codes.filter((c) => all.has(c)).map((c) => [c, all.get(c)!])) : all;
  const only = <T extends Knex.QueryBuilder>(qb: T, column: string): T => (codes ? (qb.whereIn(column, codes) as T) : qb);
  const balances: { customer_code: string; payload: string }[] = await only(
    db('erp_records').select('customer_code', 'payload').where({ interface: 'customer_balance', deleted: false }),
    'customer_code',
  );
  const invoiced = only(
    db('erp_records')
      .select('order_no')
      .sum({ inv: 'amount_fen' })
      .where({ interface: 'invoice', deleted: false })
      .whereNotNull('order_no')
      .andWhere((w) => w.whereNull('doc_status').orWhereNot('doc_status', 'cancelled')),
    'customer_code',
  )
    .groupBy('order_no')
    .as('i');
  const open: { customer_code: string; open_fen: string | number | null }[] = await only(
    db('erp_records as o')
      .leftJoin(invoiced, 'i.order_no', 'o.order_no')
      .select('o.customer_code')
      .sum({ open_fen: db.raw('case when o.amount_fen - coalesce(i.inv, 0) > 0 then o.amount_fen - coalesce(i.inv, 0) else 0 end') })
      .where({ 'o.interface': 'sales_order', 'o.deleted': false, 'o.doc_status': 'open' }),
    'o.customer_code',
  ).groupBy('o.customer_code');
  const openBy = new Map(open.map((r) => [r.customer_code, num(r.open_fen)]));
  const rows = new Map<number, Record<string, unknown>>();
  const blank = (id: number, code: string) => ({
    organisation_id: id,
    credit_limit_fen: 0,
    balance_fen: 0,
    advance_fen: 0,
    open_order_fen: openBy.get(code) ?? 0,
    used_fen: Math.max(0, openBy.get(code) ?? 0),
    overdue_fen: 0,
    overdue_days: 0,
    credit_as_of: null as string | null,
  });
  for (const [code, id] of ids) rows.set(id, blank(id, code));
  for (const b of balances) {
    const id = ids.get(b.customer_code);
    if (id === undefined) continue;
    const p = JSON.parse(b.payload) as { creditLimitFen: number; balanceFen: number; advanceFen: number; overdueFen: number; overdueDays: number; asOf: string };
    const openFen = openBy.get(b.customer_code) ?? 0;
    rows.set(id, {
      organisation_id: id,
      credit_limit_fen: p.creditLimitFen,
      balance_fen: p.balanceFen,
      advance_fen: p.advanceFen,
      open_order_fen: openFen,
      used_fen: Math.max(0, p.balanceFen + openFen),
      overdue_fen: p.overdueFen,
      overdue_days: p.overdueDays,
      credit_as_of: toDbTime(new Date(p.asOf)),
    });
  }
  const cols = ['credit_limit_fen', 'balance_fen', 'advance_fen', 'open_order_fen', 'used_fen', 'overdue_fen', 'overdue_days', 'credit_as_of'];
  await db.transaction(async (trx) => {
    await chunks([...rows.values()], CHUNK, (part) => trx('customer_profiles').insert(part).onConflict('organisation_id').merge(cols));
  });
  return { customers: rows.size };
}

/** Grades every customer by the documented score (grading.ts); changed grades are written to each customer's history. */
export async function gradeAll(db: Knex, now = new Date()): Promise<{ graded: number; changed: number; ms: number }> {
  const started = Date.now();
  const w = windows(chinaToday(now));
  const ids = await customerIds(db);
  const profiles: {
    organisation_id: number;
    overdue_days: number;
    overdue_fen: number | string;
    credit_limit_fen: number | string;
    override_grade: CreditGrade | null;
    computed_grade: CreditGrade | null;
    grade: CreditGrade | null;
  }[] = await db('customer_profiles').select('organisation_id', 'overdue_days', 'overdue_fen', 'credit_limit_fen', 'override_grade', 'computed_grade', 'grade');
  const profileOf = new Map(profiles.map((p) => [Number(p.organisation_id), p]));

  const histories = new Map<string, History>();
  const h = (code: string): History => {
    let x = histories.get(code);
    if (!x) {
      x = { invoices: [], receipts: [], overdueDays: 0, overdueFen: 0, limitFen: 0, firstDocDate: null, shippedKg12: 0, shippedKgLast6: 0, shippedKgPrev6: 0, closedKg12: 0, cancelledKg12: 0 };
      histories.set(code, x);
    }
    return x;
  };
  for (const [code] of ids) h(code);

  const invoices: { customer_code: string; doc_date: string; due_date: string; amount_fen: number | string }[] = await db('erp_records')
    .select('customer_code', 'doc_date', 'due_date', 'amount_fen')
    .where({ interface: 'invoice', deleted: false })
    .andWhere((q) => q.whereNull('doc_status').orWhereNot('doc_status', 'cancelled'));
  for (const r of invoices) {
    if (!ids.has(r.customer_code)) continue;
    h(r.customer_code).invoices.push({ date: r.doc_date, due: r.due_date ?? r.doc_date, fen: num(r.amount_fen) } satisfies Invoice);
  }
  const receipts: { customer_code: string; doc_date: string; amount_fen: number | string }[] = await db('erp_records')
    .select('customer_code', 'doc_date', 'amount_fen')
    .where({ interface: 'customer_receipt', deleted: false });
  for (const r of receipts) {
    if (!ids.has(r.customer_code)) continue;
    h(r.customer_code).receipts.push({ date: r.doc_date, fen: num(r.amount_fen) } satisfies Receipt);
  }
  const shipped: { customer_code: string; k12: unknown; last6: unknown; prev6: unknown }[] = await db('erp_records')
    .select('customer_code')
    .sum({ k12: db.raw('case when doc_date >= ? and doc_date <= ? then weight_kg else 0 end', [w.minus12m, w.today]) })
    .sum({ last6: db.raw('case when doc_date >= ? and doc_date <= ? then weight_kg else 0 end', [w.minus6m, w.today]) })
    .sum({ prev6: db.raw('case when doc_date >= ? and doc_date < ? then weight_kg else 0 end', [w.minus12m, w.minus6m]) })
    .where({ interface: 'delivery_note', deleted: false })
    .andWhere('doc_date', '>=', w.minus12m)
    .groupBy('customer_code');
  for (const r of shipped) {
    if (!ids.has(r.customer_code)) continue;
    Object.assign(h(r.customer_code), { shippedKg12: num(r.k12 as string), shippedKgLast6: num(r.last6 as string), shippedKgPrev6: num(r.prev6 as string) });
  }
  const orders: { customer_code: string; doc_status: string; kg: unknown }[] = await db('erp_records')
    .select('customer_code', 'doc_status')
    .sum({ kg: 'weight_kg' })
    .where({ interface: 'sales_order', deleted: false })
    .whereIn('doc_status', ['closed', 'cancelled'])
    .andWhere('doc_date', '>=', w.minus12m)
    .andWhere('doc_date', '<=', w.today)
    .groupBy('customer_code', 'doc_status');
  for (const r of orders) {
    if (!ids.has(r.customer_code)) continue;
    if (r.doc_status === 'closed') h(r.customer_code).closedKg12 = num(r.kg as string);
    else h(r.customer_code).cancelledKg12 = num(r.kg as string);
  }
  const first: { customer_code: string; first: string | null }[] = await db('erp_records')
    .select('customer_code')
    .min({ first: 'doc_date' })
    .whereIn('interface', ['sales_order', 'delivery_note', 'invoice'])
    .where('deleted', false)
    .groupBy('customer_code');
  for (const r of first) if (ids.has(r.customer_code)) h(r.customer_code).firstDocDate = r.first;

  const gradedAt = toDbTime(now);
  const writes: Record<string, unknown>[] = [];
  const history: { id: number; before: CreditGrade | null; after: CreditGrade; score: number }[] = [];
  for (const [code, id] of ids) {
    const x = h(code);
    const prof = profileOf.get(id);
    x.overdueDays = prof?.overdue_days ?? 0;
    x.overdueFen = num(prof?.overdue_fen);
    x.limitFen = num(prof?.credit_limit_fen);
    const s = score(x, w);
    writes.push({
      organisation_id: id,
      score: s.score,
      computed_grade: s.grade,
      grade_factors: JSON.stringify(s.factors),
      graded_at: gradedAt,
      grade: prof?.override_grade ?? s.grade,
    });
    if ((prof?.computed_grade ?? null) !== s.grade) history.push({ id, before: prof?.computed_grade ?? null, after: s.grade, score: s.score });
  }
  await db.transaction(async (trx) => {
    await chunks(writes, CHUNK, (part) =>
      trx('customer_profiles').insert(part).onConflict('organisation_id').merge(['score', 'computed_grade', 'grade_factors', 'graded_at', 'grade']),
    );
    // One history row per changed grade; inserted in chunks since the first grading changes every customer.
    const actor = systemActor('credit-grading');
    await chunks(history, CHUNK, (part) =>
      trx('audit_log').insert(
        part.map((c) => ({
          at: gradedAt,
          user_id: null,
          username: actor.username,
          organisation_id: null,
          action: 'customer.grade_computed',
          entity: 'customer',
          entity_id: String(c.id),
          ip: null,
          request_id: null,
          details: JSON.stringify({ changes: { computedGrade: [c.before, c.after] }, score: c.score }),
        })),
      ),
    );
  });
  return { graded: writes.length, changed: history.length, ms: Date.now() - started };
}

/** The nightly job, also run on demand: match the ERP master, refresh every customer's credit, grade them all. */
export async function recomputeCustomers(db: Knex): Promise<{ graded: number; changed: number; ms: number }> {
  await matchErpCustomers(db);
  await refreshCredit(db);
  return gradeAll(db);
}

export interface CreditFigures {
  limitFen: number;
  usedFen: number;
  overdueDays: number;
  groupId: number | null;
  groupLimitFen: number;
  grade: CreditGrade | null;
}

/** Available credit: the group's when the customer shares a unified group limit, else its own. */
export function available(f: CreditFigures, groupUsedFen: number | undefined): { own: number; group: number | null; effective: number } {
  const own = f.limitFen - f.usedFen;
  if (f.groupId === null) return { own, group: null, effective: own };
  const group = f.groupLimitFen - (groupUsedFen ?? 0);
  return { own, group, effective: group };
}

/** The credit policy that applies to a grade; a customer not graded yet is treated as the lowest grade. */
export function policyFor(policies: CreditPolicy[], grade: CreditGrade | null): CreditPolicy | null {
  return policies.find((p) => p.grade === (grade ?? 'C')) ?? null;
}

/**
 * Whether business of amountFen on credit is allowed for the customer: blocked by the policy of its grade
 * (prepayment, overdue stop) or by the available credit (its group's with unified credit), unless an open
 * exception granted by a sales manager covers the amount.
 */
export async function checkCredit(db: Db, f: CreditFigures & { id: number }, amountFen: number, now = new Date()): Promise<CreditCheck> {
  const policies = await readPolicies(db);
  const policy = policyFor(policies, f.grade);
  const used = f.groupId === null ? undefined : (await groupUsed(db, [f.groupId])).get(f.groupId);
  const a = available(f, used);
  const blocks: CreditCheck['blocks'] = [];
  if (policy?.prepaymentRequired) blocks.push({ code: 'credit.prepayment_required', message: `Grade ${f.grade ?? '—'} requires prepayment` });
  if (policy && policy.stopWhenOverdueDays !== null && f.overdueDays > policy.stopWhenOverdueDays) {
    blocks.push({ code: 'credit.overdue_stop', message: `Overdue ${f.overdueDays} days, beyond the ${policy.stopWhenOverdueDays} days the policy allows` });
  }
  if (f.groupId === null && f.limitFen === 0) blocks.push({ code: 'credit.no_limit', message: 'The customer has no credit limit' });
  else if (f.groupId === null && amountFen > a.own) blocks.push({ code: 'credit.exceeded', message: `Amount exceeds the available credit (${a.own} fen)` });
  if (a.group !== null && amountFen > a.group) blocks.push({ code: 'credit.group_exceeded', message: `Amount exceeds the group's available credit (${a.group} fen)` });
  let exceptionId: number | null = null;
  if (blocks.length) {
    const ex = await db('credit_exceptions')
      .where('organisation_id', f.id)
      .whereNull('used_at')
      .andWhere('valid_until', '>', toDbTime(now))
      .andWhere('amount_fen', '>=', amountFen)
      .orderBy('amount_fen')
      .first('id');
    if (ex) exceptionId = Number(ex.id);
  }
  return { allowed: blocks.length === 0 || exceptionId !== null, blocks, availableFen: a.effective, exceptionId };
}

/** Marks an exception as used by the business it allowed (called by the module doing that business, in its transaction). */
export async function useException(trx: Knex.Transaction, exceptionId: number, usedFor: string): Promise<boolean> {
  const n = await trx('credit_exceptions').where('id', exceptionId).whereNull('used_at').update({ used_at: toDbTime(new Date()), used_for: usedFor.slice(0, 100) });
  if (n === 1) await audit(trx, systemActor('credit'), { action: 'customer.credit_exception_used', entity: 'credit_exception', entityId: exceptionId, details: { usedFor } });
  return n === 1;
}
