// Data access for customer demands (需求提报) and their negotiation thread.
import type { Knex } from 'knex';
import type { DemandState, Side, DemandMessageKind } from '../../../../shared/api/allocation.js';
import type { Variety } from '../../../../shared/erp/payloads.js';
import { scopeToCustomers, type Principal } from '../../plugins/access.js';

type Db = Knex | Knex.Transaction;

export interface DemandRow {
  id: number;
  demand_no: string;
  customer_id: number;
  customer_name: string;
  customer_code: string;
  state: DemandState;
  variety: Variety;
  grade: string;
  spec: string;
  kg: number;
  delivery_month: string;
  price_fen_per_t: number | null;
  amount_fen: number | null;
  proposed_by: Side;
  intent_contract_id: number | null;
  row_version: number;
  created_by: number;
  created_at: string;
  updated_at: string;
}

export interface MessageRow {
  id: number;
  demand_id: number;
  side: Side;
  kind: DemandMessageKind;
  kg: number | null;
  delivery_month: string | null;
  price_fen_per_t: number | null;
  text: string | null;
  user_id: number | null;
  username: string;
  at: string;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

const toDemand = (r: Record<string, unknown>): DemandRow => ({
  id: Number(r.id),
  demand_no: String(r.demand_no),
  customer_id: Number(r.customer_id),
  customer_name: String(r.customer_name),
  customer_code: String(r.customer_code),
  state: r.state as DemandState,
  variety: r.variety as Variety,
  grade: String(r.grade),
  spec: String(r.spec),
  kg: Number(r.kg),
  delivery_month: String(r.delivery_month),
  price_fen_per_t: num(r.price_fen_per_t),
  amount_fen: num(r.amount_fen),
  proposed_by: r.proposed_by as Side,
  intent_contract_id: num(r.intent_contract_id),
  row_version: Number(r.row_version),
  created_by: Number(r.created_by),
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

const toMessage = (r: Record<string, unknown>): MessageRow => ({
  id: Number(r.id),
  demand_id: Number(r.demand_id),
  side: r.side as Side,
  kind: r.kind as DemandMessageKind,
  kg: num(r.kg),
  delivery_month: (r.delivery_month as string | null) ?? null,
  price_fen_per_t: num(r.price_fen_per_t),
  text: (r.text as string | null) ?? null,
  user_id: num(r.user_id),
  username: String(r.username),
  at: String(r.at),
});

function withCustomer(db: Db) {
  return db('demands as d').join('organisations as o', 'o.id', 'd.customer_id').select('d.*', 'o.name as customer_name', 'o.code as customer_code');
}

/** Demands the principal may see: a customer its own, an account manager their customers', other staff all. */
export function visibleDemands(db: Db, p: Principal) {
  return scopeToCustomers(withCustomer(db), p, 'd.customer_id');
}

export async function listDemands(
  db: Db,
  p: Principal,
  f: { state?: DemandState; customerId?: number; page: number; pageSize: number },
): Promise<{ rows: DemandRow[]; total: number }> {
  const base = visibleDemands(db, p);
  if (f.state) base.andWhere('d.state', f.state);
  if (f.customerId) base.andWhere('d.customer_id', f.customerId);
  const [{ n }] = await base.clone().clearSelect().count({ n: '*' });
  const rows = await base.orderBy('d.id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize);
  return { rows: rows.map(toDemand), total: Number(n) };
}

export async function findVisibleDemand(db: Db, p: Principal, id: number): Promise<DemandRow | undefined> {
  const r = await visibleDemands(db, p).andWhere('d.id', id).first();
  return r ? toDemand(r) : undefined;
}

/** One demand without a caller scope, for the approval hook (the approval already belongs to its customer). */
export async function findDemand(db: Db, id: number): Promise<DemandRow | undefined> {
  const r = await withCustomer(db).where('d.id', id).first();
  return r ? toDemand(r) : undefined;
}

export async function insertDemand(
  trx: Db,
  row: Omit<DemandRow, 'id' | 'customer_name' | 'customer_code' | 'intent_contract_id' | 'row_version'>,
): Promise<number> {
  const [id] = await trx('demands').insert({ ...row, intent_contract_id: null, row_version: 0 });
  return Number(id);
}

/**
 * Changes a demand only if it is still in the state and at the version the caller read, and bumps the version;
 * returns the rows changed (0: someone acted on it first, and the caller must not go on with what it read).
 */
export async function guardedUpdate(trx: Db, id: number, from: { state: DemandState; rowVersion: number }, changes: Record<string, unknown>): Promise<number> {
  return trx('demands')
    .where({ id, state: from.state, row_version: from.rowVersion })
    .update({ ...changes, row_version: from.rowVersion + 1 });
}

export async function insertMessage(trx: Db, row: Omit<MessageRow, 'id'>): Promise<void> {
  await trx('demand_messages').insert(row);
}

export async function listMessages(db: Db, demandId: number): Promise<MessageRow[]> {
  return (await db('demand_messages').where('demand_id', demandId).orderBy('id')).map(toMessage);
}

/** The customer's account manager, who hears of its demands first; null when it has none. */
export async function customerAccountManager(db: Db, customerId: number): Promise<number | null> {
  const r = await db('organisations').where('id', customerId).first('account_manager_id');
  return r?.account_manager_id == null ? null : Number(r.account_manager_id);
}
