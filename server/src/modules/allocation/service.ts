// Resource allocation (资源分配): plans, the proposal and the staff's grid, publication with notices, rounds and
// expiry, customers' answers with versions and live funds, and the approval outcome that makes an intent contract.
import type { Knex } from 'knex';
import type {
  Allocation,
  AllocationGrid,
  AllocationState,
  AllocationView,
  AnswerBody,
  AnswerFunds,
  CreatePlanBody,
  GridEditBody,
  MyAllocations,
  MyAllocationsQuery,
  Plan,
  PlanLine,
  PlanLineInput,
  PlanList,
  PlanListQuery,
  PlanSummary,
  PublishResult,
  UpdatePlanBody,
} from '../../../../shared/api/allocation.js';
import { amountFen, decimalText, deviationBp } from '../../../../shared/units.js';
import { isCustomer, scopeToCustomers, type Principal } from '../../plugins/access.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { fromDbTime, nowDb, toDbTime } from '../../db/knex.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../errors.js';
import { allocationCandidates, customerTerms } from '../customers/service.js';
import { supplyByMaterial } from '../erp-sync/service.js';
import { notify } from '../notifications/service.js';
import { cancelApproval, latestApprovalIds, onDecided, startApproval, type DecidedEvent } from '../approvals/service.js';
import { computeProposal, type ProposalCustomer } from './proposal.js';
import { createIntentContract, openIntentFen } from './intents.js';
import * as store from './store.js';

type Db = Knex | Knex.Transaction;
const { num } = store;

// ---- state machines ----

export const planTransitions: Record<Plan['state'], readonly Plan['state'][]> = {
  draft: ['published', 'closed'],
  published: ['published', 'closed'], // published → published: the next round
  closed: [],
};

/**
 * Every state change of an allocation. approving → approving is a changed answer resubmitted (its approval starts
 * over); returned answers go back to approving when the customer answers again.
 */
export const transitions: Record<AllocationState, readonly AllocationState[]> = {
  draft: ['offered'],
  offered: ['approving', 'declined', 'expired'],
  approving: ['approving', 'approved', 'rejected', 'returned', 'declined'],
  returned: ['approving', 'declined', 'expired'],
  approved: [],
  declined: [],
  rejected: [],
  expired: [],
};

function checkTransition(from: AllocationState, to: AllocationState): void {
  if (!transitions[from].includes(to)) {
    throw new Conflict('allocation.bad_state', `An allocation that is ${from} cannot become ${to}`, { state: from, to });
  }
}

const planNotFound = () => new NotFound('plan.not_found', 'No such resource plan');
const allocationNotFound = () => new NotFound('allocation.not_found', 'No such allocation');
const tonnes = (kg: number) => decimalText(kg, 3);

// ---- plans ----

function toPlanSummary(r: store.PlanRow, lines: store.LineRow[]): PlanSummary {
  return {
    id: r.id,
    kind: r.kind,
    period: r.period,
    name: r.name,
    state: r.state,
    round: r.round,
    answerDeadline: fromDbTime(r.answer_deadline),
    publishedAt: fromDbTime(r.published_at),
    plannedKg: lines.reduce((s, l) => s + num(l.planned_kg), 0),
    allocatedKg: lines.reduce((s, l) => s + num(l.allocated_kg), 0),
    createdAt: fromDbTime(r.created_at)!,
  };
}

const lineKey = (l: { variety: string; grade: string; spec: string }) => `${l.variety}|${l.grade}|${l.spec}`;

export async function listPlans(db: Db, q: PlanListQuery): Promise<PlanList> {
  const rows = await store.listPlanRows(db, q);
  const lines = await store.linesOf(db, rows.map((r) => r.id));
  return { items: rows.map((r) => toPlanSummary(r, lines.filter((l) => l.plan_id === r.id))) };
}

export async function getPlan(db: Db, id: number): Promise<Plan> {
  const row = await store.findPlan(db, id);
  if (!row) throw planNotFound();
  const lines = await store.linesOf(db, [id]);
  // The ERP's supply beside each line: a line for the whole variety counts every grade and spec of it.
  const supply = await supplyByMaterial(db as Knex);
  let annual: Map<string, { plannedKg: number; monthlyPlannedKg: number }> | null = null;
  if (row.kind === 'monthly') {
    const year = row.period.slice(0, 4);
    const yearPlans = await store.listPlanRows(db, { year });
    const annualPlan = yearPlans.find((p) => p.kind === 'annual');
    if (annualPlan) {
      annual = new Map();
      const all = await store.linesOf(db, yearPlans.map((p) => p.id));
      for (const l of all.filter((x) => x.plan_id === annualPlan.id)) annual.set(lineKey(l), { plannedKg: num(l.planned_kg), monthlyPlannedKg: 0 });
      const monthlyIds = new Set(yearPlans.filter((p) => p.kind === 'monthly').map((p) => p.id));
      for (const l of all.filter((x) => monthlyIds.has(x.plan_id))) {
        const a = annual.get(lineKey(l));
        if (a) a.monthlyPlannedKg += num(l.planned_kg);
      }
    }
  }
  return {
    ...toPlanSummary(row, lines),
    lines: lines.map((l): PlanLine => {
      const s = supply.filter((f) => f.variety === l.variety && (!l.grade || f.grade === l.grade) && (!l.spec || f.spec === l.spec));
      return {
        id: l.id,
        position: l.position,
        variety: l.variety as PlanLine['variety'],
        grade: l.grade,
        spec: l.spec,
        plannedKg: num(l.planned_kg),
        lotKg: num(l.lot_kg),
        basePriceFenPerT: num(l.base_price_fen_per_t),
        allocatedKg: num(l.allocated_kg),
        remainingKg: num(l.planned_kg) - num(l.allocated_kg),
        erp: { inventoryKg: s.reduce((a, f) => a + f.inventoryKg, 0), productionKg: s.reduce((a, f) => a + f.productionKg, 0) },
        annual: annual?.get(lineKey(l)) ?? null,
      };
    }),
  };
}

function checkPeriod(kind: Plan['kind'], period: string): void {
  if ((kind === 'annual') !== /^\d{4}$/.test(period)) {
    throw new Invalid('plan.bad_period', kind === 'annual' ? 'An annual plan is for a year: YYYY' : 'A monthly plan is for a month: YYYY-MM', { kind, period });
  }
}

function normaliseLines(lines: PlanLineInput[]) {
  const seen = new Set<string>();
  return lines.map((l, i) => {
    const n = { id: l.id, variety: l.variety, grade: (l.grade ?? '').trim(), spec: (l.spec ?? '').trim(), plannedKg: l.plannedKg, lotKg: l.lotKg ?? 1000, basePriceFenPerT: l.basePriceFenPerT, position: i + 1 };
    const key = lineKey(n);
    if (seen.has(key)) throw new Invalid('plan.duplicate_line', `Line ${i + 1} repeats variety, grade and spec of an earlier line`, { line: i + 1 });
    seen.add(key);
    if (n.plannedKg % n.lotKg !== 0) throw new Invalid('plan.not_whole_lots', `Line ${i + 1}: the planned tonnage must be whole lots of ${n.lotKg} kg`, { line: i + 1 });
    return n;
  });
}

export async function createPlan(trx: Knex.Transaction, actor: Actor, body: CreatePlanBody): Promise<Plan> {
  checkPeriod(body.kind, body.period);
  const lines = normaliseLines(body.lines);
  if (await trx('resource_plans').where({ kind: body.kind, period: body.period }).first('id')) {
    throw new Conflict('plan.exists', `There is already a ${body.kind} plan for ${body.period}`);
  }
  const now = nowDb();
  const [id] = await trx('resource_plans').insert({ kind: body.kind, period: body.period, name: body.name.trim(), state: 'draft', round: 0, created_by: actor.userId ?? null, created_at: now, updated_at: now });
  const planId = Number(id);
  await trx('plan_lines').insert(
    lines.map((l) => ({ plan_id: planId, position: l.position, variety: l.variety, grade: l.grade, spec: l.spec, planned_kg: l.plannedKg, lot_kg: l.lotKg, base_price_fen_per_t: l.basePriceFenPerT, allocated_kg: 0 })),
  );
  await audit(trx, actor, { action: 'plan.created', entity: 'resource_plan', entityId: planId, details: { kind: body.kind, period: body.period, lines: lines.length } });
  return getPlan(trx, planId);
}

/**
 * Changes a plan's name or lines. A line's planned tonnage may not drop below what is allocated on it (a guarded
 * update, so an allocation racing the change cannot slip under it); a line with allocations cannot be removed, and
 * its lot cannot change.
 */
export async function updatePlan(trx: Knex.Transaction, actor: Actor, id: number, body: UpdatePlanBody): Promise<Plan> {
  const plan = await store.findPlan(trx, id, { lock: true });
  if (!plan) throw planNotFound();
  if (plan.state === 'closed') throw new Conflict('plan.closed', 'The plan is closed');
  const changes: Record<string, unknown> = {};
  if (body.name !== undefined) changes.name = body.name.trim();
  if (body.lines) {
    const lines = normaliseLines(body.lines);
    const existing = await store.linesOf(trx, [id]);
    const byId = new Map(existing.map((l) => [l.id, l]));
    for (const l of lines) if (l.id !== undefined && !byId.has(l.id)) throw new Invalid('plan.unknown_line', `Line ${l.id} is not a line of this plan`, { lineId: l.id });
    const kept = new Set(lines.map((l) => l.id).filter((x): x is number => x !== undefined));
    for (const old of existing) {
      if (kept.has(old.id)) continue;
      if (await trx('allocations').where('plan_line_id', old.id).first('id')) {
        throw new Conflict('plan.line_in_use', `Line ${old.position} has allocations and cannot be removed`, { lineId: old.id });
      }
      await trx('plan_lines').where('id', old.id).delete();
    }
    // Positions are unique per plan only by convention; move them out of the way before renumbering.
    for (const l of lines) {
      if (l.id === undefined) {
        await trx('plan_lines').insert({ plan_id: id, position: l.position, variety: l.variety, grade: l.grade, spec: l.spec, planned_kg: l.plannedKg, lot_kg: l.lotKg, base_price_fen_per_t: l.basePriceFenPerT, allocated_kg: 0 });
        continue;
      }
      const old = byId.get(l.id)!;
      const inUse = Boolean(await trx('allocations').where('plan_line_id', l.id).first('id'));
      if (inUse && (num(old.lot_kg) !== l.lotKg || old.variety !== l.variety || old.grade !== l.grade || old.spec !== l.spec)) {
        throw new Conflict('plan.line_in_use', `Line ${old.position} has allocations: its product and lot cannot change`, { lineId: l.id });
      }
      const n = await trx('plan_lines')
        .where('id', l.id)
        .andWhere('allocated_kg', '<=', l.plannedKg)
        .update({ position: l.position, variety: l.variety, grade: l.grade, spec: l.spec, planned_kg: l.plannedKg, lot_kg: l.lotKg, base_price_fen_per_t: l.basePriceFenPerT });
      if (n !== 1) {
        const now = await store.findLine(trx, l.id);
        throw new Conflict('plan.below_allocated', `Line ${l.position}: ${tonnes(num(now?.allocated_kg))} t are allocated, more than the new plan`, { lineId: l.id, allocatedKg: num(now?.allocated_kg) });
      }
    }
  }
  changes.updated_at = nowDb();
  await trx('resource_plans').where('id', id).update(changes);
  await audit(trx, actor, { action: 'plan.updated', entity: 'resource_plan', entityId: id, details: { name: body.name, lines: body.lines?.length } });
  return getPlan(trx, id);
}

export async function closePlan(trx: Knex.Transaction, actor: Actor, id: number): Promise<Plan> {
  const plan = await store.findPlan(trx, id, { lock: true });
  if (!plan) throw planNotFound();
  if (!planTransitions[plan.state].includes('closed')) throw new Conflict('plan.bad_state', `A ${plan.state} plan cannot be closed`);
  // Drafts never published go; published offers run to their deadline.
  await dropDrafts(trx, id);
  await trx('resource_plans').where('id', id).update({ state: 'closed', updated_at: nowDb() });
  await audit(trx, actor, { action: 'plan.closed', entity: 'resource_plan', entityId: id, details: {} });
  return getPlan(trx, id);
}

// ---- the grid: proposal, edits, publication ----

/** Deletes the unpublished drafts of a plan and gives their tonnage back to its lines. */
async function dropDrafts(trx: Knex.Transaction, planId: number): Promise<void> {
  const perLine: { plan_line_id: number; kg: number | string }[] = await trx('allocations').where({ plan_id: planId, state: 'draft' }).select('plan_line_id').sum({ kg: 'held_kg' }).groupBy('plan_line_id');
  for (const l of perLine) {
    if (!(await store.moveHeld(trx, l.plan_line_id, -num(l.kg)))) throw new Error(`plan line ${l.plan_line_id} would go below zero`);
  }
  await trx('allocations').where({ plan_id: planId, state: 'draft' }).delete();
}

function toAllocation(r: store.AllocationRow, approvalId: number | null): Allocation {
  return {
    id: r.id,
    planId: r.plan_id,
    planLineId: r.plan_line_id,
    customerId: r.customer_id,
    round: r.round,
    state: r.state,
    offeredKg: num(r.offered_kg),
    heldKg: num(r.held_kg),
    decision: r.decision,
    acceptedKg: r.accepted_kg === null ? null : num(r.accepted_kg),
    quotedPriceFenPerT: r.quoted_price_fen_per_t === null ? null : num(r.quoted_price_fen_per_t),
    remarks: r.remarks,
    answerVersion: r.answer_version,
    answeredAt: fromDbTime(r.answered_at),
    deadline: fromDbTime(r.deadline),
    approvalId,
    intentContractId: r.intent_contract_id,
    rowVersion: r.row_version,
  };
}

/** What a monthly plan line's customers want: the contracted monthly tonnage of the variety, shared among the plan's lines of that variety by their planned tonnage. */
function wantsByLine(lines: store.LineRow[], candidates: Awaited<ReturnType<typeof allocationCandidates>>): ProposalCustomer[] {
  const varietyPlanned = new Map<string, number>();
  for (const l of lines) varietyPlanned.set(l.variety, (varietyPlanned.get(l.variety) ?? 0) + num(l.planned_kg));
  return candidates.map((c) => {
    const wants = new Map<string, number>();
    for (const l of lines) {
      const w = c.wants.get(l.variety);
      const total = varietyPlanned.get(l.variety) ?? 0;
      if (!w || !total) continue;
      wants.set(String(l.id), Number((BigInt(w) * BigInt(num(l.planned_kg))) / BigInt(total)));
    }
    return { id: c.id, priority: c.priority, credit: c.credit, wants };
  });
}

export async function grid(db: Db, planId: number, p?: Principal): Promise<AllocationGrid> {
  const plan = await getPlan(db, planId);
  let [rows, candidates] = await Promise.all([store.allocationsOfPlan(db, planId), allocationCandidates(db)]);
  // DESIGN.md §5: an account manager sees the customers assigned to them, in the grid too; the plan's lines and their
  // totals stay whole.
  if (p?.role === 'account_manager') {
    const mine = new Set((await scopeToCustomers(db('organisations'), p, 'id').pluck('id')).map(Number));
    rows = rows.filter((r) => mine.has(r.customer_id));
    candidates = candidates.filter((c) => mine.has(c.id));
  }
  const varieties = new Set(plan.lines.map((l) => l.variety as string));
  const onPlan = new Set(rows.map((r) => r.customer_id));
  const shown = candidates.filter((c) => onPlan.has(c.id) || [...c.wants.keys()].some((v) => varieties.has(v)));
  const ids = [...new Set([...shown.map((c) => c.id), ...onPlan])];
  const info = new Map<number, { code: string; name: string; class_code: string | null; grade: string | null }>();
  for (let i = 0; i < ids.length; i += 1000) {
    const r = await db('organisations as o')
      .leftJoin('customer_profiles as p', 'p.organisation_id', 'o.id')
      .leftJoin('customer_classes as c', 'c.id', 'p.class_id')
      .whereIn('o.id', ids.slice(i, i + 1000))
      .select('o.id', 'o.code', 'o.name', 'c.code as class_code', 'p.grade');
    for (const x of r) info.set(Number(x.id), x);
  }
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const approvals = await latestApprovalIds(db, 'allocation_answer', rows.map((r) => r.id));
  return {
    plan,
    draftRound: plan.round + 1,
    customers: ids
      .map((id) => {
        const c = byId.get(id);
        const i = info.get(id);
        return {
          id,
          code: i?.code ?? '',
          name: i?.name ?? '',
          classCode: i?.class_code ?? null,
          priority: c?.priority ?? 1000,
          grade: (i?.grade ?? null) as AllocationGrid['customers'][number]['grade'],
          credit: c?.credit ?? 'ok',
          wants: Object.fromEntries([...(c?.wants ?? new Map<string, number>())].filter(([v]) => varieties.has(v))),
        };
      })
      .sort((a, b) => a.priority - b.priority || a.code.localeCompare(b.code)),
    items: rows.map((r) => toAllocation(r, approvals.get(r.id) ?? null)),
  };
}

function overAllocated(line: store.LineRow | undefined, wantedKg: number) {
  const planned = num(line?.planned_kg);
  const allocated = num(line?.allocated_kg);
  return new Conflict('plan.over_allocated', `Line ${line?.position ?? '?'} has ${tonnes(planned - allocated)} t left; ${tonnes(wantedKg)} t more do not fit`, {
    planLineId: line?.id,
    plannedKg: planned,
    allocatedKg: allocated,
    wantedKg,
  });
}

/**
 * Sets one draft offer of the next round. The line's tonnage moves by the difference in a guarded update: an edit
 * that would take the line above its plan is refused (plan.over_allocated), whatever other editors do at the time.
 */
async function setDraft(trx: Knex.Transaction, planId: number, round: number, lineId: number, customerId: number, offeredKg: number): Promise<void> {
  const line = await store.findLine(trx, lineId);
  if (!line || line.plan_id !== planId) throw new Invalid('plan.unknown_line', `Line ${lineId} is not a line of this plan`, { planLineId: lineId });
  if (offeredKg % num(line.lot_kg) !== 0) {
    throw new Invalid('allocation.not_whole_lots', `Offers on line ${line.position} are whole lots of ${num(line.lot_kg)} kg`, { planLineId: lineId, lotKg: num(line.lot_kg) });
  }
  const draft = await store.findDraft(trx, lineId, customerId, round);
  if (draft && draft.state !== 'draft') throw new Conflict('allocation.published', 'This offer is already published', { allocationId: draft.id });
  const delta = offeredKg - num(draft?.held_kg);
  if (!(await store.moveHeld(trx, lineId, delta))) throw overAllocated(await store.findLine(trx, lineId), delta);
  const now = nowDb();
  if (!draft) {
    if (offeredKg === 0) return;
    const org = await trx('organisations').where({ id: customerId, kind: 'customer', active: true }).first('id');
    if (!org) throw new Invalid('allocation.not_a_customer', `Organisation ${customerId} is not an active customer`, { customerId });
    await store.insertAllocation(trx, { plan_id: planId, plan_line_id: lineId, customer_id: customerId, round, state: 'draft', offered_kg: offeredKg, held_kg: offeredKg, created_at: now, updated_at: now });
  } else if (offeredKg === 0) {
    await trx('allocations').where('id', draft.id).delete();
  } else if (!(await store.guardedUpdate(trx, draft, { offered_kg: offeredKg, held_kg: offeredKg, updated_at: now }))) {
    throw new Conflict('allocation.stale', 'Someone changed this offer at the same moment; reload the grid');
  }
}

async function openPlanForDrafts(trx: Knex.Transaction, planId: number): Promise<store.PlanRow> {
  const plan = await store.findPlan(trx, planId);
  if (!plan) throw planNotFound();
  if (plan.kind !== 'monthly') throw new Conflict('plan.not_monthly', 'Allocations are made on monthly plans');
  if (plan.state === 'closed') throw new Conflict('plan.closed', 'The plan is closed');
  return plan;
}

export async function editGrid(trx: Knex.Transaction, actor: Actor, planId: number, body: GridEditBody): Promise<AllocationGrid> {
  const plan = await openPlanForDrafts(trx, planId);
  const seen = new Set<string>();
  for (const e of body.items) {
    const k = `${e.planLineId}:${e.customerId}`;
    if (seen.has(k)) throw new Invalid('allocation.duplicate_cell', `Line ${e.planLineId}, customer ${e.customerId} is given twice`, e);
    seen.add(k);
    await setDraft(trx, planId, plan.round + 1, e.planLineId, e.customerId, e.offeredKg);
  }
  await audit(trx, actor, { action: 'allocation.grid_edited', entity: 'resource_plan', entityId: planId, details: { round: plan.round + 1, cells: body.items.length } });
  return grid(trx, planId);
}

/**
 * The proposal for the next round over what is left of each line, read and computed without writing. In a later
 * round a customer that declined a line, let it expire or was rejected on it is not offered that line again, and
 * one that holds tonnage on it is offered only the rest of its monthly tonnage. Drafts of the next round are
 * treated as not there (the proposal replaces them).
 */
export async function computePlanProposal(db: Db, planId: number) {
  const plan = await store.findPlan(db, planId);
  if (!plan) throw planNotFound();
  const [lines, candidates, reducedPct, earlier] = await Promise.all([
    store.linesOf(db, [planId]),
    allocationCandidates(db),
    store.readSetting(db, 'proposal.reduced_pct', '50').then(Number),
    store.allocationsOfPlan(db, planId),
  ]);
  const customers = wantsByLine(lines, candidates);
  const draftKg = new Map<number, number>();
  const by = new Map(customers.map((c) => [c.id, c]));
  for (const a of earlier) {
    if (a.state === 'draft') {
      draftKg.set(a.plan_line_id, (draftKg.get(a.plan_line_id) ?? 0) + num(a.held_kg));
      continue;
    }
    const c = by.get(a.customer_id);
    const key = String(a.plan_line_id);
    if (!c || !c.wants.has(key)) continue;
    const wants = c.wants as Map<string, number>;
    if (a.state === 'declined' || a.state === 'expired' || a.state === 'rejected') wants.delete(key);
    else wants.set(key, Math.max(0, wants.get(key)! - num(a.held_kg)));
  }
  const proposal = computeProposal(
    lines.map((l) => ({ key: String(l.id), plannedKg: num(l.planned_kg) - num(l.allocated_kg) + (draftKg.get(l.id) ?? 0), lotKg: num(l.lot_kg) })),
    customers,
    { reducedPct },
  );
  return { round: plan.round + 1, reducedPct, proposal };
}

/** Replaces the next round's drafts with the computed proposal (see computePlanProposal). */
export async function propose(trx: Knex.Transaction, actor: Actor, planId: number): Promise<AllocationGrid> {
  await openPlanForDrafts(trx, planId);
  await store.findPlan(trx, planId, { lock: true });
  const { round, reducedPct, proposal } = await computePlanProposal(trx, planId);
  await dropDrafts(trx, planId);
  const now = nowDb();
  const rows = proposal.items
    .filter((i) => i.kg > 0)
    .map((i) => ({ plan_id: planId, plan_line_id: Number(i.lineKey), customer_id: i.customerId, round, state: 'draft', offered_kg: i.kg, held_kg: i.kg, created_at: now, updated_at: now }));
  for (const l of proposal.lines) {
    if (l.allocatedKg && !(await store.moveHeld(trx, Number(l.key), l.allocatedKg))) {
      throw new Conflict('allocation.stale', 'The plan changed while the proposal was computed; propose again');
    }
  }
  for (let i = 0; i < rows.length; i += 500) await trx('allocations').insert(rows.slice(i, i + 500));
  await audit(trx, actor, { action: 'allocation.proposed', entity: 'resource_plan', entityId: planId, details: { round, offers: rows.length, reducedPct } });
  return grid(trx, planId);
}

/**
 * Publishes the next round's drafts: each becomes an offer with the answer deadline, and every customer concerned is
 * told in-app and by SMS (users with the right to answer). A later round waits for the earlier round's deadline,
 * whose unanswered offers expire first so that their tonnage is back in the plan.
 */
export async function publish(trx: Knex.Transaction, actor: Actor, planId: number, deadlineIso: string, now = new Date()): Promise<PublishResult> {
  const plan = await store.findPlan(trx, planId, { lock: true });
  if (!plan) throw planNotFound();
  if (plan.kind !== 'monthly') throw new Conflict('plan.not_monthly', 'Allocations are made on monthly plans');
  if (!planTransitions[plan.state].includes('published')) throw new Conflict('plan.bad_state', `A ${plan.state} plan cannot be published`);
  const deadline = new Date(deadlineIso);
  if (!(deadline.getTime() > now.getTime())) throw new Invalid('plan.deadline_past', 'The answer deadline must be in the future');
  if (plan.answer_deadline && new Date(fromDbTime(plan.answer_deadline)!).getTime() > now.getTime()) {
    throw new Conflict('plan.round_open', `Round ${plan.round} is open until its deadline; the next round is published after it`, { deadline: fromDbTime(plan.answer_deadline) });
  }
  await expireDue(trx, now, planId);
  const round = plan.round + 1;
  const drafts = await trx('allocations').where({ plan_id: planId, round, state: 'draft' });
  if (!drafts.length) throw new Conflict('plan.nothing_to_publish', 'There are no offers to publish; propose or enter them in the grid first');
  const at = toDbTime(now);
  const dl = toDbTime(deadline);
  const n = await trx('allocations').where({ plan_id: planId, round, state: 'draft' }).update({ state: 'offered', deadline: dl, published_at: at, updated_at: at, row_version: trx.raw('row_version + 1') });
  await trx('resource_plans').where('id', planId).update({ state: 'published', round, answer_deadline: dl, published_at: plan.published_at ?? at, updated_at: at });
  const perCustomer = new Map<number, { count: number; kg: number }>();
  for (const d of drafts as store.AllocationRow[]) {
    const s = perCustomer.get(d.customer_id) ?? { count: 0, kg: 0 };
    s.count++;
    s.kg += num(d.offered_kg);
    perCustomer.set(d.customer_id, s);
  }
  const deadlineText = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short', hour12: false }).format(deadline);
  for (const [customerId, s] of perCustomer) {
    await notify(trx, {
      organisationId: customerId,
      right: 'canAnswer',
      kind: 'allocation.published',
      template: 'allocation_offers',
      params: { period: plan.period, count: String(s.count), tonnes: tonnes(s.kg), deadline: deadlineText },
      link: `/allocations?period=${plan.period}`,
      sms: true,
      idempotencyKey: `allocation.published:${planId}:${round}:${customerId}`,
    });
  }
  await audit(trx, actor, { action: 'plan.published', entity: 'resource_plan', entityId: planId, details: { round, offers: n, customers: perCustomer.size, deadline: deadlineIso } });
  return { plan: await getPlan(trx, planId), published: n, customersNotified: perCustomer.size };
}

/**
 * Offers not answered by their deadline (also those returned for change and not answered again) expire, and their
 * tonnage goes back to the plan. Run by the scheduler and before a round is published; idempotent.
 */
export async function expireDue(trx: Knex.Transaction, now = new Date(), planId?: number): Promise<number> {
  const q = trx('allocations').whereIn('state', ['offered', 'returned']).andWhere('deadline', '<', toDbTime(now));
  if (planId !== undefined) q.andWhere('plan_id', planId);
  const due: store.AllocationRow[] = await q;
  let n = 0;
  for (const a of due) {
    checkTransition(a.state, 'expired');
    if (!(await store.guardedUpdate(trx, a, { state: 'expired', held_kg: 0, updated_at: nowDb() }))) continue;
    if (!(await store.moveHeld(trx, a.plan_line_id, -num(a.held_kg)))) throw new Error(`plan line ${a.plan_line_id} would go below zero`);
    n++;
  }
  return n;
}

// ---- answers ----

type Terms = Awaited<ReturnType<typeof customerTerms>>;

/** Allocations as customers see them; `known` are customer terms the caller has already read. */
async function viewsOf(db: Db, rows: store.AllocationRow[], p: Principal | null, known: Terms[] = []): Promise<AllocationView[]> {
  if (!rows.length) return [];
  const lineIds = [...new Set(rows.map((r) => r.plan_line_id))];
  const lines = new Map((await db('plan_lines as l').join('resource_plans as p', 'p.id', 'l.plan_id').whereIn('l.id', lineIds).select('l.*', 'p.period', 'p.name as plan_name')).map((l: store.LineRow & { period: string; plan_name: string }) => [l.id, l]));
  const customerIds = [...new Set(rows.map((r) => r.customer_id))];
  const terms = new Map<number, Terms>(known.map((t) => [t.id, t]));
  for (const id of customerIds) if (!terms.has(id)) terms.set(id, await customerTerms(db, id));
  const versions = await store.answerVersions(db, rows.map((r) => r.id));
  const approvals = await latestApprovalIds(db, 'allocation_answer', rows.map((r) => r.id));
  const now = Date.now();
  return rows.map((r) => {
    const l = lines.get(r.plan_line_id)!;
    const t = terms.get(r.customer_id)!;
    const customerPrice = num(l.base_price_fen_per_t) + t.priceAdjustFenPerT;
    const open = r.state === 'offered' || r.state === 'returned' || r.state === 'approving';
    const inTime = r.deadline !== null && new Date(fromDbTime(r.deadline)!).getTime() >= now;
    return {
      ...toAllocation(r, approvals.get(r.id) ?? null),
      customerName: t.name,
      period: l.period,
      planName: l.plan_name,
      variety: l.variety as AllocationView['variety'],
      grade: l.grade,
      spec: l.spec,
      lotKg: num(l.lot_kg),
      basePriceFenPerT: num(l.base_price_fen_per_t),
      customerPriceFenPerT: customerPrice,
      amountFen: num(r.amount_fen),
      answerable: Boolean(p && isCustomer(p) && (p.canAnswer || p.role === 'customer_admin') && open && inTime),
      versions: versions
        .filter((v) => v.allocation_id === r.id)
        .map((v) => ({
          version: v.version,
          decision: v.decision,
          acceptedKg: num(v.accepted_kg),
          quotedPriceFenPerT: v.quoted_price_fen_per_t === null ? null : num(v.quoted_price_fen_per_t),
          remarks: v.remarks,
          username: v.username,
          at: fromDbTime(v.at)!,
        })),
    };
  });
}

/** The customer's money for answering: limit − ERP exposure − business in the portal not yet in the ERP. */
export async function fundsOf(db: Db, customerId: number, known?: Terms): Promise<AnswerFunds> {
  const t = known ?? (await customerTerms(db, customerId));
  const pending = (await store.pendingAnswerFen(db, customerId)) + (await openIntentFen(db, customerId));
  const asOf = await db('customer_profiles').where('organisation_id', customerId).first('credit_as_of');
  return { limitFen: t.limitFen, erpUsedFen: t.usedFen, portalPendingFen: pending, availableFen: t.availableFen - pending, asOf: fromDbTime(asOf?.credit_as_of) };
}

/** The customer whose allocations the caller reads: its own for a customer user; staff name one they may see. */
async function customerOf(db: Db, p: Principal, customerId: number | undefined): Promise<number> {
  if (isCustomer(p)) return p.organisationId;
  if (!customerId) throw new Invalid('allocation.customer_required', 'Name the customer');
  if (p.role === 'account_manager') {
    const own = await db('organisations').where({ id: customerId, account_manager_id: p.userId }).first('id');
    if (!own) throw new NotFound('customer.not_found', 'Customer not found');
  }
  return customerId;
}

export async function myAllocations(db: Db, p: Principal, q: MyAllocationsQuery): Promise<MyAllocations> {
  const customerId = await customerOf(db, p, q.customerId);
  const periods = (
    await db('allocations as a').join('resource_plans as p', 'p.id', 'a.plan_id').where('a.customer_id', customerId).whereNot('a.state', 'draft').distinct('p.period').orderBy('p.period', 'desc')
  ).map((r: { period: string }) => r.period);
  const period = q.period ?? periods[0];
  const rows: store.AllocationRow[] = period
    ? await db('allocations as a').join('resource_plans as p', 'p.id', 'a.plan_id').where({ 'a.customer_id': customerId, 'p.period': period }).whereNot('a.state', 'draft').select('a.*').orderBy(['a.plan_line_id', 'a.round'])
    : [];
  const terms = await customerTerms(db, customerId);
  return { items: await viewsOf(db, rows, p, [terms]), funds: await fundsOf(db, customerId, terms), periods };
}

async function visibleAllocation(db: Db, p: Principal, id: number, opts: { lock?: boolean } = {}): Promise<store.AllocationRow> {
  const row = await store.findAllocation(db, id, opts);
  if (!row) throw allocationNotFound();
  // A customer sees its published allocations only; an account manager those of its customers.
  if (isCustomer(p) && (row.customer_id !== p.organisationId || row.state === 'draft')) throw allocationNotFound();
  if (p.role === 'account_manager' && !(await db('organisations').where({ id: row.customer_id, account_manager_id: p.userId }).first('id'))) throw allocationNotFound();
  return row;
}

export async function getAllocation(db: Db, p: Principal, id: number): Promise<AllocationView> {
  return (await viewsOf(db, [await visibleAllocation(db, p, id)], p))[0];
}

/**
 * A customer's answer to one allocation, until the deadline or its approval. Accept takes the whole offer, partial
 * whole lots below it, decline nothing; the tonnage not taken goes back to the plan at once, and raising an answer
 * again takes it back only if the plan still has it. Every answer is kept as a version; an answer given while an
 * earlier one was in approval cancels that approval and starts the route again.
 */
export async function answer(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, body: AnswerBody, now = new Date()): Promise<AllocationView> {
  if (!isCustomer(p)) throw new Forbidden('allocation.customer_only', 'Only the customer answers its allocation');
  if (!p.canAnswer && p.role !== 'customer_admin') throw new Forbidden('allocation.no_right', 'You do not have the right to answer allocations');
  const row = await visibleAllocation(trx, p, id, { lock: true });
  if (body.expectedVersion !== undefined && body.expectedVersion !== row.row_version) {
    throw new Conflict('allocation.stale', 'The allocation changed since you opened it; reload it', { rowVersion: row.row_version });
  }
  if (row.state === 'approved' || row.state === 'declined' || row.state === 'rejected' || row.state === 'expired') {
    throw new Conflict('allocation.bad_state', `The allocation is ${row.state} and cannot be answered`, { state: row.state });
  }
  if (!row.deadline || new Date(fromDbTime(row.deadline)!).getTime() < now.getTime()) {
    throw new Conflict('allocation.deadline_passed', 'The answer deadline has passed', { deadline: fromDbTime(row.deadline) });
  }
  const line = (await store.findLine(trx, row.plan_line_id))!;
  const offered = num(row.offered_kg);
  const lot = num(line.lot_kg);
  let kg: number;
  if (body.decision === 'accept') kg = offered;
  else if (body.decision === 'decline') kg = 0;
  else {
    kg = body.acceptedKg ?? -1;
    if (!(kg > 0 && kg < offered)) throw new Invalid('allocation.bad_partial', `A partial answer takes more than 0 and less than the ${tonnes(offered)} t offered`, { offeredKg: offered });
    if (kg % lot !== 0) throw new Invalid('allocation.not_whole_lots', `Answers are whole lots of ${lot} kg`, { lotKg: lot });
  }
  if (body.decision !== 'partial' && body.acceptedKg !== undefined && body.acceptedKg !== kg) {
    throw new Invalid('allocation.bad_accepted', `${body.decision} takes ${tonnes(kg)} t; give acceptedKg only with partial`);
  }
  const to: AllocationState = kg === 0 ? 'declined' : 'approving';
  checkTransition(row.state, to);
  const terms = await customerTerms(trx, row.customer_id);
  const base = num(line.base_price_fen_per_t);
  const price = body.quotedPriceFenPerT ?? base + terms.priceAdjustFenPerT;
  const amount = amountFen(kg, price);
  const delta = kg - num(row.held_kg);
  if (!(await store.moveHeld(trx, line.id, delta))) {
    throw new Conflict('plan.exhausted', `Only the tonnage still held for you can be accepted now: ${tonnes(num(row.held_kg))} t`, { heldKg: num(row.held_kg) });
  }
  if (row.state === 'approving') await cancelApproval(trx, actor, 'allocation_answer', row.id);
  const version = row.answer_version + 1;
  const at = toDbTime(now);
  const remarks = body.remarks?.trim() || null;
  await store.insertAnswerVersion(trx, {
    allocation_id: row.id,
    version,
    decision: body.decision,
    accepted_kg: kg,
    quoted_price_fen_per_t: body.quotedPriceFenPerT ?? null,
    remarks,
    user_id: p.userId,
    username: p.username,
    at,
  });
  const ok = await store.guardedUpdate(trx, row, {
    state: to,
    decision: body.decision,
    accepted_kg: kg,
    held_kg: kg,
    quoted_price_fen_per_t: body.quotedPriceFenPerT ?? null,
    amount_fen: amount,
    remarks,
    answer_version: version,
    answered_at: at,
    updated_at: at,
  });
  if (!ok) throw new Conflict('allocation.stale', 'The allocation changed at the same moment; reload it');
  await audit(trx, actor, {
    action: 'allocation.answered',
    entity: 'allocation',
    entityId: row.id,
    details: { version, decision: body.decision, acceptedKg: kg, quotedPriceFenPerT: body.quotedPriceFenPerT ?? null, amountFen: amount },
  });
  if (to === 'approving') {
    await startApproval(trx, actor, {
      subjectType: 'allocation_answer',
      subjectId: row.id,
      customerId: row.customer_id,
      facts: { customerClass: terms.classCode, creditGrade: terms.grade, tonnageKg: kg, amountFen: amount, priceDeviationBp: deviationBp(price, base), variety: line.variety as AllocationView['variety'] },
    });
  }
  return (await viewsOf(trx, [(await store.findAllocation(trx, row.id))!], p, [terms]))[0];
}

// ---- the approval outcome ----

/**
 * approved: the answer becomes an intent contract for the plan's month (credit checked once more there); rejected:
 * its tonnage goes back to the plan; returned: the customer may answer again until the deadline.
 */
export async function onAnswerDecided(trx: Knex.Transaction, event: DecidedEvent, actor: Actor): Promise<void> {
  const row = await store.findAllocation(trx, event.subjectId, { lock: true });
  if (!row) throw allocationNotFound();
  const to: AllocationState = event.outcome === 'approved' ? 'approved' : event.outcome === 'rejected' ? 'rejected' : 'returned';
  checkTransition(row.state, to);
  const line = (await store.findLine(trx, row.plan_line_id))!;
  const plan = (await store.findPlan(trx, row.plan_id))!;
  const changes: Record<string, unknown> = { state: to, updated_at: nowDb() };
  if (to === 'approved') {
    const terms = await customerTerms(trx, row.customer_id);
    const kg = num(row.accepted_kg);
    const price = row.quoted_price_fen_per_t !== null ? num(row.quoted_price_fen_per_t) : num(line.base_price_fen_per_t) + terms.priceAdjustFenPerT;
    const intent = await createIntentContract(trx, actor, {
      customerId: row.customer_id,
      sourceType: 'allocation_answer',
      sourceId: row.id,
      approvalId: event.approvalId,
      deliveryMonth: plan.period,
      lines: [{ variety: line.variety, grade: line.grade, spec: line.spec, kg, priceFenPerT: price }],
      terms: row.remarks,
    });
    changes.intent_contract_id = intent.id;
  } else if (to === 'rejected') {
    changes.held_kg = 0;
    if (!(await store.moveHeld(trx, line.id, -num(row.held_kg)))) throw new Error(`plan line ${line.id} would go below zero`);
  }
  if (!(await store.guardedUpdate(trx, row, changes))) throw new Conflict('allocation.stale', 'The allocation changed at the same moment; reload it');
  if (to !== 'approved') {
    // The customer learns why: returned for change (it may answer again), or rejected.
    await notify(trx, {
      organisationId: row.customer_id,
      right: 'canAnswer',
      kind: `allocation.${to}`,
      template: to === 'returned' ? 'answer_returned' : 'answer_rejected',
      params: { period: plan.period, variety: line.variety, comment: event.comment ?? '-' },
      link: `/allocations?period=${plan.period}`,
      sms: true,
      idempotencyKey: `allocation.${to}:${event.approvalId}`,
    });
  }
}

onDecided('allocation_answer', onAnswerDecided);

/**
 * Tonnage offered to customers in the monthly plans of a period and what they accepted in their answers, for the
 * management overview (issue 8); optionally one variety, one customer class, one account manager's customers.
 */
export async function allocationAnswered(
  db: Db,
  f: { fromMonth: string; toMonth: string; variety?: string; classId?: number; managerId?: number },
): Promise<{ offeredKg: number; answeredKg: number; allocations: number; answered: number }> {
  const q = db('allocations as a')
    .join('resource_plans as rp', 'rp.id', 'a.plan_id')
    .join('plan_lines as pl', 'pl.id', 'a.plan_line_id')
    .where('rp.kind', 'monthly')
    .whereBetween('rp.period', [f.fromMonth, f.toMonth])
    .whereNotNull('a.published_at')
    .count({ allocations: '*' })
    .sum({ offered: 'a.offered_kg' })
    .select(db.raw('SUM(CASE WHEN a.decision IS NOT NULL THEN a.accepted_kg ELSE 0 END) as accepted'))
    .select(db.raw('SUM(CASE WHEN a.decision IS NOT NULL THEN 1 ELSE 0 END) as answered'));
  if (f.variety) q.where('pl.variety', f.variety);
  if (f.classId !== undefined) q.whereIn('a.customer_id', (s: Knex.QueryBuilder) => s.select('organisation_id').from('customer_profiles').where('class_id', f.classId!));
  if (f.managerId !== undefined) q.whereIn('a.customer_id', (s: Knex.QueryBuilder) => s.select('id').from('organisations').where('account_manager_id', f.managerId!));
  const r = (await q)[0] as Record<string, unknown>;
  return { offeredKg: Number(r.offered ?? 0), answeredKg: Number(r.accepted ?? 0), allocations: Number(r.allocations ?? 0), answered: Number(r.answered ?? 0) };
}
