// Customers: the access matrix (list, id, export, statistics), portal-owned changes with history and outbox,
// classes, validation errors, and the statistics against hand-computed figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeOrganisation, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
let otherManager: { id: number; username: string };
let customerC: number;
const tokens: Record<string, string> = {};
const as = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  t.as(tokens[who], { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
  otherManager = await makeUser(t.db, { organisationId: w.mill, role: 'account_manager' });
  customerC = await makeOrganisation(t.db, { accountManagerId: otherManager.id });
  for (const [k, u] of Object.entries({ admin: w.admin, sales: w.salesManager, am: w.accountManager, am2: otherManager, quality: w.quality, userA: w.userA, adminA: w.adminA })) {
    tokens[k] = (await t.signIn(u.username)).token;
  }
});
after(() => t.close());

const ids = (res: { json(): { items: { id: number }[] } }) => res.json().items.map((i) => i.id).sort();

test('a customer user cannot reach the staff customer routes at all', async () => {
  for (const url of ['/api/customers', `/api/customers/${w.customerA}`, '/api/customers/export.csv', '/api/customers/stats', '/api/customers/credit-warnings']) {
    assert.equal((await as('userA', 'GET', url)).statusCode, 403, url);
  }
  assert.equal((await as('adminA', 'PATCH', `/api/customers/${w.customerA}`, { industry: '贸易' })).statusCode, 403);
});

test('an account manager sees only their own customers, by list, by id, by export and in statistics', async () => {
  const list = await as('am', 'GET', '/api/customers');
  assert.equal(list.statusCode, 200);
  assert.deepEqual(ids(list), [w.customerA]);
  assert.equal((await as('am', 'GET', `/api/customers/${w.customerB}`)).statusCode, 404);
  assert.equal((await as('am', 'GET', `/api/customers/${customerC}`)).statusCode, 404);
  assert.equal((await as('am', 'GET', `/api/customers/${customerC}/history`)).statusCode, 404);
  assert.equal((await as('am', 'GET', `/api/customers/${customerC}/credit-check?amountFen=1`)).statusCode, 404);
  const csv = await as('am', 'GET', '/api/customers/export.csv');
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /text\/csv/);
  assert.equal(csv.body.trim().split('\r\n').length, 2, 'header and one customer');
  const stats = (await as('am', 'GET', '/api/customers/stats')).json();
  assert.equal(stats.total, 1);
  assert.equal((await as('am2', 'GET', '/api/customers')).json().total, 1);
  assert.deepEqual(ids(await as('am2', 'GET', '/api/customers')), [customerC]);
});

test('sales managers and administrators see every customer', async () => {
  for (const who of ['sales', 'admin', 'quality']) {
    const res = await as(who, 'GET', '/api/customers?pageSize=200');
    assert.deepEqual(ids(res), [w.customerA, w.customerB, customerC].sort(), who);
  }
  // Region filters match from the start of the name: 江苏 finds 江苏省, 苏州 is not a province.
  assert.equal((await as('sales', 'GET', `/api/customers?province=${encodeURIComponent('江苏')}`)).json().total, 3);
  assert.equal((await as('sales', 'GET', `/api/customers?province=${encodeURIComponent('苏州')}`)).json().total, 0);
});

test('a customer reads its own profile and nothing of another customer', async () => {
  const me = await as('userA', 'GET', '/api/my/customer');
  assert.equal(me.statusCode, 200);
  assert.equal(me.json().id, w.customerA);
  assert.equal('grade' in me.json(), false, 'the internal grade is not shown to the customer');
  assert.equal((await as('sales', 'GET', '/api/my/customer')).statusCode, 403);
});

test('a sales manager changes the class; the history shows who changed what, and the ERP is told', async () => {
  const classes = (await as('sales', 'GET', '/api/customer-classes')).json().items as { id: number; code: string }[];
  assert.deepEqual(classes.map((c) => c.code), ['strategic', 'direct_supply', 'agreement']);
  const strategic = classes.find((c) => c.code === 'strategic')!;
  const res = await as('sales', 'PATCH', `/api/customers/${w.customerB}`, { classId: strategic.id, varieties: [{ variety: 'rebar', monthlyKg: 1_500_000 }] });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().classCode, 'strategic');
  assert.equal(res.json().monthlyKg, 1_500_000);
  const history = (await as('sales', 'GET', `/api/customers/${w.customerB}/history`)).json().items;
  assert.equal(history[0].username, w.salesManager.username);
  assert.deepEqual(history[0].changes.class, [null, 'strategic']);
  const code = (await t.db('organisations').where('id', w.customerB).first('code')).code;
  const out = await t.db('outbox').where({ kind: 'customer_profile', doc_key: code });
  assert.equal(out.length, 1);
  assert.equal(JSON.parse(out[0].payload).classCode, 'strategic');
  // The same change again changes nothing and sends nothing.
  await as('sales', 'PATCH', `/api/customers/${w.customerB}`, { classId: strategic.id });
  assert.equal((await t.db('outbox').where({ kind: 'customer_profile', doc_key: code })).length, 1);
});

test('an account manager edits contacts and varieties of their customer, but not its class or manager', async () => {
  const ok = await as('am', 'PATCH', `/api/customers/${w.customerA}`, {
    industry: '建筑施工',
    contacts: [{ name: '张三', phone: '13912345678', title: '采购经理' }],
    varieties: [{ variety: 'wire_rod', monthlyKg: 800_000 }],
  });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json().contacts[0].name, '张三');
  const denied = await as('am', 'PATCH', `/api/customers/${w.customerA}`, { classId: 1 });
  assert.equal(denied.statusCode, 403);
  assert.equal(denied.json().error.code, 'customer.field_not_allowed');
  assert.equal((await as('am', 'PATCH', `/api/customers/${customerC}`, { industry: 'x' })).statusCode, 404);
  assert.equal((await as('quality', 'PATCH', `/api/customers/${w.customerA}`, { industry: 'x' })).statusCode, 403);
});

test('reassigning a customer is audited and moves it between account managers', async () => {
  const res = await as('sales', 'PATCH', `/api/customers/${customerC}`, { accountManagerId: w.accountManager.id });
  assert.equal(res.statusCode, 200);
  const entry = await t.db('audit_log').where({ action: 'customer.reassign', entity_id: String(customerC) }).first();
  assert.ok(entry);
  assert.deepEqual(ids(await as('am', 'GET', '/api/customers')), [w.customerA, customerC].sort());
  assert.equal((await as('am2', 'GET', '/api/customers')).json().total, 0);
  const bad = await as('sales', 'PATCH', `/api/customers/${customerC}`, { accountManagerId: w.salesManager.id });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'customer.account_manager_invalid');
  await as('sales', 'PATCH', `/api/customers/${customerC}`, { accountManagerId: otherManager.id });
});

test('every invalid input is refused with a clear error and changes nothing', async () => {
  const cases: [string, 'GET' | 'PATCH' | 'POST' | 'PUT', string, unknown, string][] = [
    ['sales', 'GET', '/api/customers?grade=D', undefined, 'request.invalid'],
    ['sales', 'GET', '/api/customers?sort=password', undefined, 'request.invalid'],
    ['sales', 'GET', '/api/customers?pageSize=0', undefined, 'request.invalid'],
    ['sales', 'PATCH', `/api/customers/${w.customerA}`, {}, 'request.invalid'],
    ['sales', 'PATCH', `/api/customers/${w.customerA}`, { name: '改名' }, 'request.invalid'],
    ['sales', 'PATCH', `/api/customers/${w.customerA}`, { varieties: [{ variety: 'gold', monthlyKg: 1 }] }, 'request.invalid'],
    ['sales', 'PATCH', `/api/customers/${w.customerA}`, { varieties: [{ variety: 'rebar', monthlyKg: -1 }] }, 'request.invalid'],
    ['sales', 'PATCH', `/api/customers/${w.customerA}`, { varieties: [{ variety: 'rebar', monthlyKg: 1.5 }] }, 'request.invalid'],
    ['sales', 'PATCH', `/api/customers/${w.customerA}`, { varieties: [{ variety: 'rebar', monthlyKg: 1 }, { variety: 'rebar', monthlyKg: 2 }] }, 'customer.variety_duplicate'],
    ['sales', 'PATCH', `/api/customers/${w.customerA}`, { contacts: [{ name: '' }] }, 'request.invalid'],
    ['sales', 'PATCH', `/api/customers/${w.customerA}`, { contacts: [{ name: 'a', email: 'not-mail' }] }, 'request.invalid'],
    ['sales', 'PATCH', `/api/customers/${w.customerA}`, { classId: 99999 }, 'customer_class.not_found'],
    ['sales', 'PUT', `/api/customers/${w.customerA}/grade-override`, { grade: 'AA', reason: '   ' }, 'request.invalid'],
    ['sales', 'PUT', `/api/customers/${w.customerA}/grade-override`, { grade: 'AAAA', reason: '合作十年' }, 'request.invalid'],
    ['sales', 'POST', `/api/customers/${w.customerA}/credit-exceptions`, { amountFen: 0, reason: '急需' }, 'request.invalid'],
    ['sales', 'GET', `/api/customers/${w.customerA}/credit-check?amountFen=-5`, undefined, 'request.invalid'],
    ['sales', 'GET', '/api/customers/stats.csv?dimension=colour', undefined, 'request.invalid'],
    ['admin', 'POST', '/api/customer-classes', { code: 'Bad Code' }, 'request.invalid'],
    ['admin', 'PUT', '/api/credit-policies', { grades: [], warningSharePct: 80 }, 'request.invalid'],
  ];
  const before = await t.db('audit_log').count({ n: '*' }).first();
  for (const [who, method, url, body, code] of cases) {
    const res = await as(who, method, url, body);
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${method} ${url} ${JSON.stringify(body)} → ${res.statusCode}`);
    assert.equal(res.json().error.code, code, `${method} ${url} ${JSON.stringify(body)}`);
    assert.ok(res.json().error.message);
  }
  assert.deepEqual(await t.db('audit_log').count({ n: '*' }).first(), before);
});

test('an administrator configures classes; a class in use cannot be retired', async () => {
  const body = {
    code: 'project',
    nameZh: '工程直供',
    nameEn: 'Project customer',
    allocationPriority: 2,
    priceAdjustFenPerT: -2000,
    paymentTerms: 'deferred',
    paymentDays: 45,
    depositRequired: false,
    depositPct: 0,
    approvalLevels: 3,
  };
  assert.equal((await as('sales', 'POST', '/api/customer-classes', body)).statusCode, 403);
  const created = await as('admin', 'POST', '/api/customer-classes', body);
  assert.equal(created.statusCode, 201, created.body);
  assert.equal(created.json().priceAdjustFenPerT, -2000);
  assert.equal((await as('admin', 'POST', '/api/customer-classes', body)).json().error.code, 'customer_class.code_taken');
  const terms = await as('admin', 'PATCH', `/api/customer-classes/${created.json().id}`, { paymentTerms: 'prepay' });
  assert.equal(terms.json().error.code, 'customer_class.payment_days', 'prepay with 45 payment days is contradictory');
  const strategic = (await as('admin', 'GET', '/api/customer-classes')).json().items.find((c: { code: string }) => c.code === 'strategic');
  const retire = await as('admin', 'PATCH', `/api/customer-classes/${strategic.id}`, { active: false });
  assert.equal(retire.statusCode, 409);
  assert.equal(retire.json().error.code, 'customer_class.in_use');
});

test('the statistics match hand-computed figures, and their CSV too', async () => {
  const world = await createTestApp();
  try {
    const mill = await makeOrganisation(world.db, { kind: 'mill', code: 'MILL' });
    const sm = await makeUser(world.db, { organisationId: mill, role: 'sales_manager' });
    const token = (await world.signIn(sm.username)).token;
    const classes = (await world.as(token, { method: 'GET', url: '/api/customer-classes' })).json().items as { id: number; code: string }[];
    const cls = (code: string) => classes.find((c) => c.code === code)!.id;
    const plan: [string, string, number, string | null][] = [
      // province, class, monthly kg, industry
      ['江苏省', 'strategic', 1_000_000, '建筑'],
      ['江苏省', 'agreement', 250_500, '贸易'],
      ['浙江省', 'agreement', 300_000, '贸易'],
      ['浙江省', '', 0, null],
    ];
    for (const [province, code, kg, industry] of plan) {
      const id = await makeOrganisation(world.db);
      await world.db('organisations').where('id', id).update({ province });
      const body: Record<string, unknown> = { industry, varieties: kg ? [{ variety: 'rebar', monthlyKg: kg }] : [] };
      if (code) body.classId = cls(code);
      const res = await world.as(token, { method: 'PATCH', url: `/api/customers/${id}`, payload: body });
      assert.equal(res.statusCode, 200, res.body);
    }
    const s = (await world.as(token, { method: 'GET', url: '/api/customers/stats' })).json();
    assert.equal(s.total, 4);
    assert.equal(s.monthlyKg, 1_550_500);
    assert.deepEqual(s.byClass, [
      { key: 'agreement', customers: 2, monthlyKg: 550_500 },
      { key: null, customers: 1, monthlyKg: 0 },
      { key: 'strategic', customers: 1, monthlyKg: 1_000_000 },
    ]);
    assert.deepEqual(s.byProvince, [
      { key: '江苏省', customers: 2, monthlyKg: 1_250_500 },
      { key: '浙江省', customers: 2, monthlyKg: 300_000 },
    ]);
    assert.deepEqual(s.byIndustry.find((r: { key: string }) => r.key === '贸易'), { key: '贸易', customers: 2, monthlyKg: 550_500 });
    const csv = await world.as(token, { method: 'GET', url: '/api/customers/stats.csv?dimension=province' });
    assert.equal(csv.body, '\uFEFFprovince,customers,monthly_t\r\n江苏省,2,1250.500\r\n浙江省,2,300.000\r\n');
  } finally {
    await world.close();
  }
});

test('CSV cells that look like formulas are neutralised', async () => {
  const { csvCell } = await import('../../csv.js');
  assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvCell('-12.50'), '-12.50');
  assert.equal(csvCell('a,b'), '"a,b"');
});
