// The ERP simulator's library: a deterministic, realistic world of a Chinese steel mill's ERP documents (masters,
// orders, production, deliveries, certificates, invoices, receipts, balances, inventory) for the staging store,
// with updates, deletes and, on request, bad rows; plus the follow mode (follow.ts) that keeps it moving.
import type { Knex } from 'knex';
import type { InboundInterface } from '../../shared/erp/interfaces.js';
import {
  docKeyOf,
  type CustomerBalancePayload,
  type CustomerReceiptPayload,
  type DeliveryNotePayload,
  type InventoryPayload,
  type InvoicePayload,
  type ProductionOrderPayload,
} from '../../shared/erp/payloads.js';
import { CATALOGUE, WAREHOUSES, type Product } from './catalogue.js';
import {
  HeatPool,
  Lab,
  Numbering,
  bankRef,
  certificate,
  chinaDay,
  cutLoad,
  deliveredValueFen,
  deliveryNote,
  invoice,
  isoDay,
  monthEnd,
  monthStart,
  orderLine,
  salesOrder,
  stamp,
  vehicleNo,
  ym,
  ymd,
  yy,
  type LoadPart,
} from './documents.js';
import { extraContact, makeCustomers, type SimCustomer, type Transport } from './parties.js';
import { Rng } from './rng.js';
import { maxSeq, stagingRowCount, writeRows, type BadKind, type WorldRow } from './staging.js';

export { writeRows, insertRows, summarize, maxSeq, stagingRowCount, type WorldRow, type BadKind, type InterfaceSummary } from './staging.js';
export { followTick, newFollowState, type FollowState, type FollowOptions, type TickResult } from './follow.js';

export interface WorldOptions {
  /** number of customers; the first three are the portal's demo customers */
  customers: number;
  /** calendar months of history, ending yesterday (China time) */
  months: number;
  /** multiplies the number of orders (and so deliveries, certificates, invoices, receipts) */
  scale: number;
  /** share of document rows (not masters) made bad on purpose: invalid JSON, schema or rule violations */
  badRate: number;
  seed: number;
  /** first seq number (default 1); continue after the staging store's highest seq when adding to it */
  startSeq?: number;
  /** the world ends the day before this instant (default: now) */
  now?: Date;
}

export const DEFAULT_WORLD: Omit<WorldOptions, 'now' | 'startSeq'> = { customers: 20, months: 3, scale: 1, badRate: 0, seed: 1 };

function checkOptions(o: WorldOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.customers) || o.customers < 1 || o.customers > 100_000) problems.push('customers must be an integer from 1 to 100000');
  if (!Number.isInteger(o.months) || o.months < 1 || o.months > 120) problems.push('months must be an integer from 1 to 120');
  if (!(o.scale > 0 && o.scale <= 1000)) problems.push('scale must be a number above 0 (at most 1000)');
  if (!(o.badRate >= 0 && o.badRate < 1)) problems.push('bad rate must be at least 0 and below 1');
  if (!Number.isInteger(o.seed)) problems.push('seed must be an integer');
  if (o.startSeq !== undefined && (!Number.isSafeInteger(o.startSeq) || o.startSeq < 1)) problems.push('startSeq must be a positive integer');
  if (problems.length) throw new RangeError(problems.join('; '));
}

interface Ev {
  /** minutes since the epoch in China time; masters are -1 */
  t: number;
  n: number;
  iface: InboundInterface;
  op: 'upsert' | 'delete';
  payload: Record<string, any> | null;
  key: string;
}

/** Document numbers handed out as placeholders and fixed in time order once the world is sorted. */
class Placeholders {
  private n = 0;
  make(prefix: string): string {
    return `~${prefix}~${this.n++}`;
  }
}

const NUMBERED_FIELDS: Partial<Record<InboundInterface, string[]>> = {
  delivery_note: ['deliveryNo'],
  quality_certificate: ['certificateNo', 'deliveryNo'],
  invoice: ['invoiceNo'],
  customer_receipt: ['receiptNo'],
};

const MASTER_T = -1;
const T = (day: number, minute: number) => day * 1440 + minute;

interface Ledger {
  invoices: Array<{ day: number; due: number; total: number; credit: number; payments: Array<{ day: number; amount: number }> }>;
  receipts: Array<{ day: number; amount: number }>;
}

/** Generates the world: masters first, then documents in time order, each row with a global, increasing seq. */
export function generateWorld(options: WorldOptions): WorldRow[] {
  const o: WorldOptions = { ...options };
  checkOptions(o);
  const rng = new Rng(o.seed);
  const today = chinaDay(o.now ?? new Date());
  const lastDay = today - 1;
  const firstDay = monthStart(lastDay, -(o.months - 1));
  const months = Array.from({ length: o.months }, (_, m) => monthStart(firstDay, m));

  const log: Ev[] = [];
  const put = (t: number, iface: InboundInterface, payload: Record<string, any>) =>
    log.push({ t, n: log.length, iface, op: 'upsert', payload, key: docKeyOf(iface, payload) });
  const del = (t: number, iface: InboundInterface, key: string) => log.push({ t, n: log.length, iface, op: 'delete', payload: null, key });
  const ph = new Placeholders();
  const nums = new Numbering();

  // --- masters ---
  const customers = makeCustomers(rng.fork(1), o.customers);
  for (const c of customers) put(MASTER_T, 'customer', c.payload);
  for (const p of CATALOGUE) put(MASTER_T, 'material', p.material);
  const mr = rng.fork(2);
  for (const c of customers) {
    // A customer's staff changes: a later version of the master with one more contact.
    if (mr.chance(0.1)) {
      c.payload = { ...c.payload, contacts: [...c.payload.contacts, extraContact(mr)] };
      put(MASTER_T, 'customer', c.payload);
    }
  }

  // Market price index per month: a random walk of a few percent, as steel prices move.
  const ir = rng.fork(3);
  const index: number[] = [];
  let idx = 1;
  for (let m = 0; m < months.length; m++) {
    idx = Math.min(1.08, Math.max(0.92, idx + ir.real(-0.03, 0.03)));
    index.push(idx);
  }
  const indexOf = (day: number) => {
    let i = 0;
    while (i + 1 < months.length && months[i + 1] <= day) i++;
    return index[i];
  };

  // --- what happens when: orders and production for stock, sorted so that numbers follow time ---
  type Plan = { kind: 'order'; cust: SimCustomer; day: number; minute: number } | { kind: 'stock'; product: Product; day: number; minute: number };
  const plans: Plan[] = [];
  // Counts and timings come from separate streams, so that --scale changes how many orders, not which customers order.
  const cr = rng.fork(4);
  const pr = rng.fork(10);
  for (const ms of months) {
    const me = Math.min(monthEnd(ms), lastDay);
    for (const cust of customers) {
      const base = cust.cls === '战略客户' ? cr.int(2, 3) : cust.cls === '协议户' ? cr.int(1, 3) : cr.int(1, 2);
      const count = Math.floor(base * o.scale + cr.next());
      for (let k = 0; k < count; k++) plans.push({ kind: 'order', cust, day: pr.int(ms, me), minute: pr.int(8 * 60, 17 * 60) });
    }
    const stockRuns = Math.max(1, Math.round(2 * o.scale));
    for (let k = 0; k < stockRuns; k++) plans.push({ kind: 'stock', product: pr.pick(CATALOGUE), day: pr.int(ms, me), minute: pr.int(7 * 60, 9 * 60) });
  }
  plans.sort((a, b) => a.day - b.day || a.minute - b.minute);

  const dr = rng.fork(5);
  const heats = new HeatPool(rng.fork(6), 1000);
  const lab = new Lab(rng.fork(7));
  const invoicesOf = new Map<string, Array<{ day: number; totalFen: number; orderNo: string; contractNo?: string }>>();
  const advancesOf = new Map<string, Array<{ day: number; amountFen: number }>>();

  const production = (mo: ProductionOrderPayload, day: number, minute: number, start: number, finish: number) => {
    put(T(day, minute), 'production_order', mo);
    if (start <= lastDay) put(T(start, 8 * 60), 'production_order', { ...mo, status: 'in_production', producedKg: Math.round(mo.plannedKg * dr.real(0.3, 0.6)) });
    if (finish <= lastDay) put(T(finish, 20 * 60), 'production_order', { ...mo, status: 'finished', producedKg: Math.round(mo.plannedKg * dr.real(1, 1.025)) });
  };

  for (const plan of plans) {
    const { day, minute } = plan;
    if (plan.kind === 'stock') {
      const p = plan.product;
      const start = day + dr.int(1, 2);
      const finish = start + dr.int(3, 7);
      const mo: ProductionOrderPayload = {
        productionNo: nums.next(`MO${ym(day)}`),
        materialCode: p.material.code,
        grade: p.material.grade,
        spec: p.material.spec,
        workshop: p.workshop,
        plannedKg: dr.int(30, 150) * 10_000,
        producedKg: 0,
        status: 'planned',
        plannedStart: isoDay(start),
        plannedFinish: isoDay(finish),
      };
      production(mo, day, minute, start, finish);
      continue;
    }

    const cust = plan.cust;
    const code = cust.payload.code;
    const orderNo = nums.next(`SO${ym(day)}`);
    const nLines = Math.min(cust.products.length, dr.pickWeighted([[1, 5], [2, 3], [3, 2]] as const));
    const products = dr.sample(cust.products, nLines);
    const classAdj = cust.cls === '战略客户' ? -30 : cust.cls === '协议户' ? -10 : 0;
    const lines = products.map((p, i) => {
      const tonnes = Math.max(5, Math.round(dr.int(cust.lineT[0], cust.lineT[1]) / 5) * 5);
      const yuan = Math.round((p.priceYuan * indexOf(day) + classAdj) / 10) * 10 + dr.int(-3, 3) * 10;
      return orderLine(i + 1, p, tonnes * 1000, yuan * 100);
    });
    const contractNo = dr.chance(0.75) ? nums.next(`HT-${ym(day)}-`) : undefined;
    const so = salesOrder({ orderNo, day, customerCode: code, contractNo, lines });
    put(T(day, minute), 'sales_order', so);
    if (cust.prepays && day - 1 >= firstDay) {
      // 款到发货: a direct-supply customer pays about 30% up front, in round ten-thousands of yuan.
      const list = advancesOf.get(code) ?? [];
      list.push({ day: day - 1, amountFen: Math.ceil((so.totalAmountFen * 0.3) / 1_000_000) * 1_000_000 });
      advancesOf.set(code, list);
    }

    const mos = lines.map((l, i) => {
      const p = products[i];
      const start = day + dr.int(1, 3);
      const finish = start + dr.int(3, 8);
      const mo: ProductionOrderPayload = {
        productionNo: nums.next(`MO${ym(day)}`),
        salesOrderNo: orderNo,
        materialCode: l.materialCode,
        grade: l.grade,
        spec: l.spec,
        workshop: p.workshop,
        plannedKg: l.quantityKg,
        producedKg: 0,
        status: 'planned',
        plannedStart: isoDay(start),
        plannedFinish: isoDay(finish),
      };
      return { mo, start, finish };
    });

    if (dr.chance(0.03) && day + 3 <= lastDay) {
      // The customer withdraws: order and production cancelled, nothing shipped.
      mos.forEach((m, i) => put(T(day, minute + 5 + i), 'production_order', m.mo));
      const cday = day + dr.int(1, 2);
      put(T(cday, 10 * 60), 'sales_order', { ...so, status: 'cancelled' });
      mos.forEach((m, i) => put(T(cday, 10 * 60 + 5 + i), 'production_order', { ...m.mo, status: 'cancelled' }));
      continue;
    }
    mos.forEach((m, i) => production(m.mo, day, minute + 5 + i, m.start, m.finish));
    if (dr.chance(0.02) && day + 1 <= lastDay) {
      // A production order keyed twice by mistake, deleted the next morning.
      const dup = { ...mos[0].mo, productionNo: nums.next(`MO${ym(day)}`) };
      put(T(day, minute + 30), 'production_order', dup);
      del(T(day + 1, 9 * 60), 'production_order', dup.productionNo);
    }

    // --- deliveries: vehicle loads of each line, interleaved, spread over a few weeks ---
    const transport: Transport = dr.pickWeighted(cust.transport);
    const destination = destinationOf(cust, dr);
    const perLine: Array<Array<{ line: number; parts: LoadPart[] }>> = lines.map((l, i) => {
      const out: Array<{ line: number; parts: LoadPart[] }> = [];
      let left = l.quantityKg;
      for (let guard = 0; left > 0 && guard < 100_000; guard++) {
        const parts = cutLoad(products[i], transport, left, heats, dr, day);
        if (!parts.length) break;
        out.push({ line: i, parts });
        left -= parts.reduce((s, p) => s + p.weightKg, 0);
      }
      return out;
    });
    const loads: Array<{ line: number; parts: LoadPart[] }> = [];
    for (let k = 0; perLine.some((l) => k < l.length); k++) for (const l of perLine) if (k < l.length) loads.push(l[k]);
    const start = Math.max(day + 2, Math.min(...mos.map((m) => m.start)) + 1);
    const span = dr.int(5, 20);
    const delivered: Array<{ day: number; dn: DeliveryNotePayload; unitPriceFen: number }> = [];
    let lastLoadDay = start;
    loads.forEach((load, k) => {
      const d = start + Math.floor((k * span) / Math.max(1, loads.length));
      lastLoadDay = d;
      if (d > lastDay) return;
      const minute = dr.int(6 * 60, 18 * 60);
      const product = products[load.line];
      const dn = deliveryNote({
        deliveryNo: ph.make(`FH${ymd(d)}`),
        day: d,
        customerCode: code,
        contractNo,
        salesOrderNo: orderNo,
        destination,
        transport,
        vehicleNo: vehicleNo(transport, dr),
        product,
        parts: load.parts,
      });
      put(T(d, minute), 'delivery_note', dn);
      put(T(d, minute + 30), 'quality_certificate', certificate({ certificateNo: ph.make(`ZB${ymd(d)}`), day: d, delivery: dn, product, parts: load.parts, lab }));
      let final = dn;
      if (dr.chance(0.02) && d + 1 <= lastDay) {
        // Re-weighed at the customer's weighbridge: a corrected version of the note the next morning.
        const fixed = dn.lines.map((l, i) => (i === 0 ? { ...l, weightKg: Math.max(1, l.weightKg - dr.int(20, 300)) } : l));
        final = { ...dn, lines: fixed, totalWeightKg: fixed.reduce((s, l) => s + l.weightKg, 0) };
        put(T(d + 1, 9 * 60), 'delivery_note', final);
      }
      delivered.push({ day: d, dn: final, unitPriceFen: lines[load.line].unitPriceFen });
    });

    const allShipped = lastLoadDay <= lastDay && loads.length > 0;
    const closeDay = lastLoadDay + dr.int(1, 3);
    const closed = allShipped && closeDay <= lastDay;
    if (closed) put(T(closeDay, 10 * 60), 'sales_order', { ...so, status: 'closed' });

    // --- settlement: one invoice per order per month of deliveries (月结), or at closing ---
    const byMonth = new Map<number, number>();
    for (const d of delivered) byMonth.set(monthStart(d.day), (byMonth.get(monthStart(d.day)) ?? 0) + deliveredValueFen(d.dn, d.unitPriceFen));
    const monthsWithDeliveries = [...byMonth.keys()].sort((a, b) => a - b);
    monthsWithDeliveries.forEach((ms, i) => {
      let invDay = monthEnd(ms);
      if (closed && i === monthsWithDeliveries.length - 1 && closeDay <= invDay) invDay = closeDay;
      if (invDay > lastDay) return;
      const list = invoicesOf.get(code) ?? [];
      list.push({ day: invDay, totalFen: byMonth.get(ms)!, orderNo, contractNo });
      invoicesOf.set(code, list);
    });
  }

  // --- invoices, receipts and balances, customer by customer ---
  const fr = rng.fork(8);
  for (const cust of customers) {
    const code = cust.payload.code;
    const ledger: Ledger = { invoices: [], receipts: [] };
    const receipt = (day: number, minute: number, amountFen: number, method: CustomerReceiptPayload['method']) => {
      const r: CustomerReceiptPayload = { receiptNo: ph.make(`SK${ymd(day)}`), receiptDate: isoDay(day), customerCode: code, amountFen, method, bankRef: bankRef(method === 'other' ? 'bank_transfer' : method, day, fr) };
      put(T(day, minute), 'customer_receipt', r);
      return r;
    };
    type Step = { day: number; kind: 'advance'; amountFen: number } | { day: number; kind: 'invoice'; totalFen: number; orderNo: string; contractNo?: string };
    const steps: Step[] = [
      ...(advancesOf.get(code) ?? []).map((a) => ({ kind: 'advance' as const, ...a })),
      ...(invoicesOf.get(code) ?? []).map((i) => ({ kind: 'invoice' as const, ...i })),
    ].sort((a, b) => a.day - b.day || (a.kind === 'advance' ? -1 : 1));
    let pool = 0;
    for (const s of steps) {
      if (s.kind === 'advance') {
        receipt(s.day, fr.int(9 * 60, 16 * 60), s.amountFen, 'bank_transfer');
        ledger.receipts.push({ day: s.day, amount: s.amountFen });
        pool += s.amountFen;
        continue;
      }
      let invDay = s.day;
      let inv: InvoicePayload = invoice({ invoiceNo: ph.make(`INV${yy(invDay)}`), day: invDay, termDays: cust.termDays, customerCode: code, contractNo: s.contractNo, salesOrderNo: s.orderNo, totalFen: s.totalFen });
      put(T(invDay, 17 * 60), 'invoice', inv);
      if (fr.chance(0.01) && invDay + 1 <= lastDay) {
        // 红冲: the invoice is reversed the next day and issued again under a new number.
        put(T(invDay + 1, 10 * 60), 'invoice', { ...inv, status: 'cancelled' });
        invDay += 1;
        inv = invoice({ invoiceNo: ph.make(`INV${yy(invDay)}`), day: invDay, termDays: cust.termDays, customerCode: code, contractNo: s.contractNo, salesOrderNo: s.orderNo, totalFen: s.totalFen });
        put(T(invDay, 17 * 60 + 10), 'invoice', inv);
      }
      const credit = Math.min(pool, inv.totalFen);
      pool -= credit;
      const entry = { day: invDay, due: invDay + cust.termDays, total: inv.totalFen, credit, payments: [] as Array<{ day: number; amount: number }> };
      ledger.invoices.push(entry);
      const rest = inv.totalFen - credit;
      if (rest === 0) {
        put(T(invDay, 17 * 60 + 30), 'invoice', { ...inv, status: 'paid' });
        continue;
      }
      const payDay = invDay + Math.max(1, Math.round(cust.termDays * fr.real(0.3, 1.1) * (cust.slowPayer ? 1.8 : 1)));
      if (payDay > lastDay) continue;
      const parts: Array<[number, CustomerReceiptPayload['method']]> = [];
      if (cust.cls !== '直供户' && rest >= 2_000_000 && fr.chance(0.4)) {
        // Part in a bank acceptance draft of a round amount, the rest by transfer.
        const bill = Math.floor((rest * 0.6) / 1_000_000) * 1_000_000;
        parts.push([bill, 'acceptance_bill'], [rest - bill, 'bank_transfer']);
      } else parts.push([rest, 'bank_transfer']);
      for (const [amount, method] of parts) {
        if (amount <= 0) continue;
        receipt(payDay, fr.int(9 * 60, 15 * 60), amount, method);
        ledger.receipts.push({ day: payDay, amount });
        entry.payments.push({ day: payDay, amount });
      }
      put(T(payDay, 16 * 60), 'invoice', { ...inv, status: 'paid' });
      if (fr.chance(0.02) && payDay + 1 <= lastDay) {
        // Posted to this customer by mistake and deleted the next morning (the real receipt stands).
        const wrong = receipt(payDay, 15 * 60 + 30, rest, 'other');
        del(T(payDay + 1, 9 * 60), 'customer_receipt', wrong.receiptNo);
      }
    }

    // Balance at each month end and now: invoiced minus received; overdue = unpaid invoices past their due date.
    const balanceAt = (lastCounted: number, overdueFrom: number): Omit<CustomerBalancePayload, 'asOf'> => {
      const invoiced = ledger.invoices.filter((i) => i.day <= lastCounted).reduce((s, i) => s + i.total, 0);
      const received = ledger.receipts.filter((r) => r.day <= lastCounted).reduce((s, r) => s + r.amount, 0);
      let overdueFen = 0;
      let overdueDays = 0;
      for (const i of ledger.invoices) {
        if (i.day > lastCounted || i.due >= overdueFrom) continue;
        const unpaid = i.total - i.credit - i.payments.filter((p) => p.day <= lastCounted).reduce((s, p) => s + p.amount, 0);
        if (unpaid > 0) {
          overdueFen += unpaid;
          overdueDays = Math.max(overdueDays, overdueFrom - i.due);
        }
      }
      const balanceFen = invoiced - received;
      return { customerCode: code, creditLimitFen: cust.creditLimitFen, balanceFen, advanceFen: Math.max(0, -balanceFen), overdueFen, overdueDays };
    };
    for (const ms of months) {
      const me = monthEnd(ms);
      if (me >= lastDay) continue;
      put(T(me, 23 * 60 + 30), 'customer_balance', { ...balanceAt(me, me), asOf: stamp(me, 23 * 60 + 30) });
    }
    put(T(today, 0), 'customer_balance', { ...balanceAt(lastDay, today), asOf: stamp(today, 0) });
  }

  // --- inventory per warehouse at each month end and now; two lines leave the port warehouse ---
  const vr = rng.fork(9);
  const stock: Array<{ wh: string; p: Product; onHand: number; emitted: boolean }> = [];
  for (const p of CATALOGUE) stock.push({ wh: p.warehouse, p, onHand: vr.int(300, 3000) * 1000 + vr.int(0, 999), emitted: false });
  for (const p of CATALOGUE) {
    const portStock = (p.material.grade === 'HRB400E' && p.size >= 18 && p.size <= 25) || (p.material.variety === 'hot_rolled_coil' && p.material.grade === 'Q235B' && p.size >= 3);
    if (portStock) stock.push({ wh: 'WH04', p, onHand: vr.int(200, 1500) * 1000 + vr.int(0, 999), emitted: false });
  }
  const snapshot = (t: number, asOf: string) => {
    for (const s of stock) {
      s.onHand = Math.max(0, s.onHand + vr.int(-500, 500) * 1000 + vr.int(-999, 999));
      const inv: InventoryPayload = {
        warehouseCode: s.wh,
        warehouseName: WAREHOUSES[s.wh],
        materialCode: s.p.material.code,
        grade: s.p.material.grade,
        spec: s.p.material.spec,
        onHandKg: s.onHand,
        availableKg: s.onHand - Math.round(s.onHand * vr.real(0.05, 0.45)),
        asOf,
      };
      put(t, 'inventory', inv);
      s.emitted = true;
    }
  };
  for (const ms of months) {
    const me = monthEnd(ms);
    if (me < lastDay) snapshot(T(me, 20 * 60), stamp(me, 20 * 60));
  }
  const leaving = stock.filter((s) => s.wh === 'WH04' && s.emitted).slice(0, 2);
  for (const s of leaving) {
    stock.splice(stock.indexOf(s), 1);
    del(T(today, 1), 'inventory', `${s.wh}:${s.p.material.code}`);
  }
  snapshot(T(today, 2), stamp(today, 0));

  // --- order, number, corrupt, sequence ---
  log.sort((a, b) => a.t - b.t || a.n - b.n);
  renumber(log);
  return finish(log, o);
}

/** Replaces placeholder numbers by real ones in time order: FH/ZB/SK + date + counter, 20-digit e-invoice numbers. */
function renumber(log: Ev[]): void {
  const fixed = new Map<string, string>();
  const nums = new Numbering();
  const real = (placeholder: string) => {
    let f = fixed.get(placeholder);
    if (!f) {
      const prefix = placeholder.split('~')[1];
      if (prefix.startsWith('INV')) {
        // 数电发票 number: year, province tax office (32 Jiangsu), channel, then a sequence: 20 digits.
        const n = nums.next(prefix, 9).slice(prefix.length);
        f = `${prefix.slice(3)}322000000${String(3_100_000 + Number(n)).padStart(9, '0')}`;
      } else f = nums.next(prefix);
      fixed.set(placeholder, f);
    }
    return f;
  };
  for (const ev of log) {
    if (ev.op === 'delete') {
      if (ev.key.startsWith('~')) ev.key = real(ev.key);
      continue;
    }
    const fields = NUMBERED_FIELDS[ev.iface];
    if (!fields || !ev.payload) continue;
    let p = ev.payload;
    for (const f of fields) if (typeof p[f] === 'string' && p[f].startsWith('~')) p = { ...p, [f]: real(p[f]) };
    ev.payload = p;
    ev.key = docKeyOf(ev.iface, p);
  }
}

const RULED = new Set<InboundInterface>(['sales_order', 'delivery_note', 'invoice', 'inventory', 'production_order']);
/** Documents that others refer to: when their first version is spoilt, the ERP sends it again, corrected. */
const PARENTS = new Set<InboundInterface>(['sales_order', 'delivery_note']);

function finish(log: Ev[], o: WorldOptions): WorldRow[] {
  // A separate stream, so that the same seed gives the same world whatever the bad rate.
  const br = new Rng(o.seed * 7919 + 104_729);
  const out: WorldRow[] = [];
  const sent = new Set<string>();
  for (const ev of log) {
    const row: WorldRow = { iface: ev.iface, key: ev.key, seq: 0, op: ev.op, payload: ev.payload };
    const doc = ev.iface !== 'customer' && ev.iface !== 'material';
    const k = `${ev.iface}\u0000${ev.key}`;
    const first = ev.op === 'upsert' && !sent.has(k);
    if (ev.op === 'upsert') sent.add(k);
    if (doc && ev.op === 'upsert' && o.badRate > 0 && br.chance(o.badRate)) {
      const bad = corrupt(ev.iface, ev.payload!, br);
      out.push({ ...row, payload: bad.payload, bad: bad.kind });
      if (first && PARENTS.has(ev.iface)) out.push(row);
    } else out.push(row);
  }
  const start = o.startSeq ?? 1;
  out.forEach((r, i) => (r.seq = start + i));
  return out;
}

/** Spoils a payload the way ERP interfaces do: cut-off text, wrong types or unknown fields, totals that do not add up. */
export function corrupt(iface: InboundInterface, payload: Record<string, any>, rng: Rng): { kind: BadKind; payload: unknown } {
  let kind = rng.pick<BadKind>(['invalid_json', 'schema', 'rule']);
  if (kind === 'rule' && !RULED.has(iface)) kind = 'schema';
  const text = JSON.stringify(payload);
  if (kind === 'invalid_json') {
    // Cut off by a too-short column or buffer, or written by hand with a trailing comma.
    return { kind, payload: rng.chance(0.6) ? text.slice(0, Math.max(1, Math.floor(text.length * rng.real(0.3, 0.95)))) : text.replace(/}$/, ',}') };
  }
  const p = structuredClone(payload);
  if (kind === 'schema') {
    const variants: Array<() => void> = [() => (p.remark = '加急')];
    for (const f of Object.keys(p)) {
      if (/(Kg|Fen)$/.test(f) && typeof p[f] === 'number') variants.push(() => (p[f] = (p[f] / 1000).toFixed(3))); // tonnes or yuan as text
      if (/(Date|Start|Finish)$/.test(f)) variants.push(() => (p[f] = String(p[f]).replace(/-/g, '/')));
    }
    if (iface === 'quality_certificate') variants.push(() => (p.batches[0].chemistry.C = Number(p.batches[0].chemistry.C)));
    if (iface === 'customer_receipt') variants.push(() => (p.method = '现金'));
    if (iface === 'delivery_note') variants.push(() => (p.lines[0].pieces = -p.lines[0].pieces - 1));
    rng.pick(variants)();
    return { kind, payload: p };
  }
  switch (iface) {
    case 'sales_order':
      if (rng.chance(0.5)) p.totalWeightKg += rng.int(1, 20) * 1000;
      else p.totalAmountFen += rng.int(1, 99);
      break;
    case 'delivery_note':
      p.totalWeightKg += rng.int(10, 500);
      break;
    case 'invoice':
      if (rng.chance(0.5)) p.totalFen += 1;
      else p.dueDate = isoDay(Date.parse(p.invoiceDate) / 86_400_000 - 30);
      break;
    case 'inventory':
      p.availableKg = p.onHandKg + rng.int(1000, 50_000);
      break;
    case 'production_order':
      p.plannedFinish = isoDay(Date.parse(p.plannedStart) / 86_400_000 - rng.int(1, 5));
      break;
    default:
      break;
  }
  return { kind, payload: p };
}

const SITES = ['地铁5号线', '安置房', '综合管廊', '跨江大桥', '产业园', '医院新院区', '高铁站房', '保障房'];
function destinationOf(cust: SimCustomer, rng: Rng): DeliveryNotePayload['destination'] {
  const c = cust.payload;
  const address = c.address ?? `${c.province}${c.city}`;
  if ((c.industry === '建筑施工' || c.industry === '钢材贸易') && rng.chance(0.4)) {
    return { province: c.province, city: c.city, address: `${c.city}${rng.pick(['经开区', '高新区', '新区', '滨江', '临港'])}${rng.pick(SITES)}项目工地` };
  }
  return { province: c.province, city: c.city, address };
}

export interface SimulateOnceOptions extends Partial<Omit<WorldOptions, 'startSeq'>> {
  batchId?: string;
}

/** Writes a world into the staging store if it holds no inbound rows yet (a fresh demo machine); returns the rows written. */
export async function simulateOnce(staging: Knex, opts: SimulateOnceOptions = {}): Promise<number> {
  if ((await stagingRowCount(staging)) > 0) return 0;
  const { batchId, ...world } = opts;
  const rows = generateWorld({ ...DEFAULT_WORLD, ...world, startSeq: (await maxSeq(staging)) + 1 });
  return writeRows(staging, rows, batchId ?? `SIM-${ymd(chinaDay(new Date()))}-INIT`);
}
