// Allocation: plans and their checks, the proposal over the database, the grid refusing over-allocation, publication
// with notices, answers with versions and the deadline, the approval outcome (intent contract, credit re-check,
// return, rejection), the second round, the access matrix, and 16 concurrent clients on one plan (and the naive
// read-then-write variant that oversells it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createTestApp, makeOrganisation, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';
import { nowDb, toDbTime } from '../../db/knex.js';
import { systemActor } from '../../plugins/audit.js';
import type { AllocationGrid, AllocationView, MyAllocations, Plan } from '../../../../shared/api/allocation.js';
import { amountFen } from '../../../../shared/units.js';
import * as svc from './service.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
const tokens: Record<string, string> = {};
type Method = 'GET' | 'POST' | 'PUT';
const as = (who: string, method: Method, url: string, payload?: unknown) =>
  t.as(tokens[who], { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

let classes: Record<string, number>;
let periodSeq = 0;
/** A month no other test used: plans are unique per kind and period. */
const nextMonth = () => `2031-${String(++periodSeq).padStart(2, '0')}`;
const future = (hours = 48) => new Date(Date.now() + hours * 3600_000).toISOString();

async function profile(customerId: number, p: { cls?: string | null; limitFen?: number; usedFen?: number; overdueDays?: number; grade?: string | null; varieties?: Record<string, number> }) {
  await t.db('customer_profiles').insert({ organisation_id: customerId }).onConflict('organisation_id').ignore();
  await t.db('customer_profiles').where('organisation_id', customerId).update({
    class_id: p.cls ? classes[p.cls] : null,
    credit_limit_fen: p.limitFen ?? 0,
    used_fen: p.usedFen ?? 0,
    overdue_days: p.overdueDays ?? 0,
    grade: p.grade ?? 'A',
  });
  await t.db('customer_varieties').where('organisation_id', customerId).delete();
  for (const [variety, kg] of Object.entries(p.varieties ?? {})) await t.db('customer_varieties').insert({ organisation_id: customerId, variety, monthly_kg: kg });
}

async function createPlan(lines: { variety: string; plannedKg: number; basePriceFenPerT?: number; lotKg?: number }[], period = nextMonth()): Promise<Plan> {
  const res = await as('sales', 'POST', '/api/plans', { kind: 'monthly', period, name: `计划 ${period}`, lines: lines.map((l) => ({ basePriceFenPerT: 4_000_00, ...l })) });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

const setCells = (planId: number, items: { planLineId: number; customerId: number; offeredKg: number }[]) => as('sales', 'PUT', `/api/plans/${planId}/allocations`, { items });
const publish = (planId: number, deadline = future()) => as('sales', 'POST', `/api/plans/${planId}/publish`, { answerDeadline: deadline });

async function lineState(lineId: number) {
  const line = await t.db('plan_lines').where('id', lineId).first();
  const held = await t.db('allocations').where('plan_line_id', lineId).sum({ s: 'held_kg' }).first();
  return { planned: Number(line.planned_kg), allocated: Number(line.allocated_kg), held: Number(held?.s ?? 0) };
}

/** The books of a line balance: the line's counter is the sum of its allocations, within 0..planned. */
async function assertBalanced(lineId: number) {
  const s = await lineState(lineId);
  assert.equal(s.allocated, s.held, `line ${lineId}: counter ${s.allocated} = held ${s.held}`);
  assert.ok(s.allocated >= 0 && s.allocated <= s.planned, `line ${lineId}: 0 ≤ ${s.allocated} ≤ ${s.planned}`);
  const negative = await t.db('allocations').where('plan_line_id', lineId).andWhere((q) => q.where('held_kg', '<', 0).orWhere('offered_kg', '<', 0)).first('id');
  assert.equal(negative, undefined, 'nothing negative');
}

/** Moves every open deadline of a plan into the past, as if the clock had run. */
async function passDeadline(planId: number) {
  const past = toDbTime(new Date(Date.now() - 60_000));
  await t.db('allocations').where('plan_id', planId).whereNotNull('deadline').update({ deadline: past });
  await t.db('resource_plans').where('id', planId).update({ answer_deadline: past });
}

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
  classes = Object.fromEntries((await t.db('customer_classes').select('id', 'code')).map((c: { id: number; code: string }) => [c.code, Number(c.id)]));
  const answererA = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user', canAnswer: true });
  const answererB = await makeUser(t.db, { organisationId: w.customerB, role: 'customer_user', canAnswer: true });
  const cast = { admin: w.admin, sales: w.salesManager, am: w.accountManager, quality: w.quality, userA: w.userA, answerA: answererA, answerB: answererB, adminA: w.adminA };
  for (const [k, u] of Object.entries(cast)) tokens[k] = (await t.signIn(u.username)).token;
  // A strategic customer (deferred terms, priority 1) and a direct-supply one (priority 2).
  await profile(w.customerA, { cls: 'strategic', limitFen: 100_000_000_00, grade: 'AA', varieties: { rebar: 600_000, plate: 200_000 } });
  await profile(w.customerB, { cls: 'direct_supply', limitFen: 100_000_000_00, grade: 'A', varieties: { rebar: 600_000 } });
  // Only the default rule (any one sales manager) applies here.
  await t.db('approval_rules').where('is_default', false).update({ active: false });
});
after(() => t.close());

test('a plan is checked: its period fits its kind, lines are whole lots and not repeated', async () => {
  const bad: [unknown, string][] = [
    [{ kind: 'monthly', period: '2031', name: 'x', lines: [{ variety: 'rebar', plannedKg: 1000, basePriceFenPerT: 1 }] }, 'plan.bad_period'],
    [{ kind: 'annual', period: '2031-01', name: 'x', lines: [{ variety: 'rebar', plannedKg: 1000, basePriceFenPerT: 1 }] }, 'plan.bad_period'],
    [{ kind: 'monthly', period: '2031-13', name: 'x', lines: [{ variety: 'rebar', plannedKg: 1000, basePriceFenPerT: 1 }] }, 'request.invalid'],
    [{ kind: 'monthly', period: '2039-01', name: 'x', lines: [{ variety: 'rebar', plannedKg: 1500, basePriceFenPerT: 1 }] }, 'plan.not_whole_lots'],
    [{ kind: 'monthly', period: '2039-01', name: 'x', lines: [{ variety: 'rebar', plannedKg: 1000, basePriceFenPerT: 1 }, { variety: 'rebar', plannedKg: 1000, basePriceFenPerT: 1 }] }, 'plan.duplicate_line'],
    [{ kind: 'monthly', period: '2039-01', name: 'x', lines: [{ variety: 'gold', plannedKg: 1000, basePriceFenPerT: 1 }] }, 'request.invalid'],
    [{ kind: 'monthly', period: '2039-01', name: 'x', lines: [{ variety: 'rebar', plannedKg: 1.5, basePriceFenPerT: 1 }] }, 'request.invalid'],
    [{ kind: 'monthly', period: '2039-01', name: 'x', lines: [{ variety: 'rebar', plannedKg: -1000, basePriceFenPerT: 1 }] }, 'request.invalid'],
    [{ kind: 'monthly', period: '2039-01', name: 'x', lines: [] }, 'request.invalid'],
  ];
  for (const [body, code] of bad) {
    const res = await as('sales', 'POST', '/api/plans', body);
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.equal(res.json().error.code, code, JSON.stringify(body));
  }
  const p = await createPlan([{ variety: 'rebar', plannedKg: 1_000_000 }], '2039-02');
  const again = await as('sales', 'POST', '/api/plans', { kind: 'monthly', period: '2039-02', name: 'y', lines: [{ variety: 'rebar', plannedKg: 1000, basePriceFenPerT: 1 }] });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().error.code, 'plan.exists');
  assert.equal(p.lines[0].lotKg, 1000, 'whole tonnes by default');
});

test('a monthly plan shows the annual plan beside each line', async () => {
  const annual = await as('sales', 'POST', '/api/plans', { kind: 'annual', period: '2038', name: '2038 年度', lines: [{ variety: 'plate', plannedKg: 12_000_000, basePriceFenPerT: 4_200_00 }] });
  assert.equal(annual.statusCode, 201, annual.body);
  const m = await createPlan([{ variety: 'plate', plannedKg: 1_000_000 }], '2038-03');
  await createPlan([{ variety: 'plate', plannedKg: 900_000 }], '2038-04');
  const got = (await as('am', 'GET', `/api/plans/${m.id}`)).json() as Plan;
  assert.deepEqual(got.lines[0].annual, { plannedKg: 12_000_000, monthlyPlannedKg: 1_900_000 });
  assert.deepEqual(Object.keys(got.lines[0].erp).sort(), ['inventoryKg', 'productionKg']);
});

test('the proposal from the database serves priority first, cuts credit, and never exceeds the plan', async () => {
  const blocked = await makeOrganisation(t.db);
  await profile(blocked, { cls: 'strategic', limitFen: 1_000_00, usedFen: 2_000_00, varieties: { rebar: 500_000 } });
  const plan = await createPlan([{ variety: 'rebar', plannedKg: 1_000_000 }]);
  const res = await as('sales', 'POST', `/api/plans/${plan.id}/proposal`);
  assert.equal(res.statusCode, 200, res.body);
  const g = res.json() as AllocationGrid;
  const line = g.plan.lines[0];
  const of = (id: number) => g.items.find((i) => i.customerId === id)?.offeredKg ?? 0;
  assert.equal(of(w.customerA), 600_000, 'the strategic customer gets its whole monthly tonnage first');
  assert.equal(of(blocked), 0, 'a customer over its limit gets nothing');
  assert.ok(of(w.customerB) <= 400_000 && of(w.customerB) > 0, 'the direct-supply customer shares what is left');
  assert.ok(line.allocatedKg <= line.plannedKg);
  assert.equal(g.customers.find((c) => c.id === blocked)?.credit, 'blocked');
  await assertBalanced(line.id);
  // Proposing again replaces the drafts rather than adding to them.
  const again = (await as('sales', 'POST', `/api/plans/${plan.id}/proposal`)).json() as AllocationGrid;
  assert.equal(again.plan.lines[0].allocatedKg, line.allocatedKg);
  await assertBalanced(line.id);
});

test('the grid refuses over-allocation with the figures, and keeps totals exact', async () => {
  const plan = await createPlan([{ variety: 'rebar', plannedKg: 100_000 }]);
  const lineId = plan.lines[0].id;
  assert.equal((await setCells(plan.id, [{ planLineId: lineId, customerId: w.customerA, offeredKg: 60_000 }])).statusCode, 200);
  const over = await setCells(plan.id, [{ planLineId: lineId, customerId: w.customerB, offeredKg: 41_000 }]);
  assert.equal(over.statusCode, 409, over.body);
  assert.equal(over.json().error.code, 'plan.over_allocated');
  assert.deepEqual(over.json().error.details, { planLineId: lineId, plannedKg: 100_000, allocatedKg: 60_000, wantedKg: 41_000 });
  // A batch is all or nothing: the first cell fits, the second does not, neither stays.
  const batch = await setCells(plan.id, [
    { planLineId: lineId, customerId: w.customerB, offeredKg: 40_000 },
    { planLineId: lineId, customerId: w.customerA, offeredKg: 61_000 },
  ]);
  assert.equal(batch.statusCode, 409);
  assert.deepEqual(await lineState(lineId), { planned: 100_000, allocated: 60_000, held: 60_000 });
  assert.equal((await setCells(plan.id, [{ planLineId: lineId, customerId: w.customerB, offeredKg: 500 }])).json().error.code, 'allocation.not_whole_lots');
  assert.equal((await setCells(plan.id, [{ planLineId: lineId, customerId: w.mill, offeredKg: 1000 }])).json().error.code, 'allocation.not_a_customer');
  const g = (await setCells(plan.id, [{ planLineId: lineId, customerId: w.customerB, offeredKg: 40_000 }])).json() as AllocationGrid;
  assert.equal(g.plan.allocatedKg, 100_000);
  assert.equal(g.plan.lines[0].remainingKg, 0);
  // The plan cannot shrink below what is allocated.
  const shrink = await as('sales', 'PUT', `/api/plans/${plan.id}`, { lines: [{ id: lineId, variety: 'rebar', plannedKg: 90_000, basePriceFenPerT: 4_000_00 }] });
  assert.equal(shrink.statusCode, 409);
  assert.equal(shrink.json().error.code, 'plan.below_allocated');
  await assertBalanced(lineId);
});

test('publishing offers the drafts with the deadline and tells each customer in-app and by SMS', async () => {
  const plan = await createPlan([{ variety: 'rebar', plannedKg: 100_000 }]);
  const lineId = plan.lines[0].id;
  assert.equal((await publish(plan.id)).json().error.code, 'plan.nothing_to_publish');
  await setCells(plan.id, [{ planLineId: lineId, customerId: w.customerA, offeredKg: 50_000 }]);
  assert.equal((await publish(plan.id, new Date(Date.now() - 1000).toISOString())).json().error.code, 'plan.deadline_past');
  const res = await publish(plan.id);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().customersNotified, 1);
  const answerer = await t.db('users').where('organisation_id', w.customerA).andWhere('can_answer', true).first('id');
  const n = await t.db('notifications').where({ user_id: answerer.id, kind: 'allocation.published' }).orderBy('id', 'desc').first();
  assert.ok(n, 'an in-app notice for the user who answers');
  assert.match(JSON.parse(n.params).tonnes, /^50\.000$/);
  assert.ok(await t.db('sms_messages').where('idempotency_key', 'like', `allocation.published:${plan.id}:1:${w.customerA}%`).first('id'), 'an SMS queued');
  const noRight = await t.db('notifications').where({ user_id: w.userA.id, kind: 'allocation.published' }).first('id');
  assert.equal(noRight, undefined, 'users without the right to answer are not told');
  // A customer sees it; its neighbour does not.
  const mine = (await as('answerA', 'GET', `/api/allocations?period=${plan.period}`)).json() as MyAllocations;
  assert.equal(mine.items.length, 1);
  assert.equal(mine.items[0].customerPriceFenPerT, 4_000_00 - 30_00, 'the strategic class price applies');
  assert.ok(mine.items[0].answerable);
  assert.equal(((await as('answerB', 'GET', `/api/allocations?period=${plan.period}`)).json() as MyAllocations).items.length, 0);
  assert.equal((await as('answerB', 'GET', `/api/allocations/${mine.items[0].id}`)).statusCode, 404);
});

async function publishedOffer(kg = 100_000, customerId = w.customerA): Promise<{ plan: Plan; lineId: number; id: number }> {
  const plan = await createPlan([{ variety: 'rebar', plannedKg: 200_000 }]);
  const lineId = plan.lines[0].id;
  assert.equal((await setCells(plan.id, [{ planLineId: lineId, customerId, offeredKg: kg }])).statusCode, 200);
  assert.equal((await publish(plan.id)).statusCode, 200);
  const a = await t.db('allocations').where({ plan_id: plan.id, customer_id: customerId }).first('id');
  return { plan, lineId, id: Number(a.id) };
}

const answer = (who: string, id: number, body: object) => as(who, 'POST', `/api/allocations/${id}/answer`, body);
const approvalOf = async (id: number) => t.db('approvals').where({ subject_type: 'allocation_answer', subject_id: id }).orderBy('id', 'desc').first();
const decide = (id: number, action: string, comment?: string) => as('sales', 'POST', `/api/approvals/${id}/decisions`, comment ? { action, comment } : { action });

test('an answer with a quote goes to approval; approval makes an intent contract both sides see, at the exact amount', async () => {
  const { id, lineId } = await publishedOffer(100_000);
  const res = await answer('answerA', id, { decision: 'partial', acceptedKg: 70_000, quotedPriceFenPerT: 3_987_65, remarks: '分两批发' });
  assert.equal(res.statusCode, 200, res.body);
  const v = res.json() as AllocationView;
  assert.equal(v.state, 'approving');
  assert.equal(v.amountFen, amountFen(70_000, 3_987_65));
  assert.equal(v.amountFen, 279_135_50, '70 t × 3,987.65 yuan');
  assert.deepEqual(await lineState(lineId), { planned: 200_000, allocated: 70_000, held: 70_000 }, 'the 30 t not taken are back in the plan');
  const approval = await approvalOf(id);
  assert.equal(approval.state, 'pending');
  const facts = JSON.parse(approval.facts);
  assert.equal(facts.tonnageKg, 70_000);
  assert.equal(facts.priceDeviationBp, -30, '(3,987.65 − 4,000) / 4,000 = −0.31 %, toward zero');
  const staffTold = await t.db('notifications').where({ user_id: w.salesManager.id, kind: 'approval.needed' }).first('id');
  assert.ok(staffTold, 'the approvers are told');

  const ok = await decide(approval.id, 'approve');
  assert.equal(ok.statusCode, 200, ok.body);
  const after = (await as('answerA', 'GET', `/api/allocations/${id}`)).json() as AllocationView;
  assert.equal(after.state, 'approved');
  assert.ok(after.intentContractId);
  const intent = await as('answerA', 'GET', `/api/intent-contracts/${after.intentContractId}`);
  assert.equal(intent.statusCode, 200, intent.body);
  assert.equal(intent.json().amountFen, 279_135_50);
  assert.equal(intent.json().lines[0].kg, 70_000);
  assert.equal(intent.json().paymentTerms, 'deferred');
  assert.match(intent.json().contractNo, /^YX\d{6}\d{4}$/);
  assert.equal((await as('am', 'GET', `/api/intent-contracts/${after.intentContractId}`)).statusCode, 200, 'the account manager of the customer sees it');
  assert.equal((await as('answerB', 'GET', `/api/intent-contracts/${after.intentContractId}`)).statusCode, 404, 'another customer does not');
  assert.equal((await answer('answerA', id, { decision: 'accept' })).json().error.code, 'allocation.bad_state', 'an approved answer cannot change');
  await assertBalanced(lineId);
});

test('answers can change until approved: each version is kept and the approval starts over', async () => {
  const { id, lineId } = await publishedOffer(100_000);
  await answer('answerA', id, { decision: 'accept' });
  const first = await approvalOf(id);
  const second = await answer('answerA', id, { decision: 'partial', acceptedKg: 40_000, expectedVersion: ((await as('answerA', 'GET', `/api/allocations/${id}`)).json() as AllocationView).rowVersion });
  assert.equal(second.statusCode, 200, second.body);
  assert.equal((await t.db('approvals').where('id', first.id).first()).state, 'cancelled');
  assert.equal((await approvalOf(id)).state, 'pending');
  const stale = await answer('answerA', id, { decision: 'accept', expectedVersion: 0 });
  assert.equal(stale.json().error.code, 'allocation.stale');
  // Raising the answer again takes the tonnage back while the plan still has it.
  const third = (await answer('answerA', id, { decision: 'accept' })).json() as AllocationView;
  assert.deepEqual(third.versions.map((x) => [x.version, x.decision, x.acceptedKg]), [[1, 'accept', 100_000], [2, 'partial', 40_000], [3, 'accept', 100_000]]);
  assert.equal((await answer('answerA', id, { decision: 'partial', acceptedKg: 100_000 })).json().error.code, 'allocation.bad_partial');
  assert.equal((await answer('answerA', id, { decision: 'partial', acceptedKg: 40_500 })).json().error.code, 'allocation.not_whole_lots');
  assert.equal((await answer('answerA', id, { decision: 'accept', acceptedKg: 5 })).json().error.code, 'allocation.bad_accepted');
  await assertBalanced(lineId);
  const decline = (await answer('answerA', id, { decision: 'decline', remarks: '本月不需要' })).json() as AllocationView;
  assert.equal(decline.state, 'declined');
  assert.equal((await approvalOf(id)).state, 'cancelled');
  assert.deepEqual(await lineState(lineId), { planned: 200_000, allocated: 0, held: 0 });
});

test('answers after the deadline are refused, and the unanswered tonnage returns to the plan', async () => {
  const { plan, id, lineId } = await publishedOffer(100_000);
  await passDeadline(plan.id);
  const late = await answer('answerA', id, { decision: 'accept' });
  assert.equal(late.statusCode, 409);
  assert.equal(late.json().error.code, 'allocation.deadline_passed');
  assert.equal(await t.db.transaction((trx) => svc.expireDue(trx)), 1);
  assert.equal(await t.db.transaction((trx) => svc.expireDue(trx)), 0, 'expiry is idempotent');
  assert.equal((await t.db('allocations').where('id', id).first()).state, 'expired');
  assert.deepEqual(await lineState(lineId), { planned: 200_000, allocated: 0, held: 0 });
});

test('a second round offers the returned tonnage, only after the first round closed, not to those who declined', async () => {
  const plan = await createPlan([{ variety: 'rebar', plannedKg: 1_000_000 }]);
  const lineId = plan.lines[0].id;
  await setCells(plan.id, [
    { planLineId: lineId, customerId: w.customerA, offeredKg: 500_000 },
    { planLineId: lineId, customerId: w.customerB, offeredKg: 500_000 },
  ]);
  await publish(plan.id);
  const a = await t.db('allocations').where({ plan_id: plan.id, customer_id: w.customerA }).first('id');
  const b = await t.db('allocations').where({ plan_id: plan.id, customer_id: w.customerB }).first('id');
  await answer('answerA', a.id, { decision: 'partial', acceptedKg: 300_000 });
  await answer('answerB', b.id, { decision: 'decline' });
  assert.deepEqual(await lineState(lineId), { planned: 1_000_000, allocated: 300_000, held: 300_000 });
  const round2 = (await as('sales', 'POST', `/api/plans/${plan.id}/proposal`)).json() as AllocationGrid;
  assert.equal(round2.draftRound, 2);
  const drafts = round2.items.filter((i) => i.state === 'draft');
  assert.deepEqual(drafts.map((d) => [d.customerId, d.offeredKg]), [[w.customerA, 300_000]], 'A is offered the rest of its 600 t; B declined the line');
  assert.equal((await publish(plan.id)).json().error.code, 'plan.round_open', 'round 1 is still open');
  await passDeadline(plan.id);
  const res = await publish(plan.id);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().plan.round, 2);
  await assertBalanced(lineId);
});

test('approval outcome: return lets the customer answer again; rejection gives the tonnage back; a credit block stops the intent contract', async () => {
  const { id, lineId } = await publishedOffer(100_000);
  await answer('answerA', id, { decision: 'accept', quotedPriceFenPerT: 3_500_00 });
  const returned = await decide((await approvalOf(id)).id, 'return', '价格过低，请重新报价');
  assert.equal(returned.statusCode, 200, returned.body);
  assert.equal((await t.db('allocations').where('id', id).first()).state, 'returned');
  assert.ok(await t.db('notifications').where({ kind: 'allocation.returned' }).first('id'), 'the customer is told');
  await answer('answerA', id, { decision: 'accept', quotedPriceFenPerT: 3_950_00 });
  await decide((await approvalOf(id)).id, 'reject', '不予批准');
  assert.equal((await t.db('allocations').where('id', id).first()).state, 'rejected');
  assert.deepEqual(await lineState(lineId), { planned: 200_000, allocated: 0, held: 0 });

  // B is on deferred-free terms (cash on delivery) with a small limit: approval finds the credit does not cover it.
  await profile(w.customerB, { cls: 'direct_supply', limitFen: 1_000_00, grade: 'A', varieties: { rebar: 600_000 } });
  const offer = await publishedOffer(100_000, w.customerB);
  await answer('answerB', offer.id, { decision: 'accept' });
  const approval = await approvalOf(offer.id);
  const blocked = await decide(approval.id, 'approve');
  assert.equal(blocked.statusCode, 409, blocked.body);
  assert.equal(blocked.json().error.code, 'intent.credit_blocked');
  assert.equal((await t.db('approvals').where('id', approval.id).first()).state, 'pending', 'the approval rolled back');
  assert.equal((await t.db('allocations').where('id', offer.id).first()).state, 'approving');
  await profile(w.customerB, { cls: 'direct_supply', limitFen: 100_000_000_00, grade: 'A', varieties: { rebar: 600_000 } });
});

test('who may do what: plans for sales managers, answers for the customer with the right, nobody crosses customers', async () => {
  const { plan, id } = await publishedOffer(10_000);
  const cases: [string, Method, string, unknown, number][] = [
    ['answerA', 'GET', '/api/plans', undefined, 403],
    ['answerA', 'GET', `/api/plans/${plan.id}/allocations`, undefined, 403],
    ['am', 'POST', `/api/plans/${plan.id}/proposal`, undefined, 403],
    ['admin', 'PUT', `/api/plans/${plan.id}/allocations`, { items: [{ planLineId: plan.lines[0].id, customerId: w.customerA, offeredKg: 0 }] }, 403],
    ['am', 'GET', `/api/plans/${plan.id}/allocations`, undefined, 200],
    ['quality', 'GET', `/api/allocations?customerId=${w.customerA}`, undefined, 403],
    ['quality', 'GET', '/api/intent-contracts', undefined, 403],
    ['sales', 'POST', `/api/allocations/${id}/answer`, { decision: 'accept' }, 403],
    ['userA', 'POST', `/api/allocations/${id}/answer`, { decision: 'accept' }, 403],
    ['answerB', 'POST', `/api/allocations/${id}/answer`, { decision: 'accept' }, 404],
    ['answerB', 'GET', `/api/allocations/${id}`, undefined, 404],
    ['answerA', 'POST', `/api/allocations/${id}/answer`, { decision: 'maybe' }, 400],
    ['answerA', 'POST', `/api/allocations/${id}/answer`, { decision: 'accept', extra: 1 }, 400],
    ['sales', 'GET', '/api/allocations', undefined, 400],
    ['am', 'GET', `/api/allocations?customerId=${w.customerA}`, undefined, 200],
  ];
  for (const [who, method, url, body, status] of cases) {
    const res = await as(who, method, url, body);
    assert.equal(res.statusCode, status, `${who} ${method} ${url}: ${res.body}`);
    if (status >= 400) assert.ok(res.json().error.code, 'the error shape');
  }
  const otherAm = await makeUser(t.db, { organisationId: w.mill, role: 'account_manager' });
  const token = (await t.signIn(otherAm.username)).token;
  assert.equal((await t.as(token, { method: 'GET', url: `/api/allocations?customerId=${w.customerA}` })).statusCode, 404, 'another account manager');
  assert.equal((await t.as(token, { method: 'GET', url: `/api/allocations/${id}` })).statusCode, 404);
  // The customer admin answers for its organisation without the explicit right.
  assert.equal((await answer('adminA', id, { decision: 'accept' })).statusCode, 200);
});

// ---- 16 concurrent clients on one plan ----

const CLIENTS = 16;

/**
 * The naive grid edit the service must not be: read what the line has allocated, check it, then write the new total.
 * Kept here to prove that the concurrency test below can catch overselling.
 */
async function naiveSetDraft(db: Knex, lineId: number, customerId: number, planId: number, kg: number): Promise<boolean> {
  const line = await db('plan_lines').where('id', lineId).first();
  if (Number(line.allocated_kg) + kg > Number(line.planned_kg)) return false;
  await db('plan_lines').where('id', lineId).update({ allocated_kg: Number(line.allocated_kg) + kg });
  const now = nowDb();
  await db('allocations').insert({ plan_id: planId, plan_line_id: lineId, customer_id: customerId, round: 1, state: 'draft', offered_kg: kg, held_kg: kg, created_at: now, updated_at: now });
  return true;
}

test(`${CLIENTS} concurrent clients on one plan never over-allocate it; the naive read-then-write variant does`, async () => {
  const customers: number[] = [];
  const answerTokens: string[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const c = await makeOrganisation(t.db);
    await profile(c, { cls: 'agreement', varieties: { rebar: 100_000 } });
    customers.push(c);
    answerTokens.push((await t.signIn((await makeUser(t.db, { organisationId: c, role: 'customer_user', canAnswer: true })).username)).token);
  }
  const plan = await createPlan([{ variety: 'rebar', plannedKg: 1_000_000 }]);
  const lineId = plan.lines[0].id;
  const managers: string[] = [];
  for (let i = 0; i < CLIENTS; i++) managers.push((await t.signIn((await makeUser(t.db, { organisationId: w.mill, role: 'sales_manager' })).username)).token);

  // Round 1: every client asks for 300 t of the 1,000 t at once: three fit.
  const offers = await Promise.all(
    customers.map((c, i) => t.as(managers[i], { method: 'PUT', url: `/api/plans/${plan.id}/allocations`, payload: { items: [{ planLineId: lineId, customerId: c, offeredKg: 300_000 }] } })),
  );
  const codes = offers.map((r) => r.statusCode);
  assert.equal(codes.filter((s) => s === 200).length, 3, `three offers fit: ${codes.join(',')}`);
  for (const r of offers.filter((x) => x.statusCode !== 200)) assert.equal(r.json().error.code, 'plan.over_allocated', r.body);
  await assertBalanced(lineId);

  // Then everything at once: the three answer (two take part, one declines), edits fill and empty drafts of others.
  const fill = await Promise.all(customers.map((c, i) => t.as(managers[i], { method: 'PUT', url: `/api/plans/${plan.id}/allocations`, payload: { items: [{ planLineId: lineId, customerId: c, offeredKg: 100_000 }] } })));
  assert.ok(fill.every((r) => r.statusCode === 200 || r.json().error.code === 'plan.over_allocated'));
  await assertBalanced(lineId);
  assert.equal((await publish(plan.id)).statusCode, 200);
  const offered: { id: number; customer_id: number }[] = await t.db('allocations').where({ plan_id: plan.id, state: 'offered' }).select('id', 'customer_id');
  const idx = (c: number) => customers.indexOf(c);
  const storm = await Promise.all([
    ...offered.map((a, k) =>
      t.as(answerTokens[idx(a.customer_id)], { method: 'POST', url: `/api/allocations/${a.id}/answer`, payload: k % 3 === 0 ? { decision: 'decline' } : { decision: 'partial', acceptedKg: 50_000 } }),
    ),
    ...customers.map((c, i) => t.as(managers[i], { method: 'PUT', url: `/api/plans/${plan.id}/allocations`, payload: { items: [{ planLineId: lineId, customerId: c, offeredKg: 200_000 }] } })),
  ]);
  for (const r of storm) assert.ok(r.statusCode === 200 || (r.statusCode === 409 && ['plan.over_allocated', 'allocation.published'].includes(r.json().error.code)), r.body);
  await assertBalanced(lineId);
  const s = await lineState(lineId);
  assert.equal(s.planned - s.allocated >= 0, true, 'allocated plus remaining equals the plan');

  // The same race against the naive variant: it must oversell, or this test could not catch it.
  const naivePlan = await createPlan([{ variety: 'rebar', plannedKg: 1_000_000 }]);
  const naiveLine = naivePlan.lines[0].id;
  const won = await Promise.all(customers.map((c) => naiveSetDraft(t.db, naiveLine, c, naivePlan.id, 300_000)));
  const held = await lineState(naiveLine);
  assert.ok(won.filter(Boolean).length > 3 && held.held > held.planned, `the naive variant oversold: ${held.held} kg held of ${held.planned}`);
});
