// Business queries and management reports (issue 8): who may see which customer, the figures of each report from
// the sync's summaries, and each report's CSV built from the very rows and totals of its JSON answer.
import type { Knex } from 'knex';
import { csvText } from '../../csv.js';
import type {
  ContractProgress,
  ContractProgressQuery,
  ContractProgressRow,
  CreditQuery,
  CreditView,
  FundEntry,
  FundLedger,
  FundsQuery,
  ManagerRow,
  ManagersQuery,
  ManagersReport,
  OverviewQuery,
  OverviewReport,
  OverviewRow,
  RegionalFlowQuery,
  RegionalFlowReport,
  FlowRow,
  ReportCustomer,
  ReportLang,
} from '../../../../shared/api/reports.js';
import { decimalText } from '../../../../shared/units.js';
import { isCustomer, type Principal } from '../../plugins/access.js';
import { Invalid, NotFound } from '../../errors.js';
import { chinaToday } from '../../china-time.js';
import { allocationAnswered } from '../allocation/service.js';
import * as store from './store.js';

type Db = Knex | Knex.Transaction;

const notFound = () => new NotFound('report.customer_not_found', 'Customer not found');

// ---------------------------------------------------------------- scope

/** The customer a customer query is about: a customer's own organisation, or a staff member's pick within their scope. */
async function customerOf(db: Db, p: Principal, customerId: number | undefined): Promise<{ id: number; code: string; name: string }> {
  if (isCustomer(p)) {
    // Passing another organisation's id answers as if it did not exist (no probing of other customers).
    if (customerId !== undefined && customerId !== p.organisationId) throw notFound();
    customerId = p.organisationId;
  }
  if (customerId === undefined) throw new Invalid('report.customer_required', 'Choose a customer', { field: 'customerId' });
  const o = await store.organisation(db, customerId);
  if (!o || o.kind !== 'customer') throw notFound();
  if (p.role === 'account_manager' && o.account_manager_id !== p.userId) throw notFound();
  return { id: Number(o.id), code: o.code, name: o.name };
}

/** The customer codes a management report may cover: an account manager's customers, a class's, or all. */
function codeScope(p: Principal, classId?: number): store.CodeScope {
  if (!isCustomer(p) && p.role !== 'account_manager' && classId === undefined) return { all: true };
  return {
    all: false,
    codes: (qb) => {
      qb.select('o.code').from('organisations as o').where('o.kind', 'customer');
      if (isCustomer(p)) qb.where('o.id', p.organisationId);
      else if (p.role === 'account_manager') qb.where('o.account_manager_id', p.userId);
      if (classId !== undefined) qb.whereIn('o.id', (s: Knex.QueryBuilder) => s.select('organisation_id').from('customer_profiles').where('class_id', classId));
      return qb;
    },
  };
}

const refOf = (code: string, known: Map<string, store.CustomerRef>): ReportCustomer => {
  const c = known.get(code);
  return { id: c?.id ?? null, code, name: c?.name ?? null };
};

// ---------------------------------------------------------------- periods

const monthOf = (day: string) => day.slice(0, 7);
function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const t = y * 12 + (m - 1) + n;
  return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
}
const monthsBetween = (from: string, to: string) => {
  const out: string[] = [];
  for (let m = from; m <= to && out.length < 600; m = addMonths(m, 1)) out.push(m);
  return out;
};
const lastDay = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return `${month}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`;
};

function period(q: { from?: string; to?: string }, today: string): { from: string; to: string } {
  const to = q.to ?? monthOf(today);
  const from = q.from ?? `${to.slice(0, 4)}-01`;
  if (from > to) throw new Invalid('report.period_invalid', 'The period ends before it begins', { from, to });
  if (monthsBetween(from, to).length > 120) throw new Invalid('report.period_too_long', 'A report covers at most ten years', { from, to });
  return { from, to };
}

const bp = (part: number, whole: number) => (whole > 0 ? Math.trunc((part * 10000) / whole) : 0);

// ---------------------------------------------------------------- funds

export async function funds(db: Db, p: Principal, q: FundsQuery, today = chinaToday()): Promise<FundLedger> {
  const c = await customerOf(db, p, q.customerId);
  const to = q.to ?? today;
  const from = q.from ?? `${to.slice(0, 4)}-01-01`;
  if (from > to) throw new Invalid('report.period_invalid', 'The period ends before it begins', { from, to });
  const [before, rows, all, erp] = await Promise.all([
    store.ledgerByMonth(db, c.code, from),
    store.ledgerRows(db, c.code, from, to),
    store.ledgerByMonth(db, c.code),
    store.erpBalance(db, c.code),
  ]);
  const opening = before.reduce((s, m) => s + m.invoiced - m.received, 0);
  let balance = opening;
  const entries: FundEntry[] = [];
  const totals = { debitFen: 0, creditFen: 0, receipts: 0, invoices: 0 };
  for (const r of rows) {
    const invoice = r.iface === 'invoice';
    balance += invoice ? r.amount_fen : -r.amount_fen;
    if (q.type && q.type !== (invoice ? 'invoice' : 'receipt')) continue;
    entries.push({ date: r.doc_date, type: invoice ? 'invoice' : 'receipt', docNo: r.doc_key, contractNo: r.contract_no, debitFen: invoice ? r.amount_fen : 0, creditFen: invoice ? 0 : r.amount_fen, balanceFen: balance });
    if (invoice) (totals.debitFen += r.amount_fen), totals.invoices++;
    else (totals.creditFen += r.amount_fen), totals.receipts++;
  }
  const ledger = all.reduce((s, m) => s + m.invoiced - m.received, 0);
  const erpBalanceFen = erp ? Number(erp.balanceFen) : null;
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 50;
  const all_ = q.format === 'csv';
  return {
    customer: { id: c.id, code: c.code, name: c.name },
    from,
    to,
    openingBalanceFen: opening,
    closingBalanceFen: balance,
    totals,
    reconciliation: { ledgerBalanceFen: ledger, erpBalanceFen, erpAsOf: erp?.asOf ?? null, differenceFen: erpBalanceFen === null ? null : ledger - erpBalanceFen },
    items: all_ ? entries : entries.slice((page - 1) * pageSize, page * pageSize),
    total: entries.length,
    page: all_ ? 1 : page,
    pageSize: all_ ? Math.max(entries.length, 1) : pageSize,
  };
}

// ---------------------------------------------------------------- credit

export async function credit(db: Db, p: Principal, q: CreditQuery, today = chinaToday()): Promise<CreditView> {
  const c = await customerOf(db, p, q.customerId);
  const [byMonth, erp] = await Promise.all([store.ledgerByMonth(db, c.code), store.erpBalance(db, c.code)]);
  const limit = erp ? Number(erp.creditLimitFen) : 0;
  const used = erp ? Math.max(0, Number(erp.balanceFen)) : 0;
  const last = monthOf(today);
  const first = addMonths(last, -11);
  let balance = byMonth.filter((m) => m.month < first).reduce((s, m) => s + m.invoiced - m.received, 0);
  const seen = new Map(byMonth.map((m) => [m.month, m]));
  const months = monthsBetween(first, last).map((month) => {
    const m = seen.get(month) ?? { invoiced: 0, received: 0 };
    balance += m.invoiced - m.received;
    const usedFen = Math.max(0, balance);
    return { month, invoicedFen: m.invoiced, receivedFen: m.received, usedFen, usedBp: bp(usedFen, limit) };
  });
  return {
    customer: { id: c.id, code: c.code, name: c.name },
    limitFen: limit,
    usedFen: used,
    availableFen: Math.max(0, limit - used),
    overdueFen: erp ? Number(erp.overdueFen) : 0,
    overdueDays: erp ? Number(erp.overdueDays) : 0,
    asOf: erp?.asOf ?? null,
    months,
  };
}

// ---------------------------------------------------------------- contract progress

const figures = (r: store.Sums) => {
  return {
    contractedKg: r.contracted_kg,
    contractedFen: r.contracted_fen,
    scheduledKg: r.scheduled_kg,
    shippedKg: r.shipped_kg,
    shippedFen: r.shipped_fen,
    // Invoices carry no weight: settled tonnage is the settled amount at the contract's average price.
    settledKg: r.contracted_fen > 0 ? Math.round((r.settled_fen * r.contracted_kg) / r.contracted_fen) : 0,
    settledFen: r.settled_fen,
  };
};
const doneBp = (shipped: number, contracted: number) => (contracted > 0 ? Math.min(10000, bp(shipped, contracted)) : shipped > 0 ? 10000 : 0);

export async function contractProgress(db: Db, p: Principal, q: ContractProgressQuery): Promise<ContractProgress> {
  let customerCode: string | undefined;
  if (isCustomer(p) || q.customerId !== undefined) customerCode = (await customerOf(db, p, q.customerId)).code;
  const f: store.ContractFilter = { scope: customerCode ? { all: true } : codeScope(p), customerCode, contractNo: q.contractNo, from: q.from, to: q.to, state: q.state };
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 50;
  const all = q.format === 'csv';
  const [rows, t] = await Promise.all([all ? store.contractRows(db, f) : store.contractRows(db, f, pageSize, (page - 1) * pageSize), store.contractTotals(db, f)]);
  const known = await store.customersByCode(db, [...new Set(rows.map((r) => r.customer_code))]);
  const items: ContractProgressRow[] = rows.map((r) => {
    return { contractNo: r.contract_key, customer: refOf(r.customer_code, known), date: r.signed_on, doneBp: doneBp(r.shipped_kg, r.contracted_kg), ...figures(r) };
  });
  const tf = figures(t);
  // Totals of settled tonnage add the rows' conversions, so that the CSV's column sums to its total.
  const settledKg = all || t.contracts <= rows.length ? items.reduce((s, r) => s + r.settledKg, 0) : tf.settledKg;
  return {
    items,
    total: t.contracts,
    page: all ? 1 : page,
    pageSize: all ? Math.max(items.length, 1) : pageSize,
    totals: { ...tf, settledKg, contracts: t.contracts, doneBp: doneBp(t.shipped_kg, t.contracted_kg) },
  };
}

// ---------------------------------------------------------------- managers

/** Contracts signed in month M are due by the end of M+1: those signed before the previous month's start are overdue. */
const overdueBefore = (today: string) => `${addMonths(monthOf(today), -1)}-01`;

export async function managers(db: Db, p: Principal, q: ManagersQuery, today = chinaToday()): Promise<ManagersReport> {
  const { from, to } = period(q, today);
  const scope = codeScope(p, q.classId);
  let customerCode: string | undefined;
  if (q.customerId !== undefined) customerCode = (await customerOf(db, p, q.customerId)).code;
  const level = customerCode ? 'contracts' : q.managerId !== undefined ? 'customers' : 'managers';
  const empty = () => ({ contractsSigned: 0, contractedKg: 0, contractedFen: 0, scheduledKg: 0, shippedKg: 0, settledFen: 0, openKg: 0, overdueContracts: 0, overdueKg: 0 });
  type Figures = ReturnType<typeof empty>;
  const add = (a: Figures, b: Figures) => {
    for (const k of Object.keys(a) as Array<keyof Figures>) a[k] += b[k];
  };

  if (level === 'contracts') {
    // One customer's contracts signed in the period, with their figures to date.
    const rows = await store.contractRows(db, { scope, customerCode, from: `${from}-01`, to: lastDay(to) });
    const known = await store.customersByCode(db, [customerCode!]);
    const late = overdueBefore(today);
    const out: ManagerRow[] = rows.map((r) => {
      const open = Math.max(0, r.contracted_kg - r.shipped_kg);
      const overdue = r.signed_on !== null && r.signed_on < late && open > 0;
      const k = known.get(r.customer_code);
      return {
        managerId: k?.managerId ?? null,
        managerName: k?.managerName ?? null,
        customer: refOf(r.customer_code, known),
        contractNo: r.contract_key,
        contractsSigned: 1,
        contractedKg: r.contracted_kg,
        contractedFen: r.contracted_fen,
        scheduledKg: r.scheduled_kg,
        shippedKg: r.shipped_kg,
        settledFen: r.settled_fen,
        openKg: open,
        overdueContracts: overdue ? 1 : 0,
        overdueKg: overdue ? open : 0,
      };
    });
    const totals = empty();
    for (const r of out) add(totals, r);
    return { level, from, to, rows: out, totals };
  }

  const [sums, signed] = await Promise.all([
    store.customerMonthSums(db, { scope, from, to, variety: q.variety }, ['customer_code']),
    store.contractsSignedByCustomer(db, scope, `${from}-01`, lastDay(to), overdueBefore(today)),
  ]);
  const perCustomer = new Map<string, Figures>();
  for (const s of sums) {
    const f = perCustomer.get(s.customer_code) ?? empty();
    f.contractedKg += s.contracted_kg;
    f.contractedFen += s.contracted_fen;
    f.scheduledKg += s.scheduled_kg;
    f.shippedKg += s.shipped_kg;
    f.settledFen += s.settled_fen;
    perCustomer.set(s.customer_code, f);
  }
  for (const [code, c] of signed) {
    const f = perCustomer.get(code) ?? empty();
    f.contractsSigned += c.signed;
    f.openKg += c.openKg;
    f.overdueContracts += c.overdue;
    f.overdueKg += c.overdueKg;
    perCustomer.set(code, f);
  }
  const known = await store.customersByCode(db, [...perCustomer.keys()]);
  const totals = empty();
  const rows: ManagerRow[] = [];
  if (level === 'customers') {
    for (const [code, f] of perCustomer) {
      const k = known.get(code);
      const manager = k?.managerId ?? 0;
      if (manager !== q.managerId) continue;
      rows.push({ managerId: k?.managerId ?? null, managerName: k?.managerName ?? null, customer: refOf(code, known), contractNo: null, ...f });
      add(totals, f);
    }
    rows.sort((a, b) => b.contractedKg - a.contractedKg || a.customer!.code.localeCompare(b.customer!.code));
  } else {
    const byManager = new Map<number, { name: string | null; f: Figures }>();
    for (const [code, f] of perCustomer) {
      const k = known.get(code);
      const id = k?.managerId ?? 0;
      const m = byManager.get(id) ?? { name: k?.managerName ?? null, f: empty() };
      add(m.f, f);
      byManager.set(id, m);
      add(totals, f);
    }
    for (const [id, m] of byManager) rows.push({ managerId: id === 0 ? null : id, managerName: m.name, customer: null, contractNo: null, ...m.f });
    // The unassigned row last, managers by contracted tonnage.
    rows.sort((a, b) => (a.managerId === null ? 1 : 0) - (b.managerId === null ? 1 : 0) || b.contractedKg - a.contractedKg || (a.managerId ?? 0) - (b.managerId ?? 0));
  }
  return { level, from, to, rows, totals };
}

// ---------------------------------------------------------------- regional flow

export async function regionalFlow(db: Db, p: Principal, q: RegionalFlowQuery, today = chinaToday()): Promise<RegionalFlowReport> {
  const { from, to } = period(q, today);
  const n = monthsBetween(from, to).length;
  const previousTo = addMonths(from, -1);
  const previousFrom = addMonths(from, -n);
  const scope = codeScope(p, q.classId);
  const base = { scope, variety: q.variety, province: q.province };
  const [now, before, links] = await Promise.all([
    store.regionSums(db, { ...base, from, to }, ['province', 'city']),
    store.regionSums(db, { ...base, from: previousFrom, to: previousTo }, ['province', 'city']),
    store.regionSums(db, { ...base, from, to }, ['variety', 'province']),
  ]);
  const cities = new Map<string, { province: string; city: string; now: number; before: number }>();
  for (const [rows, which] of [[now, 'now'], [before, 'before']] as const) {
    for (const r of rows) {
      const k = `${r.province}\u0000${r.city}`;
      const c = cities.get(k) ?? { province: r.province, city: r.city, now: 0, before: 0 };
      c[which] += r.shipped_kg;
      cities.set(k, c);
    }
  }
  const provinces = new Map<string, { now: number; before: number }>();
  for (const c of cities.values()) {
    const pr = provinces.get(c.province) ?? { now: 0, before: 0 };
    pr.now += c.now;
    pr.before += c.before;
    provinces.set(c.province, pr);
  }
  const total = [...provinces.values()].reduce((s, x) => s + x.now, 0);
  const previous = [...provinces.values()].reduce((s, x) => s + x.before, 0);
  const row = (province: string, city: string | null, x: { now: number; before: number }): FlowRow => ({
    province,
    city,
    shippedKg: x.now,
    previousKg: x.before,
    changeKg: x.now - x.before,
    changeBp: x.before > 0 ? Math.trunc(((x.now - x.before) * 10000) / x.before) : null,
    shareBp: bp(x.now, total),
  });
  const byKg = (a: FlowRow, b: FlowRow) => b.shippedKg - a.shippedKg || b.previousKg - a.previousKg || a.province.localeCompare(b.province) || (a.city ?? '').localeCompare(b.city ?? '');
  const provinceRows = [...provinces].map(([pname, x]) => row(pname, null, x)).sort(byKg);
  const rank = new Map(provinceRows.map((r, i) => [r.province, i]));
  const cityRows = [...cities.values()].map((c) => row(c.province, c.city, c)).sort((a, b) => rank.get(a.province)! - rank.get(b.province)! || byKg(a, b));
  return {
    from,
    to,
    previousFrom,
    previousTo,
    provinces: provinceRows,
    cities: cityRows,
    links: links
      .map((l) => ({ variety: l.variety as FlowLinkVariety, province: l.province, shippedKg: l.shipped_kg }))
      .sort((a, b) => b.shippedKg - a.shippedKg || a.variety.localeCompare(b.variety) || a.province.localeCompare(b.province)),
    totals: { shippedKg: total, previousKg: previous, changeKg: total - previous, changeBp: previous > 0 ? Math.trunc(((total - previous) * 10000) / previous) : null },
  };
}
type FlowLinkVariety = RegionalFlowReport['links'][number]['variety'];

// ---------------------------------------------------------------- overview

export async function overview(db: Db, p: Principal, q: OverviewQuery, today = chinaToday()): Promise<OverviewReport> {
  const { from, to } = period(q, today);
  const scope = codeScope(p, q.classId);
  const f = { scope, from, to, variety: q.variety };
  const [byVariety, byMonth, byCustomer, allocation] = await Promise.all([
    store.customerMonthSums(db, f, ['variety']),
    store.customerMonthSums(db, f, ['month']),
    store.customerMonthSums(db, f, ['customer_code']),
    allocationAnswered(db, { fromMonth: from, toMonth: to, variety: q.variety, classId: q.classId, managerId: isCustomer(p) || p.role !== 'account_manager' ? undefined : p.userId }),
  ]);
  const known = await store.customersByCode(db, byCustomer.map((r) => r.customer_code));
  const byClass = new Map<string, { label: string | null; s: store.Sums }>();
  const zero = (): store.Sums => ({ contracted_kg: 0, contracted_fen: 0, scheduled_kg: 0, shipped_kg: 0, shipped_fen: 0, settled_fen: 0 });
  for (const r of byCustomer) {
    const k = known.get(r.customer_code);
    const key = k?.classCode ?? 'none';
    const c = byClass.get(key) ?? { label: k?.className ?? null, s: zero() };
    for (const m of Object.keys(c.s) as Array<keyof store.Sums>) c.s[m] += r[m];
    byClass.set(key, c);
  }
  const toRow = (key: string, label: string | null, s: store.Sums): OverviewRow => ({ key, label, contractedKg: s.contracted_kg, contractedFen: s.contracted_fen, shippedKg: s.shipped_kg, shippedFen: s.shipped_fen });
  const nonZero = (r: OverviewRow) => r.contractedKg || r.contractedFen || r.shippedKg || r.shippedFen;
  const varietyRows = byVariety.map((r) => toRow(r.variety, null, r)).filter(nonZero).sort((a, b) => b.contractedKg - a.contractedKg || a.key.localeCompare(b.key));
  const totals = { contractedKg: 0, contractedFen: 0, shippedKg: 0, shippedFen: 0 };
  for (const r of varietyRows) for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k];
  return {
    from,
    to,
    byVariety: varietyRows,
    byClass: [...byClass].map(([key, c]) => toRow(key, c.label, c.s)).filter(nonZero).sort((a, b) => b.contractedKg - a.contractedKg || a.key.localeCompare(b.key)),
    byMonth: byMonth.map((r) => toRow(r.month, null, r)).filter(nonZero).sort((a, b) => a.key.localeCompare(b.key)),
    totals,
    allocation: { ...allocation, answeredBp: bp(allocation.answeredKg, allocation.offeredKg) },
  };
}

// ---------------------------------------------------------------- CSV

const csv = csvText;
const t3 = (kg: number) => decimalText(kg, 3);
const y2 = (fen: number) => decimalText(fen, 2);
const pct = (b: number | null) => (b === null ? '' : decimalText(b, 2));

/** Column titles in both languages; the tonne and yuan units are in the titles, the cells plain numbers. */
const H: Record<string, [string, string]> = {
  date: ['日期', 'Date'],
  type: ['类型', 'Type'],
  docNo: ['单据号', 'Document'],
  contractNo: ['合同号', 'Contract'],
  debit: ['开票金额(元)', 'Invoiced (CNY)'],
  credit: ['收款金额(元)', 'Received (CNY)'],
  balance: ['余额(元)', 'Balance (CNY)'],
  total: ['合计', 'Total'],
  opening: ['期初余额', 'Opening balance'],
  closing: ['期末余额', 'Closing balance'],
  erp: ['ERP余额', 'ERP balance'],
  difference: ['差额', 'Difference'],
  month: ['月份', 'Month'],
  invoiced: ['开票(元)', 'Invoiced (CNY)'],
  received: ['收款(元)', 'Received (CNY)'],
  used: ['占用(元)', 'Used (CNY)'],
  usedPct: ['占用率(%)', 'Used (%)'],
  limit: ['信用额度(元)', 'Credit limit (CNY)'],
  available: ['可用(元)', 'Available (CNY)'],
  overdue: ['逾期(元)', 'Overdue (CNY)'],
  overdueDays: ['逾期天数', 'Overdue days'],
  customerCode: ['客户编码', 'Customer code'],
  customer: ['客户', 'Customer'],
  contractedT: ['合同量(吨)', 'Contracted (t)'],
  contractedY: ['合同金额(元)', 'Contracted (CNY)'],
  scheduledT: ['排产量(吨)', 'Scheduled (t)'],
  shippedT: ['发货量(吨)', 'Shipped (t)'],
  shippedY: ['发货金额(元)', 'Shipped (CNY)'],
  settledT: ['结算量(吨)', 'Settled (t)'],
  settledY: ['结算金额(元)', 'Settled (CNY)'],
  done: ['完成率(%)', 'Done (%)'],
  manager: ['客户经理', 'Account manager'],
  unassigned: ['未分配', 'Unassigned'],
  signed: ['签订合同数', 'Contracts signed'],
  openT: ['未执行量(吨)', 'Open (t)'],
  overdueN: ['逾期合同数', 'Overdue contracts'],
  overdueT: ['逾期未发(吨)', 'Overdue open (t)'],
  province: ['省份', 'Province'],
  city: ['城市', 'City'],
  previousT: ['上期发货(吨)', 'Previous period (t)'],
  changeT: ['变化(吨)', 'Change (t)'],
  changePct: ['变化率(%)', 'Change (%)'],
  sharePct: ['占比(%)', 'Share (%)'],
  variety: ['品种', 'Variety'],
  class: ['客户类别', 'Customer class'],
  offeredT: ['资源分配量(吨)', 'Allocated (t)'],
  answeredT: ['响应量(吨)', 'Answered (t)'],
  answeredPct: ['响应率(%)', 'Answered (%)'],
  receipt: ['收款', 'Receipt'],
  invoice: ['发票', 'Invoice'],
};
const VARIETY_NAMES: Record<string, [string, string]> = {
  rebar: ['螺纹钢', 'Rebar'],
  wire_rod: ['线材', 'Wire rod'],
  hot_rolled_coil: ['热轧卷板', 'Hot-rolled coil'],
  plate: ['中厚板', 'Plate'],
  section: ['型钢', 'Section'],
  other: ['其他', 'Other'],
};

function titles(lang: ReportLang) {
  const i = lang === 'en' ? 1 : 0;
  const h = (k: keyof typeof H) => H[k]![i];
  const variety = (v: string) => VARIETY_NAMES[v]?.[i] ?? v;
  return { h, variety };
}

export function fundsCsv(r: FundLedger, lang: ReportLang): string {
  const { h } = titles(lang);
  return csv([
    [h('date'), h('type'), h('docNo'), h('contractNo'), h('debit'), h('credit'), h('balance')],
    [r.from, h('opening'), '', '', '', '', y2(r.openingBalanceFen)],
    ...r.items.map((e) => [e.date, h(e.type), e.docNo, e.contractNo, y2(e.debitFen), y2(e.creditFen), y2(e.balanceFen)]),
    [r.to, h('total'), '', '', y2(r.totals.debitFen), y2(r.totals.creditFen), y2(r.closingBalanceFen)],
    ['', h('erp'), '', '', '', '', r.reconciliation.erpBalanceFen === null ? '' : y2(r.reconciliation.erpBalanceFen)],
    ['', h('difference'), '', '', '', '', r.reconciliation.differenceFen === null ? '' : y2(r.reconciliation.differenceFen)],
  ]);
}

export function creditCsv(r: CreditView, lang: ReportLang): string {
  const { h } = titles(lang);
  return csv([
    [h('limit'), h('used'), h('available'), h('overdue'), h('overdueDays')],
    [y2(r.limitFen), y2(r.usedFen), y2(r.availableFen), y2(r.overdueFen), r.overdueDays],
    [],
    [h('month'), h('invoiced'), h('received'), h('used'), h('usedPct')],
    ...r.months.map((m) => [m.month, y2(m.invoicedFen), y2(m.receivedFen), y2(m.usedFen), pct(m.usedBp)]),
  ]);
}

export function contractProgressCsv(r: ContractProgress, lang: ReportLang): string {
  const { h } = titles(lang);
  const cols = (x: ContractProgress['totals'] | ContractProgressRow) => [t3(x.contractedKg), y2(x.contractedFen), t3(x.scheduledKg), t3(x.shippedKg), y2(x.shippedFen), t3(x.settledKg), y2(x.settledFen), pct(x.doneBp)];
  return csv([
    [h('contractNo'), h('customerCode'), h('customer'), h('date'), h('contractedT'), h('contractedY'), h('scheduledT'), h('shippedT'), h('shippedY'), h('settledT'), h('settledY'), h('done')],
    ...r.items.map((x) => [x.contractNo, x.customer.code, x.customer.name, x.date, ...cols(x)]),
    [h('total'), '', '', '', ...cols(r.totals)],
  ]);
}

export function managersCsv(r: ManagersReport, lang: ReportLang): string {
  const { h } = titles(lang);
  const cols = (x: ManagersReport['totals']) => [x.contractsSigned, t3(x.contractedKg), y2(x.contractedFen), t3(x.scheduledKg), t3(x.shippedKg), y2(x.settledFen), t3(x.openKg), x.overdueContracts, t3(x.overdueKg)];
  const lead = r.level === 'managers' ? [h('manager')] : r.level === 'customers' ? [h('manager'), h('customerCode'), h('customer')] : [h('customerCode'), h('customer'), h('contractNo')];
  const keyOf = (x: ManagerRow) =>
    r.level === 'managers' ? [x.managerName ?? h('unassigned')] : r.level === 'customers' ? [x.managerName ?? h('unassigned'), x.customer?.code, x.customer?.name] : [x.customer?.code, x.customer?.name, x.contractNo];
  return csv([
    [...lead, h('signed'), h('contractedT'), h('contractedY'), h('scheduledT'), h('shippedT'), h('settledY'), h('openT'), h('overdueN'), h('overdueT')],
    ...r.rows.map((x) => [...keyOf(x), ...cols(x)]),
    [h('total'), ...lead.slice(1).map(() => ''), ...cols(r.totals)],
  ]);
}

export function regionalFlowCsv(r: RegionalFlowReport, lang: ReportLang): string {
  const { h } = titles(lang);
  const cols = (x: FlowRow) => [t3(x.shippedKg), t3(x.previousKg), t3(x.changeKg), pct(x.changeBp), pct(x.shareBp)];
  const rows: unknown[][] = [[h('province'), h('city'), h('shippedT'), h('previousT'), h('changeT'), h('changePct'), h('sharePct')]];
  for (const pr of r.provinces) {
    rows.push([pr.province, '', ...cols(pr)]);
    for (const c of r.cities.filter((x) => x.province === pr.province)) rows.push([c.province, c.city, ...cols(c)]);
  }
  rows.push([h('total'), '', t3(r.totals.shippedKg), t3(r.totals.previousKg), t3(r.totals.changeKg), pct(r.totals.changeBp), r.totals.shippedKg > 0 ? pct(10000) : pct(0)]);
  return csv(rows);
}

export function overviewCsv(r: OverviewReport, lang: ReportLang): string {
  const { h, variety } = titles(lang);
  const cols = (x: { contractedKg: number; contractedFen: number; shippedKg: number; shippedFen: number }) => [t3(x.contractedKg), y2(x.contractedFen), t3(x.shippedKg), y2(x.shippedFen)];
  const head = (k: keyof typeof H) => [h(k), h('contractedT'), h('contractedY'), h('shippedT'), h('shippedY')];
  const none = lang === 'en' ? 'None' : '未分类';
  return csv([
    head('variety'),
    ...r.byVariety.map((x) => [variety(x.key), ...cols(x)]),
    [h('total'), ...cols(r.totals)],
    [],
    head('class'),
    ...r.byClass.map((x) => [x.key === 'none' ? none : (x.label ?? x.key), ...cols(x)]),
    [h('total'), ...cols(r.totals)],
    [],
    head('month'),
    ...r.byMonth.map((x) => [x.key, ...cols(x)]),
    [h('total'), ...cols(r.totals)],
    [],
    [h('offeredT'), h('answeredT'), h('answeredPct')],
    [t3(r.allocation.offeredKg), t3(r.allocation.answeredKg), pct(r.allocation.answeredBp)],
  ]);
}
