// Follow mode of the ERP simulator: every tick, answer the portal's outbound rows (formal contracts become sales
// orders, or are rejected with a reason; demands and profile changes are accepted) and write a small batch of new
// ERP activity: production progress, deliveries with certificates, invoices, receipts, balances and inventory.
import type { Knex } from 'knex';
import { inboundTable, type InboundInterface, type OutboundKind, OUTBOUND_KINDS, outboundTable } from '../../shared/erp/interfaces.js';
import {
  validatePayload,
  type CustomerBalancePayload,
  type CustomerPayload,
  type CustomerReceiptPayload,
  type DeliveryNotePayload,
  type InventoryPayload,
  type InvoicePayload,
  type MaterialPayload,
  type ProductionOrderPayload,
  type SalesOrderLine,
  type SalesOrderPayload,
} from '../../shared/erp/payloads.js';
import { toDbTime } from '../../server/src/db/knex.js';
import { productOf, type Product } from './catalogue.js';
import {
  HeatPool,
  Lab,
  Numbering,
  bankRef,
  certificate,
  cutLoad,
  dayMinute,
  deliveredValueFen,
  deliveryNote,
  invoice,
  isoDay,
  orderLine,
  salesOrder,
  stamp,
  vehicleNo,
  ym,
  ymd,
  yy,
} from './documents.js';
import { termsFor, transportFor, type Transport } from './parties.js';
import { Rng } from './rng.js';
import { insertRows, maxSeq, type WorldRow } from './staging.js';

export interface FollowOptions {
  seed?: number;
  /** share of well-formed contracts the ERP still rejects (credit, capacity, price), default 0.05 */
  contractRejectRate?: number;
  /** at most this many orders move forward per tick (orders from portal contracts first), default 6 */
  maxOrdersPerTick?: number;
  /** chance per tick of a new order keyed in the ERP directly, default 0.3 */
  newOrderRate?: number;
  clock?: () => Date;
}

interface OpenOrder {
  so: SalesOrderPayload;
  fromContract: boolean;
  transport: Transport;
  destination: DeliveryNotePayload['destination'];
  deliveredKg: number[];
  deliveredFen: number;
  invoicedFen: number;
  production: ProductionOrderPayload[];
}

export interface FollowState {
  readonly opts: Required<Omit<FollowOptions, 'clock'>> & { clock: () => Date };
  rng: Rng;
  loaded: boolean;
  tick: number;
  seq: number;
  customers: Map<string, CustomerPayload>;
  materials: Map<string, MaterialPayload>;
  /** material codes each customer has bought, for plausible new orders */
  habits: Map<string, string[]>;
  orders: Map<string, OpenOrder>;
  balances: Map<string, CustomerBalancePayload>;
  inventory: Map<string, InventoryPayload>;
  numbers: Numbering;
  heats: HeatPool;
  lab: Lab;
}

export interface TickResult {
  batchId: string;
  rows: number;
  perInterface: Partial<Record<InboundInterface, number>>;
  acks: Record<OutboundKind, { accepted: number; rejected: number }>;
}

export function newFollowState(opts: FollowOptions = {}): FollowState {
  const seed = opts.seed ?? Date.now() % 1_000_000;
  const rng = new Rng(seed);
  return {
    opts: {
      seed,
      contractRejectRate: opts.contractRejectRate ?? 0.05,
      maxOrdersPerTick: opts.maxOrdersPerTick ?? 6,
      newOrderRate: opts.newOrderRate ?? 0.3,
      clock: opts.clock ?? (() => new Date()),
    },
    rng,
    loaded: false,
    tick: 0,
    seq: 0,
    customers: new Map(),
    materials: new Map(),
    habits: new Map(),
    orders: new Map(),
    balances: new Map(),
    inventory: new Map(),
    numbers: new Numbering(),
    heats: new HeatPool(rng.fork(1), 60_000),
    lab: new Lab(rng.fork(2)),
  };
}

/** The latest valid version of every document of an interface (deleted ones left out). */
async function latest<T>(db: Knex | Knex.Transaction, iface: InboundInterface): Promise<Map<string, T>> {
  const out = new Map<string, { seq: number; p: T | null }>();
  const rows = await db(inboundTable(iface)).select('doc_key', 'seq', 'op', 'payload').orderBy('seq');
  for (const r of rows) {
    const seq = Number(r.seq);
    const have = out.get(r.doc_key);
    if (have && have.seq > seq) continue;
    if (r.op === 'delete') {
      out.set(r.doc_key, { seq, p: null });
      continue;
    }
    try {
      const p = JSON.parse(r.payload);
      if (validatePayload(iface, p).ok) out.set(r.doc_key, { seq, p });
    } catch {
      // a bad row: the previous good version stands
    }
  }
  const result = new Map<string, T>();
  for (const [k, v] of out) if (v.p) result.set(k, v.p);
  return result;
}

function destinationOf(c: CustomerPayload | undefined, fallbackCode: string): DeliveryNotePayload['destination'] {
  if (!c) return { province: '江苏省', city: '苏州市', address: `客户 ${fallbackCode} 指定地点` };
  return { province: c.province, city: c.city, address: c.address ?? `${c.province}${c.city}` };
}

/** Rebuilds what the simulator needs to know from the staging store: masters, open orders, balances, stock. */
async function load(db: Knex | Knex.Transaction, s: FollowState): Promise<void> {
  s.seq = await maxSeq(db);
  s.customers = await latest<CustomerPayload>(db, 'customer');
  s.materials = await latest<MaterialPayload>(db, 'material');
  s.balances = await latest<CustomerBalancePayload>(db, 'customer_balance');
  s.inventory = await latest<InventoryPayload>(db, 'inventory');
  s.orders = new Map();
  s.habits = new Map();
  s.numbers = new Numbering();
  const orders = await latest<SalesOrderPayload>(db, 'sales_order');
  for (const so of orders.values()) {
    const h = s.habits.get(so.customerCode) ?? [];
    for (const l of so.lines) if (!h.includes(l.materialCode)) h.push(l.materialCode);
    s.habits.set(so.customerCode, h);
    if (so.status !== 'open') continue;
    const c = s.customers.get(so.customerCode);
    s.orders.set(so.orderNo, {
      so,
      fromContract: false,
      transport: s.rng.pickWeighted(transportFor(c?.province ?? '')),
      destination: destinationOf(c, so.customerCode),
      deliveredKg: so.lines.map(() => 0),
      deliveredFen: 0,
      invoicedFen: 0,
      production: [],
    });
  }
  for (const d of (await latest<DeliveryNotePayload>(db, 'delivery_note')).values()) {
    const o = s.orders.get(d.salesOrderNo);
    if (!o) continue;
    for (const l of d.lines) {
      const i = o.so.lines.findIndex((x) => x.materialCode === l.materialCode);
      if (i < 0) continue;
      o.deliveredKg[i] += l.weightKg;
      o.deliveredFen += Math.round((l.weightKg * o.so.lines[i].unitPriceFen) / 1000);
    }
  }
  for (const inv of (await latest<InvoicePayload>(db, 'invoice')).values()) {
    const o = inv.salesOrderNo ? s.orders.get(inv.salesOrderNo) : undefined;
    if (o && inv.status !== 'cancelled') o.invoicedFen += inv.totalFen;
  }
  for (const mo of (await latest<ProductionOrderPayload>(db, 'production_order')).values()) {
    const o = mo.salesOrderNo ? s.orders.get(mo.salesOrderNo) : undefined;
    if (o && (mo.status === 'planned' || mo.status === 'in_production')) o.production.push(mo);
  }
  s.loaded = true;
}

/** Next document number after the highest one with this prefix in a table (prefix + fixed-width counter). */
async function nextNo(db: Knex.Transaction, s: FollowState, table: string, column: string, prefix: string, width = 4): Promise<string> {
  if (!s.numbers.has(prefix)) {
    const rows = await db(table).select({ v: column }).where(column, 'like', `${prefix}%`).orderBy(column, 'desc').limit(50);
    const n = rows
      .map((r) => String(r.v))
      .filter((v) => v.length === prefix.length + width && /^\d+$/.test(v.slice(prefix.length)))
      .map((v) => Number(v.slice(prefix.length)))
      .reduce((m, v) => Math.max(m, v), 0);
    s.numbers.seen(prefix, n);
  }
  return s.numbers.next(prefix, width);
}

type Verdict = { ok: true; customerCode: string; lines: SalesOrderLine[] } | { ok: false; reason: string };

const REJECT_REASONS = [
  '客户信用额度不足，请先回款 / credit limit exceeded, payment required first',
  '本月该品种排产已满 / the production schedule for this variety is full this month',
  '合同价格低于当月指导价 / price below this month’s guide price',
];

/** The ERP's check of a formal contract from the portal (the payload shape is not fixed yet: read it defensively). */
function judgeContract(docKey: string, text: string, s: FollowState): Verdict {
  const no = (reason: string): Verdict => ({ ok: false, reason: reason.slice(0, 500) });
  let p: any;
  try {
    p = JSON.parse(text);
  } catch {
    return no('合同数据不是有效的JSON / the contract payload is not valid JSON');
  }
  if (!p || typeof p !== 'object' || Array.isArray(p)) return no('合同数据不是对象 / the contract payload is not an object');
  if (docKey.length > 64) return no('合同号超过64位 / the contract number is longer than 64 characters');
  const customerCode = p.customerCode;
  if (typeof customerCode !== 'string' || !customerCode) return no('缺少客户编码 customerCode / customerCode is missing');
  if (!s.customers.has(customerCode)) return no(`客户 ${customerCode} 不在ERP客户主数据中 / customer ${customerCode} is not in the ERP customer master`);
  if (!Array.isArray(p.lines) || p.lines.length === 0) return no('合同没有明细行 lines / the contract has no lines');
  const lines: SalesOrderLine[] = [];
  for (let i = 0; i < p.lines.length; i++) {
    const l = p.lines[i] ?? {};
    const m = typeof l.materialCode === 'string' ? s.materials.get(l.materialCode) : undefined;
    if (!m) return no(`第${i + 1}行物料编码 ${String(l.materialCode ?? '')} 不存在 / line ${i + 1}: unknown materialCode ${String(l.materialCode ?? '')}`);
    if (!Number.isSafeInteger(l.quantityKg) || l.quantityKg <= 0) return no(`第${i + 1}行数量 quantityKg 无效 / line ${i + 1}: quantityKg must be a positive integer`);
    if (!Number.isSafeInteger(l.unitPriceFen) || l.unitPriceFen <= 0) return no(`第${i + 1}行单价 unitPriceFen 无效 / line ${i + 1}: unitPriceFen must be a positive integer`);
    lines.push(orderLine(i + 1, productOf(m), l.quantityKg, l.unitPriceFen));
  }
  if (s.rng.chance(s.opts.contractRejectRate)) return no(s.rng.pick(REJECT_REASONS));
  return { ok: true, customerCode, lines };
}

const PROFILE_FIELDS = ['shortName', 'address', 'contacts', 'industry'] as const;

/** Runs one tick: outbound acknowledgements and new inbound rows in one staging transaction. */
export async function followTick(staging: Knex, s: FollowState): Promise<TickResult> {
  const now = s.opts.clock();
  const { day, minute } = dayMinute(now);
  const at = toDbTime(now);
  const asOf = stamp(day, minute);
  s.tick++;
  const clock = new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(11, 19).replace(/:/g, '');
  const batchId = `SIM-${ymd(day)}${clock}-${s.tick}`;
  const acks = Object.fromEntries(OUTBOUND_KINDS.map((k) => [k, { accepted: 0, rejected: 0 }])) as TickResult['acks'];
  const rows: WorldRow[] = [];
  const touched = new Map<string, { invoicedFen: number; receivedFen: number }>();
  const touch = (code: string) => {
    let t = touched.get(code);
    if (!t) touched.set(code, (t = { invoicedFen: 0, receivedFen: 0 }));
    return t;
  };
  const put = (iface: InboundInterface, payload: Record<string, any>, key: string) => rows.push({ iface, key, seq: 0, op: 'upsert', payload });
  const r = s.rng;
  const createdNow = new Set<string>();

  try {
    await staging.transaction(async (trx) => {
      if (!s.loaded) await load(trx, s);

      const createOrder = async (customerCode: string, lines: SalesOrderLine[], contractNo: string | undefined, orderNo?: string) => {
        orderNo ??= await nextNo(trx, s, inboundTable('sales_order'), 'doc_key', `SO${ym(day)}`);
        const so = salesOrder({ orderNo, day, customerCode, contractNo, lines });
        put('sales_order', so, orderNo);
        const production: ProductionOrderPayload[] = [];
        for (const l of lines) {
          const product = productOf(s.materials.get(l.materialCode)!);
          const mo: ProductionOrderPayload = {
            productionNo: await nextNo(trx, s, inboundTable('production_order'), 'doc_key', `MO${ym(day)}`),
            salesOrderNo: orderNo,
            materialCode: l.materialCode,
            grade: l.grade,
            spec: l.spec,
            workshop: product.workshop,
            plannedKg: l.quantityKg,
            producedKg: 0,
            status: 'planned',
            plannedStart: isoDay(day + 1),
            plannedFinish: isoDay(day + 1 + r.int(2, 5)),
          };
          put('production_order', mo, mo.productionNo);
          production.push(mo);
        }
        const c = s.customers.get(customerCode);
        createdNow.add(orderNo);
        s.orders.set(orderNo, {
          so,
          fromContract: contractNo !== undefined,
          transport: r.pickWeighted(transportFor(c?.province ?? '')),
          destination: destinationOf(c, customerCode),
          deliveredKg: lines.map(() => 0),
          deliveredFen: 0,
          invoicedFen: 0,
          production,
        });
        const h = s.habits.get(customerCode) ?? [];
        for (const l of lines) if (!h.includes(l.materialCode)) h.push(l.materialCode);
        s.habits.set(customerCode, h);
        return so;
      };

      // 1. Formal contracts from the portal: accept (a sales order under the ERP's number) or reject with a reason.
      const contracts = await trx(outboundTable('contract')).where('ack_state', 'pending').orderBy('id').limit(100);
      for (const c of contracts) {
        const v = judgeContract(c.doc_key, c.payload, s);
        if (!v.ok) {
          const n = await trx(outboundTable('contract')).where({ id: c.id, ack_state: 'pending' }).update({ ack_state: 'rejected', reject_reason: v.reason, acked_at: at });
          if (n) acks.contract.rejected++;
          continue;
        }
        const orderNo = await nextNo(trx, s, inboundTable('sales_order'), 'doc_key', `SO${ym(day)}`);
        const n = await trx(outboundTable('contract')).where({ id: c.id, ack_state: 'pending' }).update({ ack_state: 'accepted', erp_doc_no: orderNo, acked_at: at });
        if (!n) continue;
        acks.contract.accepted++;
        await createOrder(v.customerCode, v.lines, c.doc_key, orderNo);
      }

      // 2. Customer demands are recorded; profile changes update the customer master when they fit it.
      for (const d of await trx(outboundTable('demand')).where('ack_state', 'pending').orderBy('id').limit(100)) {
        const no = await nextNo(trx, s, outboundTable('demand'), 'erp_doc_no', `XQ${ym(day)}`);
        const n = await trx(outboundTable('demand')).where({ id: d.id, ack_state: 'pending' }).update({ ack_state: 'accepted', erp_doc_no: no, acked_at: at });
        if (n) acks.demand.accepted++;
      }
      for (const pr of await trx(outboundTable('customer_profile')).where('ack_state', 'pending').orderBy('id').limit(100)) {
        let change: Record<string, unknown> = {};
        try {
          const parsed = JSON.parse(pr.payload);
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) change = parsed;
        } catch {
          // not JSON: accepted as a note for the account manager, nothing to apply
        }
        const code = typeof change.customerCode === 'string' ? change.customerCode : typeof change.code === 'string' ? change.code : pr.doc_key;
        const current = s.customers.get(code);
        let reason: string | null = null;
        if (current) {
          const next: Record<string, unknown> = { ...current };
          let changed = false;
          for (const f of PROFILE_FIELDS) {
            if (change[f] !== undefined && JSON.stringify(change[f]) !== JSON.stringify(current[f])) {
              next[f] = change[f];
              changed = true;
            }
          }
          if (changed) {
            const v = validatePayload('customer', next);
            if (v.ok) {
              s.customers.set(code, next as CustomerPayload);
              put('customer', next, code);
            } else reason = `资料不符合客户主数据格式 / the change does not fit the customer master: ${v.errors[0].message}`;
          }
        }
        const n = await trx(outboundTable('customer_profile'))
          .where({ id: pr.id, ack_state: 'pending' })
          .update(reason ? { ack_state: 'rejected', reject_reason: reason.slice(0, 500), acked_at: at } : { ack_state: 'accepted', erp_doc_no: current ? code : null, acked_at: at });
        if (n) acks.customer_profile[reason ? 'rejected' : 'accepted']++;
      }

      // 3. A new order keyed in the ERP directly, now and then.
      const codes = [...s.customers.values()].filter((c) => c.active).map((c) => c.code);
      if (codes.length && s.materials.size && r.chance(s.opts.newOrderRate)) {
        const code = r.pick(codes);
        const known = (s.habits.get(code) ?? []).filter((m) => s.materials.get(m)?.active);
        const pool = known.length ? known : [...s.materials.values()].filter((m) => m.active).map((m) => m.code);
        const picked = r.sample(pool, r.int(1, Math.min(2, pool.length)));
        const lines = picked.map((m, i) => {
          const p = productOf(s.materials.get(m)!);
          return orderLine(i + 1, p, r.int(6, 60) * 5_000, (Math.round(p.priceYuan / 10) + r.int(-5, 5)) * 10 * 100);
        });
        if (lines.length) await createOrder(code, lines, undefined);
      }

      // 4. Open orders move on: production, then deliveries with certificates, then settlement and closing.
      const open = [...s.orders.values()].sort((a, b) => Number(b.fromContract) - Number(a.fromContract));
      let moved = 0;
      for (const o of open) {
        if (moved >= s.opts.maxOrdersPerTick) break;
        if (!o.fromContract && !r.chance(0.25)) continue;
        if (createdNow.has(o.so.orderNo)) continue; // production starts from the next tick
        moved++;
        const planned = o.production.filter((m) => m.status === 'planned');
        if (planned.length) {
          for (const m of planned) {
            const next = { ...m, status: 'in_production' as const, producedKg: Math.round(m.plannedKg * r.real(0.3, 0.6)) };
            put('production_order', next, next.productionNo);
            o.production[o.production.indexOf(m)] = next;
          }
          continue;
        }
        for (const m of o.production) put('production_order', { ...m, status: 'finished', producedKg: Math.round(m.plannedKg * r.real(1, 1.025)) }, m.productionNo);
        o.production = [];
        // Contract orders ship about a quarter of their tonnage per tick; other orders one to three vehicles.
        let budget = o.fromContract ? Math.max(1, Math.round(o.so.totalWeightKg * r.real(0.2, 0.3))) : Number.MAX_SAFE_INTEGER;
        let vehicles = o.fromContract ? 200 : r.int(1, 3);
        for (let i = 0; i < o.so.lines.length && budget > 0 && vehicles > 0; i++) {
          const line = o.so.lines[i];
          const product: Product = productOf(s.materials.get(line.materialCode) ?? { code: line.materialCode, name: line.materialCode, variety: 'other', grade: line.grade, spec: line.spec, standard: '-', active: true });
          while (budget > 0 && vehicles > 0) {
            const left = line.quantityKg - o.deliveredKg[i];
            const parts = cutLoad(product, o.transport, left, s.heats, r, day);
            if (!parts.length) {
              o.deliveredKg[i] = Math.max(o.deliveredKg[i], line.quantityKg); // the remainder is below one piece: done
              break;
            }
            const dn = deliveryNote({
              deliveryNo: await nextNo(trx, s, inboundTable('delivery_note'), 'doc_key', `FH${ymd(day)}`),
              day,
              customerCode: o.so.customerCode,
              contractNo: o.so.contractNo,
              salesOrderNo: o.so.orderNo,
              destination: o.destination,
              transport: o.transport,
              vehicleNo: vehicleNo(o.transport, r),
              product,
              parts,
            });
            put('delivery_note', dn, dn.deliveryNo);
            const cert = certificate({ certificateNo: await nextNo(trx, s, inboundTable('quality_certificate'), 'doc_key', `ZB${ymd(day)}`), day, delivery: dn, product, parts, lab: s.lab });
            put('quality_certificate', cert, cert.certificateNo);
            o.deliveredKg[i] += dn.totalWeightKg;
            o.deliveredFen += deliveredValueFen(dn, line.unitPriceFen);
            budget -= dn.totalWeightKg;
            vehicles--;
          }
        }
        if (o.so.lines.every((l, i) => o.deliveredKg[i] >= l.quantityKg)) {
          const due = o.deliveredFen - o.invoicedFen;
          if (due > 0) {
            const c = s.customers.get(o.so.customerCode);
            const inv = invoice({
              invoiceNo: await nextNo(trx, s, inboundTable('invoice'), 'doc_key', `${yy(day)}322000000`, 9),
              day,
              termDays: termsFor(c?.erpClass).termDays,
              customerCode: o.so.customerCode,
              contractNo: o.so.contractNo,
              salesOrderNo: o.so.orderNo,
              totalFen: due,
            });
            put('invoice', inv, inv.invoiceNo);
            touch(o.so.customerCode).invoicedFen += inv.totalFen;
            o.invoicedFen += due;
          }
          put('sales_order', { ...o.so, status: 'closed' }, o.so.orderNo);
          s.orders.delete(o.so.orderNo);
        }
      }

      // 5. A customer pays part of what it owes.
      const owing = [...s.balances.values()].filter((b) => b.balanceFen > 1_000_000 && s.customers.has(b.customerCode));
      if (owing.length && r.chance(0.4)) {
        const b = r.pick(owing);
        const amountFen = Math.max(1_000_000, Math.floor((b.balanceFen * r.real(0.3, 1)) / 1_000_000) * 1_000_000);
        const method = r.chance(0.3) ? 'acceptance_bill' : 'bank_transfer';
        const rc: CustomerReceiptPayload = {
          receiptNo: await nextNo(trx, s, inboundTable('customer_receipt'), 'doc_key', `SK${ymd(day)}`),
          receiptDate: isoDay(day),
          customerCode: b.customerCode,
          amountFen,
          method,
          bankRef: bankRef(method, day, r),
        };
        put('customer_receipt', rc, rc.receiptNo);
        touch(b.customerCode).receivedFen += amountFen;
      }

      // 6. Balances of the customers whose money moved.
      for (const [code, t] of touched) {
        const prev = s.balances.get(code);
        const balanceFen = (prev?.balanceFen ?? 0) + t.invoicedFen - t.receivedFen;
        const overdueFen = Math.min(prev?.overdueFen ?? 0, Math.max(0, balanceFen));
        const next: CustomerBalancePayload = {
          customerCode: code,
          asOf,
          creditLimitFen: prev?.creditLimitFen ?? 0,
          balanceFen,
          advanceFen: Math.max(0, -balanceFen),
          overdueFen,
          overdueDays: overdueFen > 0 ? (prev?.overdueDays ?? 0) : 0,
        };
        s.balances.set(code, next);
        put('customer_balance', next, code);
      }

      // 7. Stock moves in a few warehouses.
      const stock = [...s.inventory.values()];
      if (stock.length && r.chance(0.3)) {
        for (const inv of r.sample(stock, r.int(1, 3))) {
          const onHandKg = Math.max(0, inv.onHandKg + r.int(-200, 200) * 1000 + r.int(-999, 999));
          const next: InventoryPayload = { ...inv, onHandKg, availableKg: onHandKg - Math.round(onHandKg * r.real(0.05, 0.45)), asOf };
          s.inventory.set(`${inv.warehouseCode}:${inv.materialCode}`, next);
          put('inventory', next, `${inv.warehouseCode}:${inv.materialCode}`);
        }
      }

      for (const row of rows) row.seq = ++s.seq;
      await insertRows(trx, rows, batchId, now);
    });
  } catch (err) {
    // The transaction rolled back: forget what this tick changed in memory and rebuild from the store next time.
    s.loaded = false;
    throw err;
  }

  const perInterface: TickResult['perInterface'] = {};
  for (const row of rows) perInterface[row.iface] = (perInterface[row.iface] ?? 0) + 1;
  return { batchId, rows: rows.length, perInterface, acks };
}
