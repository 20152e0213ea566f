// Matching the ERP customer master, the credit snapshot from synced balances and orders, groups with unified
// credit, the credit policy and exceptions, warnings, and grading over synced histories — all through a real sync.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeOrganisation, makeUser, type TestApp } from '../../../test/helpers.js';
import { customer, invoice, material, receipt, salesOrder, writeStaging, type StagingRow } from '../../../test/erp-fixtures.js';
import { creditCodeCheck } from '../../demo.js';
import { gradeAll } from './credit.js';
import { toDbTime } from '../../db/knex.js';

let t: TestApp;
let sales: string;
let admin: string;
let seq = 0;
const cc = (n: number) => {
  const first = `913205${String(n).padStart(6, '0')}MA1N2B`.slice(0, 17);
  return first + creditCodeCheck(first);
};
const erpCustomer = (code: string, n: number, over: Record<string, unknown> = {}) => ({ ...customer(code, `客户${code}`), creditCode: cc(n), ...over });
const balance = (customerCode: string, over: Record<string, unknown> = {}) => ({
  customerCode,
  asOf: '2026-11-23T08:00:00+08:00',
  creditLimitFen: 1_000_000_00,
  balanceFen: 200_000_00,
  advanceFen: 0,
  overdueFen: 0,
  overdueDays: 0,
  ...over,
});
async function erp(rows: Omit<StagingRow, 'seq'>[]) {
  await writeStaging(t.stores.staging, rows.map((r) => ({ ...r, seq: ++seq })));
  const run = await t.app.erpSync.runNow('manual', 5000);
  assert.equal(run.status, 'done', JSON.stringify(run));
  return run;
}
const get = (token: string, url: string) => t.as(token, { method: 'GET', url });
const idOf = async (code: string) => Number((await t.db('organisations').where('code', code).first('id'))!.id);

before(async () => {
  t = await createTestApp();
  const mill = await makeOrganisation(t.db, { kind: 'mill', code: 'MILL' });
  sales = (await t.signIn((await makeUser(t.db, { organisationId: mill, role: 'sales_manager' })).username)).token;
  admin = (await t.signIn((await makeUser(t.db, { organisationId: mill, role: 'admin' })).username)).token;
  await erp([{ iface: 'material', key: 'M1', payload: material('M1') }]);
});
after(() => t.close());

test('a new ERP customer becomes a matched portal customer; a known code gets the ERP-owned fields', async () => {
  const existing = await makeOrganisation(t.db, { code: 'K100' });
  await erp([
    { iface: 'customer', key: 'K200', payload: erpCustomer('K200', 200, { industry: '建筑', contacts: [{ name: '王五', phone: '0512-1234' }] }) },
    { iface: 'customer', key: 'K100', payload: erpCustomer('K100', 100, { name: '更名后的客户' }) },
  ]);
  const created = (await get(sales, `/api/customers/${await idOf('K200')}`)).json();
  assert.equal(created.matchState, 'matched');
  assert.equal(created.industry, '建筑');
  assert.deepEqual(created.erpContacts, [{ name: '王五', phone: '0512-1234', title: null, email: null }]);
  const updated = (await get(sales, `/api/customers/${existing}`)).json();
  assert.equal(updated.name, '更名后的客户');
  assert.equal(updated.creditCode, cc(100));
  const history = (await get(sales, `/api/customers/${existing}/history`)).json().items;
  assert.equal(history[0].action, 'customer.erp_update');
  assert.equal(history[0].changes.name[1], '更名后的客户');
});

test('a portal customer the ERP does not know is listed as unmatched', async () => {
  const lonely = await makeOrganisation(t.db, { code: 'PORTAL1' });
  const report = (await get(sales, '/api/customers/matching')).json();
  assert.ok(report.unmatched.some((u: { id: number }) => u.id === lonely));
  assert.ok(!report.unmatched.some((u: { code: string }) => u.code === 'K200'));
  const filtered = (await get(sales, '/api/customers?matchState=unmatched&pageSize=200')).json();
  assert.ok(filtered.items.some((c: { id: number }) => c.id === lonely));
});

test('a record that changes the legal identity or duplicates another customer is held as a conflict until accepted', async () => {
  await erp([
    { iface: 'customer', key: 'K100', payload: erpCustomer('K100', 101, { name: '换了主体' }) },
    { iface: 'customer', key: 'K300', payload: erpCustomer('K300', 200) },
  ]);
  const k100 = await idOf('K100');
  const held = (await get(sales, `/api/customers/${k100}`)).json();
  assert.equal(held.matchState, 'conflict');
  assert.equal(held.name, '更名后的客户', 'not applied');
  assert.equal(held.erp.conflict.kind, 'credit_code_changed');
  assert.equal(await t.db('organisations').where('code', 'K300').first(), undefined, 'the duplicate was not created');
  const report = (await get(sales, '/api/customers/matching')).json();
  assert.deepEqual(report.conflicts.map((c: { code: string; kind: string }) => [c.code, c.kind]), [
    ['K100', 'credit_code_changed'],
    ['K300', 'credit_code_duplicate'],
  ]);
  assert.equal((await t.as(sales, { method: 'POST', url: '/api/customers/matching/K100/accept' })).statusCode, 403);
  const accepted = await t.as(admin, { method: 'POST', url: '/api/customers/matching/K100/accept' });
  assert.equal(accepted.statusCode, 200, accepted.body);
  const after = (await get(sales, `/api/customers/${k100}`)).json();
  assert.equal(after.name, '换了主体');
  assert.equal(after.matchState, 'matched');
  assert.equal((await get(sales, `/api/customers/${k100}/history`)).json().items[0].action, 'customer.erp_accept');
  assert.equal((await t.as(admin, { method: 'POST', url: '/api/customers/matching/NOPE/accept' })).json().error.code, 'customer.match_not_found');
});

test("the ERP retiring a customer makes it inactive, keeping its history", async () => {
  await erp([{ iface: 'customer', key: 'K300', op: 'delete' }, { iface: 'customer', key: 'K200', op: 'delete' }]);
  const k200 = (await get(sales, `/api/customers/${await idOf('K200')}`)).json();
  assert.equal(k200.active, false);
  assert.equal((await t.db('customer_erp_match').where('code', 'K300').first()), undefined, 'the held conflict is gone with the record');
});

test('used credit is the balance plus open orders not yet invoiced; available is the limit less that', async () => {
  await erp([{ iface: 'customer', key: 'K400', payload: erpCustomer('K400', 400) }]);
  const order = salesOrder('SO400', 'K400', 'M1', 100_000, 400_000); // 100 t at 4,000 yuan: 400,000 yuan
  const inv = { ...invoice('INV400', 'K400', 100_000_00), salesOrderNo: 'SO400' };
  await erp([
    { iface: 'sales_order', key: 'SO400', payload: order },
    { iface: 'invoice', key: 'INV400', payload: inv },
    { iface: 'customer_balance', key: 'K400', payload: balance('K400', { balanceFen: 50_000_00 }) },
  ]);
  const c = (await get(sales, `/api/customers/${await idOf('K400')}`)).json();
  // open order 400,000 yuan less invoiced 113,000 (total with tax) = 287,000; used 50,000 + 287,000.
  assert.equal(c.credit.openOrderFen, 287_000_00);
  assert.equal(c.credit.usedFen, 337_000_00);
  assert.equal(c.credit.availableFen, 1_000_000_00 - 337_000_00);
  assert.equal(c.credit.limitFen, 1_000_000_00);
  // Paid in advance: a negative balance reduces the exposure, never below zero.
  await erp([{ iface: 'customer_balance', key: 'K400', payload: balance('K400', { balanceFen: -400_000_00, advanceFen: 400_000_00 }) }]);
  const paid = (await get(sales, `/api/customers/${await idOf('K400')}`)).json();
  assert.equal(paid.credit.usedFen, 0);
  assert.equal(paid.credit.advanceFen, 400_000_00);
});

test('a group shares one limit: its exposure adds up its members and a member cannot use what the group no longer has', async () => {
  await erp([
    { iface: 'customer', key: 'G1', payload: erpCustomer('G1', 501) },
    { iface: 'customer', key: 'G2', payload: erpCustomer('G2', 502) },
  ]);
  await erp([
    { iface: 'customer_balance', key: 'G1', payload: balance('G1', { balanceFen: 300_000_00 }) },
    { iface: 'customer_balance', key: 'G2', payload: balance('G2', { balanceFen: 250_000_00 }) },
  ]);
  const [g1, g2] = [await idOf('G1'), await idOf('G2')];
  const res = await t.as(sales, { method: 'POST', url: '/api/customer-groups', payload: { name: '某某控股集团', kind: 'control', limitFen: 600_000_00, memberIds: [g1, g2] } });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().usedFen, 550_000_00);
  assert.equal(res.json().availableFen, 50_000_00);
  const member = (await get(sales, `/api/customers/${g1}`)).json();
  assert.equal(member.availableFen, 50_000_00, "the member's own limit would allow 700,000 yuan");
  assert.deepEqual(member.credit.warningReasons, ['group_exposure']);
  const check = (await get(sales, `/api/customers/${g1}/credit-check?amountFen=${60_000_00}`)).json();
  assert.equal(check.allowed, false);
  assert.ok(check.blocks.some((b: { code: string }) => b.code === 'credit.group_exceeded'));
  const taken = await t.as(sales, { method: 'POST', url: '/api/customer-groups', payload: { name: '另一个集团', kind: 'guarantee', limitFen: 1, memberIds: [g1] } });
  assert.equal(taken.json().error.code, 'customer_group.member_taken');
});

test('the credit policy of the grade and the available credit block business unless an exception covers it', async () => {
  await erp([{ iface: 'customer', key: 'P1', payload: erpCustomer('P1', 601) }]);
  await erp([{ iface: 'customer_balance', key: 'P1', payload: balance('P1', { balanceFen: 900_000_00, overdueFen: 10_000_00, overdueDays: 40 }) }]);
  const id = await idOf('P1');
  await t.as(sales, { method: 'PUT', url: `/api/customers/${id}/grade-override`, payload: { grade: 'A', reason: '老客户，临时调整' } });
  // Grade A: stops new business beyond 30 overdue days; 100,000 yuan available.
  let check = (await get(sales, `/api/customers/${id}/credit-check?amountFen=${150_000_00}`)).json();
  assert.deepEqual(check.blocks.map((b: { code: string }) => b.code).sort(), ['credit.exceeded', 'credit.overdue_stop']);
  assert.equal(check.allowed, false);
  const ex = await t.as(sales, { method: 'POST', url: `/api/customers/${id}/credit-exceptions`, payload: { amountFen: 150_000_00, reason: '重点工程急需' } });
  assert.equal(ex.statusCode, 201, ex.body);
  check = (await get(sales, `/api/customers/${id}/credit-check?amountFen=${150_000_00}`)).json();
  assert.equal(check.allowed, true);
  assert.equal(check.exceptionId, ex.json().id);
  assert.equal((await get(sales, `/api/customers/${id}/credit-check?amountFen=${150_000_01}`)).json().allowed, false, 'only up to the amount granted');
  // Grade C requires prepayment.
  await t.as(sales, { method: 'PUT', url: `/api/customers/${id}/grade-override`, payload: { grade: 'C', reason: '逾期严重' } });
  check = (await get(sales, `/api/customers/${id}/credit-check?amountFen=1`)).json();
  assert.ok(check.blocks.some((b: { code: string }) => b.code === 'credit.prepayment_required'));
  // The override is audited with its reason, and only sales managers may override or grant.
  const h = (await get(sales, `/api/customers/${id}/history`)).json().items;
  assert.equal(h.find((e: { action: string }) => e.action === 'customer.grade_override').reason, '逾期严重');
  assert.equal((await t.as(admin, { method: 'PUT', url: `/api/customers/${id}/grade-override`, payload: { grade: 'AAA', reason: '试试' } })).statusCode, 403);
  // The per-manager report counts the exception.
  const stats = (await get(sales, '/api/customers/stats')).json();
  assert.equal(stats.byAccountManager.reduce((s: number, r: { exceptions: number }) => s + r.exceptions, 0), 1);
  // The warning list shows the customer, overdue and over the share of its limit.
  const warn = (await get(sales, '/api/customers/credit-warnings')).json();
  const row = warn.items.find((x: { id: number }) => x.id === id);
  assert.deepEqual(row.reasons, ['exposure', 'overdue']);
  assert.equal(row.usedPct, 90);
});

test('the warning share is configurable', async () => {
  const policies = (await get(sales, '/api/credit-policies')).json();
  assert.equal(policies.warningSharePct, 80);
  const put = await t.as(admin, { method: 'PUT', url: '/api/credit-policies', payload: { ...policies, warningSharePct: 95 } });
  assert.equal(put.statusCode, 200, put.body);
  const warn = (await get(sales, '/api/customers/credit-warnings')).json();
  const p1 = warn.items.find((x: { code: string }) => x.code === 'P1');
  assert.deepEqual(p1.reasons, ['overdue'], '90% is below the new 95% share');
  await t.as(admin, { method: 'PUT', url: '/api/credit-policies', payload: policies });
});

test('nightly grading scores synced histories and keeps an override', async () => {
  await erp([{ iface: 'customer', key: 'H1', payload: erpCustomer('H1', 701) }]);
  const inv = (no: string, date: string, due: string, fen: number) => ({ ...invoice(no, 'H1', fen), invoiceDate: date, dueDate: due, taxFen: 0, totalFen: fen });
  const rec = (no: string, date: string, fen: number) => ({ ...receipt(no, 'H1', fen), receiptDate: date });
  await erp([
    { iface: 'invoice', key: 'HI1', payload: inv('HI1', '2026-05-01', '2026-06-01', 300_00) },
    { iface: 'invoice', key: 'HI2', payload: inv('HI2', '2026-06-01', '2026-07-01', 100_00) },
    { iface: 'customer_receipt', key: 'HR1', payload: rec('HR1', '2026-05-20', 300_00) },
    { iface: 'customer_balance', key: 'H1', payload: balance('H1', { balanceFen: 100_00, overdueFen: 100_00, overdueDays: 20 }) },
  ]);
  const result = await gradeAll(t.db, new Date('2026-11-23T04:00:00Z'));
  assert.ok(result.graded >= 1);
  const c = (await get(sales, `/api/customers/${await idOf('H1')}`)).json();
  const pts = Object.fromEntries(c.grading.factors.map((f: { factor: string; points: number }) => [f.factor, f.points]));
  // punctuality 35·300/400 = 26; overdue 20 days = 15; tenure 6 months = 2; no shipments 0, 0; no finished order 5.
  assert.deepEqual(pts, { punctuality: 26, overdue: 15, tenure: 2, volume: 0, trend: 0, fulfilment: 5 });
  assert.deepEqual(c.grading.factors[0].inputs, { onTimeFen: 300_00, dueFen: 400_00 }, 'the inputs the points came from');
  assert.deepEqual(c.grading.factors.find((f: { factor: string }) => f.factor === 'overdue').inputs, { days: 20, fen: 100_00, heavy: 0 });
  assert.equal(c.grading.score, 48);
  assert.equal(c.grade, 'C');
  const p1 = await idOf('P1');
  await gradeAll(t.db);
  assert.equal((await get(sales, `/api/customers/${p1}`)).json().grade, 'C', 'the override stays');
  assert.equal((await get(sales, `/api/customers/${p1}`)).json().gradeOverridden, true);
  assert.ok(t.app.scheduler.jobs().includes('customers.grade'), 'graded nightly by the scheduler');
  const run = await t.as(sales, { method: 'POST', url: '/api/customers/grades/recompute' });
  assert.equal(run.statusCode, 200, run.body);
  assert.ok(run.json().graded >= 5);
});

test('after a sync only the customers whose documents changed are refreshed; the nightly job refreshes all', async () => {
  const [k400, g2] = [await idOf('K400'), await idOf('G2')];
  // K400's documents were synced an hour ago; a value no refresh would write shows whether it is recomputed.
  await t.db('erp_records').where('customer_code', 'K400').update({ synced_at: toDbTime(new Date(Date.now() - 3600_000)) });
  await t.db('customer_profiles').where('organisation_id', k400).update({ used_fen: 123 });
  await erp([{ iface: 'customer_balance', key: 'G2', payload: balance('G2', { balanceFen: 260_000_00 }) }]);
  assert.equal((await get(sales, `/api/customers/${g2}`)).json().usedFen, 260_000_00, 'the changed customer is refreshed');
  assert.equal((await get(sales, `/api/customers/${k400}`)).json().usedFen, 123, 'an unchanged customer is left alone');
  await t.as(sales, { method: 'POST', url: '/api/customers/grades/recompute' });
  assert.equal((await get(sales, `/api/customers/${k400}`)).json().usedFen, 0, 'the full refresh recomputes it');
});
