// The reports figures of `npm run bench` (issue 8): a data set at the scale (5,000,000 delivery-note lines,
// 2,000,000 invoices, 100,000 contracts by default) written into staging and brought in by the real sync, which keeps
// the reports' summaries; then each report requested with varied filters, p95 against /api/health in the same run.
// The simulator's generateWorld holds its whole world in memory (tens of GB at this scale, with a certificate per
// delivery), so the documents are generated here in streamed chunks with the same shapes and validity rules.
import type { Knex } from 'knex';
import { createKnex } from '../../server/src/db/knex.js';
import { migrateLatest } from '../../server/src/db/migrate.js';
import { loadConfig } from '../../server/src/config.js';
import { nowDb } from '../../server/src/db/knex.js';
import { insertRows, type WorldRow } from '../erp/staging.js';
import { fixedRate, merge, percentile, type LoadResult, type Pacing } from './load.js';
import { timeSync } from './sync.js';
import { BENCH_CA_PASSPHRASE, type Target, type TargetSpec } from './targets.js';

export interface ReportBenchContext {
  tmp: string;
  jwtSecret: string;
  pacing: Pacing;
  log(msg: string): void;
  emit(f: Record<string, unknown>): void;
  noise(): () => number | null;
  startTarget(spec: TargetSpec): Promise<Target>;
  signIn(base: string, username: string): Promise<string>;
  withMariadb(fn: (m: { portalUrl: string; stagingUrl: string; undo: (() => Promise<void>)[] }) => Promise<void>): Promise<void>;
}

const size = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return n;
};

const PROVINCES: Array<[string, string[]]> = [
  ['江苏省', ['南京市', '苏州市', '无锡市', '常州市', '南通市']],
  ['浙江省', ['杭州市', '宁波市', '温州市', '绍兴市']],
  ['上海市', ['上海市']],
  ['安徽省', ['合肥市', '芜湖市', '马鞍山市']],
  ['山东省', ['济南市', '青岛市', '潍坊市']],
  ['江西省', ['南昌市', '九江市']],
  ['福建省', ['福州市', '厦门市', '泉州市']],
  ['湖北省', ['武汉市', '宜昌市']],
  ['河南省', ['郑州市', '洛阳市']],
  ['广东省', ['广州市', '深圳市', '佛山市']],
];
const MATERIALS: Array<[string, string, string, string, number]> = [
  ['RB-HRB400E-16', 'rebar', 'HRB400E', 'Φ16×12000', 372_000],
  ['RB-HRB400E-25', 'rebar', 'HRB400E', 'Φ25×12000', 368_000],
  ['RB-HRB500E-28', 'rebar', 'HRB500E', 'Φ28×12000', 391_000],
  ['WR-HPB300-8', 'wire_rod', 'HPB300', 'Φ8', 385_000],
  ['WR-SWRH82B-12', 'wire_rod', 'SWRH82B', 'Φ12.5', 452_000],
  ['HC-Q235B-4', 'hot_rolled_coil', 'Q235B', '4.0×1500', 398_000],
  ['HC-Q355B-6', 'hot_rolled_coil', 'Q355B', '6.0×1800', 412_000],
  ['PL-Q355B-20', 'plate', 'Q355B', '20×2200×8000', 431_000],
  ['PL-Q345R-30', 'plate', 'Q345R', '30×2500×10000', 468_000],
  ['SE-Q235B-H200', 'section', 'Q235B', 'H200×200', 405_000],
];
const day = (base: number, plus: number) => new Date((base + plus) * 86_400_000).toISOString().slice(0, 10);

/** A small deterministic generator (Park–Miller), so that every run builds the same data set. */
function rng(seed: number) {
  let x = seed;
  const next = () => ((x = (x * 48271) % 2147483647) / 2147483647);
  return { next, int: (n: number) => Math.floor(next() * n) };
}

export interface ReportDataSet {
  customers: number;
  contracts: number;
  deliveryNotes: number;
  deliveryLines: number;
  invoices: number;
  receipts: number;
  productionOrders: number;
  stagingRows: number;
}

/**
 * Writes the data set into staging in chunks: masters, then per chunk of contracts their sales orders, production
 * orders, deliveries, invoices and receipts (deliveries and invoices spread over the contracts at random).
 */
export async function stageReportWorld(staging: Knex, o: { customers: number; contracts: number; deliveryLines: number; invoices: number; today: Date; log: (m: string) => void }): Promise<ReportDataSet> {
  const r = rng(20261129);
  let seq = 0;
  const out: ReportDataSet = { customers: o.customers, contracts: o.contracts, deliveryNotes: 0, deliveryLines: 0, invoices: 0, receipts: 0, productionOrders: 0, stagingRows: 0 };
  const write = async (rows: WorldRow[]) => {
    for (let i = 0; i < rows.length; i += 5000) await staging.transaction((trx) => insertRows(trx, rows.slice(i, i + 5000), 'BENCH-REPORTS'));
    out.stagingRows += rows.length;
  };
  const row = (iface: WorldRow['iface'], key: string, payload: unknown): WorldRow => ({ iface, key, seq: ++seq, op: 'upsert', payload });
  const code = (i: number) => `RC${String(i).padStart(6, '0')}`;
  const destinations = Array.from({ length: o.customers }, () => {
    const [province, cities] = PROVINCES[r.int(PROVINCES.length)]!;
    return Array.from({ length: 1 + r.int(3) }, () => ({ province, city: cities[r.int(cities.length)]! }));
  });
  const masters: WorldRow[] = [];
  for (let i = 0; i < o.customers; i++) {
    const d = destinations[i]![0]!;
    masters.push(row('customer', code(i), { code: code(i), name: `报表客户${code(i)}有限公司`, creditCode: '91320505MA1N2B3C4W', province: d.province, city: d.city, contacts: [], active: true }));
  }
  for (const [m, variety, grade, spec] of MATERIALS) masters.push(row('material', m, { code: m, name: m, variety, grade, spec, standard: 'GB/T 1499.2-2018', active: true }));
  await write(masters);

  const todayDay = Math.floor((o.today.getTime() + 8 * 3600_000) / 86_400_000) - 1;
  const firstDay = todayDay - 730; // two years of orders
  const linesPerContract = o.deliveryLines / o.contracts;
  const invoicesPerContract = o.invoices / o.contracts;
  const CHUNK = 2000;
  let noteNo = 0;
  let invoiceNo = 0;
  for (let c0 = 0; c0 < o.contracts; c0 += CHUNK) {
    const rows: WorldRow[] = [];
    const later: WorldRow[] = [];
    for (let c = c0; c < Math.min(o.contracts, c0 + CHUNK); c++) {
      const customer = r.int(o.customers);
      const orderNo = `SO${String(c).padStart(7, '0')}`;
      const contractNo = `HT${String(c).padStart(7, '0')}`;
      const orderDay = firstDay + Math.floor((c / o.contracts) * 700);
      const lines = Array.from({ length: 1 + r.int(3) }, (_, i) => {
        const [m, , grade, spec, price] = MATERIALS[r.int(MATERIALS.length)]!;
        const quantityKg = (50 + r.int(450)) * 1000;
        return { lineNo: i + 1, materialCode: m, grade, spec, quantityKg, unitPriceFen: price, amountFen: Math.round((quantityKg * price) / 1000) };
      });
      const totalWeightKg = lines.reduce((s, l) => s + l.quantityKg, 0);
      rows.push(row('sales_order', orderNo, { orderNo, orderDate: day(orderDay, 0), customerCode: code(customer), contractNo, status: 'open', lines, totalWeightKg, totalAmountFen: lines.reduce((s, l) => s + l.amountFen, 0) }));
      const l0 = lines[0]!;
      later.push(row('production_order', `PO${String(c).padStart(7, '0')}`, { productionNo: `PO${String(c).padStart(7, '0')}`, salesOrderNo: orderNo, materialCode: l0.materialCode, grade: l0.grade, spec: l0.spec, workshop: '轧钢一厂', plannedKg: l0.quantityKg, producedKg: 0, status: 'planned', plannedStart: day(orderDay, 3), plannedFinish: day(orderDay, 10) }));
      out.productionOrders++;
      // Deliveries of two lines on average, as many lines as this contract's share of the total.
      let want = Math.round(linesPerContract * (c + 1)) - Math.round(linesPerContract * c);
      while (want > 0) {
        const n = Math.min(want, 1 + r.int(3));
        want -= n;
        const dest = destinations[customer]![r.int(destinations[customer]!.length)]!;
        const deliveryNo = `DN${String(noteNo++).padStart(8, '0')}`;
        const dl = Array.from({ length: n }, (_, i) => {
          const l = lines[r.int(lines.length)]!;
          return { lineNo: i + 1, materialCode: l.materialCode, grade: l.grade, spec: l.spec, heatNo: `H${c % 100000}`, pieces: 10 + r.int(50), weightKg: 20_000 + r.int(15_000) };
        });
        later.push(row('delivery_note', deliveryNo, { deliveryNo, deliveryDate: day(Math.min(todayDay, orderDay + 5 + r.int(60)), 0), customerCode: code(customer), contractNo, salesOrderNo: orderNo, destination: { province: dest.province, city: dest.city, address: '工地' }, transport: 'truck', vehicleNo: '苏E12345', lines: dl, totalWeightKg: dl.reduce((s, l) => s + l.weightKg, 0) }));
        out.deliveryNotes++;
        out.deliveryLines += n;
      }
      for (let k = Math.round(invoicesPerContract * c); k < Math.round(invoicesPerContract * (c + 1)); k++) {
        const no = `IV${String(invoiceNo++).padStart(8, '0')}`;
        const amountFen = 100_000 + r.int(5_000_000);
        const taxFen = Math.round(amountFen * 0.13);
        const d = Math.min(todayDay, orderDay + 10 + r.int(60));
        later.push(row('invoice', no, { invoiceNo: no, invoiceDate: day(d, 0), dueDate: day(d, 30), customerCode: code(customer), contractNo, salesOrderNo: orderNo, amountFen, taxFen, totalFen: amountFen + taxFen, status: r.int(50) === 0 ? 'cancelled' : 'issued' }));
        out.invoices++;
        if (r.int(5) === 0) {
          later.push(row('customer_receipt', `RV${no.slice(2)}`, { receiptNo: `RV${no.slice(2)}`, receiptDate: day(d, 20), customerCode: code(customer), amountFen: (amountFen + taxFen) * 4, method: 'bank_transfer' }));
          out.receipts++;
        }
      }
    }
    await write(rows);
    await write(later);
    if ((c0 / CHUNK) % 10 === 0) o.log(`reports: staged ${Math.min(o.contracts, c0 + CHUNK)} of ${o.contracts} contracts, ${out.deliveryLines} delivery lines, ${out.invoices} invoices`);
  }
  const balances: WorldRow[] = [];
  for (let i = 0; i < o.customers; i++) {
    balances.push(row('customer_balance', code(i), { customerCode: code(i), asOf: o.today.toISOString(), creditLimitFen: 5_000_000_000, balanceFen: r.int(100_000_000), advanceFen: 0, overdueFen: 0, overdueDays: 0 }));
  }
  await write(balances);
  return out;
}

/** Portal organisations for the ERP customers: a tenth to the demo account manager, most to nine others, some to none. */
export async function organisationsFor(db: Knex, customers: number): Promise<void> {
  const now = nowDb();
  const mill = await db('organisations').where('kind', 'mill').first('id');
  const demoManager = await db('users').where('username', 'account.manager').first('id');
  const managers: number[] = [Number(demoManager.id)];
  for (let i = 1; i < 10; i++) {
    const [id] = await db('users').insert({ organisation_id: mill.id, username: `bench.am${i}`, display_name: `客户经理${i}`, role: 'account_manager', phone: null, password_hash: 'x', active: true, can_answer: false, can_sign: false, can_print: false, must_change_password: false, created_at: now, updated_at: now });
    managers.push(Number(id));
  }
  const classes = (await db('customer_classes').select('id')).map((c: any) => Number(c.id));
  for (let i = 0; i < customers; i += 500) {
    const part = Array.from({ length: Math.min(500, customers - i) }, (_, k) => i + k);
    const code = (n: number) => `RC${String(n).padStart(6, '0')}`;
    await db('organisations')
      .insert(part.map((n) => ({ kind: 'customer', code: code(n), name: `报表客户${code(n)}有限公司`, province: null, city: null, account_manager_id: n % 13 === 12 ? null : managers[n % managers.length], active: true, created_at: now, updated_at: now })))
      .onConflict('code')
      .ignore();
    const ids = await db('organisations').whereIn('code', part.map(code)).select('id', 'code');
    await db('customer_profiles')
      .insert(ids.map((o: any) => ({ organisation_id: o.id, class_id: classes[Number(o.code.slice(2)) % classes.length] })))
      .onConflict('organisation_id')
      .merge(['class_id']);
  }
}

export async function reportsMariadb(ctx: ReportBenchContext): Promise<void> {
  const customers = size('BENCH_REPORT_CUSTOMERS', 2000);
  const contracts = size('BENCH_REPORT_CONTRACTS', 100_000);
  const deliveryLines = size('BENCH_REPORT_DELIVERY_LINES', 5_000_000);
  const invoices = size('BENCH_REPORT_INVOICES', 2_000_000);
  const seconds = size('BENCH_REPORT_SECONDS', 10);
  await ctx.withMariadb(async ({ portalUrl, stagingUrl, undo }) => {
    const db = createKnex({ url: portalUrl, sqliteFile: '' }, { max: 4 });
    const staging = createKnex({ url: stagingUrl, sqliteFile: '' }, { max: 2 });
    undo.push(() => db.destroy());
    undo.push(() => staging.destroy());
    // The portal first: it migrates both stores and loads the demo cast (sales.manager, account.manager).
    const portal = await ctx.startTarget({ kind: 'portal', dataDir: ctx.tmp + '/reports', jwtSecret: ctx.jwtSecret, databaseUrl: portalUrl, stagingDatabaseUrl: stagingUrl });
    undo.push(() => portal.stop());
    await migrateLatest(staging, 'staging');
    await organisationsFor(db, customers);
    let t0 = performance.now();
    const set = await stageReportWorld(staging, { customers, contracts, deliveryLines, invoices, today: new Date(), log: ctx.log });
    const stageMs = performance.now() - t0;
    ctx.log(`reports: staged ${set.stagingRows} rows in ${Math.round(stageMs / 1000)} s; syncing`);
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: ctx.jwtSecret, CA_PASSPHRASE: BENCH_CA_PASSPHRASE, DATA_DIR: ctx.tmp, DATABASE_URL: portalUrl, STAGING_DATABASE_URL: stagingUrl, LOG_LEVEL: 'silent' });
    t0 = performance.now();
    const sync = await timeSync(db, staging, config);
    ctx.log(`reports: synced ${sync.consumed} rows in ${Math.round(sync.ms / 1000)} s (${Math.round((sync.consumed * 1000) / sync.ms)} rows/s), quarantined ${sync.quarantined}`);
    await db.raw('ANALYZE TABLE report_customer_months, report_region_months, report_contracts, erp_records');
    const counts = {
      delivery_lines: Number((await db('report_facts').where('kind', 'shipped').count({ n: '*' }))[0]!.n),
      invoices: Number((await db('erp_records').where('interface', 'invoice').count({ n: '*' }))[0]!.n),
      contracts: Number((await db('report_contracts').count({ n: '*' }))[0]!.n),
    };
    const summaryRows = {
      report_customer_months: Number((await db('report_customer_months').count({ n: '*' }))[0]!.n),
      report_region_months: Number((await db('report_region_months').count({ n: '*' }))[0]!.n),
      report_contracts: counts.contracts,
    };

    const sm = await ctx.signIn(portal.url, 'sales.manager');
    const am = await ctx.signIn(portal.url, 'account.manager');
    const months: string[] = [];
    for (let d = new Date(); months.length < 24; d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1))) months.push(d.toISOString().slice(0, 7));
    const ids = (await db('organisations').where('code', 'like', 'RC%').orderBy('id').limit(50).select('id', 'account_manager_id')).map((o: any) => ({ id: Number(o.id), manager: o.account_manager_id }));
    const demoManager = Number((await db('users').where('username', 'account.manager').first('id')).id);
    const amCustomers = (await db('organisations').where('account_manager_id', demoManager).limit(20).pluck('id')).map(Number);
    let n = 0;
    const pick = <T>(a: T[]) => a[n++ % a.length]!;
    const periods = () => {
      const to = pick([0, 0, 1, 3, 6]);
      const len = pick([1, 3, 12]);
      return `from=${months[Math.min(23, to + len - 1)]}&to=${months[to]}`;
    };
    const varieties = ['', '', '&variety=rebar', '&variety=plate', '&classId=1'];
    const reports: Record<string, () => { path: string; token: string }> = {
      funds: () => {
        const c = pick(ids);
        return { path: `/api/queries/funds?customerId=${c.id}&from=${months[11]}-01${pick(['', '&type=invoice', '&page=2'])}`, token: sm };
      },
      credit: () => ({ path: `/api/queries/credit?customerId=${pick(ids).id}`, token: sm }),
      contract_progress: () =>
        pick([
          { path: `/api/queries/contract-progress?customerId=${pick(ids).id}`, token: sm },
          { path: `/api/queries/contract-progress?page=${1 + (n % 20)}&pageSize=50`, token: sm },
          { path: `/api/queries/contract-progress?state=open&from=${months[6]}-01`, token: sm },
          { path: `/api/queries/contract-progress?customerId=${pick(amCustomers)}&contractNo=HT00`, token: am },
        ]),
      managers: () =>
        pick([
          { path: `/api/reports/managers?${periods()}${pick(varieties)}`, token: sm },
          { path: `/api/reports/managers?${periods()}&managerId=${demoManager}`, token: sm },
          { path: `/api/reports/managers?${periods()}&customerId=${pick(amCustomers)}`, token: am },
          { path: `/api/reports/managers?${periods()}`, token: am },
        ]),
      regional_flow: () => pick([{ path: `/api/reports/regional-flow?${periods()}${pick(varieties)}`, token: sm }, { path: `/api/reports/regional-flow?${periods()}&province=${encodeURIComponent('江苏省')}`, token: sm }, { path: `/api/reports/regional-flow?${periods()}`, token: am }]),
      overview: () => pick([{ path: `/api/reports/overview?${periods()}${pick(varieties)}`, token: sm }, { path: `/api/reports/overview?${periods()}`, token: am }]),
    };
    const rate = 10;
    const health = async (s: number) => fixedRate(portal.url, { path: '/api/health' }, { rate, seconds: s, streams: 4, pacing: ctx.pacing });
    for (const [name, next] of Object.entries(reports)) {
      const first = next();
      const probe = await fetch(`${portal.url}${first.path}`, { headers: { authorization: `Bearer ${first.token}` } });
      if (probe.status !== 200) throw new Error(`${first.path}: ${probe.status} ${await probe.text()}`);
      const others = ctx.noise();
      const spec = {
        path: first.path,
        vary: () => {
          const x = next();
          return { path: x.path, headers: { authorization: `Bearer ${x.token}` } };
        },
      };
      const parts: LoadResult[] = [];
      const refs: LoadResult[] = [];
      // Report and reference in turns, so that a change of machine load hits both alike.
      for (let i = 0; i < 2; i++) {
        parts.push(await fixedRate(portal.url, spec, { rate, seconds, streams: 4, pacing: ctx.pacing }));
        refs.push(await health(Math.max(2, seconds / 2)));
      }
      const all = merge(...parts);
      const ref = merge(...refs);
      const p95 = percentile(all.latencies, 95);
      ctx.emit({
        name: `report_${name}_p95_mariadb`,
        value: Math.round(p95 * 100) / 100,
        unit: 'ms',
        target: '<= 300',
        ok: p95 <= 300 && all.errors === 0 && all.non2xx === 0,
        rows: counts,
        reference: Math.round(percentile(ref.latencies, 95) * 100) / 100,
        detail: {
          requests: all.responses,
          errors: all.errors,
          non2xx: all.non2xx,
          p50: Math.round(percentile(all.latencies, 50) * 100) / 100,
          rate_per_s: rate,
          reference_is: 'GET /api/health at the same rate, in turns',
          summary_rows: summaryRows,
          data_set: set,
          staging_ms: Math.round(stageMs),
          sync: { ms: Math.round(sync.ms), consumed: sync.consumed, rows_per_s: Math.round((sync.consumed * 1000) / sync.ms), quarantined: sync.quarantined, waiting: sync.waiting },
          other_processes_cpu_cores: others(),
        },
      });
    }
  });
}
