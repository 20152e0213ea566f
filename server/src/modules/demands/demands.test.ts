// Customer demands: the negotiation thread from submission to intent contract, every refused transition, the
// approval's return, rejection and withdrawal, stale and racing actions, the credit re-check, access and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeOrganisation, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
let customerC: number;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};
type Method = 'GET' | 'POST';
const as = (who: string, method: Method, url: string, payload?: unknown) =>
  t.as(tokens[who], { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

/** A month `ahead` months after this one in China, as YYYY-MM. */
function month(ahead: number): string {
  const now = new Date(Date.now() + 8 * 3600_000);
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1));
  return d.toISOString().slice(0, 7);
}

const submit = (who = 'answerA', body: Record<string, unknown> = {}) =>
  as(who, 'POST', '/api/demands', { variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', kg: 300_000, deliveryMonth: month(1), ...body });

async function submitted(who = 'answerA', body: Record<string, unknown> = {}) {
  const res = await submit(who, body);
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: number; rowVersion: number; demandNo: string };
}

const act = (who: string, id: number, body: Record<string, unknown>) => as(who, 'POST', `/api/demands/${id}/actions`, body);

async function acted(who: string, id: number, body: Record<string, unknown>) {
  const res = await act(who, id, body);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

const decide = (who: string, approvalId: number, action: string, comment?: string) =>
  as(who, 'POST', `/api/approvals/${approvalId}/decisions`, comment === undefined ? { action } : { action, comment });

const code = (res: { json(): { error: { code: string } } }) => res.json().error.code;

async function profile(organisationId: number, creditLimitFen: number) {
  const strategic = await t.db('customer_classes').where('code', 'strategic').first('id');
  await t.db('customer_profiles')
    .insert({ organisation_id: organisationId, class_id: strategic.id, grade: 'AA', credit_limit_fen: creditLimitFen })
    .onConflict('organisation_id')
    .merge(['class_id', 'grade', 'credit_limit_fen']);
}

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
  customerC = await makeOrganisation(t.db, { accountManagerId: w.accountManager.id });
  const cast = {
    answerA: await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user', canAnswer: true }),
    answerA2: await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user', canAnswer: true }),
    userA: w.userA,
    adminA: w.adminA,
    userB: w.userB,
    adminB: w.adminB,
    answerC: await makeUser(t.db, { organisationId: customerC, role: 'customer_user', canAnswer: true }),
    sales: w.salesManager,
    am: w.accountManager,
    am2: await makeUser(t.db, { organisationId: w.mill, role: 'account_manager' }),
    admin: w.admin,
    quality: w.quality,
  };
  for (const [k, u] of Object.entries(cast)) {
    ids[k] = u.id;
    tokens[k] = (await t.signIn(u.username)).token;
  }
  // Strategic customers buy on 30 days' credit: A has 10 million yuan of it, C only 1,000 yuan.
  await profile(w.customerA, 10_000_000_00);
  await profile(customerC, 1_000_00);
});
after(() => t.close());

test('the full thread: the customer asks without a price, the mill counters with one, the customer accepts, approval makes an intent contract of the exact amount', async () => {
  const d = await submitted('answerA', { kg: 100_000, remarks: '  分两批交货  ' });
  assert.match(d.demandNo, /^XQ\d{10}$/);
  const fresh = (await as('answerA', 'GET', `/api/demands/${d.id}`)).json();
  assert.equal(fresh.state, 'open');
  assert.equal(fresh.proposedBy, 'customer');
  assert.equal(fresh.priceFenPerT, null);
  assert.equal(fresh.approvalId, null);
  assert.deepEqual(fresh.messages.map((m: { kind: string; side: string; text: string | null }) => [m.kind, m.side, m.text]), [['submit', 'customer', '分两批交货']]);
  const toAm = await t.db('notifications').where({ user_id: ids.am, template: 'demand_submitted' }).first('link');
  assert.equal(toAm.link, `/demands/${d.id}`, "the customer's account manager hears of it");

  const countered = await acted('am', d.id, { action: 'counter', kg: 123_457, priceFenPerT: 4_123_45, text: '可供 123.457 吨', expectedVersion: 0 });
  assert.equal(countered.state, 'open');
  assert.equal(countered.proposedBy, 'mill');
  assert.equal(countered.kg, 123_457);
  assert.equal(countered.priceFenPerT, 4_123_45);
  assert.equal(countered.rowVersion, 1);
  assert.ok(await t.db('notifications').where({ user_id: ids.answerA, template: 'demand_answered' }).first(), 'the customer hears of the answer');

  const accepted = await acted('answerA', d.id, { action: 'accept', expectedVersion: 1 });
  assert.equal(accepted.state, 'approving');
  assert.ok(accepted.approvalId);
  const approval = (await as('answerA', 'GET', `/api/approvals/${accepted.approvalId}`)).json();
  assert.equal(approval.state, 'pending');
  assert.equal(approval.subjectType, 'demand');
  const facts = (await as('sales', 'GET', `/api/approvals/${accepted.approvalId}`)).json().facts;
  assert.deepEqual(facts, { customerClass: 'strategic', creditGrade: 'AA', tonnageKg: 123_457, amountFen: 50_906_877, priceDeviationBp: 0, variety: 'rebar' });
  assert.ok(await t.db('notifications').where({ user_id: ids.sales, template: 'approval_needed' }).first(), 'the approvers hear of it');

  const decided = await decide('sales', accepted.approvalId, 'approve', '同意');
  assert.equal(decided.statusCode, 200, decided.body);
  const done = (await as('answerA', 'GET', `/api/demands/${d.id}`)).json();
  assert.equal(done.state, 'approved');
  assert.ok(done.intentContractId);
  assert.deepEqual(done.messages.map((m: { kind: string; side: string }) => `${m.side}:${m.kind}`), ['customer:submit', 'mill:counter', 'customer:accept', 'mill:approval']);
  assert.equal(done.messages[3].text, '同意');
  const intent = await t.db('intent_contracts').where('id', done.intentContractId).first();
  // 123.457 t at 4,123.45 yuan/t = 509,068.76665 yuan: 50,906,877 fen, rounded half up.
  assert.equal(Number(intent.amount_fen), 50_906_877);
  assert.equal(Number(intent.total_kg), 123_457);
  assert.equal(intent.source_type, 'demand');
  assert.equal(Number(intent.source_id), d.id);
  assert.equal(Number(intent.approval_id), accepted.approvalId);
  assert.equal(intent.delivery_month, month(1));
  assert.equal(intent.payment_terms, 'deferred');
  assert.equal(intent.terms, '分两批交货');
  const lines = await t.db('intent_contract_lines').where('intent_contract_id', intent.id);
  assert.equal(lines.length, 1);
  assert.deepEqual(
    [lines[0].variety, lines[0].grade, lines[0].spec, Number(lines[0].kg), Number(lines[0].price_fen_per_t), Number(lines[0].amount_fen)],
    ['rebar', 'HRB400E', 'Φ25', 123_457, 4_123_45, 50_906_877],
  );
  const out = await t.db('outbox').where({ kind: 'demand', doc_key: d.demandNo }).first('payload');
  assert.equal(JSON.parse(out.payload).intentContractNo, intent.contract_no, 'the agreed demand goes to the ERP');
  const audited = await t.db('audit_log').where({ entity: 'demand', entity_id: String(d.id) }).orderBy('id').pluck('action');
  assert.deepEqual(audited, ['demand.submitted', 'demand.counter', 'demand.accept', 'demand.approved']);
  assert.equal(code(await act('answerA', d.id, { action: 'message', text: '谢谢' })), 'demand.bad_state', 'an approved demand is closed');
});

test('nobody accepts their own terms, and nothing is accepted without a price', async () => {
  const noPrice = await submitted();
  const res = await act('sales', noPrice.id, { action: 'accept' });
  assert.equal(res.statusCode, 409);
  assert.equal(code(res), 'demand.price_required');
  assert.equal(code(await act('answerA', noPrice.id, { action: 'accept' })), 'demand.own_terms');

  const priced = await submitted('adminA', { priceFenPerT: 3_900_00 });
  assert.equal(code(await act('answerA', priced.id, { action: 'accept' })), 'demand.own_terms', 'the organisation’s terms, whoever of it proposed them');
  const mine = await acted('sales', priced.id, { action: 'counter', priceFenPerT: 4_000_00 });
  assert.equal(mine.kg, 300_000, 'terms not named stay as they were');
  assert.equal(code(await act('sales', priced.id, { action: 'accept' })), 'demand.own_terms');
  assert.equal(code(await act('am', priced.id, { action: 'accept' })), 'demand.own_terms', 'the mill’s terms, whoever of it proposed them');
  const agreed = await acted('answerA', priced.id, { action: 'accept' });
  assert.equal(agreed.state, 'approving');
  assert.equal((await t.db('approvals').where({ subject_type: 'demand', subject_id: priced.id })).length, 1);
});

test('the mill accepts the customer’s own priced terms', async () => {
  const d = await submitted('answerA', { priceFenPerT: 3_950_00, kg: 50_000 });
  const accepted = await acted('am', d.id, { action: 'accept', text: '同意贵司报价' });
  assert.equal(accepted.state, 'approving');
  assert.equal(accepted.messages.at(-1).kind, 'accept');
  assert.equal(accepted.messages.at(-1).priceFenPerT, 3_950_00);
  assert.equal((await decide('sales', accepted.approvalId, 'approve')).statusCode, 200);
  assert.equal((await as('am', 'GET', `/api/demands/${d.id}`)).json().state, 'approved');
});

test('a returned demand waits for the customer’s new proposal, which the mill then accepts into a second approval round', async () => {
  const d = await submitted('answerA', { priceFenPerT: 3_800_00 });
  const first = await acted('sales', d.id, { action: 'accept' });
  assert.equal(code(await decide('sales', first.approvalId, 'return')), 'approval.comment_required');
  assert.equal((await decide('sales', first.approvalId, 'return', '价格偏低')).statusCode, 200);
  const returned = (await as('answerA', 'GET', `/api/demands/${d.id}`)).json();
  assert.equal(returned.state, 'returned');
  assert.equal(returned.approvalId, first.approvalId, 'the last approval, now decided');
  assert.deepEqual([returned.messages.at(-1).kind, returned.messages.at(-1).text], ['approval', '价格偏低']);

  assert.equal(code(await act('sales', d.id, { action: 'counter', priceFenPerT: 4_000_00 })), 'demand.bad_state', 'the customer proposes again');
  assert.equal(code(await act('answerA', d.id, { action: 'accept' })), 'demand.bad_state');
  assert.equal((await act('sales', d.id, { action: 'message', text: '请提价至 4000 元/吨' })).statusCode, 200, 'both sides may still talk');

  const again = await acted('answerA', d.id, { action: 'counter', priceFenPerT: 4_000_00 });
  assert.equal(again.state, 'open');
  assert.equal(again.proposedBy, 'customer');
  const second = await acted('sales', d.id, { action: 'accept' });
  assert.equal(second.state, 'approving');
  assert.notEqual(second.approvalId, first.approvalId);
  assert.equal((await as('sales', 'GET', `/api/approvals/${second.approvalId}`)).json().round, 2);
});

test('a rejected demand is closed', async () => {
  const d = await submitted('answerA', { priceFenPerT: 3_000_00 });
  const accepted = await acted('sales', d.id, { action: 'accept' });
  assert.equal((await decide('sales', accepted.approvalId, 'reject', '价格过低')).statusCode, 200);
  const rejected = (await as('answerA', 'GET', `/api/demands/${d.id}`)).json();
  assert.equal(rejected.state, 'rejected');
  assert.equal(rejected.intentContractId, null);
  for (const body of [{ action: 'counter', priceFenPerT: 4_000_00 }, { action: 'message', text: '为什么？' }, { action: 'withdraw' }]) {
    const res = await act('answerA', d.id, body);
    assert.equal(res.statusCode, 409, JSON.stringify(body));
    assert.equal(code(res), 'demand.bad_state');
  }
  assert.ok(await t.db('notifications').where({ user_id: ids.answerA, template: 'demand_answered', kind: 'demand.answered' }).where('idempotency_key', 'like', `demand.rejected:${d.id}:%`).first());
});

test('the customer withdraws a demand in approval, which cancels the approval; the mill cannot withdraw', async () => {
  const d = await submitted('answerA', { priceFenPerT: 4_000_00 });
  const accepted = await acted('sales', d.id, { action: 'accept' });
  const refused = await act('sales', d.id, { action: 'withdraw' });
  assert.equal(refused.statusCode, 403);
  assert.equal(code(refused), 'demand.customer_only');
  const gone = await acted('answerA', d.id, { action: 'withdraw', text: '需求取消' });
  assert.equal(gone.state, 'withdrawn');
  assert.equal((await as('sales', 'GET', `/api/approvals/${accepted.approvalId}`)).json().state, 'cancelled');
  assert.equal(code(await decide('sales', accepted.approvalId, 'approve')), 'approval.not_pending');
  assert.equal(code(await act('answerA', d.id, { action: 'withdraw' })), 'demand.bad_state');

  const open = await submitted();
  assert.equal((await acted('adminA', open.id, { action: 'withdraw' })).state, 'withdrawn', 'an open demand too');
});

test('an action on terms that changed since the caller looked is refused as stale', async () => {
  const d = await submitted('answerA', { priceFenPerT: 3_900_00 });
  await acted('sales', d.id, { action: 'counter', priceFenPerT: 4_200_00, expectedVersion: 0 });
  const res = await act('answerA', d.id, { action: 'accept', expectedVersion: 0 });
  assert.equal(res.statusCode, 409);
  assert.equal(code(res), 'demand.stale');
  assert.equal(res.json().error.details.rowVersion, 1);
  assert.equal((await as('answerA', 'GET', `/api/demands/${d.id}`)).json().state, 'open', 'nothing changed');
  assert.equal((await acted('answerA', d.id, { action: 'accept', expectedVersion: 1 })).state, 'approving');
});

test('simultaneous accepts and counters: exactly one applies and exactly one approval starts', async () => {
  const d = await submitted('answerA', { priceFenPerT: 4_000_00 });
  await acted('sales', d.id, { action: 'counter', priceFenPerT: 4_100_00 });
  const racers = ['answerA', 'answerA2', 'adminA', 'answerA', 'answerA2', 'adminA'];
  const results = await Promise.all(racers.map((who) => act(who, d.id, { action: 'accept' })));
  const statuses = results.map((r) => r.statusCode);
  assert.equal(statuses.filter((s) => s === 200).length, 1, `exactly one succeeds: ${statuses.join(',')}`);
  for (const r of results.filter((x) => x.statusCode !== 200)) {
    assert.equal(r.statusCode, 409, r.body);
    assert.ok(['demand.stale', 'demand.bad_state'].includes(code(r)), r.body);
  }
  assert.equal((await t.db('approvals').where({ subject_type: 'demand', subject_id: d.id })).length, 1);
  assert.equal((await t.db('demand_messages').where({ demand_id: d.id, kind: 'accept' })).length, 1, 'the losers’ messages rolled back');

  // An accept racing the other side's counter: one of them wins, never both.
  const e = await submitted('answerA', { priceFenPerT: 4_000_00 });
  const [accept, counter] = await Promise.all([act('sales', e.id, { action: 'accept' }), act('answerA', e.id, { action: 'counter', priceFenPerT: 4_050_00 })]);
  assert.deepEqual([accept.statusCode, counter.statusCode].sort(), [200, 409], `${accept.body} ${counter.body}`);
  const after = (await as('sales', 'GET', `/api/demands/${e.id}`)).json();
  assert.equal(after.state, accept.statusCode === 200 ? 'approving' : 'open');
  assert.equal((await t.db('approvals').where({ subject_type: 'demand', subject_id: e.id })).length, accept.statusCode === 200 ? 1 : 0);
});

test('a withdrawal racing the approval: one of them wins and the other leaves no trace', async () => {
  for (let i = 0; i < 4; i++) {
    const d = await submitted('answerA', { kg: 20_000, priceFenPerT: 4_000_00 });
    const { approvalId } = await acted('sales', d.id, { action: 'accept' });
    const [withdraw, approve] = await Promise.all([act('answerA', d.id, { action: 'withdraw' }), decide('sales', approvalId, 'approve')]);
    assert.deepEqual([withdraw.statusCode, approve.statusCode].sort(), [200, 409], `${withdraw.body} ${approve.body}`);
    const after = (await as('sales', 'GET', `/api/demands/${d.id}`)).json();
    const approval = (await as('sales', 'GET', `/api/approvals/${approvalId}`)).json();
    const intents = await t.db('intent_contracts').where({ source_type: 'demand', source_id: d.id });
    if (withdraw.statusCode === 200) {
      assert.deepEqual([after.state, approval.state, intents.length], ['withdrawn', 'cancelled', 0]);
    } else {
      assert.ok(['demand.stale', 'approval.stale', 'demand.bad_state'].includes(code(withdraw)), withdraw.body);
      assert.deepEqual([after.state, approval.state, intents.length], ['approved', 'approved', 1]);
    }
  }
});

test('the credit re-check refuses the intent contract when the customer’s credit does not cover it; the approval stays pending', async () => {
  // 10 t at 4,000 yuan/t = 40,000 yuan, against customer C's 1,000 yuan of credit.
  const d = await submitted('answerC', { kg: 10_000, priceFenPerT: 4_000_00 });
  const accepted = await acted('am', d.id, { action: 'accept' });
  const res = await decide('sales', accepted.approvalId, 'approve');
  assert.equal(res.statusCode, 409, res.body);
  assert.equal(code(res), 'intent.credit_blocked');
  assert.equal((await as('sales', 'GET', `/api/approvals/${accepted.approvalId}`)).json().state, 'pending');
  const still = (await as('answerC', 'GET', `/api/demands/${d.id}`)).json();
  assert.equal(still.state, 'approving');
  assert.equal(still.intentContractId, null);
  assert.equal((await t.db('intent_contracts').where({ source_type: 'demand', source_id: d.id })).length, 0);
  assert.equal((await t.db('approval_actions').where('approval_id', accepted.approvalId)).length, 0, 'the decision rolled back');
});

test('who sees and who acts: own organisation, own customers, sales staff; quality staff not at all', async () => {
  const d = await submitted('answerA', { priceFenPerT: 4_000_00 });
  for (const who of ['userA', 'adminA', 'answerA', 'am', 'sales', 'admin']) {
    assert.equal((await as(who, 'GET', `/api/demands/${d.id}`)).statusCode, 200, who);
  }
  for (const who of ['userB', 'adminB', 'am2']) {
    const res = await as(who, 'GET', `/api/demands/${d.id}`);
    assert.equal(res.statusCode, 404, who);
    assert.equal(code(res), 'demand.not_found');
    assert.equal((await act(who, d.id, { action: 'message', text: 'hi' })).statusCode, 404, who);
    assert.ok(!(await as(who, 'GET', '/api/demands')).json().items.some((x: { id: number }) => x.id === d.id), who);
  }
  for (const [method, url, body] of [['GET', '/api/demands'], ['GET', `/api/demands/${d.id}`], ['POST', `/api/demands/${d.id}/actions`, { action: 'message', text: 'x' }]] as const) {
    assert.equal((await as('quality', method, url, body)).statusCode, 403, `quality ${method} ${url}`);
  }
  const reader = await act('userA', d.id, { action: 'message', text: '我只看' });
  assert.equal(reader.statusCode, 403);
  assert.equal(code(reader), 'demand.no_right', 'a customer user without the answer right reads only');
  assert.equal(code(await submit('userA')), 'demand.no_right');
  assert.equal((await submit('sales')).statusCode, 403, 'staff do not submit demands');
  assert.equal((await t.app.inject({ method: 'GET', url: '/api/demands' })).statusCode, 401);

  const mine = (await as('userB', 'GET', '/api/demands')).json();
  assert.equal(mine.items.length, 0);
  const all = (await as('sales', 'GET', `/api/demands?customerId=${w.customerA}&state=open&pageSize=200`)).json();
  assert.ok(all.items.some((x: { id: number }) => x.id === d.id));
  assert.ok(all.items.every((x: { customerId: number; state: string }) => x.customerId === w.customerA && x.state === 'open'));
  assert.equal((await as('sales', 'GET', `/api/demands?customerId=${w.customerB}`)).json().total, 0);
  const amList = (await as('am', 'GET', '/api/demands?pageSize=200')).json();
  assert.ok(amList.items.every((x: { customerId: number }) => [w.customerA, customerC].includes(x.customerId)));
  assert.ok(amList.total > 0);
  const ownOnly = (await as('answerA', 'GET', `/api/demands?customerId=${w.customerB}&pageSize=200`)).json();
  assert.ok(ownOnly.total > 0 && ownOnly.items.every((x: { customerId: number }) => x.customerId === w.customerA), 'a customer’s customerId filter is ignored');
  const page = (await as('answerA', 'GET', '/api/demands?page=2&pageSize=1')).json();
  assert.equal(page.items.length, 1);
  assert.equal(page.page, 2);
});

test('bad input is refused with 400 and the error shape, and nothing is written', async () => {
  const before = await t.db('demands').count({ n: '*' }).first();
  const cases: [Record<string, unknown>, string][] = [
    [{ kg: 0 }, 'request.invalid'],
    [{ kg: 1.5 }, 'request.invalid'],
    [{ kg: -1000 }, 'request.invalid'],
    [{ variety: 'gold' }, 'request.invalid'],
    [{ deliveryMonth: '2026-13' }, 'request.invalid'],
    [{ deliveryMonth: '202612' }, 'request.invalid'],
    [{ deliveryMonth: month(-1) }, 'demand.month_past'],
    [{ priceFenPerT: 0 }, 'request.invalid'],
    [{ priceFenPerT: 4000.5 }, 'request.invalid'],
    [{ grade: 'HRB400E; drop table' }, 'request.invalid'],
    [{ remarks: 'x'.repeat(501) }, 'request.invalid'],
    [{ colour: 'red' }, 'request.invalid'],
  ];
  for (const [body, expected] of cases) {
    const res = await submit('answerA', body);
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.equal(code(res), expected, JSON.stringify(body));
    assert.equal(typeof res.json().error.message, 'string');
  }
  assert.deepEqual(await t.db('demands').count({ n: '*' }).first(), before);

  const d = await submitted();
  const actions: [Record<string, unknown>, string][] = [
    [{ action: 'approve' }, 'request.invalid'],
    [{}, 'request.invalid'],
    [{ action: 'counter' }, 'demand.terms_required'],
    [{ action: 'counter', kg: 0 }, 'request.invalid'],
    [{ action: 'counter', deliveryMonth: month(-1) }, 'demand.month_past'],
    [{ action: 'message' }, 'demand.text_required'],
    [{ action: 'message', text: '   ' }, 'demand.text_required'],
    [{ action: 'message', text: 'x'.repeat(1001) }, 'request.invalid'],
    [{ action: 'accept', priceFenPerT: 4_000_00 }, 'demand.terms_unexpected'],
    [{ action: 'withdraw', expectedVersion: -1 }, 'request.invalid'],
  ];
  for (const [body, expected] of actions) {
    const res = await act('sales', d.id, body);
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.equal(code(res), expected, JSON.stringify(body));
  }
  const invalid = await act('sales', d.id, { action: 'approve' });
  assert.ok(Array.isArray(invalid.json().error.details));
  assert.equal((await as('sales', 'GET', '/api/demands/0')).statusCode, 400);
  assert.equal(code(await as('sales', 'GET', '/api/demands/999999')), 'demand.not_found');
  assert.equal(code(await as('sales', 'GET', '/api/demands?state=lost')), 'request.invalid');
  assert.equal((await as('answerA', 'GET', `/api/demands/${d.id}`)).json().rowVersion, 0, 'the refused actions changed nothing');
});
