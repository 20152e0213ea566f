// Intent contracts (意向合同): what a fully approved answer or agreed demand becomes, with its lines, price and the
// customer's class terms, after one more credit check; numbered per month; read by both sides, moved on by Contracts.
import type { Knex } from 'knex';
import type { IntentContract, IntentListQuery, IntentPage } from '../../../../shared/api/allocation.js';
import { isCustomer, scopeToCustomers, type Principal } from '../../plugins/access.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { fromDbTime, nowDb } from '../../db/knex.js';
import { chinaMonth } from '../../china-time.js';
import { Conflict, NotFound } from '../../errors.js';
import { amountFen, decimalText } from '../../../../shared/units.js';
import { creditCheckOf, customerTerms } from '../customers/service.js';
import { useException } from '../customers/credit.js';
import { notify } from '../notifications/service.js';

type Db = Knex | Knex.Transaction;

/**
 * The next number of a monthly series, e.g. YX2026120007, taken under the counter row's lock. One upsert both creates
 * the month's row and increments it: on MariaDB an INSERT IGNORE that meets the existing row takes a shared lock (two
 * transactions each holding one and then asking for the exclusive lock deadlock: 12 concurrent takes), and an UPDATE
 * of the month's row before it exists takes a gap lock (two such transactions then deadlock on their INSERTs: 153 of
 * 180 concurrent first numbers of a month, found by faults.test.ts). ON DUPLICATE KEY UPDATE takes the exclusive lock
 * at once, so concurrent drawers queue on the row instead.
 */
export async function nextNumber(trx: Knex.Transaction, prefix: string, now = new Date()): Promise<string> {
  const key = `${prefix}${chinaMonth(now).replace('-', '')}`;
  await trx('document_counters').insert({ key, last: 1 }).onConflict('key').merge({ last: trx.raw('?? + 1', ['document_counters.last']) });
  const row = await trx('document_counters').where('key', key).first('last');
  return `${key}${String(row.last).padStart(4, '0')}`;
}

export interface IntentInput {
  customerId: number;
  sourceType: 'allocation_answer' | 'demand';
  sourceId: number;
  approvalId: number | null;
  deliveryMonth: string;
  lines: { variety: string; grade: string; spec: string; kg: number; priceFenPerT: number }[];
  terms?: string | null;
}

/** Business on credit still open in the portal and not yet in the ERP's exposure: intent contracts not yet contracted. */
export async function openIntentFen(db: Db, customerId: number): Promise<number> {
  const row = await db('intent_contracts').where('customer_id', customerId).whereIn('state', ['open', 'listed']).sum({ s: 'amount_fen' }).first();
  return Number(row?.s ?? 0);
}

/**
 * Creates the intent contract of an approved subject in the approving transaction. Unless the customer's class pays
 * in advance, its credit is checked once more with the contract added to its open intent contracts; a block not
 * covered by a sales manager's exception refuses it (intent.credit_blocked), and the approval rolls back with it.
 */
export async function createIntentContract(trx: Knex.Transaction, actor: Actor, input: IntentInput): Promise<{ id: number; contractNo: string }> {
  const terms = await customerTerms(trx, input.customerId);
  const lines = input.lines.map((l, i) => ({ ...l, position: i + 1, amountFen: amountFen(l.kg, l.priceFenPerT) }));
  const totalKg = lines.reduce((s, l) => s + l.kg, 0);
  const total = lines.reduce((s, l) => s + l.amountFen, 0);
  let exceptionId: number | null = null;
  if (terms.paymentTerms !== 'prepay') {
    const check = await creditCheckOf(trx, input.customerId, total + (await openIntentFen(trx, input.customerId)));
    if (!check.allowed) {
      throw new Conflict('intent.credit_blocked', `The customer's credit does not cover this contract: ${check.blocks.map((b) => b.message).join('; ')}`, {
        blocks: check.blocks,
        availableFen: check.availableFen,
        amountFen: total,
      });
    }
    exceptionId = check.blocks.length ? check.exceptionId : null;
  }
  const contractNo = await nextNumber(trx, 'YX');
  const [id] = await trx('intent_contracts').insert({
    contract_no: contractNo,
    customer_id: input.customerId,
    source_type: input.sourceType,
    source_id: input.sourceId,
    approval_id: input.approvalId,
    state: 'open',
    delivery_month: input.deliveryMonth,
    total_kg: totalKg,
    amount_fen: total,
    payment_terms: terms.paymentTerms,
    payment_days: terms.paymentDays,
    terms: input.terms ?? null,
    credit_exception_id: exceptionId,
    created_at: nowDb(),
  });
  const intentId = Number(id);
  await trx('intent_contract_lines').insert(
    lines.map((l) => ({ intent_contract_id: intentId, position: l.position, variety: l.variety, grade: l.grade, spec: l.spec, kg: l.kg, price_fen_per_t: l.priceFenPerT, amount_fen: l.amountFen })),
  );
  if (exceptionId !== null) await useException(trx, exceptionId, `intent ${contractNo}`);
  await audit(trx, actor, {
    action: 'intent_contract.created',
    entity: 'intent_contract',
    entityId: intentId,
    details: { contractNo, customerId: input.customerId, sourceType: input.sourceType, sourceId: input.sourceId, totalKg, amountFen: total, exceptionId },
  });
  const tonnes = decimalText(totalKg, 3);
  await notify(trx, {
    organisationId: input.customerId,
    kind: 'intent_contract.created',
    template: 'intent_contract_created',
    params: { contractNo, tonnes },
    link: `/intent-contracts/${intentId}`,
    idempotencyKey: `intent_contract.created:${intentId}`,
  });
  if (terms.accountManagerId !== null) {
    await notify(trx, {
      userIds: [terms.accountManagerId],
      kind: 'intent_contract.created',
      template: 'intent_contract_created',
      params: { contractNo, tonnes },
      link: `/intent-contracts/${intentId}`,
      idempotencyKey: `intent_contract.created:${intentId}:am`,
    });
  }
  return { id: intentId, contractNo };
}

interface IntentRow {
  id: number;
  contract_no: string;
  customer_id: number;
  customer_name: string;
  source_type: 'allocation_answer' | 'demand';
  source_id: number;
  approval_id: number | null;
  state: IntentContract['state'];
  delivery_month: string;
  total_kg: number | string;
  amount_fen: number | string;
  payment_terms: IntentContract['paymentTerms'];
  payment_days: number;
  terms: string | null;
  created_at: string;
}

const toIntent = (r: IntentRow): Omit<IntentContract, 'lines'> => ({
  id: Number(r.id),
  contractNo: r.contract_no,
  customerId: Number(r.customer_id),
  customerName: r.customer_name,
  sourceType: r.source_type,
  sourceId: Number(r.source_id),
  approvalId: r.approval_id === null ? null : Number(r.approval_id),
  state: r.state,
  deliveryMonth: r.delivery_month,
  totalKg: Number(r.total_kg),
  amountFen: Number(r.amount_fen),
  paymentTerms: r.payment_terms,
  paymentDays: r.payment_days,
  terms: r.terms,
  createdAt: fromDbTime(r.created_at)!,
});

function visibleIntents(db: Db, p: Principal) {
  const qb = db('intent_contracts as i').join('organisations as o', 'o.id', 'i.customer_id').select('i.*', 'o.name as customer_name');
  return scopeToCustomers(qb, p, 'i.customer_id');
}

export async function listIntents(db: Db, p: Principal, q: IntentListQuery): Promise<IntentPage> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const base = visibleIntents(db, p);
  if (q.state) base.andWhere('i.state', q.state);
  if (q.customerId && !isCustomer(p)) base.andWhere('i.customer_id', q.customerId);
  const [{ n }] = await base.clone().clearSelect().count({ n: '*' });
  const rows: IntentRow[] = await base.orderBy('i.id', 'desc').limit(pageSize).offset((page - 1) * pageSize);
  return { items: rows.map(toIntent), total: Number(n), page, pageSize };
}

export async function getIntent(db: Db, p: Principal, id: number): Promise<IntentContract> {
  const row: IntentRow | undefined = await visibleIntents(db, p).andWhere('i.id', id).first();
  if (!row) throw new NotFound('intent_contract.not_found', 'No such intent contract');
  const lines = await db('intent_contract_lines').where('intent_contract_id', id).orderBy('position');
  return {
    ...toIntent(row),
    lines: lines.map((l: { position: number; variety: IntentContract['lines'][number]['variety']; grade: string; spec: string; kg: number | string; price_fen_per_t: number | string; amount_fen: number | string }) => ({
      position: l.position,
      variety: l.variety,
      grade: l.grade,
      spec: l.spec,
      kg: Number(l.kg),
      priceFenPerT: Number(l.price_fen_per_t),
      amountFen: Number(l.amount_fen),
    })),
  };
}

/** The Contracts module moves an intent contract on: open → listed → contracted, or listed → open when a listing lapses. */
const intentTransitions: Record<string, readonly string[]> = { open: ['listed', 'cancelled'], listed: ['contracted', 'open'], contracted: [], cancelled: [] };

export async function moveIntent(trx: Knex.Transaction, id: number, from: IntentContract['state'], to: IntentContract['state']): Promise<void> {
  if (!intentTransitions[from]?.includes(to)) throw new Error(`intent contract: no transition ${from} → ${to}`);
  const n = await trx('intent_contracts').where({ id, state: from }).update({ state: to });
  if (n !== 1) throw new Conflict('intent_contract.state_changed', `The intent contract is no longer ${from}`, { id, expected: from });
}

/** The numbers of intent contracts, for the modules that show where a listing or contract came from. */
export async function intentNumbers(db: Db, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows: { id: number; contract_no: string }[] = await db('intent_contracts').whereIn('id', [...new Set(ids)]).select('id', 'contract_no');
  return new Map(rows.map((r) => [Number(r.id), r.contract_no]));
}
