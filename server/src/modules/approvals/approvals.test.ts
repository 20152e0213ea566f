// Approval engine: rule matching by each condition and its boundaries, priority and the default, versioning, any/all
// chains, rejection and return, refusals, 16 concurrent deciders (and a naive variant that double-approves), rule
// validation and the access matrix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createTestApp, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';
import { systemActor } from '../../plugins/audit.js';
import { nowDb } from '../../db/knex.js';
import type { ApprovalFacts, RuleConditions, RuleStep, SubjectType } from '../../../../shared/api/approvals.js';
import { deviationBp } from '../../../../shared/units.js';
import * as svc from './service.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
let sm2: { id: number; username: string };
let sm3: { id: number; username: string };
const tokens: Record<string, string> = {};
type Method = 'GET' | 'POST' | 'PUT';
const as = (who: string, method: Method, url: string, payload?: unknown) =>
  t.as(tokens[who], { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

let subjectSeq = 0;
const facts = (f: Partial<ApprovalFacts> = {}): ApprovalFacts => ({
  customerClass: null,
  creditGrade: null,
  tonnageKg: 100_000,
  amountFen: 0,
  priceDeviationBp: 0,
  variety: 'rebar',
  ...f,
});

const start = (f: Partial<ApprovalFacts> = {}, subjectType: SubjectType = 'allocation_answer', subjectId = ++subjectSeq, customerId = w.customerA) =>
  t.db.transaction((trx) => svc.startApproval(trx, systemActor('test'), { subjectType, subjectId, customerId, facts: facts(f) }));

const decide = (who: string, id: number, action: 'approve' | 'reject' | 'return', comment?: string) =>
  as(who, 'POST', `/api/approvals/${id}/decisions`, comment === undefined ? { action } : { action, comment });

async function createRule(name: string, priority: number, conditions: RuleConditions, steps: RuleStep[]) {
  const res = await as('admin', 'POST', '/api/approval-rules', { name, priority, conditions, steps });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: number; currentVersion: number };
}

/** Rules are global: each test that matches switches off the rules of the tests before it. */
const onlyDefault = () => t.db('approval_rules').where('is_default', false).update({ active: false });

const sales: RuleStep = { approvers: { roles: ['sales_manager'] }, mode: 'any' };

// The subjects here are made up: the Allocation and Demands modules' outcome handlers must not look for them.
let resume: (() => void)[] = [];

before(async () => {
  resume = [svc.suspendHandlers('allocation_answer'), svc.suspendHandlers('demand')];
  t = await createTestApp();
  w = await makeWorld(t.db);
  sm2 = await makeUser(t.db, { organisationId: w.mill, role: 'sales_manager' });
  sm3 = await makeUser(t.db, { organisationId: w.mill, role: 'sales_manager' });
  const cast = { admin: w.admin, sales: w.salesManager, sm2, sm3, am: w.accountManager, quality: w.quality, userA: w.userA, userB: w.userB };
  for (const [k, u] of Object.entries(cast)) tokens[k] = (await t.signIn(u.username)).token;
  const strategic = await t.db('customer_classes').where('code', 'strategic').first('id');
  await t.db('customer_profiles').insert({ organisation_id: w.customerA, class_id: strategic.id, grade: 'AA' });
});
after(async () => {
  await t.close();
  for (const r of resume) r();
});

test('each condition matches inside its bounds and at both ends, and not one unit outside', () => {
  const f = facts({ customerClass: 'strategic', creditGrade: 'AA', tonnageKg: 500_000, amountFen: 2_000_000_00, priceDeviationBp: -300, variety: 'plate' });
  assert.ok(svc.matches({}, f), 'no conditions match everything');
  assert.ok(svc.matches({ customerClasses: ['strategic', 'agreement'] }, f));
  assert.ok(!svc.matches({ customerClasses: ['agreement'] }, f));
  assert.ok(!svc.matches({ customerClasses: ['agreement'] }, { ...f, customerClass: null }), 'an unknown class is in no list');
  assert.ok(svc.matches({ creditGrades: ['AA'] }, f));
  assert.ok(!svc.matches({ creditGrades: ['B', 'C'] }, f));
  assert.ok(!svc.matches({ creditGrades: ['C'] }, { ...f, creditGrade: null }));
  assert.ok(svc.matches({ varieties: ['plate'] }, f));
  assert.ok(!svc.matches({ varieties: ['rebar'] }, f));
  for (const [field, v] of [['tonnageKg', 500_000], ['amountFen', 2_000_000_00], ['priceDeviationBp', -300]] as const) {
    assert.ok(svc.matches({ [field]: { min: v, max: v } }, f), `${field} at both ends`);
    assert.ok(!svc.matches({ [field]: { min: v + 1 } }, f), `${field} one below the minimum`);
    assert.ok(!svc.matches({ [field]: { max: v - 1 } }, f), `${field} one above the maximum`);
    assert.ok(svc.matches({ [field]: { max: v } }, f), `${field} open below`);
  }
  assert.ok(!svc.matches({ tonnageKg: { min: 1 }, varieties: ['rebar'] }, f), 'every condition must hold');
  assert.equal(deviationBp(4_100_00, 4_000_00), 250);
  assert.equal(deviationBp(3_999_99, 4_000_00), 0, 'rounded toward zero');
  assert.equal(deviationBp(3_960_00, 4_000_00), -100);
});

test('the first active rule by priority applies, the default when none matches', async () => {
  await onlyDefault();
  const late = await createRule('大单 large', 20, { tonnageKg: { min: 1_000_000 } }, [sales, sales]);
  const early = await createRule('战略大单 strategic large', 10, { tonnageKg: { min: 1_000_000 }, customerClasses: ['strategic'] }, [sales]);
  const preview = (f: Partial<ApprovalFacts>) => svc.previewRoute(t.db, facts(f), w.customerA);
  assert.equal((await preview({ tonnageKg: 1_000_000, customerClass: 'strategic' })).rule.id, early.id);
  assert.equal((await preview({ tonnageKg: 1_000_000, customerClass: 'agreement' })).rule.id, late.id);
  const dflt = await preview({ tonnageKg: 999_999, customerClass: 'strategic' });
  assert.equal(dflt.rule.isDefault, true);
  assert.deepEqual(dflt.steps[0].approvers.map((a) => a.id).sort(), [w.salesManager.id, sm2.id, sm3.id].sort());
  await as('admin', 'POST', `/api/approval-rules/${early.id}/deactivate`);
  assert.equal((await preview({ tonnageKg: 1_000_000, customerClass: 'strategic' })).rule.id, late.id, 'an inactive rule is skipped');
  await as('admin', 'PUT', `/api/approval-rules/${late.id}`, { priority: 5 });
  await as('admin', 'POST', `/api/approval-rules/${early.id}/activate`);
  assert.equal((await preview({ tonnageKg: 1_000_000, customerClass: 'strategic' })).rule.id, late.id, 'priority 5 before 10');
});

test('the preview resolves the customer from the caller and the account-manager role to their own manager', async () => {
  await onlyDefault();
  const rule = await createRule('C级 grade C', 1, { creditGrades: ['AA'], priceDeviationBp: { max: -1 } }, [{ approvers: { roles: ['account_manager'] }, mode: 'any' }, sales]);
  const body = { tonnageKg: 10_000, amountFen: 40_000_00, priceDeviationBp: -50, variety: 'rebar' };
  const mine = await as('userA', 'POST', '/api/approvals/preview', { ...body, customerId: w.customerB });
  assert.equal(mine.statusCode, 200, mine.body);
  assert.equal(mine.json().rule.id, rule.id, "customer A's grade AA is looked up, customerId of another ignored");
  assert.deepEqual(mine.json().steps[0].approvers.map((a: { id: number }) => a.id), [w.accountManager.id]);
  const other = await as('userB', 'POST', '/api/approvals/preview', body);
  assert.equal(other.json().rule.isDefault, true, 'customer B has no grade');
  assert.equal((await as('sales', 'POST', '/api/approvals/preview', { ...body, customerId: w.customerA })).json().rule.id, rule.id);
  assert.equal((await as('sales', 'POST', '/api/approvals/preview', body)).json().error.code, 'approval.customer_required');
  assert.equal((await as('am', 'POST', '/api/approvals/preview', { ...body, customerId: w.customerB })).statusCode, 404, 'not their customer');
  assert.equal((await t.app.inject({ method: 'POST', url: '/api/approvals/preview', payload: body })).statusCode, 401);
});

test('an any-of chain moves one step per approval and ends approved; the outcome hook runs once in the transaction', async () => {
  await onlyDefault();
  await createRule('两级 two levels', 1, { varieties: ['wire_rod'] }, [sales, { approvers: { userIds: [w.admin.id] }, mode: 'any' }]);
  const events: svc.DecidedEvent[] = [];
  const off = svc.onDecided('demand', async (trx, e) => {
    events.push(e);
    assert.equal((await trx('approvals').where('id', e.approvalId).first('state')).state, 'approved', 'the hook sees the new state');
  });
  try {
    const a = await start({ variety: 'wire_rod' }, 'demand');
    assert.equal(a.state, 'pending');
    assert.equal(a.steps.length, 2);
    assert.equal((await decide('admin', a.id, 'approve')).json().error.code, 'approval.not_approver', 'step 2 is not yet');
    const first = await decide('sm2', a.id, 'approve', '同意');
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().currentStep, 1);
    assert.equal((await decide('sales', a.id, 'approve')).json().error.code, 'approval.not_approver', 'step 1 is done');
    assert.equal(events.length, 0);
    const second = await decide('admin', a.id, 'approve');
    assert.equal(second.json().state, 'approved');
    assert.ok(second.json().decidedAt);
    assert.deepEqual(second.json().actions.map((x: { username: string; step: number }) => [x.step, x.username]), [[0, sm2.username], [1, w.admin.username]]);
    assert.equal(events.length, 1);
    assert.equal(events[0].outcome, 'approved');
    assert.equal((await decide('admin', a.id, 'approve')).json().error.code, 'approval.not_pending');
    const audited = await t.db('audit_log').where({ entity: 'approval', entity_id: String(a.id) }).orderBy('id').pluck('action');
    assert.deepEqual(audited, ['approval.started', 'approval.approve', 'approval.approve']);
  } finally {
    off();
  }
});

test('an all-of step needs every named user and one approver of each listed role; nobody acts twice', async () => {
  await onlyDefault();
  await createRule('会签 countersign', 1, { varieties: ['section'] }, [{ approvers: { userIds: [w.admin.id], roles: ['sales_manager', 'account_manager'] }, mode: 'all' }]);
  const a = await start({ variety: 'section' });
  assert.equal((await decide('sales', a.id, 'approve')).json().currentStep, 0);
  assert.equal((await decide('sales', a.id, 'approve')).json().error.code, 'approval.already_acted');
  const sameRole = await decide('sm2', a.id, 'approve');
  assert.equal(sameRole.statusCode, 200, 'another sales manager may approve too');
  assert.equal(sameRole.json().currentStep, 0, 'but the role was already covered');
  assert.equal((await decide('am', a.id, 'approve')).json().state, 'pending', 'the named administrator is still missing');
  const last = await decide('admin', a.id, 'approve');
  assert.equal(last.json().state, 'approved');
  assert.equal(last.json().actions.length, 4);
  assert.equal((await decide('quality', a.id, 'approve')).json().error.code, 'approval.not_pending');
});

test('a rejection or a return ends the approval with the comment; the subject may then be submitted again', async () => {
  await onlyDefault();
  const events: svc.DecidedEvent[] = [];
  const off = svc.onDecided('allocation_answer', async (_trx, e) => void events.push(e));
  try {
    const subject = ++subjectSeq;
    const a = await start({}, 'allocation_answer', subject);
    await assert.rejects(start({}, 'allocation_answer', subject), (e: Error & { code?: string }) => e.code === 'approval.already_pending');
    assert.equal((await decide('sales', a.id, 'return')).json().error.code, 'approval.comment_required');
    assert.equal((await decide('sales', a.id, 'return', '  ')).json().error.code, 'approval.comment_required');
    const ret = await decide('sales', a.id, 'return', '请调整价格');
    assert.equal(ret.json().state, 'returned');
    assert.equal(ret.json().actions[0].comment, '请调整价格');
    assert.equal(events.at(-1)?.outcome, 'returned');
    const again = await start({}, 'allocation_answer', subject);
    assert.equal(again.round, 2);
    assert.equal((await decide('sm3', again.id, 'reject', '信用不足')).json().state, 'rejected');
    assert.equal(events.at(-1)?.outcome, 'rejected');
    assert.equal(events.at(-1)?.comment, '信用不足');
    const third = await start({}, 'allocation_answer', subject);
    assert.equal(await t.db.transaction((trx) => svc.cancelApproval(trx, systemActor('test'), 'allocation_answer', subject)), true);
    assert.equal((await as('sales', 'GET', `/api/approvals/${third.id}`)).json().state, 'cancelled');
    assert.equal(events.length, 2, 'a cancellation is the caller’s own doing: no hook');
  } finally {
    off();
  }
});

test('an approval in progress keeps the rule version it started with', async () => {
  await onlyDefault();
  const rule = await createRule('中厚板 plate', 1, { varieties: ['plate'] }, [{ approvers: { userIds: [sm2.id] }, mode: 'any' }]);
  const a = await start({ variety: 'plate' });
  const changed = await as('admin', 'PUT', `/api/approval-rules/${rule.id}`, { steps: [{ approvers: { userIds: [sm3.id] }, mode: 'any' }, sales] });
  assert.equal(changed.json().currentVersion, 2);
  assert.equal(changed.json().versions.length, 2);
  assert.deepEqual(changed.json().versions[1].steps[0].approvers.userIds, [sm2.id], 'version 1 is kept as it was');
  const renamed = await as('admin', 'PUT', `/api/approval-rules/${rule.id}`, { name: '中厚板 plate (renamed)' });
  assert.equal(renamed.json().currentVersion, 2, 'a name is not a new version');
  const b = await start({ variety: 'plate' });
  assert.equal(b.rule.version, 2);
  assert.equal(b.steps.length, 2);
  assert.equal((await decide('sm3', a.id, 'approve')).json().error.code, 'approval.not_approver', 'the old approval follows version 1');
  const done = await decide('sm2', a.id, 'approve');
  assert.equal(done.json().state, 'approved');
  assert.equal(done.json().rule.version, 1);
  assert.equal((await decide('sm3', b.id, 'approve')).json().currentStep, 1);
});

test('the queue shows what I may act on now, and nothing I already did', async () => {
  await onlyDefault();
  await createRule('队列 queue', 1, { varieties: ['hot_rolled_coil'] }, [{ approvers: { userIds: [sm2.id, sm3.id] }, mode: 'all' }, { approvers: { roles: ['account_manager', 'admin'] }, mode: 'any' }]);
  const a = await start({ variety: 'hot_rolled_coil' });
  const b = await start({ variety: 'hot_rolled_coil' }, 'allocation_answer', ++subjectSeq, w.customerB);
  const queued = async (who: string) => (await as(who, 'GET', '/api/approvals/queue')).json().items.map((i: { id: number }) => i.id);
  assert.ok((await queued('sm2')).includes(a.id));
  assert.ok(!(await queued('am')).includes(a.id));
  await decide('sm2', a.id, 'approve');
  assert.ok(!(await queued('sm2')).includes(a.id));
  assert.ok((await queued('sm3')).includes(a.id));
  await decide('sm3', a.id, 'approve');
  assert.ok((await queued('am')).includes(a.id), "customer A's account manager");
  await decide('sm2', b.id, 'approve');
  await decide('sm3', b.id, 'approve');
  assert.ok(!(await queued('am')).includes(b.id), 'customer B has no account manager');
  assert.ok((await queued('admin')).includes(b.id));
  assert.equal((await decide('am', b.id, 'approve')).json().error.code, 'approval.not_approver');
});

test('a customer reads its own approvals without the internal facts, and nobody else’s', async () => {
  const a = await start({}, 'demand');
  const own = await as('userA', 'GET', `/api/approvals/${a.id}`);
  assert.equal(own.statusCode, 200);
  assert.equal('facts' in own.json(), false);
  assert.equal(own.json().canDecide, false);
  assert.equal((await as('userB', 'GET', `/api/approvals/${a.id}`)).statusCode, 404);
  assert.equal((await as('sales', 'GET', `/api/approvals/${a.id}`)).json().facts.tonnageKg, 100_000);
  assert.equal((await as('sales', 'GET', '/api/approvals/999999')).statusCode, 404);
  assert.equal((await decide('userA', a.id, 'approve')).statusCode, 403);
  assert.equal((await as('userA', 'GET', '/api/approvals/queue')).statusCode, 403);
});

test('only administrators change rules; sales managers may read them; the default rule cannot be switched off', async () => {
  const body = { name: 'x', priority: 3, conditions: {}, steps: [sales] };
  for (const who of ['sales', 'am', 'quality', 'userA']) {
    assert.equal((await as(who, 'POST', '/api/approval-rules', body)).statusCode, 403, who);
    assert.equal((await as(who, 'PUT', '/api/approval-rules/1', { name: 'y' })).statusCode, 403, who);
    assert.equal((await as(who, 'POST', '/api/approval-rules/1/deactivate')).statusCode, 403, who);
  }
  for (const [who, status] of [['admin', 200], ['sales', 200], ['am', 403], ['quality', 403], ['userA', 403]] as const) {
    assert.equal((await as(who, 'GET', '/api/approval-rules')).statusCode, status, who);
  }
  const dflt = (await as('admin', 'GET', '/api/approval-rules')).json().items.find((r: { isDefault: boolean }) => r.isDefault);
  const off = await as('admin', 'POST', `/api/approval-rules/${dflt.id}/deactivate`);
  assert.equal(off.statusCode, 409);
  assert.equal(off.json().error.code, 'approval_rule.default_required');
  const changed = await as('admin', 'PUT', `/api/approval-rules/${dflt.id}`, { steps: [{ approvers: { roles: ['sales_manager', 'admin'] }, mode: 'any' }] });
  assert.equal(changed.statusCode, 200, 'the default can be changed');
  await as('admin', 'PUT', `/api/approval-rules/${dflt.id}`, { steps: [sales] });
  assert.equal((await as('admin', 'PUT', '/api/approval-rules/99999', { name: 'y' })).json().error.code, 'approval_rule.not_found');
});

test('every invalid rule body is refused with a clear code and changes nothing', async () => {
  const ok = { name: '规则', priority: 3, conditions: {}, steps: [sales] };
  const step = (approvers: object, mode = 'any') => ({ approvers, mode });
  const dflt = (await t.db('approval_rules').where('is_default', true).first('id')).id;
  const cases: [unknown, string][] = [
    [{ ...ok, conditions: { tonnageKg: { min: 1.5 } } }, 'request.invalid'],
    [{ ...ok, conditions: { amountFen: { max: 10.01 } } }, 'request.invalid'],
    [{ ...ok, conditions: { amountFen: { min: -1 } } }, 'request.invalid'],
    [{ ...ok, conditions: { priceDeviationBp: { min: 0.5 } } }, 'request.invalid'],
    [{ ...ok, conditions: { tonnageKg: {} } }, 'request.invalid'],
    [{ ...ok, conditions: { tonnageKg: { min: 2, max: 1 } } }, 'approval_rule.range'],
    [{ ...ok, conditions: { amountFen: { min: 2, max: 1 } } }, 'approval_rule.range'],
    [{ ...ok, conditions: { priceDeviationBp: { min: 1, max: -1 } } }, 'approval_rule.range'],
    [{ ...ok, conditions: { creditGrades: ['D'] } }, 'request.invalid'],
    [{ ...ok, conditions: { creditGrades: [] } }, 'request.invalid'],
    [{ ...ok, conditions: { varieties: ['gold'] } }, 'request.invalid'],
    [{ ...ok, conditions: { customerClasses: ['nosuchclass'] } }, 'approval_rule.class_unknown'],
    [{ ...ok, conditions: { colour: ['red'] } }, 'request.invalid'],
    [{ ...ok, steps: [] }, 'request.invalid'],
    [{ ...ok, steps: Array.from({ length: 11 }, () => sales) }, 'request.invalid'],
    [{ ...ok, steps: [step({})] }, 'approval_rule.step_empty'],
    [{ ...ok, steps: [step({ roles: [], userIds: [] })] }, 'approval_rule.step_empty'],
    [{ ...ok, steps: [step({ roles: ['customer_user'] })] }, 'request.invalid'],
    [{ ...ok, steps: [step({ userIds: [999999] })] }, 'approval_rule.user_invalid'],
    [{ ...ok, steps: [step({ userIds: [w.userA.id] })] }, 'approval_rule.user_invalid'],
    [{ ...ok, steps: [step({ roles: ['admin'] }, 'most')] }, 'request.invalid'],
    [{ ...ok, name: '' }, 'request.invalid'],
    [{ ...ok, name: '   ' }, 'request.invalid'],
    [{ ...ok, priority: 0 }, 'request.invalid'],
    [{ ...ok, priority: 1.5 }, 'request.invalid'],
  ];
  const before = await t.db('approval_rules').count({ n: '*' }).first();
  for (const [body, code] of cases) {
    const res = await as('admin', 'POST', '/api/approval-rules', body);
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.equal(res.json().error.code, code, JSON.stringify(body));
  }
  assert.equal((await as('admin', 'PUT', `/api/approval-rules/${dflt}`, {})).json().error.code, 'request.invalid');
  assert.equal((await as('admin', 'PUT', `/api/approval-rules/${dflt}`, { conditions: { varieties: ['rebar'] } })).json().error.code, 'approval_rule.default_conditions');
  assert.deepEqual(await t.db('approval_rules').count({ n: '*' }).first(), before);
  await assert.rejects(
    t.db.transaction((trx) => svc.createRule(trx, systemActor('test'), { ...ok, steps: Array.from({ length: 11 }, () => sales) })),
    (e: Error & { code?: string }) => e.code === 'approval_rule.steps_count',
    'the service checks the chain length for callers that skip the schema',
  );
});

test('a step nobody could approve is refused when the approval starts', async () => {
  await onlyDefault();
  await createRule('无人 nobody', 1, { varieties: ['other'] }, [{ approvers: { roles: ['account_manager'] }, mode: 'all' }]);
  await assert.rejects(start({ variety: 'other' }, 'demand', ++subjectSeq, w.customerB), (e: Error & { code?: string }) => e.code === 'approval.no_approver');
});

/**
 * The naive decider the engine must not be: it reads the state outside any lock or guard, then writes. Kept here to
 * prove the concurrency test below can catch a double approval.
 */
async function naiveDecide(db: Knex, approvalId: number, user: { id: number; username: string }, approved: () => void) {
  const row = await db('approvals').where('id', approvalId).first();
  if (row.state !== 'pending') return false;
  await db.transaction(async (trx) => {
    await trx('approvals').where('id', approvalId).update({ state: 'approved', current_step: row.current_step + 1, decided_at: nowDb(), live_key: null });
    await trx('approval_actions').insert({ approval_id: approvalId, step: row.current_step, user_id: user.id, username: user.username, role: 'sales_manager', action: 'approve', comment: null, at: nowDb() });
    approved();
  });
  return true;
}

test('16 concurrent approvers of one any-of step approve it exactly once; a naive read-then-write approves it many times', async () => {
  await onlyDefault();
  const crowd: { id: number; username: string; token: string }[] = [];
  for (let i = 0; i < 16; i++) {
    const u = await makeUser(t.db, { organisationId: w.mill, role: 'sales_manager' });
    crowd.push({ ...u, token: (await t.signIn(u.username)).token });
  }
  let approvedCount = 0;
  const off = svc.onDecided('demand', async () => void approvedCount++);
  try {
    const a = await start({}, 'demand');
    const results = await Promise.all(crowd.map((u) => t.as(u.token, { method: 'POST', url: `/api/approvals/${a.id}/decisions`, payload: { action: 'approve' } })));
    const statuses = results.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `exactly one succeeds: ${statuses.join(',')}`);
    for (const r of results.filter((x) => x.statusCode !== 200)) {
      assert.equal(r.statusCode, 409, r.body);
      assert.ok(['approval.not_pending', 'approval.stale'].includes(r.json().error.code), r.body);
    }
    assert.equal(approvedCount, 1, 'the subject learns of one approval');
    assert.equal((await t.db('approval_actions').where('approval_id', a.id)).length, 1, 'the losers’ actions rolled back');
    assert.equal((await t.db('approvals').where('id', a.id).first('state')).state, 'approved');

    // The same race against the naive variant: it must double-approve, or this test could not catch it.
    const b = await start({}, 'demand');
    let naiveCount = 0;
    await Promise.all(crowd.map((u) => naiveDecide(t.db, b.id, u, () => naiveCount++)));
    assert.ok(naiveCount > 1, `the naive variant approved ${naiveCount} times`);
  } finally {
    off();
  }
});
