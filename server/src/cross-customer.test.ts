// Hardening issue, cross-customer isolation: every route whose URL addresses an object by id (taken from the route
// table, so a new route is covered the day it lands) is called with customer A's real objects as a user of customer B,
// as B's account manager and without sign-in. Never A's data: 401 without sign-in, 403/404 otherwise, and none of A's
// identifying values in the answer. A's own people get 2xx on the read routes, so the ids are known to be right.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, makeUser, makeWorld, testConfig, type TestApp } from '../test/helpers.js';
import { customer, material, writeStaging } from '../test/erp-fixtures.js';
import { certificatePayload } from '../test/certificate-fixture.js';
import { lastPhoneCode } from '../test/sms.js';
import { nowDb } from './db/knex.js';
import { creditCodeCheck } from './demo.js';
import type { RouteEntry } from './app.js';
import { validValue, type Schema } from '../test/schema-values.js';
import type { Role } from '../../shared/roles.js';

type Who = 'adminA' | 'userA' | 'amA' | 'adminB' | 'userB' | 'amB' | 'admin' | 'sales' | 'quality';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
const tokens = {} as Record<Who, string>;
const roleOf = {} as Record<Who, Role>;
/** A's objects, by the name the parameter mapping below uses */
const ids: Record<string, number | string> = {};
/** Values that identify customer A or its documents: none may reach B, B's manager or an anonymous caller. */
const secrets: string[] = [];

const uscc = (first17: string) => first17 + creditCodeCheck(first17);
const A_NAME = '甲方保密钢材贸易有限公司';
const A_FEEDBACK = '甲方反馈机密主题Q7';
const A_SURVEY_ANSWER = '甲方问卷机密回答Z9';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);

const as = (who: Who, method: string, url: string, payload?: unknown) =>
  t.as(tokens[who], { method: method as never, url, ...(payload === undefined ? {} : { payload: payload as object }) });

async function ok(res: LightMyRequestResponse | Promise<LightMyRequestResponse>, status = [200, 201]): Promise<any> {
  const r = await res;
  assert.ok(status.includes(r.statusCode), `${r.statusCode} ${r.body.slice(0, 400)}`);
  return r.json();
}

before(async () => {
  const base = testConfig();
  t = await createTestApp({
    login: { ...base.login, perAccountPerWindow: 1_000_000, perAddressPerWindow: 1_000_000, maxFailures: 1_000_000 },
    certificates: { ...base.certificates, publicPerMinute: 100_000 },
  });
  w = await makeWorld(t.db);
  const amB = await makeUser(t.db, { organisationId: w.mill, role: 'account_manager' });
  await t.db('organisations').where('id', w.customerB).update({ account_manager_id: amB.id });
  // Every right on both sides, so that a refusal can only come from the organisation scope.
  const rights = { canAnswer: true, canSign: true, canPrint: true };
  await t.db('users').where('id', w.adminA.id).update({ can_answer: true, can_print: true, phone: '13900139001' });
  const adminB = await makeUser(t.db, { organisationId: w.customerB, role: 'customer_admin', ...rights, phone: '13900139003' });
  const cast: Record<Who, { id: number; username: string }> = {
    adminA: w.adminA, userA: w.userA, amA: w.accountManager, adminB, userB: w.userB, amB, admin: w.admin, sales: w.salesManager, quality: w.quality,
  };
  for (const [k, u] of Object.entries(cast) as [Who, { id: number; username: string }][]) {
    tokens[k] = (await t.signIn(u.username)).token;
    roleOf[k] = (await t.db('users').where('id', u.id).first('role')).role;
  }

  // The parties as the contract needs them, A under a name nobody else has.
  await t.db('organisations').where('id', w.mill).update({ name: '江南钢铁股份有限公司', credit_code: uscc('91320000134789012'), address: '江苏省无锡市钢城大道1号' });
  const now = nowDb();
  await t.db('contract_party_details').insert({ organisation_id: w.mill, legal_representative: '李四', bank_name: '中国建设银行无锡分行', bank_account: '3200 1617 8880 5000 1234', phone: '0510-88880000', updated_by: 'test', updated_at: now });
  for (const [c, code] of [[w.customerA, uscc('91320505MA1MH4K21')], [w.customerB, uscc('91310115MA1KY7Y22')]] as const) {
    await t.db('organisations').where('id', c).update({ credit_code: code, address: '上海市浦东新区张江路88号' });
    await t.db('contract_party_details').insert({ organisation_id: c, legal_representative: '王五', bank_name: '招商银行上海分行', bank_account: '1219 0888 8810 001', phone: '021-55550000', updated_by: 'test', updated_at: now });
  }
  const codeA = (await t.db('organisations').where('id', w.customerA).first('code')).code as string;
  const codeB = (await t.db('organisations').where('id', w.customerB).first('code')).code as string;
  ids.customer = w.customerA;
  ids.codeA = codeA;
  ids.userA = w.userA.id;

  // ERP master data, a quality certificate of A and a row the sync quarantines.
  await writeStaging(t.stores.staging, [
    { iface: 'customer', key: codeA, seq: 1, payload: { ...customer(codeA, A_NAME), creditCode: uscc('91320505MA1MH4K21') } },
    { iface: 'customer', key: codeB, seq: 1, payload: { ...customer(codeB, '乙方钢构公司'), creditCode: uscc('91310115MA1KY7Y22') } },
    { iface: 'material', key: 'RB-HRB400E-25', seq: 1, payload: material('RB-HRB400E-25') },
    { iface: 'quality_certificate', key: 'ZB-CC-0001', seq: 2, payload: certificatePayload('ZB-CC-0001', codeA, { contractNo: 'HT-CC-A1', deliveryNo: undefined, salesOrderNo: undefined }) },
    { iface: 'customer', key: 'BROKEN', seq: 3, payload: '{"not": "a customer"' },
  ]);
  const run = await t.app.erpSync.runNow('manual', 5000);
  assert.equal(run.status, 'done', JSON.stringify(run));
  assert.equal((await t.db('organisations').where('id', w.customerA).first('name')).name, A_NAME);
  // The ERP's customer master carries no address; the contract needs one.
  await t.db('organisations').whereIn('id', [w.customerA, w.customerB]).update({ address: '上海市浦东新区张江路88号' });
  secrets.push(A_NAME, codeA, 'ZB-CC-0001', 'HT-CC-A1', w.adminA.username, w.userA.username, '13900139001');
  ids.certificate = Number((await t.db('certificates').where('certificate_no', 'ZB-CC-0001').first('id')).id);
  ids.quarantine = Number((await t.db('erp_quarantine').first('id')).id);

  // Credit and class, so that A's answers and demands pass their checks.
  const strategic = await t.db('customer_classes').where('code', 'strategic').first('id');
  ids.customerClass = Number(strategic.id);
  for (const c of [w.customerA, w.customerB]) {
    await t.db('customer_profiles').insert({ organisation_id: c }).onConflict('organisation_id').ignore();
    await t.db('customer_profiles').where('organisation_id', c).update({ class_id: strategic.id, credit_limit_fen: 100_000_000_00, grade: 'AA' });
  }
  ids.approvalRule = Number((await t.db('approval_rules').first('id')).id);
  ids.contractTemplate = Number((await t.db('contract_templates').first('id')).id);
  ids.group = (await ok(as('sales', 'POST', '/api/customer-groups', { name: '甲方集团', kind: 'control', limitFen: 600_000_00, memberIds: [w.customerA] }))).id;

  // An allocation of A, answered and waiting for approval.
  const plan = await ok(as('sales', 'POST', '/api/plans', { kind: 'monthly', period: '2031-01', name: '计划 2031-01', lines: [{ variety: 'rebar', plannedKg: 200_000, basePriceFenPerT: 4_000_00 }] }));
  ids.plan = plan.id;
  await ok(as('sales', 'PUT', `/api/plans/${plan.id}/allocations`, { items: [{ planLineId: plan.lines[0].id, customerId: w.customerA, offeredKg: 100_000 }] }));
  await ok(as('sales', 'POST', `/api/plans/${plan.id}/publish`, { answerDeadline: new Date(Date.now() + 48 * 3600_000).toISOString() }));
  ids.allocation = Number((await t.db('allocations').where({ plan_id: plan.id, customer_id: w.customerA }).first('id')).id);
  await ok(as('adminA', 'POST', `/api/allocations/${ids.allocation}/answer`, { decision: 'partial', acceptedKg: 70_000, quotedPriceFenPerT: 3_987_65 }));
  ids.approval = Number((await t.db('approvals').where({ subject_type: 'allocation_answer', subject_id: ids.allocation }).first('id')).id);

  // A demand of A.
  const month = new Date(Date.now() + 8 * 3600_000 + 31 * 86400_000).toISOString().slice(0, 7);
  const demand = await ok(as('adminA', 'POST', '/api/demands', { variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', kg: 300_000, deliveryMonth: month }));
  ids.demand = demand.id;
  secrets.push(demand.demandNo);

  // Two intent contracts of A: one listed and left open, one listed and taken into a sealed contract.
  for (const [userId, right] of [[w.salesManager.id, 'use'], [w.admin.id, 'manage'], [w.admin.id, 'audit']] as const) await ok(as('admin', 'POST', '/api/seals/rights', { userId, right }));
  const listing = async (n: number) => {
    const [id] = await t.db('intent_contracts').insert({
      contract_no: `YXCC${process.pid}${n}`, customer_id: w.customerA, source_type: 'demand', source_id: 990_000 + n, approval_id: null, state: 'open',
      delivery_month: '2026-12', total_kg: 300_000, amount_fen: 109_500_000, payment_terms: 'deferred', payment_days: 30, terms: null, created_at: nowDb(),
    });
    await t.db('intent_contract_lines').insert({ intent_contract_id: Number(id), position: 1, variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', kg: 300_000, price_fen_per_t: 3_650_00, amount_fen: 109_500_000 });
    secrets.push(`YXCC${process.pid}${n}`);
    const l = await ok(as('sales', 'POST', '/api/listings', { intentContractId: Number(id), deliveryPlace: '江苏省苏州市', deliveryFrom: '2026-12-01', deliveryTo: '2026-12-31', deliveryMethod: '汽运', qualityStandard: 'GB/T 1499.2-2018' }));
    secrets.push(l.listingNo);
    return { intent: Number(id), listing: l.id as number };
  };
  const open = await listing(1);
  ids.intent = open.intent;
  ids.listing = open.listing;
  const taken = await listing(2);
  await ok(as('adminA', 'POST', `/api/listings/${taken.listing}/code`));
  const code = await lastPhoneCode(t.db, '13900139001', 'signing_code');
  const contract = await ok(as('adminA', 'POST', `/api/listings/${taken.listing}/take`, { code }));
  ids.contract = contract.id;
  secrets.push(contract.contractNo);
  ids.sealCertificate = Number((await t.db('seal_certificates').where('organisation_id', w.customerA).first('id')).id);
  ids.notification = Number((await t.db('notifications').where('user_id', w.adminA.id).first('id')).id);

  // A printed copy of A's certificate and a share link of it.
  const copy = await ok(as('adminA', 'POST', `/api/certificates/${ids.certificate}/prints`));
  ids.copyNo = copy.copyNo;
  secrets.push(copy.copyNo, copy.verifyCode);
  const share = await ok(as('adminA', 'POST', `/api/certificates/${ids.certificate}/shares`, { buyerName: '甲方的买家', expiresAt: new Date(Date.now() + 86400_000).toISOString(), maxCopies: 2 }));
  ids.share = share.id;
  secrets.push(share.token);

  // A survey for A alone, answered by A.
  const survey = await ok(as('sales', 'POST', '/api/surveys', {
    title: '甲方满意度', introduction: '请填写', kind: 'campaign', triggerEvent: null, answerPer: 'organisation', anonymous: false,
    opensAt: new Date(Date.now() - 3600_000).toISOString(), closesAt: new Date(Date.now() + 7 * 86400_000).toISOString(), target: { all: false, customerIds: [w.customerA] },
    sections: [{ id: 's1', title: '一', questions: [{ id: 'note', type: 'long_text', title: '建议', required: true }] }],
  }));
  ids.survey = survey.id;
  await ok(as('sales', 'POST', `/api/surveys/${survey.id}/publish`));
  const inv = (await ok(as('adminA', 'GET', '/api/my-surveys'))).items.find((i: { surveyId: number }) => i.surveyId === survey.id);
  ids.invitation = inv.id;
  await ok(as('adminA', 'POST', `/api/my-surveys/${inv.id}/submit`, { answers: { note: A_SURVEY_ANSWER } }));
  secrets.push(A_SURVEY_ANSWER);

  // A feedback item of A with an attachment.
  const item = await ok(as('adminA', 'POST', '/api/feedback', { category: 'quality_objection', subject: A_FEEDBACK, description: '螺纹钢表面有裂纹' }));
  ids.feedback = item.id;
  secrets.push(A_FEEDBACK);
  const up = await t.as(tokens.adminA, { method: 'POST', url: `/api/feedback/${item.id}/attachments?name=crack.png`, headers: { 'content-type': 'application/octet-stream' }, payload: PNG });
  ids.attachment = (await ok(up)).id;
});
after(() => t.close());

/**
 * Which of A's objects a path parameter names: by the URL's first segment after /api and the parameter's name.
 * A route with a parameter that matches nothing here fails the test: map it when you add it.
 */
const PARAMS: Record<string, Record<string, string | (() => string | number)>> = {
  users: { id: 'userA' },
  organisations: { id: 'customer' },
  customers: { id: 'customer', code: 'codeA' },
  'customer-classes': { id: 'customerClass' },
  'customer-groups': { id: 'group' },
  'contract-parties': { id: 'customer' },
  'certificate-print-rights': { customerId: 'customer' },
  erp: { interface: () => 'customer', docKey: 'codeA', id: 'quarantine' },
  'approval-rules': { id: 'approvalRule' },
  approvals: { id: 'approval' },
  plans: { id: 'plan' },
  allocations: { id: 'allocation' },
  'intent-contracts': { id: 'intent' },
  demands: { id: 'demand' },
  'contract-templates': { id: 'contractTemplate' },
  listings: { id: 'listing' },
  contracts: { id: 'contract' },
  certificates: { id: 'certificate' },
  'certificate-copies': { copyNo: 'copyNo' },
  'certificate-shares': { id: 'share' },
  surveys: { id: 'survey' },
  'my-surveys': { id: 'invitation' },
  seals: { id: 'sealCertificate', userId: 'userA', right: () => 'use' },
  notifications: { id: 'notification' },
  feedback: { id: 'feedback', attachmentId: 'attachment' },
};

/**
 * Public by design, each for its reason; whoever holds the token or code is meant to reach what it names. Their own
 * tests cover expiry, limits and what they show (printing.test.ts, sync.test.ts).
 */
const PUBLIC_BY_DESIGN = new Set([
  'POST /api/erp/batches/:interface', // the ERP's delivery, authenticated by its HMAC signature; the parameter is an interface name
  'GET /api/shared-certificates/:token', // a share link the customer gave its buyer
  'POST /api/shared-certificates/:token/prints',
  'GET /api/certificate-verify/:code', // the verification code printed on a copy
  'POST /api/certificate-verify/:code',
]);

/**
 * Objects the mill owns and shows to all its staff of a role, not A's: B's manager may read them (2xx), as long as
 * nothing of A comes with them.
 */
const MILL_OWNED_READABLE_BY_ANY_MANAGER = new Set([
  'GET /api/plans/:id', // a resource plan is the mill's: its lines and totals
  'GET /api/plans/:id/allocations', // the plan's grid, with the rows of the manager's own customers only
  'GET /api/surveys/:id', // the questionnaire itself
  'GET /api/surveys/:id/results', // the results, export and summary count the manager's own customers only
  'GET /api/surveys/:id/export.csv',
  'GET /api/surveys/:id/summary.pdf',
]);

function idRoutes(): RouteEntry[] {
  return t.app.routeTable.filter((r) => r.url.startsWith('/api/') && r.url.includes(':') && r.method !== 'HEAD');
}

function fill(r: RouteEntry): string {
  const prefix = r.url.split('/')[2]!;
  return r.url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const m = PARAMS[prefix]?.[name];
    if (m === undefined) throw new Error(`${r.method} ${r.url}: parameter :${name} is not mapped to one of customer A's objects in cross-customer.test.ts`);
    const v = typeof m === 'function' ? m() : ids[m];
    if (v === undefined) throw new Error(`${r.method} ${r.url}: fixture ${String(m)} was not made`);
    return encodeURIComponent(String(v));
  });
}

/** The request of a route for A's objects, with a body its schema accepts (an upload for the attachment route). */
function requestOf(r: RouteEntry): { method: string; url: string; payload?: unknown; headers?: Record<string, string>; query?: Record<string, string> } {
  const s = (r.schema ?? {}) as Schema;
  const url = fill(r);
  if (r.method === 'POST' && r.url === '/api/feedback/:id/attachments') return { method: r.method, url: `${url}?name=b.png`, payload: PNG, headers: { 'content-type': 'application/octet-stream' } };
  const query = s.querystring ? (validValue(s.querystring) as Record<string, string>) : undefined;
  if (['GET', 'DELETE'].includes(r.method)) return { method: r.method, url, query };
  return { method: r.method, url, query, payload: s.body ? validValue(s.body) : {} };
}

const label = (r: RouteEntry) => `${r.method} ${r.url}`;

/** The first of A's identifying values in an answer (a PDF's text, as pdftotext reads it), other than those the caller sent. */
function leaked(res: LightMyRequestResponse, url: string): string | undefined {
  let body = res.body;
  if (String(res.headers['content-type']).startsWith('application/pdf')) {
    const file = path.join(tmpdir(), `cross-customer-${process.pid}.pdf`);
    writeFileSync(file, res.rawPayload);
    body = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    rmSync(file, { force: true });
  }
  const sent = decodeURIComponent(url);
  return secrets.find((s) => s && body.includes(s) && !sent.includes(s));
}

test('every route with an id in its path maps it to one of customer A’s objects, or is public by design', () => {
  const unmapped: string[] = [];
  for (const r of idRoutes()) {
    if (PUBLIC_BY_DESIGN.has(label(r))) {
      assert.equal((r.config.access as { public?: boolean } | undefined)?.public, true, `${label(r)} is on the public list but is not public`);
      continue;
    }
    try {
      fill(r);
    } catch (err) {
      unmapped.push((err as Error).message);
    }
  }
  assert.deepEqual(unmapped, []);
  for (const name of PUBLIC_BY_DESIGN) assert.ok(idRoutes().some((r) => label(r) === name), `${name} on the public list is no route any more`);
});

for (const who of ['adminB', 'userB', 'amB', 'anonymous'] as const) {
  const title = { adminB: 'an administrator of customer B', userB: 'a user of customer B', amB: 'B’s account manager', anonymous: 'a caller without sign-in' }[who];
  test(`${title} gets none of customer A’s objects from any route that takes an id`, async () => {
    const problems: string[] = [];
    let calls = 0;
    for (const r of idRoutes()) {
      if (PUBLIC_BY_DESIGN.has(label(r))) continue;
      const req = requestOf(r);
      const res = who === 'anonymous' ? await t.app.inject(req as never) : await t.as(tokens[who], req as never);
      calls++;
      const leak = leaked(res, req.url);
      const allowed2xx = who === 'amB' && MILL_OWNED_READABLE_BY_ANY_MANAGER.has(label(r));
      const expected = who === 'anonymous' ? [401] : [403, 404];
      if (leak) problems.push(`${label(r)} → ${res.statusCode} shows A’s “${leak}”`);
      else if (!expected.includes(res.statusCode) && !(allowed2xx && res.statusCode === 200)) problems.push(`${label(r)} → ${res.statusCode} ${res.body.slice(0, 160)}`);
    }
    assert.deepEqual(problems, []);
    assert.ok(calls >= 75, `only ${calls} routes called`);
  });
}

/** Query parameters that name a customer or its manager, and the value of A's that goes in them. */
const CUSTOMER_QUERY: Record<string, () => number> = {
  customerId: () => w.customerA,
  organisationId: () => w.customerA,
  accountManagerId: () => w.accountManager.id,
  managerId: () => w.accountManager.id,
};

test('list and report routes filtered by customer A (or A’s manager) give B’s people and B’s manager none of A’s data', async () => {
  const problems: string[] = [];
  const shownToA = new Set<string>();
  let calls = 0;
  for (const r of t.app.routeTable) {
    const q = ((r.schema as Schema | undefined)?.querystring?.properties ?? {}) as Record<string, Schema>;
    const named = Object.keys(q).filter((k) => k in CUSTOMER_QUERY);
    if (r.method !== 'GET' || !r.url.startsWith('/api/') || r.url.includes(':') || !named.length) continue;
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(q)) if (!['page', 'pageSize'].includes(k) && (k in CUSTOMER_QUERY || v.default !== undefined)) query[k] = String(k in CUSTOMER_QUERY ? CUSTOMER_QUERY[k]!() : v.default);
    // The control: the same request shows A's own people something of A's on most of these routes.
    for (const who of ['adminA', 'amA'] as const) if (leaked(await t.as(tokens[who], { method: 'GET', url: r.url, query }), r.url)) shownToA.add(label(r));
    for (const who of ['adminB', 'userB', 'amB'] as const) {
      const res = await t.as(tokens[who], { method: 'GET', url: r.url, query });
      calls++;
      const leak = leaked(res, r.url);
      if (leak) problems.push(`${who} ${label(r)}?${new URLSearchParams(query)} → ${res.statusCode} shows A’s “${leak}”`);
      else if (res.statusCode >= 500) problems.push(`${who} ${label(r)} → ${res.statusCode}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(calls >= 30, `only ${calls} calls`);
  assert.ok(shownToA.size >= 8, `A's people saw A's data on only ${[...shownToA].join(', ')}`);
});

test('every read route answers A’s own people (A’s administrator, A’s account manager) for A’s objects; mill-only routes the staff they are for', async () => {
  const problems: string[] = [];
  for (const r of idRoutes()) {
    if (r.method !== 'GET' || PUBLIC_BY_DESIGN.has(label(r))) continue;
    const roles = ((r.config.access as { roles?: readonly Role[] }).roles ?? []) as readonly Role[];
    const own = (['adminA', 'amA'] as const).filter((c) => roles.includes(roleOf[c]));
    // Each of A's people the route is for must be answered; a route for neither needs one of the staff it is for.
    const callers = own.length ? own : (['admin', 'sales', 'quality'] as const).filter((c) => roles.includes(roleOf[c]));
    const answers: string[] = [];
    for (const c of callers) {
      const res = await t.as(tokens[c], requestOf(r) as never);
      answers.push(`${c} ${res.statusCode}`);
      if (!own.length && res.statusCode === 200) break;
    }
    const ok = own.length ? answers.every((a) => a.endsWith(' 200')) : answers.some((a) => a.endsWith(' 200'));
    if (!ok) problems.push(`${label(r)}: ${answers.join(', ') || 'nobody may call it'}`);
  }
  assert.deepEqual(problems, []);
});

test('A’s people reach A’s objects by the same ids: the customer its documents, the account manager its customer', async () => {
  for (const url of [`/api/contracts/${ids.contract}`, `/api/listings/${ids.listing}`, `/api/demands/${ids.demand}`, `/api/certificates/${ids.certificate}`, `/api/feedback/${ids.feedback}`, `/api/allocations/${ids.allocation}`]) {
    assert.equal((await as('adminA', 'GET', url)).statusCode, 200, `A's admin: ${url}`);
    assert.equal((await as('amA', 'GET', url)).statusCode, 200, `A's manager: ${url}`);
  }
  assert.equal((await as('amA', 'GET', `/api/customers/${w.customerA}`)).statusCode, 200);
  assert.equal((await as('adminA', 'GET', `/api/my-surveys/${ids.invitation}`)).statusCode, 200);
  const results = await as('amA', 'GET', `/api/surveys/${ids.survey}/export.csv`);
  assert.equal(results.statusCode, 200);
  assert.ok(results.body.includes(A_SURVEY_ANSWER), 'A’s answer is in the export its manager downloads');
});
