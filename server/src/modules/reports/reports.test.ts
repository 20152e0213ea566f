// Business queries and management reports (issue 8): each report against figures worked out by hand on a small
// constructed data set, CSV equal to JSON, the access matrix, and summaries equal to a recomputation after updates
// and deletes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeWorld, type TestApp } from '../../../test/helpers.js';
import { writeStaging, type StagingRow } from '../../../test/erp-fixtures.js';
import { runSync } from '../erp-sync/engine.js';
import { rebuildProjection } from './projection.js';
import { chinaMonth } from '../../china-time.js';

// The fixture is dated relative to the month the tests run in (M0), so "overdue" (signed before the previous month)
// means the same whatever the date: M2's contract is overdue, M1's are not.
const monthsBack = (n: number) => {
  const [y, m] = chinaMonth().split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 - n, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};
const lastDayOf = (month: string) => {
  const [y, m] = month.split('-').map(Number);
  return String(new Date(Date.UTC(y, m, 0)).getUTCDate());
};
const [M0, M1, M2, M3, M4] = [0, 1, 2, 3, 4].map(monthsBack);

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
const tokens: Record<string, string> = {};
let codeA = '';
let codeB = '';
const codeX = 'ERPONLYX';
let seq = 0;

const sync = () => runSync({ db: t.db, staging: t.stores.staging, config: t.config }, { trigger: 'script', holder: 'test' });
const get = (who: string, url: string) => t.as(tokens[who]!, { method: 'GET', url });

const material = (code: string, variety: string) => ({ code, name: code, variety, grade: 'HRB400E', spec: 'Φ25', standard: 'GB/T 1499.2-2018', active: true });
const customer = (code: string) => ({ code, name: `客户${code}`, creditCode: '91320505MA1N2B3C4W', province: '江苏省', city: '苏州市', contacts: [], active: true });
type Line = [material: string, kg: number, priceFenPerT: number];
function order(orderNo: string, customerCode: string, day: string, contractNo: string | undefined, lines: Line[], status = 'open') {
  const ls = lines.map(([m, kg, price], i) => ({ lineNo: i + 1, materialCode: m, grade: 'HRB400E', spec: 'Φ25', quantityKg: kg, unitPriceFen: price, amountFen: (kg * price) / 1000 }));
  return {
    orderNo,
    orderDate: day,
    customerCode,
    ...(contractNo ? { contractNo } : {}),
    status,
    lines: ls,
    totalWeightKg: ls.reduce((s, l) => s + l.quantityKg, 0),
    totalAmountFen: ls.reduce((s, l) => s + l.amountFen, 0),
  };
}
const production = (no: string, so: string, m: string, kg: number, day: string) => ({
  productionNo: no, salesOrderNo: so, materialCode: m, grade: 'HRB400E', spec: 'Φ25', workshop: '轧钢一厂', plannedKg: kg, producedKg: 0, status: 'planned', plannedStart: day, plannedFinish: day,
});
function delivery(no: string, so: string, customerCode: string, day: string, province: string, city: string, lines: Array<[string, number]>) {
  return {
    deliveryNo: no, deliveryDate: day, customerCode, salesOrderNo: so, destination: { province, city, address: '工地' }, transport: 'truck', vehicleNo: '苏E12345',
    lines: lines.map(([m, kg], i) => ({ lineNo: i + 1, materialCode: m, grade: 'HRB400E', spec: 'Φ25', heatNo: 'H1', pieces: 10, weightKg: kg })),
    totalWeightKg: lines.reduce((s, [, kg]) => s + kg, 0),
  };
}
const invoice = (no: string, customerCode: string, so: string | undefined, day: string, totalFen: number, status = 'issued') => ({
  invoiceNo: no, invoiceDate: day, dueDate: day, customerCode, ...(so ? { salesOrderNo: so } : {}), amountFen: totalFen, taxFen: 0, totalFen, status,
});
const receipt = (no: string, customerCode: string, day: string, amountFen: number) => ({ receiptNo: no, receiptDate: day, customerCode, amountFen, method: 'bank_transfer' });
const row = (iface: StagingRow['iface'], key: string, payload: unknown): StagingRow => ({ iface, key, seq: ++seq, payload });

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
  codeA = (await t.db('organisations').where('id', w.customerA).first('code')).code;
  codeB = (await t.db('organisations').where('id', w.customerB).first('code')).code;
  for (const [k, u] of Object.entries({ userA: w.userA, userB: w.userB, am: w.accountManager, sm: w.salesManager, admin: w.admin, quality: w.quality })) {
    tokens[k] = (await t.signIn(u.username)).token;
  }
  await writeStaging(t.stores.staging, [
    row('customer', codeA, customer(codeA)),
    row('customer', codeB, customer(codeB)),
    row('customer', codeX, customer(codeX)),
    row('material', 'M1', material('M1', 'rebar')),
    row('material', 'M2', material('M2', 'wire_rod')),
    row('sales_order', 'SO1', order('SO1', codeA, `${M2}-10`, 'HT1', [['M1', 100_000, 400_000], ['M2', 50_000, 420_000]])),
    row('sales_order', 'SO2', order('SO2', codeB, `${M1}-05`, undefined, [['M1', 20_000, 380_000]])),
    row('sales_order', 'SO3', order('SO3', codeX, `${M1}-20`, 'HT3', [['M2', 10_000, 400_000]])),
    row('production_order', 'PO1', production('PO1', 'SO1', 'M1', 80_000, `${M2}-15`)),
    row('production_order', 'PO2', production('PO2', 'SO2', 'M1', 20_000, `${M1}-06`)),
    row('delivery_note', 'DN0', delivery('DN0', 'SO1', codeA, `${M3}-20`, '江苏省', '苏州市', [['M1', 5_000]])),
    row('delivery_note', 'DN1', delivery('DN1', 'SO1', codeA, `${M2}-20`, '江苏省', '苏州市', [['M1', 30_000], ['M2', 10_000]])),
    row('delivery_note', 'DN2', delivery('DN2', 'SO1', codeA, `${M1}-02`, '浙江省', '杭州市', [['M1', 25_000]])),
    row('delivery_note', 'DN3', delivery('DN3', 'SO2', codeB, `${M1}-10`, '江苏省', '南京市', [['M1', 20_000]])),
    row('delivery_note', 'DN4', delivery('DN4', 'SO3', codeX, `${M1}-25`, '江苏省', '苏州市', [['M2', 4_000]])),
    row('invoice', 'INV1', invoice('INV1', codeA, 'SO1', `${M2}-25`, 10_000_000)),
    row('invoice', 'INV2', invoice('INV2', codeA, 'SO1', `${M1}-01`, 5_000_000, 'cancelled')),
    row('invoice', 'INV3', invoice('INV3', codeB, 'SO2', `${M1}-15`, 3_000_000)),
    row('customer_receipt', 'RC1', receipt('RC1', codeA, `${M2}-01`, 20_000_000)),
    row('customer_receipt', 'RC2', receipt('RC2', codeA, `${M1}-10`, 6_000_000)),
    row('customer_balance', codeA, { customerCode: codeA, asOf: `${M0}-01T08:00:00+08:00`, creditLimitFen: 50_000_000, balanceFen: -15_500_000, advanceFen: 15_500_000, overdueFen: 0, overdueDays: 0 }),
  ]);
  const r = await sync();
  assert.equal(r.status, 'done');
  assert.equal(r.quarantined, 0);
});
after(async () => t?.close());

const PERIOD = `from=${M2}&to=${M1}`;

describe('customer queries', () => {
  test('the fund ledger runs the balance through receipts and invoices, leaves cancelled invoices out, and shows the ERP difference', async () => {
    const res = await get('userA', `/api/queries/funds?from=${M2}-01&to=${M1}-${lastDayOf(M1)}`);
    assert.equal(res.statusCode, 200, res.body);
    const f = res.json();
    assert.equal(f.openingBalanceFen, 0);
    assert.deepEqual(
      f.items.map((e: any) => [e.date, e.type, e.docNo, e.debitFen, e.creditFen, e.balanceFen]),
      [
        [`${M2}-01`, 'receipt', 'RC1', 0, 20_000_000, -20_000_000],
        [`${M2}-25`, 'invoice', 'INV1', 10_000_000, 0, -10_000_000],
        [`${M1}-10`, 'receipt', 'RC2', 0, 6_000_000, -16_000_000],
      ],
    );
    assert.deepEqual(f.totals, { debitFen: 10_000_000, creditFen: 26_000_000, receipts: 2, invoices: 1 });
    assert.equal(f.closingBalanceFen, -16_000_000);
    assert.deepEqual(f.reconciliation, { ledgerBalanceFen: -16_000_000, erpBalanceFen: -15_500_000, erpAsOf: `${M0}-01T08:00:00+08:00`, differenceFen: -500_000 });
    const later = (await get('userA', `/api/queries/funds?from=${M2}-10&to=${M1}-${lastDayOf(M1)}&type=invoice`)).json();
    assert.equal(later.openingBalanceFen, -20_000_000);
    assert.deepEqual(later.items.map((e: any) => e.docNo), ['INV1']);
    assert.equal(later.closingBalanceFen, -16_000_000);
  });

  test('credit shows the ERP limit, what is used and available, and twelve months of usage', async () => {
    const c = (await get('userA', '/api/queries/credit')).json();
    assert.equal(c.limitFen, 50_000_000);
    assert.equal(c.usedFen, 0);
    assert.equal(c.availableFen, 50_000_000);
    assert.equal(c.months.length, 12);
    const sept = c.months.find((m: any) => m.month === `${M2}`);
    assert.deepEqual(sept, { month: `${M2}`, invoicedFen: 10_000_000, receivedFen: 20_000_000, usedFen: 0, usedBp: 0 });
  });

  test('contract progress gives contracted, scheduled, shipped and settled per contract', async () => {
    const p = (await get('userA', '/api/queries/contract-progress')).json();
    assert.equal(p.total, 1);
    const c = p.items[0];
    assert.equal(c.contractNo, 'HT1');
    assert.equal(c.date, `${M2}-10`);
    assert.deepEqual(
      [c.contractedKg, c.contractedFen, c.scheduledKg, c.shippedKg, c.shippedFen, c.settledFen, c.settledKg, c.doneBp],
      // shipped 5 + 40 + 25 t valued at the order's prices; 10,000,000 fen settled at 61,000,000 fen per 150 t
      [150_000, 61_000_000, 80_000, 70_000, 28_200_000, 10_000_000, 24_590, 4666],
    );
    const all = (await get('sm', '/api/queries/contract-progress?state=open')).json();
    assert.deepEqual(all.items.map((x: any) => x.contractNo).sort(), ['HT1', 'HT3']);
    assert.equal(all.totals.contractedKg, 160_000);
  });
});

describe('management reports', () => {
  test('progress by account manager: the manager with their customer, the rest unassigned', async () => {
    const r = (await get('sm', `/api/reports/managers?${PERIOD}`)).json();
    assert.equal(r.level, 'managers');
    const am = r.rows.find((x: any) => x.managerId === w.accountManager.id);
    const none = r.rows.find((x: any) => x.managerId === null);
    const pick = (x: any) => [x.contractsSigned, x.contractedKg, x.contractedFen, x.scheduledKg, x.shippedKg, x.settledFen, x.openKg, x.overdueContracts, x.overdueKg];
    assert.deepEqual(pick(am), [1, 150_000, 61_000_000, 80_000, 65_000, 10_000_000, 80_000, 1, 80_000]);
    assert.deepEqual(pick(none), [2, 30_000, 11_600_000, 20_000, 24_000, 3_000_000, 6_000, 0, 0]);
    assert.deepEqual(pick(r.totals), [3, 180_000, 72_600_000, 100_000, 89_000, 13_000_000, 86_000, 1, 80_000]);
    const customers = (await get('sm', `/api/reports/managers?${PERIOD}&managerId=0`)).json();
    assert.deepEqual(customers.rows.map((x: any) => x.customer.code).sort(), [codeB, codeX].sort());
    const contracts = (await get('sm', `/api/reports/managers?${PERIOD}&customerId=${w.customerA}`)).json();
    assert.equal(contracts.level, 'contracts');
    assert.deepEqual(contracts.rows.map((x: any) => x.contractNo), ['HT1']);
  });

  test('regional flow by province and city, against the two months before', async () => {
    const r = (await get('sm', `/api/reports/regional-flow?${PERIOD}`)).json();
    assert.deepEqual([r.previousFrom, r.previousTo], [`${M4}`, `${M3}`]);
    assert.deepEqual(r.provinces.map((p: any) => [p.province, p.shippedKg, p.previousKg, p.changeKg, p.changeBp]), [
      ['江苏省', 64_000, 5_000, 59_000, 118_000],
      ['浙江省', 25_000, 0, 25_000, null],
    ]);
    assert.deepEqual(r.cities.map((c: any) => [c.city, c.shippedKg]), [['苏州市', 44_000], ['南京市', 20_000], ['杭州市', 25_000]]);
    assert.deepEqual(r.totals, { shippedKg: 89_000, previousKg: 5_000, changeKg: 84_000, changeBp: 168_000 });
    const wire = (await get('sm', `/api/reports/regional-flow?${PERIOD}&variety=wire_rod`)).json();
    assert.equal(wire.totals.shippedKg, 14_000);
  });

  test('the overview by variety and month; its totals agree with the other reports', async () => {
    const r = (await get('sm', `/api/reports/overview?${PERIOD}`)).json();
    assert.deepEqual(r.byVariety.map((x: any) => [x.key, x.contractedKg, x.contractedFen, x.shippedKg, x.shippedFen]), [
      ['rebar', 120_000, 47_600_000, 75_000, 29_600_000],
      ['wire_rod', 60_000, 25_000_000, 14_000, 5_800_000],
    ]);
    assert.deepEqual(r.totals, { contractedKg: 180_000, contractedFen: 72_600_000, shippedKg: 89_000, shippedFen: 35_400_000 });
    assert.equal(r.byMonth.reduce((s: number, x: any) => s + x.shippedKg, 0), 89_000);
    assert.equal(r.byClass.reduce((s: number, x: any) => s + x.contractedKg, 0), 180_000);
  });

  test('CSV carries exactly the rows and totals of the JSON, in tonnes and yuan, headers in the chosen language', async () => {
    const res = await get('sm', `/api/reports/regional-flow?${PERIOD}&format=csv&lang=en`);
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/csv/);
    assert.ok(res.body.startsWith('\uFEFFProvince,City,Shipped (t)'));
    const lines = res.body.slice(1).trim().split('\r\n');
    assert.deepEqual(lines.slice(1), [
      '江苏省,,64.000,5.000,59.000,1180.00,71.91',
      '江苏省,苏州市,44.000,5.000,39.000,780.00,49.43',
      '江苏省,南京市,20.000,0.000,20.000,,22.47',
      '浙江省,,25.000,0.000,25.000,,28.08',
      '浙江省,杭州市,25.000,0.000,25.000,,28.08',
      'Total,,89.000,5.000,84.000,1680.00,100.00',
    ]);
    const zh = await get('sm', `/api/reports/managers?${PERIOD}&format=csv`);
    assert.ok(zh.body.startsWith('\uFEFF客户经理,签订合同数'));
    assert.match(zh.body, /\r\n合计,3,180\.000,726000\.00,100\.000,89\.000,130000\.00,86\.000,1,80\.000\r\n$/);
    const funds = await get('userA', `/api/queries/funds?from=${M2}-01&to=${M1}-${lastDayOf(M1)}&format=csv`);
    assert.equal(funds.body.trim().split('\r\n').length, 1 + 1 + 3 + 3);
    assert.match(funds.body, /RC2,,0\.00,60000\.00,-160000\.00/);
  });
});

describe('who sees what', () => {
  test('a customer sees only its own organisation, even when it names another', async () => {
    assert.equal((await get('userA', `/api/queries/funds?customerId=${w.customerB}`)).statusCode, 404);
    assert.equal((await get('userB', `/api/queries/contract-progress?customerId=${w.customerA}`)).statusCode, 404);
    const own = (await get('userB', '/api/queries/contract-progress')).json();
    assert.deepEqual(own.items.map((x: any) => x.contractNo), ['SO2']);
    for (const path of ['managers', 'regional-flow', 'overview']) assert.equal((await get('userA', `/api/reports/${path}`)).statusCode, 403);
  });

  test('an account manager reaches only their customers; quality staff no money figures', async () => {
    assert.equal((await get('am', `/api/queries/funds?customerId=${w.customerA}`)).statusCode, 200);
    const other = await get('am', `/api/queries/credit?customerId=${w.customerB}`);
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().error.code, 'report.customer_not_found');
    const r = (await get('am', `/api/reports/managers?${PERIOD}`)).json();
    assert.deepEqual(r.rows.map((x: any) => x.managerId), [w.accountManager.id]);
    assert.equal((await get('am', `/api/reports/regional-flow?${PERIOD}`)).json().totals.shippedKg, 65_000);
    assert.equal((await get('am', `/api/reports/overview?${PERIOD}`)).json().totals.shippedKg, 65_000);
    assert.equal((await get('am', '/api/queries/contract-progress')).json().total, 1);
    for (const path of ['reports/managers', 'reports/overview', 'queries/funds']) assert.equal((await get('quality', `/api/${path}`)).statusCode, 403);
    assert.equal((await get('admin', `/api/reports/overview?${PERIOD}`)).statusCode, 200);
    const missing = await get('sm', '/api/queries/funds');
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error.code, 'report.customer_required');
    assert.equal((await get('sm', '/api/reports/overview?from=2026-13')).statusCode, 400);
  });
});

/** Every summary row with a non-zero figure, in a stable order. */
async function snapshot() {
  const measures = ['contracted_kg', 'contracted_fen', 'scheduled_kg', 'shipped_kg', 'shipped_fen', 'settled_fen'];
  const nonZero = (r: any) => measures.some((m) => r[m] !== undefined && Number(r[m]) !== 0);
  const norm = (r: any) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, measures.includes(k) ? Number(v) : v])));
  const monthly = (await t.db('report_customer_months').select('*')).filter(nonZero).map(norm).sort();
  const regions = (await t.db('report_region_months').select('*')).filter(nonZero).map(norm).sort();
  const contracts = (await t.db('report_contracts').select('*')).filter(nonZero).map(norm).sort();
  const facts = (await t.db('report_facts').select('*')).map((r: any) => JSON.stringify({ ...r, kg: Number(r.kg), fen: Number(r.fen) })).sort();
  return { monthly, regions, contracts, facts };
}

describe('summaries kept by the sync', () => {
  test('after updates, price changes, cancellations and deletes the summaries equal a recomputation from erp_records', async () => {
    await writeStaging(t.stores.staging, [
      // a new price on SO1 revalues its deliveries; SO3 moves to another contract number; DN2 is deleted; INV1 cancelled
      row('sales_order', 'SO1', order('SO1', codeA, `${M2}-10`, 'HT1', [['M1', 100_000, 410_000], ['M2', 40_000, 420_000]])),
      row('sales_order', 'SO3', order('SO3', codeX, `${M1}-21`, 'HT3B', [['M2', 10_000, 400_000]])),
      { iface: 'delivery_note', key: 'DN2', seq: ++seq, op: 'delete' },
      row('invoice', 'INV1', invoice('INV1', codeA, 'SO1', `${M2}-25`, 10_000_000, 'cancelled')),
      row('delivery_note', 'DN5', delivery('DN5', 'SO3', codeX, `${M1}-26`, '江苏省', '苏州市', [['M2', 1_000]])),
      row('sales_order', 'SO2', order('SO2', codeB, `${M1}-05`, undefined, [['M1', 20_000, 380_000]], 'cancelled')),
    ]);
    assert.equal((await sync()).status, 'done');
    const kept = await snapshot();
    const c = (await get('userA', '/api/queries/contract-progress')).json().items[0];
    assert.deepEqual([c.contractedKg, c.shippedKg, c.shippedFen, c.settledFen], [140_000, 45_000, 2_050_000 + 12_300_000 + 4_200_000, 0]);
    const all = (await get('sm', '/api/queries/contract-progress')).json();
    assert.deepEqual(all.items.map((x: any) => x.contractNo).sort(), ['HT1', 'HT3B', 'SO2']);
    assert.equal(all.items.find((x: any) => x.contractNo === 'SO2').date, null);
    await rebuildProjection(t.db);
    assert.deepEqual(await snapshot(), kept);
  });
});
