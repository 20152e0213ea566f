// The reports' queries: the fund ledger over synced receipts and invoices, and the summaries the sync keeps
// (report_customer_months, report_region_months, report_contracts). The caller's customer scope is a set of customer
// codes applied in the query.
import type { Knex } from 'knex';
import { VARIETIES } from '../../../../shared/erp/payloads.js';
import { LIKE, likePrefix } from '../../db/knex.js';

type Db = Knex | Knex.Transaction;

/**
 * Which customers a report covers: every ERP customer code (all), or those of the portal organisations a subquery
 * selects (an account manager's, a class's). `codes` is a subquery returning organisations.code.
 */
export type CodeScope = { all: true } | { all: false; codes: (qb: Knex.QueryBuilder) => Knex.QueryBuilder };

function inScope(qb: Knex.QueryBuilder, scope: CodeScope, column: string) {
  if (!scope.all) qb.whereIn(column, scope.codes);
  return qb;
}

const num = (v: unknown) => Number(v ?? 0);

// ---------------------------------------------------------------- funds

export interface LedgerRow {
  iface: 'invoice' | 'customer_receipt';
  doc_key: string;
  doc_date: string;
  contract_no: string | null;
  amount_fen: number;
}

/** Live receipts and not-cancelled invoices of a customer; the ledger's rows. */
function ledgerBase(db: Db, code: string) {
  return db('erp_records')
    .whereIn('interface', ['invoice', 'customer_receipt'])
    .andWhere({ customer_code: code, deleted: false })
    .andWhere((w) => w.whereNull('doc_status').orWhereNot('doc_status', 'cancelled'));
}

export async function ledgerRows(db: Db, code: string, from: string, to: string): Promise<LedgerRow[]> {
  const rows = await ledgerBase(db, code)
    .select('interface', 'doc_key', 'doc_date', 'contract_no', 'amount_fen')
    .whereBetween('doc_date', [from, to])
    .orderBy([{ column: 'doc_date' }, { column: 'interface', order: 'desc' }, { column: 'doc_key' }]);
  return rows.map((r) => ({ iface: r.interface, doc_key: r.doc_key, doc_date: r.doc_date, contract_no: r.contract_no, amount_fen: num(r.amount_fen) }));
}

/** Invoiced and received per month (all time, or before a date): the ledger's opening balance and monthly usage. */
export async function ledgerByMonth(db: Db, code: string, before?: string): Promise<Array<{ month: string; invoiced: number; received: number }>> {
  const q = ledgerBase(db, code)
    .select(db.raw('substr(doc_date, 1, 7) as month'), 'interface')
    .sum({ fen: 'amount_fen' })
    .groupByRaw('substr(doc_date, 1, 7), interface');
  if (before) q.andWhere('doc_date', '<', before);
  const rows = (await q) as unknown as Array<{ month: string; interface: string; fen: unknown }>;
  const out = new Map<string, { month: string; invoiced: number; received: number }>();
  for (const r of rows) {
    const m = out.get(r.month) ?? { month: r.month, invoiced: 0, received: 0 };
    if (r.interface === 'invoice') m.invoiced += num(r.fen);
    else m.received += num(r.fen);
    out.set(r.month, m);
  }
  return [...out.values()].sort((a, b) => (a.month < b.month ? -1 : 1));
}

export async function erpBalance(db: Db, code: string): Promise<Record<string, any> | null> {
  const r = await db('erp_records').first('payload').where({ interface: 'customer_balance', doc_key: code, deleted: false });
  return r?.payload ? JSON.parse(r.payload) : null;
}

// ---------------------------------------------------------------- organisations

export interface CustomerRef {
  id: number | null;
  code: string;
  name: string | null;
  managerId: number | null;
  managerName: string | null;
  classCode: string | null;
  className: string | null;
}

/** Portal organisations (with manager and class) of ERP customer codes; codes no organisation matches are left out. */
export async function customersByCode(db: Db, codes: string[]): Promise<Map<string, CustomerRef>> {
  const out = new Map<string, CustomerRef>();
  for (let i = 0; i < codes.length; i += 500) {
    const rows = await db('organisations as o')
      .leftJoin('users as u', 'u.id', 'o.account_manager_id')
      .leftJoin('customer_profiles as p', 'p.organisation_id', 'o.id')
      .leftJoin('customer_classes as c', 'c.id', 'p.class_id')
      .select('o.id', 'o.code', 'o.name', 'o.account_manager_id', 'u.display_name', 'c.code as class_code', 'c.name_zh as class_name')
      .where('o.kind', 'customer')
      .whereIn('o.code', codes.slice(i, i + 500));
    for (const r of rows) {
      out.set(r.code, {
        id: Number(r.id),
        code: r.code,
        name: r.name,
        managerId: r.account_manager_id === null ? null : Number(r.account_manager_id),
        managerName: r.display_name ?? null,
        classCode: r.class_code ?? null,
        className: r.class_name ?? null,
      });
    }
  }
  return out;
}

export async function organisation(db: Db, id: number): Promise<{ id: number; code: string; name: string; kind: string; account_manager_id: number | null } | undefined> {
  return db('organisations').first('id', 'code', 'name', 'kind', 'account_manager_id').where('id', id);
}

// ---------------------------------------------------------------- contracts

export interface ContractFilter {
  scope: CodeScope;
  customerCode?: string;
  contractNo?: string;
  from?: string;
  to?: string;
  state?: 'open' | 'done';
}

function contractsWhere(db: Db, f: ContractFilter) {
  const q = db('report_contracts as rc');
  inScope(q, f.scope, 'rc.customer_code');
  if (f.customerCode) q.where('rc.customer_code', f.customerCode);
  if (f.contractNo) q.whereRaw(LIKE, ['rc.contract_key', likePrefix(f.contractNo)]);
  if (f.from) q.where('rc.signed_on', '>=', f.from);
  if (f.to) q.where('rc.signed_on', '<=', f.to);
  if (f.state === 'open') q.whereRaw('rc.shipped_kg < rc.contracted_kg');
  if (f.state === 'done') q.whereRaw('rc.shipped_kg >= rc.contracted_kg');
  return q;
}

export interface ContractRow {
  contract_key: string;
  customer_code: string;
  signed_on: string | null;
  contracted_kg: number;
  contracted_fen: number;
  scheduled_kg: number;
  shipped_kg: number;
  shipped_fen: number;
  settled_fen: number;
}
const MEASURE_COLS = ['contracted_kg', 'contracted_fen', 'scheduled_kg', 'shipped_kg', 'shipped_fen', 'settled_fen'] as const;
const toContract = (r: Record<string, any>): ContractRow => ({
  contract_key: r.contract_key,
  customer_code: r.customer_code,
  signed_on: r.signed_on ?? null,
  ...(Object.fromEntries(MEASURE_COLS.map((c) => [c, num(r[c])])) as Record<(typeof MEASURE_COLS)[number], number>),
});

/** One page (or every row, limit undefined) of contracts, newest first. */
export async function contractRows(db: Db, f: ContractFilter, limit?: number, offset = 0): Promise<ContractRow[]> {
  const q = contractsWhere(db, f)
    .select('rc.contract_key', 'rc.customer_code', 'rc.signed_on', ...MEASURE_COLS.map((c) => `rc.${c}`))
    .orderBy([{ column: 'rc.signed_on', order: 'desc' }, { column: 'rc.contract_key', order: 'desc' }]);
  if (limit !== undefined) q.limit(limit).offset(offset);
  return (await q).map(toContract);
}

export async function contractTotals(db: Db, f: ContractFilter): Promise<Record<(typeof MEASURE_COLS)[number], number> & { contracts: number }> {
  const q = contractsWhere(db, f).count({ contracts: '*' });
  for (const c of MEASURE_COLS) q.sum({ [c]: `rc.${c}` });
  const r = (await q)[0] as Record<string, unknown>;
  return { contracts: num(r.contracts), ...(Object.fromEntries(MEASURE_COLS.map((c) => [c, num(r[c])])) as Record<(typeof MEASURE_COLS)[number], number>) };
}

/** Per customer: contracts signed in the period, their open tonnage, and those past the delivery term with tonnage open. */
export async function contractsSignedByCustomer(db: Db, scope: CodeScope, from: string, to: string, overdueBefore: string, customerCode?: string) {
  const open = 'CASE WHEN rc.contracted_kg > rc.shipped_kg THEN rc.contracted_kg - rc.shipped_kg ELSE 0 END';
  const late = 'rc.signed_on < ? AND rc.contracted_kg > rc.shipped_kg';
  const q = db('report_contracts as rc')
    .select('rc.customer_code')
    .count({ signed: '*' })
    .select(db.raw(`SUM(${open}) as open_kg`))
    .select(db.raw(`SUM(CASE WHEN ${late} THEN 1 ELSE 0 END) as overdue`, [overdueBefore]))
    .select(db.raw(`SUM(CASE WHEN ${late} THEN ${open} ELSE 0 END) as overdue_kg`, [overdueBefore]))
    .whereBetween('rc.signed_on', [from, to])
    .groupBy('rc.customer_code');
  inScope(q, scope, 'rc.customer_code');
  if (customerCode) q.where('rc.customer_code', customerCode);
  const rows = await q;
  return new Map(rows.map((r: any) => [r.customer_code as string, { signed: num(r.signed), openKg: num(r.open_kg), overdue: num(r.overdue), overdueKg: num(r.overdue_kg) }]));
}

// ---------------------------------------------------------------- monthly summary

export interface MonthlyFilter {
  scope: CodeScope;
  from: string;
  to: string;
  variety?: string;
  province?: string;
}

export type Sums = Record<(typeof MEASURE_COLS)[number], number>;
/** The roll-up value of variety and customer_code in the month summaries (see projection.ts). */
const ALL = '*';

/**
 * Sums of report_customer_months over the filter, grouped by customer, month or variety. Without a variety grouping
 * the roll-up over varieties is read; without a customer grouping and scope, the roll-up over customers: so that a
 * report reads one row per customer-month (or per month) whatever the number of documents behind it.
 */
export async function customerMonthSums(db: Db, f: MonthlyFilter, groupBy: Array<'customer_code' | 'month' | 'variety'>): Promise<Array<Record<string, string> & Sums>> {
  const q = db('report_customer_months as m').whereBetween('m.month', [f.from, f.to]);
  if (groupBy.includes('variety')) {
    // A list, not <> '*': the index then reads one range per variety instead of every row behind the first column.
    q.whereIn('m.variety', f.variety ? [f.variety] : [...VARIETIES]);
  } else q.where('m.variety', f.variety ?? ALL);
  if (groupBy.includes('customer_code') || !f.scope.all) {
    q.whereNot('m.customer_code', ALL);
    inScope(q, f.scope, 'm.customer_code');
  } else q.where('m.customer_code', ALL);
  q.select(groupBy.map((c) => `m.${c}`));
  for (const c of MEASURE_COLS) q.sum({ [c]: `m.${c}` });
  if (groupBy.length) q.groupBy(groupBy.map((c) => `m.${c}`));
  const rows = await q;
  return rows.map((r: any) => {
    const out: Record<string, any> = {};
    for (const g of groupBy) out[g] = r[g];
    for (const c of MEASURE_COLS) out[c] = num(r[c]);
    return out as Record<string, string> & Sums;
  });
}

/** Shipped tonnage and amount of report_region_months over the filter, by destination (and variety). */
export async function regionSums(db: Db, f: MonthlyFilter, groupBy: Array<'province' | 'city' | 'variety'>): Promise<Array<Record<string, string> & { shipped_kg: number; shipped_fen: number }>> {
  const q = db('report_region_months as m').whereBetween('m.month', [f.from, f.to]);
  if (groupBy.includes('variety')) {
    // A list, not <> '*': the index then reads one range per variety instead of every row behind the first column.
    q.whereIn('m.variety', f.variety ? [f.variety] : [...VARIETIES]);
  } else q.where('m.variety', f.variety ?? ALL);
  if (f.scope.all) q.where('m.customer_code', ALL);
  else q.whereNot('m.customer_code', ALL).whereIn('m.customer_code', f.scope.codes);
  if (f.province) q.where('m.province', f.province);
  q.select(groupBy.map((c) => `m.${c}`)).sum({ shipped_kg: 'm.shipped_kg', shipped_fen: 'm.shipped_fen' }).groupBy(groupBy.map((c) => `m.${c}`));
  q.havingRaw('SUM(m.shipped_kg) <> 0');
  const rows = await q;
  return rows.map((r: any) => {
    const out: Record<string, any> = { shipped_kg: num(r.shipped_kg), shipped_fen: num(r.shipped_fen) };
    for (const g of groupBy) out[g] = r[g];
    return out as Record<string, string> & { shipped_kg: number; shipped_fen: number };
  });
}
