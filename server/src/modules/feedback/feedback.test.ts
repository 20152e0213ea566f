// Customer feedback: submission and links to the customer's own documents, default assignment, the thread and
// internal notes, every allowed and refused transition, due times and the overdue filter on a moved clock, rating,
// the surveys hook, the analysis on constructed data, and the access matrix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FEEDBACK_STATES, type FeedbackState } from '../../../../shared/api/feedback.js';
import { nowDb } from '../../db/knex.js';
import { createTestApp, makeOrganisation, makeUser, makeWorld, testConfig, type TestApp } from '../../../test/helpers.js';
import { notifyOverdue, quantile, transitions } from './service.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
const tokens: Record<string, string> = {};
const people: Record<string, { id: number; username: string }> = {};
let customerC: number;
let customerACode: string;
const HOUR = 3600_000;
const realNow = () => new Date();

type Method = 'GET' | 'POST';
const as = (who: string, method: Method, url: string, payload?: unknown) =>
  t.as(tokens[who], { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
const code = (res: { json(): { error: { code: string } } }) => res.json().error.code;

async function submit(who = 'userA', body: Record<string, unknown> = {}) {
  const res = await as(who, 'POST', '/api/feedback', { category: 'quality_objection', subject: '屈服强度不合格', description: '复检屈服强度 380 MPa', desiredResolution: '退货', ...body });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function ok(who: string, method: Method, url: string, payload?: unknown) {
  const res = await as(who, method, url, payload);
  assert.equal(res.statusCode, 200, `${who} ${method} ${url}: ${res.body}`);
  return res.json();
}

async function erpRecord(iface: string, docKey: string, payload: Record<string, unknown>, customerCode: string | null = null) {
  await t.db('erp_records').insert({ interface: iface, doc_key: docKey, seq: 1, staging_id: 1, deleted: false, payload: JSON.stringify(payload), payload_hash: null, customer_code: customerCode, synced_at: nowDb() });
}

before(async () => {
  t = await createTestApp({ feedback: { ...testConfig().feedback, firstResponseHours: { quality_objection: 8, delivery: 8, documents: 24, service: 24, suggestion: 72 }, resolutionHours: { quality_objection: 120, delivery: 48, documents: 72, service: 72, suggestion: 240 } } });
  w = await makeWorld(t.db);
  customerC = await makeOrganisation(t.db);
  const otherAm = await makeUser(t.db, { organisationId: w.mill, role: 'account_manager' });
  await makeOrganisation(t.db, { accountManagerId: otherAm.id });
  const quality2 = await makeUser(t.db, { organisationId: w.mill, role: 'quality_staff' });
  const userC = await makeUser(t.db, { organisationId: customerC, role: 'customer_user' });
  Object.assign(people, { userA: w.userA, adminA: w.adminA, userB: w.userB, am: w.accountManager, otherAm, quality: w.quality, quality2, sales: w.salesManager, admin: w.admin, userC });
  for (const [k, u] of Object.entries(people)) tokens[k] = (await t.signIn(u.username)).token;
  customerACode = (await t.db('organisations').where('id', w.customerA).first('code')).code;
  await erpRecord('material', 'M-HRB400E-25', { code: 'M-HRB400E-25', variety: 'rebar', grade: 'HRB400E', spec: 'Φ25' });
  await erpRecord('delivery_note', 'FH001', { deliveryNo: 'FH001', customerCode: customerACode, lines: [{ lineNo: 1, materialCode: 'M-HRB400E-25', grade: 'HRB400E', spec: 'Φ25' }] }, customerACode);
  await erpRecord('delivery_note', 'FH002', { deliveryNo: 'FH002', customerCode: 'SOMEONE-ELSE', lines: [{ lineNo: 1, materialCode: 'M-HRB400E-25', grade: 'HRB400E', spec: 'Φ25' }] }, 'SOMEONE-ELSE');
});

after(async () => {
  await t?.close();
});

// ---- submission and assignment ----

test('a customer submits a quality objection on its own delivery note: the product is taken from it and due times set by category', async () => {
  const at = new Date();
  const f = await submit('userA', { deliveryNo: 'FH001' });
  assert.match(f.feedbackNo, /^FK\d{6}\d{4}$/);
  assert.equal(f.state, 'new');
  assert.equal(f.variety, 'rebar');
  assert.equal(f.grade, 'HRB400E');
  assert.equal(f.deliveryNo, 'FH001');
  assert.equal(f.desiredResolution, '退货');
  const firstDue = Date.parse(f.firstResponseDueAt) - Date.parse(f.createdAt);
  assert.equal(firstDue, 8 * HOUR);
  assert.equal(Date.parse(f.resolutionDueAt) - Date.parse(f.createdAt), 120 * HOUR);
  assert.ok(Date.parse(f.createdAt) >= at.getTime() - 1000);
  assert.deepEqual(f.messages.map((m: { kind: string }) => m.kind), ['submit']);
});

test('another organisation’s delivery note, certificate or contract, or an unknown one, cannot be linked', async () => {
  for (const body of [{ deliveryNo: 'FH002' }, { deliveryNo: 'NOPE' }, { contractId: 999 }, { certificateId: 999 }]) {
    const res = await as('userA', 'POST', '/api/feedback', { category: 'delivery', subject: 's', description: 'd', ...body });
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.match(code(res), /^feedback\.(delivery|contract|certificate)_unknown$/);
  }
  const bad = await as('userA', 'POST', '/api/feedback', { category: 'complaint', subject: 's', description: 'd' });
  assert.equal(bad.statusCode, 400);
  assert.equal(code(bad), 'request.invalid');
});

test('quality objections go to the least-loaded quality staff member (or the configured one); other categories to the account manager', async () => {
  await t.db('feedback_items').update({ assignee_id: null });
  const one = await submit('userA');
  assert.equal(one.assignee.id, people.quality.id, 'ties go to the lowest id');
  const two = await submit('userA');
  assert.equal(two.assignee.id, people.quality2.id, 'then the one with fewer open items');
  t.app.feedback.config.qualityAssignee = people.quality2.username;
  try {
    assert.equal((await submit('userA')).assignee.id, people.quality2.id);
  } finally {
    t.app.feedback.config.qualityAssignee = undefined;
  }
  const delivery = await submit('userA', { category: 'delivery' });
  assert.equal(delivery.assignee.id, people.am.id);
  const noAm = await submit('userC', { category: 'service' });
  assert.equal(noAm.assignee, null);
  const told = await t.db('notifications').where({ user_id: people.sales.id, kind: 'feedback.submitted' }).count({ n: '*' });
  assert.ok(Number(told[0].n) >= 1, 'sales managers hear of an unassigned item');
  const assigned = await t.db('notifications').where({ user_id: people.am.id, kind: 'feedback.assigned' }).count({ n: '*' });
  assert.ok(Number(assigned[0].n) >= 1);
});

// ---- the thread ----

test('staff reply in the thread the customer sees, and write internal notes it does not; the first reply answers a new item', async () => {
  const f = await submit('userA');
  const note = await ok('quality', 'POST', `/api/feedback/${f.id}/messages`, { text: '内部：查炉号', internal: true });
  assert.equal(note.state, 'new');
  assert.equal(note.firstRespondedAt, null, 'an internal note is no answer to the customer');
  const reply = await ok('quality', 'POST', `/api/feedback/${f.id}/messages`, { text: '已收到，正在复检' });
  assert.equal(reply.state, 'in_progress');
  assert.ok(reply.firstRespondedAt);
  const seen = await ok('userA', 'GET', `/api/feedback/${f.id}`);
  assert.deepEqual(seen.messages.map((m: { kind: string }) => m.kind), ['submit', 'reply']);
  assert.ok(!JSON.stringify(seen).includes('查炉号'));
  const staffView = await ok('quality', 'GET', `/api/feedback/${f.id}`);
  assert.ok(staffView.messages.some((m: { internal: boolean }) => m.internal));
  const customerNote = await as('userA', 'POST', `/api/feedback/${f.id}/messages`, { text: 'x', internal: true });
  assert.equal(customerNote.statusCode, 403);
  assert.equal(code(customerNote), 'feedback.internal_staff_only');
  const told = await t.db('notifications').where({ user_id: people.userA.id, kind: 'feedback.answered' }).count({ n: '*' });
  assert.ok(Number(told[0].n) >= 1);
});

test('a customer reply to an item waiting for it hands it back to the mill', async () => {
  const f = await submit('userA');
  await ok('quality', 'POST', `/api/feedback/${f.id}/transition`, { to: 'waiting_for_customer', comment: '请提供照片' });
  const back = await ok('userA', 'POST', `/api/feedback/${f.id}/messages`, { text: '照片已上传' });
  assert.equal(back.state, 'in_progress');
});

test('staff assign an item to another member of staff; customers may not, and only active mill staff can be chosen', async () => {
  const f = await submit('userA');
  const moved = await ok('sales', 'POST', `/api/feedback/${f.id}/assign`, { assigneeId: people.am.id });
  assert.equal(moved.assignee.id, people.am.id);
  const again = await ok('sales', 'POST', `/api/feedback/${f.id}/assign`, { assigneeId: people.am.id });
  assert.equal(again.assignee.id, people.am.id, 'assigning the same person again is a no-op');
  assert.equal((await as('userA', 'POST', `/api/feedback/${f.id}/assign`, { assigneeId: people.am.id })).statusCode, 403);
  const bad = await as('sales', 'POST', `/api/feedback/${f.id}/assign`, { assigneeId: people.userA.id });
  assert.equal(code(bad), 'feedback.assignee_invalid');
  const list = await ok('am', 'GET', '/api/feedback/assignees');
  assert.ok(list.items.some((u: { id: number }) => u.id === people.quality.id));
  assert.ok(!list.items.some((u: { id: number }) => u.id === people.userA.id));
  const audit = await t.db('audit_log').where({ entity: 'feedback', entity_id: String(f.id), action: 'feedback.assigned' }).first();
  assert.ok(audit);
});

test('the list filters by number or subject, category, state and open items', async () => {
  const f = await submit('userB', { category: 'documents', subject: '质保书炉号错误_%' });
  const ids = async (query: string) => (await ok('userB', 'GET', `/api/feedback?pageSize=200&${query}`)).items.map((i: { id: number }) => i.id);
  assert.deepEqual(await ids(`q=${encodeURIComponent('炉号错误_%')}`), [f.id]);
  assert.deepEqual(await ids(`q=${f.feedbackNo}`), [f.id]);
  assert.deepEqual(await ids('q=%25'), [f.id], 'a % is taken literally');
  assert.ok((await ids('category=documents')).includes(f.id));
  assert.ok(!(await ids('category=delivery')).includes(f.id));
  assert.ok((await ids('state=new&open=true')).includes(f.id));
  assert.ok(!(await ids('state=closed')).includes(f.id));
});

// ---- the state machine ----

/** An item of customer A put straight into a state, as the table's starting point. */
async function itemIn(state: FeedbackState): Promise<number> {
  const f = await submit('userA', { category: 'delivery' });
  await t.db('feedback_items').where('id', f.id).update({ state });
  return f.id;
}

test('every transition of the table is allowed to its side and refused to the other; every pair outside it is refused', async () => {
  for (const from of FEEDBACK_STATES) {
    for (const to of FEEDBACK_STATES) {
      for (const [who, side] of [['userA', 'customer'], ['am', 'mill']] as const) {
        const id = await itemIn(from);
        const res = await as(who, 'POST', `/api/feedback/${id}/transition`, { to, comment: 'because' });
        const sides = transitions[from][to];
        const label = `${side}: ${from} → ${to}`;
        if (sides?.includes(side)) {
          assert.equal(res.statusCode, 200, `${label} ${res.body}`);
          assert.equal(res.json().state, to, label);
          const row = await t.db('feedback_items').where('id', id).first();
          if (to === 'resolved') assert.ok(row.resolved_at, label);
          if (to === 'closed') assert.ok(row.closed_at, label);
          if (from === 'resolved' && to === 'in_progress') assert.equal(row.resolved_at, null, label);
        } else if (sides) {
          assert.equal(res.statusCode, 403, `${label} ${res.body}`);
          assert.equal(code(res), 'feedback.not_your_move', label);
        } else {
          assert.equal(res.statusCode, 409, `${label} ${res.body}`);
          assert.equal(code(res), 'feedback.bad_state', label);
        }
      }
    }
  }
});

test('reopening a resolved item and closing one unresolved need a reason; closed is final', async () => {
  const resolved = await itemIn('resolved');
  const noReason = await as('userA', 'POST', `/api/feedback/${resolved}/transition`, { to: 'in_progress' });
  assert.equal(code(noReason), 'feedback.reason_required');
  const reopened = await ok('userA', 'POST', `/api/feedback/${resolved}/transition`, { to: 'in_progress', comment: '问题仍在' });
  assert.equal(reopened.state, 'in_progress');
  const reopenedNotice = await t.db('notifications').where({ kind: 'feedback.reopened' }).count({ n: '*' });
  assert.ok(Number(reopenedNotice[0].n) >= 1);
  const early = await itemIn('in_progress');
  assert.equal(code(await as('am', 'POST', `/api/feedback/${early}/transition`, { to: 'closed' })), 'feedback.reason_required');
  await ok('am', 'POST', `/api/feedback/${early}/transition`, { to: 'closed', comment: '重复提交' });
  const reply = await as('userA', 'POST', `/api/feedback/${early}/messages`, { text: 'x' });
  assert.equal(reply.statusCode, 409);
  assert.equal(code(reply), 'feedback.closed');
});

test('the detail offers the caller exactly the moves of its side', async () => {
  const id = await itemIn('resolved');
  assert.deepEqual((await ok('userA', 'GET', `/api/feedback/${id}`)).nextStates.sort(), ['closed', 'in_progress']);
  assert.equal((await ok('userA', 'GET', `/api/feedback/${id}`)).canRate, true);
  const fresh = await itemIn('new');
  assert.deepEqual((await ok('am', 'GET', `/api/feedback/${fresh}`)).nextStates.sort(), ['closed', 'in_progress', 'resolved', 'waiting_for_customer']);
  assert.deepEqual((await ok('userA', 'GET', `/api/feedback/${fresh}`)).nextStates, ['closed']);
});

test('every change writes an audit row in its transaction', async () => {
  const f = await submit('userA');
  await ok('quality', 'POST', `/api/feedback/${f.id}/transition`, { to: 'in_progress' });
  await ok('quality', 'POST', `/api/feedback/${f.id}/transition`, { to: 'resolved', comment: '已补发' });
  const actions = (await t.db('audit_log').where({ entity: 'feedback', entity_id: String(f.id) }).orderBy('id').select('action')).map((r: { action: string }) => r.action);
  assert.deepEqual(actions, ['feedback.submitted', 'feedback.in_progress', 'feedback.resolved']);
});

test('of two staff members changing the same item at once, one wins and the other is told to reload', async () => {
  const f = await submit('userA');
  const [a, b] = await Promise.all([
    as('quality', 'POST', `/api/feedback/${f.id}/transition`, { to: 'resolved', comment: 'a' }),
    as('admin', 'POST', `/api/feedback/${f.id}/transition`, { to: 'waiting_for_customer', comment: 'b' }),
  ]);
  const codes = [a.statusCode, b.statusCode].sort();
  assert.deepEqual(codes, [200, 409], `${a.body} ${b.body}`);
  const loser = a.statusCode === 409 ? a : b;
  assert.match(code(loser), /^feedback\.(stale|bad_state)$/);
  const states = (await t.db('feedback_messages').where({ feedback_id: f.id, kind: 'state' }).select('to_state')).map((r: { to_state: string }) => r.to_state);
  assert.equal(states.length, 1, 'the loser left nothing in the thread');
});

test('a customer and the mill replying at the same moment both get through, and each reply is notified', async () => {
  const f = await submit('userA');
  await ok('quality', 'POST', `/api/feedback/${f.id}/messages`, { text: '先回复一次' });
  const [a, b] = await Promise.all([
    as('userA', 'POST', `/api/feedback/${f.id}/messages`, { text: '补充：第二批也有' }),
    as('quality', 'POST', `/api/feedback/${f.id}/messages`, { text: '请提供炉号' }),
  ]);
  assert.equal(a.statusCode, 200, a.body);
  assert.equal(b.statusCode, 200, b.body);
  const replies = await t.db('feedback_messages').where({ feedback_id: f.id, kind: 'reply' }).count({ n: '*' });
  assert.equal(Number(replies[0].n), 3);
  const toCustomer = await t.db('notifications').where({ user_id: people.userA.id, kind: 'feedback.answered' }).where('idempotency_key', 'like', `feedback.replied:${f.id}:%`).count({ n: '*' });
  assert.equal(Number(toCustomer[0].n), 2);
});

// ---- timers ----

test('overdue is computed from the category targets on the server’s clock, and the overdue filter finds exactly those items', async () => {
  const t0 = new Date('2026-06-01T02:00:00Z');
  t.app.feedback.now = () => t0;
  try {
    const q = await submit('userB', { category: 'quality_objection' });
    const s = await submit('userB', { category: 'suggestion' });
    const overdueIds = async () => (await ok('admin', 'GET', '/api/feedback?overdue=true&customerId=' + w.customerB + '&pageSize=200')).items.map((i: { id: number }) => i.id);

    t.app.feedback.now = () => new Date(t0.getTime() + 8 * HOUR - 1);
    assert.deepEqual(await overdueIds(), []);
    t.app.feedback.now = () => new Date(t0.getTime() + 8 * HOUR + 1);
    assert.deepEqual(await overdueIds(), [q.id]);
    assert.equal((await ok('userB', 'GET', `/api/feedback/${q.id}`)).overdue, 'first_response');

    // The first answer stops the response clock; the resolution clock runs on.
    await ok('quality', 'POST', `/api/feedback/${q.id}/messages`, { text: '收到' });
    assert.deepEqual(await overdueIds(), []);
    t.app.feedback.now = () => new Date(t0.getTime() + 72 * HOUR + 1);
    assert.deepEqual(await overdueIds(), [s.id], 'the suggestion has no answer after 72 h');
    t.app.feedback.now = () => new Date(t0.getTime() + 120 * HOUR + 1);
    assert.deepEqual((await overdueIds()).sort(), [q.id, s.id].sort());
    assert.equal((await ok('quality', 'GET', `/api/feedback/${q.id}`)).overdue, 'resolution');

    // Waiting for the customer holds the resolution clock; resolving stops it.
    await ok('quality', 'POST', `/api/feedback/${q.id}/transition`, { to: 'waiting_for_customer', comment: '请提供质保书' });
    assert.deepEqual(await overdueIds(), [s.id]);
    await ok('admin', 'POST', `/api/feedback/${s.id}/transition`, { to: 'resolved', comment: '已采纳' });
    assert.deepEqual(await overdueIds(), []);
  } finally {
    t.app.feedback.now = realNow;
  }
});

test('the scheduled check tells the assignee once per missed due time', async () => {
  const t0 = new Date('2026-07-01T02:00:00Z');
  t.app.feedback.now = () => t0;
  let id: number;
  try {
    id = (await submit('userA', { category: 'documents' })).id;
  } finally {
    t.app.feedback.now = realNow;
  }
  const later = new Date(t0.getTime() + 73 * HOUR);
  const first = await notifyOverdue(t.db, later);
  assert.ok(first.response >= 1 && first.resolution >= 1);
  const again = await notifyOverdue(t.db, later);
  assert.deepEqual(again, { response: 0, resolution: 0 });
  const row = await t.db('feedback_items').where('id', id).first();
  assert.ok(row.response_overdue_notified_at && row.resolution_overdue_notified_at);
});

// ---- rating ----

test('the customer rates a resolved item once, 1 to 5 with a comment, which closes it; nothing else may rate', async () => {
  const f = await submit('userA');
  const early = await as('userA', 'POST', `/api/feedback/${f.id}/rating`, { rating: 5 });
  assert.equal(early.statusCode, 409);
  assert.equal(code(early), 'feedback.not_resolved');
  await ok('quality', 'POST', `/api/feedback/${f.id}/transition`, { to: 'resolved', comment: '已换货' });
  assert.equal((await as('userA', 'POST', `/api/feedback/${f.id}/rating`, { rating: 6 })).statusCode, 400);
  assert.equal((await as('userA', 'POST', `/api/feedback/${f.id}/rating`, { rating: 0 })).statusCode, 400);
  assert.equal((await as('quality', 'POST', `/api/feedback/${f.id}/rating`, { rating: 5 })).statusCode, 403);
  assert.equal((await as('userB', 'POST', `/api/feedback/${f.id}/rating`, { rating: 1 })).statusCode, 404);
  const rated = await ok('adminA', 'POST', `/api/feedback/${f.id}/rating`, { rating: 4, comment: '处理及时' });
  assert.equal(rated.state, 'closed');
  assert.equal(rated.rating, 4);
  assert.equal(rated.ratingComment, '处理及时');
  assert.equal(rated.canRate, false);
  const twice = await as('userA', 'POST', `/api/feedback/${f.id}/rating`, { rating: 1 });
  assert.equal(twice.statusCode, 409);
  assert.equal(code(twice), 'feedback.already_rated');
  const told = await t.db('notifications').where({ user_id: f.assignee.id, kind: 'feedback.rated' }).count({ n: '*' });
  assert.equal(Number(told[0].n), 1);
});

test('resolving calls the surveys hook in the same transaction, with the customer and a feedback reference', async () => {
  const calls: unknown[] = [];
  const original = t.app.feedback.onResolved;
  t.app.feedback.onResolved = async (trx, e) => {
    assert.ok(trx.isTransaction);
    calls.push(e);
  };
  try {
    const f = await submit('userA');
    await ok('quality', 'POST', `/api/feedback/${f.id}/transition`, { to: 'resolved', comment: 'ok' });
    assert.deepEqual(calls, [{ customerId: w.customerA, feedbackId: f.id }]);
    // A failing hook rolls the resolution back rather than losing the survey silently.
    t.app.feedback.onResolved = async () => {
      throw new Error('survey store down');
    };
    const g = await submit('userA');
    assert.equal((await as('quality', 'POST', `/api/feedback/${g.id}/transition`, { to: 'resolved', comment: 'ok' })).statusCode, 500);
    assert.equal((await t.db('feedback_items').where('id', g.id).first()).state, 'new');
  } finally {
    t.app.feedback.onResolved = original;
  }
});

test('the app wires resolution to the surveys module: its onEvent gets a feedback_resolved event in the resolving transaction', async () => {
  assert.ok(t.app.hasDecorator('surveys'));
  const calls: unknown[] = [];
  const original = t.app.surveys.onEvent;
  t.app.surveys.onEvent = async (db, input) => {
    assert.ok((db as { isTransaction?: boolean }).isTransaction);
    calls.push(input);
    return original(db, input);
  };
  try {
    const f = await submit('userA');
    await ok('quality', 'POST', `/api/feedback/${f.id}/transition`, { to: 'resolved', comment: 'ok' });
    assert.deepEqual(calls, [{ event: 'feedback_resolved', customerId: w.customerA, ref: `feedback:${f.id}` }]);
  } finally {
    t.app.surveys.onEvent = original;
  }
});

// ---- analysis ----

test('the analysis counts volume by month and category, response and resolution medians and p90, ratings, top customers and products', async () => {
  const base = new Date('2025-03-10T02:00:00Z');
  const at = (h: number) => () => new Date(base.getTime() + h * HOUR);
  const ids: number[] = [];
  try {
    // Three quality objections of customer C answered after 1, 2 and 10 hours; resolved after 10, 20 and 40 hours.
    for (const [answer, resolve, rating] of [
      [1, 10, 5],
      [2, 20, 3],
      [10, 40, null],
    ] as const) {
      t.app.feedback.now = at(0);
      const f = await submit('userC', { category: 'quality_objection' });
      ids.push(f.id);
      t.app.feedback.now = at(answer);
      await ok('quality', 'POST', `/api/feedback/${f.id}/messages`, { text: '收到' });
      t.app.feedback.now = at(resolve);
      await ok('quality', 'POST', `/api/feedback/${f.id}/transition`, { to: 'resolved', comment: '完成' });
      if (rating !== null) await ok('userC', 'POST', `/api/feedback/${f.id}/rating`, { rating });
    }
    // One delivery complaint of customer A in April on its delivery note (rebar HRB400E), never answered.
    t.app.feedback.now = () => new Date('2025-04-02T02:00:00Z');
    await submit('userA', { category: 'delivery', deliveryNo: 'FH001' });
    t.app.feedback.now = () => new Date('2025-05-01T00:00:00Z');
    const a = await ok('admin', 'GET', '/api/feedback/analysis?from=2025-03&to=2025-04');
    assert.equal(a.total, 4);
    assert.deepEqual(a.volume, [
      { month: '2025-03', category: 'quality_objection', count: 3 },
      { month: '2025-04', category: 'delivery', count: 1 },
    ]);
    assert.deepEqual(a.firstResponse, { count: 3, medianHours: 2, p90Hours: 8.4 });
    assert.deepEqual(a.resolution, { count: 3, medianHours: 20, p90Hours: 36 });
    assert.deepEqual(a.satisfaction, { count: 2, mean: 4, distribution: [0, 0, 1, 0, 1] });
    assert.deepEqual(a.topCustomers.map((c: { customerId: number; count: number }) => [c.customerId, c.count]), [[customerC, 3], [w.customerA, 1]]);
    assert.deepEqual(a.topProducts, [{ variety: 'rebar', grade: 'HRB400E', count: 1 }]);
    const delivery = a.byCategory.find((c: { category: string }) => c.category === 'delivery');
    assert.equal(delivery.overdueNow, 1);
    assert.equal(delivery.firstResponse.count, 0);
    assert.equal(delivery.firstResponse.medianHours, null);

    // An account manager's analysis covers their customers only (customer C has none).
    const am = await ok('am', 'GET', '/api/feedback/analysis?from=2025-03&to=2025-04');
    assert.equal(am.total, 1);
    assert.equal((await as('userA', 'GET', '/api/feedback/analysis')).statusCode, 403);
    assert.equal(code(await as('admin', 'GET', '/api/feedback/analysis?from=2025-05&to=2025-04')), 'feedback.range_invalid');
  } finally {
    t.app.feedback.now = realNow;
  }
});

test('quantiles interpolate between closest ranks', () => {
  assert.equal(quantile([], 0.5), null);
  assert.equal(quantile([7], 0.9), 7);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([1, 2, 10], 0.9), 8.4);
});

// ---- access ----

test('the access matrix: no sign-in, another customer, an account manager of another customer, quality staff outside their categories', async () => {
  const q = await submit('userA', { category: 'quality_objection' });
  const s = await submit('userA', { category: 'service' });
  for (const [method, url, payload] of [
    ['GET', '/api/feedback', undefined],
    ['GET', `/api/feedback/${q.id}`, undefined],
    ['POST', '/api/feedback', { category: 'service', subject: 's', description: 'd' }],
    ['POST', `/api/feedback/${q.id}/messages`, { text: 'x' }],
    ['GET', '/api/feedback/analysis', undefined],
  ] as const) {
    const res = await t.app.inject({ method, url, ...(payload ? { payload } : {}) });
    assert.equal(res.statusCode, 401, `${method} ${url}`);
  }
  for (const who of ['userB', 'otherAm']) {
    for (const [method, url, payload] of [
      ['GET', `/api/feedback/${q.id}`, undefined],
      ['POST', `/api/feedback/${q.id}/messages`, { text: 'x' }],
      ['POST', `/api/feedback/${q.id}/transition`, { to: 'closed', comment: 'x' }],
    ] as const) {
      const res = await as(who, method, url, payload);
      assert.equal(res.statusCode, 404, `${who} ${method} ${url}`);
      assert.equal(code(res), 'feedback.not_found');
    }
    const list = await ok(who, 'GET', '/api/feedback?pageSize=200');
    assert.ok(!list.items.some((i: { customerId: number }) => i.customerId === w.customerA), who);
  }
  // A customer's filter by another customer changes nothing: it sees its own only.
  const own = await ok('userB', 'GET', `/api/feedback?customerId=${w.customerA}&pageSize=200`);
  assert.ok(own.items.every((i: { customerId: number }) => i.customerId === w.customerB));
  // Quality staff reach quality objections (and documents), not another category unless assigned to them.
  assert.equal((await as('quality2', 'GET', `/api/feedback/${q.id}`)).statusCode, 200);
  assert.equal((await as('quality2', 'GET', `/api/feedback/${s.id}`)).statusCode, 404);
  await ok('sales', 'POST', `/api/feedback/${s.id}/assign`, { assigneeId: people.quality2.id });
  assert.equal((await as('quality2', 'GET', `/api/feedback/${s.id}`)).statusCode, 200);
  const mine = await ok('quality2', 'GET', '/api/feedback?assignedToMe=true&pageSize=200');
  assert.ok(mine.items.length >= 1 && mine.items.every((i: { assignee: { id: number } }) => i.assignee.id === people.quality2.id));
  // Staff do not submit; customers do not assign.
  assert.equal((await as('sales', 'POST', '/api/feedback', { category: 'service', subject: 's', description: 'd' })).statusCode, 403);
  assert.equal((await as('userA', 'GET', '/api/feedback/assignees')).statusCode, 403);
  // Sales managers and administrators see everything.
  assert.equal((await as('admin', 'GET', `/api/feedback/${s.id}`)).statusCode, 200);
  assert.equal((await as('sales', 'GET', `/api/feedback/${q.id}`)).statusCode, 200);
});
