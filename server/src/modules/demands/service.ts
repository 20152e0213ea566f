// Customer demands (需求提报, Allocation issue): a customer proposes variety, tonnage, month and a price idea; both
// sides counter, message or accept in one thread; agreed terms go through the approval chain and, approved, become
// an intent contract. Every change is a transition of the table below, applied by a guarded update on row_version.
import type { Knex } from 'knex';
import type {
  CreateDemandBody,
  Demand,
  DemandActionBody,
  DemandListQuery,
  DemandMessage,
  DemandMessageKind,
  DemandPage,
  DemandState,
  Side,
} from '../../../../shared/api/allocation.js';
import type { ApprovalFacts } from '../../../../shared/api/approvals.js';
import { isCustomer, type Principal } from '../../plugins/access.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { fromDbTime, nowDb } from '../../db/knex.js';
import { chinaMonth } from '../../china-time.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../errors.js';
import { cancelApproval, customerFacts, latestApprovalIds, onDecided, startApproval, type DecidedEvent } from '../approvals/service.js';
import { amountFen } from '../../../../shared/units.js';
import { createIntentContract, nextNumber } from '../allocation/intents.js';
import { enqueueOutbox } from '../erp-sync/outbox.js';
import { notify } from '../notifications/service.js';
import type { TemplateKey } from '../notifications/templates.js';
import * as store from './store.js';

type Db = Knex | Knex.Transaction;
type Action = DemandActionBody['action'];

// ---- the state machine ----

/**
 * Every state change of a demand. open → open is a counter-proposal (the terms change hands); open → approving is
 * an acceptance, which starts the approval; approving ends approved (an intent contract), rejected or returned (the
 * customer proposes again, back to open); the customer may withdraw anything not yet decided.
 */
export const transitions: Record<DemandState, readonly DemandState[]> = {
  open: ['open', 'approving', 'withdrawn'],
  approving: ['approved', 'rejected', 'returned', 'withdrawn'],
  returned: ['open', 'withdrawn'],
  approved: [],
  rejected: [],
  withdrawn: [],
};

/**
 * Which side may take each action in each state, and the state it leads to (null: a message, no state change).
 * After a return only the customer proposes again: the mill's answer is the approval's comment.
 */
const ACTIONS: Record<Action, { to: DemandState | null; in: Partial<Record<DemandState, readonly Side[]>> }> = {
  counter: { to: 'open', in: { open: ['customer', 'mill'], returned: ['customer'] } },
  accept: { to: 'approving', in: { open: ['customer', 'mill'] } },
  message: { to: null, in: { open: ['customer', 'mill'], approving: ['customer', 'mill'], returned: ['customer', 'mill'] } },
  withdraw: { to: 'withdrawn', in: { open: ['customer'], approving: ['customer'], returned: ['customer'] } },
};

function checkTransition(from: DemandState, to: DemandState): void {
  if (!transitions[from].includes(to)) {
    throw new Conflict('demand.bad_state', `The demand is ${from} and cannot become ${to}`, { state: from, to });
  }
}

// ---- who may act ----

const sideOf = (p: Principal): Side => (isCustomer(p) ? 'customer' : 'mill');

/**
 * Customer side: the organisation's administrator or a user holding the answer right (the same right that answers
 * allocations); other customer users read only. Mill side: account managers (their own customers, by the store's
 * scope), sales managers and administrators; quality staff have no route here at all.
 */
function checkMayAct(p: Principal): void {
  if (isCustomer(p) ? p.role === 'customer_admin' || p.canAnswer : ['account_manager', 'sales_manager', 'admin'].includes(p.role)) return;
  throw new Forbidden('demand.no_right', isCustomer(p) ? 'You need the right to answer for your organisation' : 'You may not negotiate demands');
}

/** A delivery month before this month in China cannot be proposed. */
function checkMonth(month: string): void {
  if (month < chinaMonth()) throw new Invalid('demand.month_past', `Delivery month ${month} has already begun or passed`, { deliveryMonth: month });
}

// ---- views ----

function toDemand(r: store.DemandRow, approvalId: number | null): Omit<Demand, 'messages'> {
  return {
    id: r.id,
    demandNo: r.demand_no,
    customerId: r.customer_id,
    customerName: r.customer_name,
    state: r.state,
    variety: r.variety,
    grade: r.grade,
    spec: r.spec,
    kg: r.kg,
    deliveryMonth: r.delivery_month,
    priceFenPerT: r.price_fen_per_t,
    proposedBy: r.proposed_by,
    approvalId,
    intentContractId: r.intent_contract_id,
    rowVersion: r.row_version,
    createdAt: fromDbTime(r.created_at)!,
    updatedAt: fromDbTime(r.updated_at)!,
  };
}

const toMessage = (m: store.MessageRow): DemandMessage => ({
  id: m.id,
  side: m.side,
  kind: m.kind,
  kg: m.kg,
  deliveryMonth: m.delivery_month,
  priceFenPerT: m.price_fen_per_t,
  text: m.text,
  username: m.username,
  at: fromDbTime(m.at)!,
});

export async function listDemands(db: Db, p: Principal, q: DemandListQuery): Promise<DemandPage> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  // A customer's filter by customer is meaningless: it sees its own demands only.
  const { rows, total } = await store.listDemands(db, p, { state: q.state, customerId: isCustomer(p) ? undefined : q.customerId, page, pageSize });
  const approvals = await latestApprovalIds(db, 'demand', rows.map((r) => r.id));
  return { items: rows.map((r) => toDemand(r, approvals.get(r.id) ?? null)), total, page, pageSize };
}

/** One demand with its whole thread; another customer's demand, or one outside an account manager's customers, is not found. */
export async function getDemand(db: Db, p: Principal, id: number): Promise<Demand> {
  const row = await store.findVisibleDemand(db, p, id);
  if (!row) throw new NotFound('demand.not_found', 'No such demand');
  const [approvals, messages] = await Promise.all([latestApprovalIds(db, 'demand', [id]), store.listMessages(db, id)]);
  return { ...toDemand(row, approvals.get(id) ?? null), messages: messages.map(toMessage) };
}

// ---- notifications ----

/** Staff hear of a customer's demand through its account manager, or every sales manager when it has none. */
async function tellStaff(trx: Knex.Transaction, d: store.DemandRow, template: Extract<TemplateKey, 'demand_submitted' | 'demand_replied'>, key: string) {
  const am = await store.customerAccountManager(trx, d.customer_id);
  const params = { customer: d.customer_name, demandNo: d.demand_no };
  const common = { kind: `demand.${template === 'demand_submitted' ? 'submitted' : 'replied'}`, template, params, link: `/demands/${d.id}`, idempotencyKey: key };
  await notify(trx, am === null ? { ...common, role: 'sales_manager' } : { ...common, userIds: [am] });
}

async function tellCustomer(trx: Knex.Transaction, d: store.DemandRow, key: string) {
  await notify(trx, {
    organisationId: d.customer_id,
    kind: 'demand.answered',
    template: 'demand_answered',
    params: { demandNo: d.demand_no },
    link: `/demands/${d.id}`,
    idempotencyKey: key,
  });
}

// ---- submitting ----

export async function createDemand(trx: Knex.Transaction, p: Principal, actor: Actor, body: CreateDemandBody): Promise<Demand> {
  if (!isCustomer(p)) throw new Forbidden('demand.customer_only', 'Only a customer submits its demand');
  checkMayAct(p);
  checkMonth(body.deliveryMonth);
  const at = nowDb();
  const price = body.priceFenPerT ?? null;
  const demandNo = await nextNumber(trx, 'XQ');
  const id = await store.insertDemand(trx, {
    demand_no: demandNo,
    customer_id: p.organisationId,
    state: 'open',
    variety: body.variety,
    grade: body.grade?.trim() ?? '',
    spec: body.spec?.trim() ?? '',
    kg: body.kg,
    delivery_month: body.deliveryMonth,
    price_fen_per_t: price,
    amount_fen: price === null ? null : amountFen(body.kg, price),
    proposed_by: 'customer',
    created_by: p.userId,
    created_at: at,
    updated_at: at,
  });
  await store.insertMessage(trx, {
    demand_id: id,
    side: 'customer',
    kind: 'submit',
    kg: body.kg,
    delivery_month: body.deliveryMonth,
    price_fen_per_t: price,
    text: body.remarks?.trim() || null,
    user_id: p.userId,
    username: p.username,
    at,
  });
  await audit(trx, actor, { action: 'demand.submitted', entity: 'demand', entityId: id, details: { demandNo, ...body } });
  const row = (await store.findDemand(trx, id))!;
  await tellStaff(trx, row, 'demand_submitted', `demand.submitted:${id}`);
  return getDemand(trx, p, id);
}

// ---- the thread ----

/**
 * One action of either side on a demand. The demand moves only if it is still in the state and at the version
 * read here (a guarded update): of two racing actions one applies, the other gets demand.stale and its whole
 * transaction, approval included, rolls back. A caller that sends expectedVersion is refused at once when the other
 * side acted since it looked.
 */
export async function act(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, body: DemandActionBody): Promise<Demand> {
  const row = await store.findVisibleDemand(trx, p, id);
  if (!row) throw new NotFound('demand.not_found', 'No such demand');
  checkMayAct(p);
  const side = sideOf(p);
  if (body.expectedVersion !== undefined && body.expectedVersion !== row.row_version) {
    throw new Conflict('demand.stale', 'The demand changed since you looked at it; reload it', { rowVersion: row.row_version });
  }

  const rule = ACTIONS[body.action];
  const sides = rule.in[row.state];
  if (!sides) throw new Conflict('demand.bad_state', `A demand that is ${row.state} cannot take "${body.action}"`, { state: row.state, action: body.action });
  if (!sides.includes(side)) {
    const anywhere = Object.values(rule.in).some((s) => s.includes(side));
    if (!anywhere) throw new Forbidden('demand.customer_only', `Only the customer may ${body.action} a demand`);
    throw new Conflict('demand.bad_state', `A demand that is ${row.state} waits for the customer`, { state: row.state, action: body.action });
  }

  const text = body.text?.trim() || null;
  const hasTerms = body.kg !== undefined || body.deliveryMonth !== undefined || body.priceFenPerT !== undefined;
  if (body.action !== 'counter' && hasTerms) throw new Invalid('demand.terms_unexpected', 'Only a counter-proposal carries terms');
  if (body.action === 'message' && !text) throw new Invalid('demand.text_required', 'Write the message');

  const at = nowDb();
  const changes: Record<string, unknown> = { updated_at: at };
  let message: { kind: DemandMessageKind; kg: number | null; month: string | null; price: number | null } = { kind: body.action, kg: null, month: null, price: null };

  if (body.action === 'counter') {
    if (!hasTerms) throw new Invalid('demand.terms_required', 'A counter-proposal names tonnage, delivery month or price');
    const kg = body.kg ?? row.kg;
    const month = body.deliveryMonth ?? row.delivery_month;
    const price = body.priceFenPerT ?? row.price_fen_per_t;
    checkMonth(month);
    Object.assign(changes, {
      state: 'open',
      kg,
      delivery_month: month,
      price_fen_per_t: price,
      amount_fen: price === null ? null : amountFen(kg, price),
      proposed_by: side,
    });
    message = { kind: 'counter', kg, month, price };
  } else if (body.action === 'accept') {
    if (row.proposed_by === side) throw new Conflict('demand.own_terms', 'These are your own terms: the other side accepts them');
    if (row.price_fen_per_t === null) throw new Conflict('demand.price_required', 'There is no price on the table yet: make a counter-proposal with one');
    changes.state = 'approving';
    message = { kind: 'accept', kg: row.kg, month: row.delivery_month, price: row.price_fen_per_t };
  } else if (body.action === 'withdraw') {
    changes.state = 'withdrawn';
  }

  const to = rule.to === null ? row.state : rule.to;
  if (rule.to !== null) checkTransition(row.state, to);
  // The approval first, then the demand: the order in which a decision locks them, so that a withdrawal racing a
  // decision waits for it (and then fails as stale) instead of deadlocking with it.
  if (body.action === 'withdraw' && row.state === 'approving') await cancelApproval(trx, actor, 'demand', id);
  const n = await store.guardedUpdate(trx, id, { state: row.state, rowVersion: row.row_version }, changes);
  if (n !== 1) throw new Conflict('demand.stale', 'The other side acted on this demand at the same moment; reload it');

  await store.insertMessage(trx, {
    demand_id: id,
    side,
    kind: message.kind,
    kg: message.kg,
    delivery_month: message.month,
    price_fen_per_t: message.price,
    text,
    user_id: p.userId,
    username: p.username,
    at,
  });

  let approvalId: number | null = null;
  if (body.action === 'accept') {
    // Demands answer no plan, so there is no base price to deviate from: the deviation is 0 (see ApprovalFacts).
    const facts: ApprovalFacts = {
      ...(await customerFacts(trx, p, row.customer_id)),
      tonnageKg: row.kg,
      amountFen: row.amount_fen ?? 0,
      priceDeviationBp: 0,
      variety: row.variety,
    };
    // The engine tells the first step's approvers.
    approvalId = (await startApproval(trx, actor, { subjectType: 'demand', subjectId: id, customerId: row.customer_id, facts })).id;
  }

  await audit(trx, actor, {
    action: `demand.${body.action}`,
    entity: 'demand',
    entityId: id,
    details: { from: row.state, to, rowVersion: row.row_version + 1, side, terms: message.kg === null ? undefined : { kg: message.kg, deliveryMonth: message.month, priceFenPerT: message.price }, approvalId },
  });
  const key = `demand.${body.action}:${id}:v${row.row_version + 1}`;
  if (side === 'mill') await tellCustomer(trx, row, key);
  else await tellStaff(trx, row, 'demand_replied', key);
  return getDemand(trx, p, id);
}

// ---- the approval's outcome ----

const OUTCOME_STATE: Record<DecidedEvent['outcome'], DemandState> = { approved: 'approved', rejected: 'rejected', returned: 'returned' };

/**
 * Runs in the deciding transaction. Approved: the agreed terms become an intent contract (whose credit re-check may
 * refuse it: intent.credit_blocked rolls the decision back, the approval stays pending) and the demand goes to the
 * ERP's outbox; rejected or returned: the demand follows. The approval's comment joins the thread.
 */
export async function onApprovalDecided(trx: Knex.Transaction, event: DecidedEvent, actor: Actor): Promise<void> {
  const row = await store.findDemand(trx, event.subjectId);
  if (!row) throw new NotFound('demand.not_found', `Approval ${event.approvalId} is of demand ${event.subjectId}, which does not exist`);
  const to = OUTCOME_STATE[event.outcome];
  checkTransition(row.state, to);
  const at = nowDb();
  const changes: Record<string, unknown> = { state: to, updated_at: at };
  let intent: { id: number; contractNo: string } | null = null;
  if (event.outcome === 'approved') {
    const submitted = (await store.listMessages(trx, row.id)).find((m) => m.kind === 'submit');
    intent = await createIntentContract(trx, actor, {
      customerId: row.customer_id,
      sourceType: 'demand',
      sourceId: row.id,
      approvalId: event.approvalId,
      deliveryMonth: row.delivery_month,
      lines: [{ variety: row.variety, grade: row.grade, spec: row.spec, kg: row.kg, priceFenPerT: row.price_fen_per_t! }],
      // The customer's remarks from its submission are the only free terms a demand carries.
      terms: submitted?.text ?? null,
    });
    changes.intent_contract_id = intent.id;
  }
  const n = await store.guardedUpdate(trx, row.id, { state: row.state, rowVersion: row.row_version }, changes);
  if (n !== 1) throw new Conflict('demand.stale', 'The demand changed while its approval was decided; reload it');
  await store.insertMessage(trx, {
    demand_id: row.id,
    side: 'mill',
    kind: 'approval',
    kg: null,
    delivery_month: null,
    price_fen_per_t: null,
    text: event.comment,
    user_id: event.decidedBy.userId,
    username: event.decidedBy.username,
    at,
  });
  if (intent) {
    // What the portal creates that the ERP must know goes through the outbox (DESIGN.md §2): the agreed demand.
    await enqueueOutbox(trx, 'demand', row.demand_no, {
      demandNo: row.demand_no,
      customerCode: row.customer_code,
      variety: row.variety,
      grade: row.grade,
      spec: row.spec,
      kg: row.kg,
      deliveryMonth: row.delivery_month,
      priceFenPerT: row.price_fen_per_t,
      amountFen: row.amount_fen,
      intentContractNo: intent.contractNo,
    });
  }
  await audit(trx, actor, {
    action: `demand.${event.outcome}`,
    entity: 'demand',
    entityId: row.id,
    details: { approvalId: event.approvalId, from: row.state, to, comment: event.comment, intentContractId: intent?.id ?? null },
  });
  await tellCustomer(trx, row, `demand.${event.outcome}:${row.id}:v${row.row_version + 1}`);
}

// Once per process, at module load: test files build several apps in one process, and a hook registered per app
// would run once for each of them.
onDecided('demand', onApprovalDecided);
