// The reports' projection of synced ERP documents: one fact row per contracted, scheduled, shipped or settled line
// (report_facts) and the summaries kept by delta (report_customer_months, report_region_months with their '*' roll-ups,
// report_contracts). The sync calls projectRecords in the transaction that writes the documents (issue 8: summaries
// maintained with their rows, never able to drift).
import type { Knex } from 'knex';
import { amountFen } from '../../../../shared/units.js';

type Db = Knex | Knex.Transaction;
export type FactKind = 'contracted' | 'scheduled' | 'shipped' | 'settled';

/** The interfaces the reports read, and the fact each gives. Receipts and balances are read from erp_records directly. */
export const KIND_OF: Readonly<Record<string, FactKind>> = {
  sales_order: 'contracted',
  production_order: 'scheduled',
  delivery_note: 'shipped',
  invoice: 'settled',
};
/** Documents whose facts depend on their sales order (its contract number, customer, prices, varieties). */
const DEPENDENTS = ['production_order', 'delivery_note', 'invoice'] as const;

export interface ProjectedRecord {
  interface: string;
  doc_key: string;
  deleted: boolean | number;
  payload: string | null;
  /** false: the document is new to the portal, so it has no facts to replace (absent: it may have some) */
  known?: boolean;
}

export interface Fact {
  kind: FactKind;
  doc_key: string;
  line_no: number;
  contract_key: string | null;
  customer_code: string;
  day: string;
  month: string;
  variety: string;
  province: string;
  city: string;
  kg: number;
  fen: number;
}

export const MEASURES = ['contracted_kg', 'contracted_fen', 'scheduled_kg', 'shipped_kg', 'shipped_fen', 'settled_fen'] as const;
type Measure = (typeof MEASURES)[number];
type Measures = Record<Measure, number>;
const zero = (): Measures => ({ contracted_kg: 0, contracted_fen: 0, scheduled_kg: 0, shipped_kg: 0, shipped_fen: 0, settled_fen: 0 });

/** Which summary columns a fact adds to. */
function addFact(m: Measures, f: Fact, sign: 1 | -1) {
  switch (f.kind) {
    case 'contracted':
      m.contracted_kg += sign * f.kg;
      m.contracted_fen += sign * f.fen;
      break;
    case 'scheduled':
      m.scheduled_kg += sign * f.kg;
      break;
    case 'shipped':
      m.shipped_kg += sign * f.kg;
      m.shipped_fen += sign * f.fen;
      break;
    case 'settled':
      m.settled_fen += sign * f.fen;
      break;
  }
}

const isMysql = (db: Db) => String(db.client.config.client).includes('mysql');
// 1,000 keys or rows per statement: round trips, not rows, are what the projection costs the sync (measured with
// BENCH_ONLY=sync_apply_mariadb).
const CHUNK = 1000;
async function chunked<T>(items: T[], size: number, fn: (part: T[]) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}
const isDeleted = (r: ProjectedRecord) => r.deleted === true || r.deleted === 1;

interface OrderInfo {
  contractNo: string | null;
  customerCode: string | null;
  /** material code → price per tonne in fen */
  prices: Map<string, number>;
  /** fen per tonne over the whole order, for a shipped material the order does not list */
  averagePrice: number;
  /** the variety with the largest amount: an invoice's variety (invoices carry no lines) */
  mainVariety: string;
}

type Loose = Record<string, any>;

/** Current sales orders (not deleted) and material varieties the documents refer to, read in the caller's transaction. */
async function lookups(db: Db, docs: Array<{ iface: string; p: Loose }>) {
  const orderNos = new Set<string>();
  const materials = new Set<string>();
  for (const { iface, p } of docs) {
    if (iface === 'sales_order') for (const l of p.lines ?? []) materials.add(l.materialCode);
    else if (p.salesOrderNo) orderNos.add(p.salesOrderNo);
    if (iface === 'delivery_note') for (const l of p.lines ?? []) materials.add(l.materialCode);
    if (iface === 'production_order') materials.add(p.materialCode);
  }
  const orderPayloads = new Map<string, Loose>();
  await chunked([...orderNos], CHUNK, async (part) => {
    const rows = await db('erp_records').select('doc_key', 'payload').where({ interface: 'sales_order', deleted: false }).whereIn('doc_key', part);
    for (const r of rows) if (r.payload) orderPayloads.set(r.doc_key, JSON.parse(r.payload));
  });
  for (const o of orderPayloads.values()) for (const l of o.lines ?? []) materials.add(l.materialCode);
  const variety = new Map<string, string>();
  await chunked([...materials], CHUNK, async (part) => {
    const rows = await db('erp_records').select('doc_key', 'payload').where({ interface: 'material', deleted: false }).whereIn('doc_key', part);
    for (const r of rows) if (r.payload) variety.set(r.doc_key, String(JSON.parse(r.payload).variety ?? 'other'));
  });
  const orders = new Map<string, OrderInfo>();
  for (const [no, o] of orderPayloads) {
    const prices = new Map<string, number>();
    const byVariety = new Map<string, number>();
    for (const l of o.lines ?? []) {
      if (!prices.has(l.materialCode)) prices.set(l.materialCode, Number(l.unitPriceFen));
      const v = variety.get(l.materialCode) ?? 'other';
      byVariety.set(v, (byVariety.get(v) ?? 0) + Number(l.amountFen));
    }
    let mainVariety = 'other';
    let best = -1;
    for (const [v, fen] of [...byVariety].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (fen > best) (best = fen), (mainVariety = v);
    const kg = Number(o.totalWeightKg) || 0;
    orders.set(no, {
      contractNo: o.contractNo ?? null,
      customerCode: o.customerCode ?? null,
      prices,
      averagePrice: kg > 0 ? Math.round((Number(o.totalAmountFen) * 1000) / kg) : 0,
      mainVariety,
    });
  }
  return { orders, variety };
}

/** The facts of one current document (none for a tombstone, a cancelled order or invoice, or stock production). */
function factsOf(iface: string, docKey: string, p: Loose, look: Awaited<ReturnType<typeof lookups>>): Fact[] {
  const base = (day: string) => ({ doc_key: docKey, day, month: day.slice(0, 7), province: '', city: '' });
  const v = (code: string) => look.variety.get(code) ?? 'other';
  switch (iface) {
    case 'sales_order': {
      if (p.status === 'cancelled') return [];
      return (p.lines as Loose[]).map((l) => ({
        ...base(p.orderDate),
        kind: 'contracted' as const,
        line_no: l.lineNo,
        contract_key: p.contractNo ?? p.orderNo,
        customer_code: p.customerCode,
        variety: v(l.materialCode),
        kg: Number(l.quantityKg),
        fen: Number(l.amountFen),
      }));
    }
    case 'production_order': {
      const o = p.salesOrderNo ? look.orders.get(p.salesOrderNo) : undefined;
      if (p.status === 'cancelled' || !o || !o.customerCode) return [];
      return [
        {
          ...base(p.plannedStart),
          kind: 'scheduled',
          line_no: 1,
          contract_key: o.contractNo ?? p.salesOrderNo,
          customer_code: o.customerCode,
          variety: v(p.materialCode),
          kg: Number(p.plannedKg),
          fen: 0,
        },
      ];
    }
    case 'delivery_note': {
      const o = look.orders.get(p.salesOrderNo);
      return (p.lines as Loose[]).map((l) => {
        const price = o ? (o.prices.get(l.materialCode) ?? o.averagePrice) : 0;
        return {
          ...base(p.deliveryDate),
          kind: 'shipped' as const,
          line_no: l.lineNo,
          contract_key: o?.contractNo ?? p.contractNo ?? p.salesOrderNo,
          customer_code: p.customerCode,
          variety: v(l.materialCode),
          province: p.destination?.province ?? '',
          city: p.destination?.city ?? '',
          kg: Number(l.weightKg),
          fen: amountFen(Number(l.weightKg), price),
        };
      });
    }
    case 'invoice': {
      if (p.status === 'cancelled') return [];
      const o = p.salesOrderNo ? look.orders.get(p.salesOrderNo) : undefined;
      return [
        {
          ...base(p.invoiceDate),
          kind: 'settled',
          line_no: 1,
          contract_key: o?.contractNo ?? p.contractNo ?? p.salesOrderNo ?? null,
          customer_code: p.customerCode,
          variety: o?.mainVariety ?? 'other',
          kg: 0,
          fen: Number(p.totalFen),
        },
      ];
    }
  }
  return [];
}

export interface PreparedFacts {
  /** how many records they were computed from: a guard that they belong to the records being written */
  records: number;
  facts: Fact[];
}

/**
 * The facts of the current versions of the given documents. The sync computes them for the next batch while the
 * previous batch is being written (its lookups read sales orders and materials, which belong to interfaces synced
 * and committed before), so that only the writes remain inside the batch's transaction. `parsed` saves parsing a
 * payload the sync has already parsed.
 */
export async function prepareFacts(db: Db, records: Array<ProjectedRecord & { parsed?: unknown }>): Promise<PreparedFacts> {
  const docs: Array<{ iface: string; key: string; p: Loose }> = [];
  for (const r of records) {
    if (!KIND_OF[r.interface] || isDeleted(r) || !r.payload) continue;
    docs.push({ iface: r.interface, key: r.doc_key, p: (r.parsed ?? JSON.parse(r.payload)) as Loose });
  }
  const facts: Fact[] = [];
  if (docs.length) {
    const look = await lookups(db, docs);
    for (const d of docs) facts.push(...factsOf(d.iface, d.key, d.p, look));
  }
  return { records: records.length, facts };
}

/** The roll-up value of the variety and customer columns: every variety, every customer. */
export const ALL = '*';
interface CustomerMonth { variety: string; month: string; customer: string; m: Measures }
interface RegionMonth { variety: string; customer: string; month: string; province: string; city: string; kg: number; fen: number }

/**
 * Replaces the facts of the given documents with the facts of their current versions and moves the summaries by the
 * difference. Documents of a sales order batch bring their dependents (production, deliveries, invoices) along,
 * since those take their contract, customer, price and variety from the order.
 */
export async function projectRecords(
  trx: Knex.Transaction,
  records: ProjectedRecord[],
  opts: { dependents?: boolean; prepared?: PreparedFacts } = {},
): Promise<void> {
  const mine = records.filter((r) => KIND_OF[r.interface]);
  if (!mine.length) return;
  const fresh = opts.prepared?.records === records.length ? opts.prepared.facts : (await prepareFacts(trx, records)).facts;

  const old: Fact[] = [];
  const byKind = new Map<FactKind, string[]>();
  for (const r of mine) {
    if (r.known === false) continue;
    const k = KIND_OF[r.interface]!;
    if (!byKind.has(k)) byKind.set(k, []);
    byKind.get(k)!.push(r.doc_key);
  }
  for (const [kind, keys] of byKind) {
    await chunked(keys, CHUNK, async (part) => {
      const rows = await trx('report_facts').select('*').where('kind', kind).whereIn('doc_key', part);
      for (const r of rows) old.push({ ...r, kg: Number(r.kg), fen: Number(r.fen), line_no: Number(r.line_no) });
      // New documents (most of a sync) have nothing to delete.
      const had = [...new Set(rows.map((r: { doc_key: string }) => r.doc_key))];
      if (had.length) await trx('report_facts').where('kind', kind).whereIn('doc_key', had).delete();
    });
  }
  const FACT_COLS = ['kind', 'doc_key', 'line_no', 'contract_key', 'customer_code', 'day', 'month', 'variety', 'province', 'city', 'kg', 'fen'] as const;
  await writeRows(trx, `INSERT INTO report_facts (${FACT_COLS.join(', ')})`, '', FACT_COLS.length, fresh.map((f) => FACT_COLS.map((c) => f[c])));

  const customerMonths = new Map<string, CustomerMonth>();
  const regionMonths = new Map<string, RegionMonth>();
  const contracts = new Map<string, { customer: string; m: Measures }>();
  const apply = (f: Fact, sign: 1 | -1) => {
    // Each fact adds to its own row and to the roll-ups over varieties, customers, and both.
    for (const variety of [f.variety, ALL]) {
      for (const customer of [f.customer_code, ALL]) {
        const ck = `${variety}\u0000${f.month}\u0000${customer}`;
        if (!customerMonths.has(ck)) customerMonths.set(ck, { variety, month: f.month, customer, m: zero() });
        addFact(customerMonths.get(ck)!.m, f, sign);
        if (f.kind !== 'shipped') continue;
        const rk = `${ck}\u0000${f.province}\u0000${f.city}`;
        if (!regionMonths.has(rk)) regionMonths.set(rk, { variety, customer, month: f.month, province: f.province, city: f.city, kg: 0, fen: 0 });
        const r = regionMonths.get(rk)!;
        r.kg += sign * f.kg;
        r.fen += sign * f.fen;
      }
    }
    if (f.contract_key) {
      if (!contracts.has(f.contract_key)) contracts.set(f.contract_key, { customer: f.customer_code, m: zero() });
      const c = contracts.get(f.contract_key)!;
      addFact(c.m, f, sign);
      if (sign === 1) c.customer = f.customer_code;
    }
  };
  for (const f of old) apply(f, -1);
  for (const f of fresh) apply(f, 1);

  await addMonths(trx, [...customerMonths.values()].filter((x) => MEASURES.some((k) => x.m[k] !== 0)), [...regionMonths.values()].filter((x) => x.kg !== 0 || x.fen !== 0));
  const orderBatch = mine.some((r) => r.interface === 'sales_order');
  const signed = orderBatch ? await contractDates(trx, [...contracts.keys()]) : null;
  await addContracts(trx, [...contracts].map(([key, c]) => ({ key, ...c, order: signed?.get(key) })), orderBatch);
  // A contract whose every document went away (deleted, cancelled) leaves the progress list, as a rebuild would;
  // only a batch that took facts away can have emptied one.
  const shrunk = old.length ? [...new Set(old.map((f) => f.contract_key).filter((k): k is string => k !== null))] : [];
  await chunked(shrunk, CHUNK, (part) => {
    const q = trx('report_contracts').whereIn('contract_key', part);
    for (const m of MEASURES) q.andWhere(m, 0);
    return q.delete();
  });

  if (orderBatch && opts.dependents !== false) {
    const orderNos = mine.filter((r) => r.interface === 'sales_order').map((r) => r.doc_key);
    const deps: ProjectedRecord[] = [];
    await chunked(orderNos, CHUNK, async (part) => {
      const rows = await trx('erp_records').select('interface', 'doc_key', 'deleted', 'payload').whereIn('interface', [...DEPENDENTS]).whereIn('order_no', part);
      deps.push(...rows);
    });
    for (const iface of DEPENDENTS) {
      const group = deps.filter((d) => d.interface === iface);
      if (group.length) await projectRecords(trx, group, { dependents: false });
    }
  }
}

/** A contract's date and customer: its earliest sales order that is not cancelled (null when it has none). */
async function contractDates(db: Db, keys: string[]): Promise<Map<string, { date: string | null; customer: string | null }>> {
  const out = new Map<string, { date: string | null; customer: string | null }>();
  for (const k of keys) out.set(k, { date: null, customer: null });
  const consider = (key: string, r: { doc_date: string | null; customer_code: string | null }) => {
    const c = out.get(key);
    if (!c || !r.doc_date) return;
    if (c.date === null || r.doc_date < c.date) out.set(key, { date: r.doc_date, customer: r.customer_code });
  };
  await chunked(keys, CHUNK, async (part) => {
    const live = (q: Knex.QueryBuilder) => q.where({ interface: 'sales_order', deleted: false }).andWhere((w) => w.whereNull('doc_status').orWhereNot('doc_status', 'cancelled'));
    const [byContract, byOrder] = await Promise.all([
      live(db('erp_records').select('contract_no', 'doc_date', 'customer_code')).whereIn('contract_no', part),
      live(db('erp_records').select('doc_key', 'doc_date', 'customer_code')).whereNull('contract_no').whereIn('doc_key', part),
    ]);
    for (const r of byContract) consider(r.contract_no, r);
    for (const r of byOrder) consider(r.doc_key, r);
  });
  return out;
}

type Connection = { execute(sql: string, values: unknown[], cb: (err: Error | null) => void): void };

/**
 * Writes rows with multi-row statements. On MySQL/MariaDB they go as prepared statements on the transaction's own
 * connection (binary protocol: values are not escaped into SQL text), as the sync's own upsert does; statement sizes
 * of 1,000 rows and powers of two keep the number of distinct prepared statements per connection small.
 */
async function writeRows(trx: Knex.Transaction, head: string, tail: string, width: number, rows: unknown[][]) {
  if (!rows.length) return;
  const one = `(${Array(width).fill('?').join(', ')})`;
  const sql = (n: number) => `${head} VALUES ${Array(n).fill(one).join(', ')} ${tail}`;
  if (!isMysql(trx)) {
    await chunked(rows, 400, (part) => trx.raw(sql(part.length), part.flat() as Knex.RawBinding[]));
    return;
  }
  const conn = (await trx.client.acquireConnection()) as Connection;
  const sizes: number[] = [];
  let left = rows.length;
  while (left >= CHUNK) (sizes.push(CHUNK), (left -= CHUNK));
  for (let bit = 512; bit >= 1; bit >>= 1) if (left & bit) sizes.push(bit);
  let i = 0;
  for (const size of sizes) {
    const values = rows.slice(i, i + size).flat();
    i += size;
    await new Promise<void>((resolve, reject) => conn.execute(sql(size), values, (err) => (err ? reject(err) : resolve())));
  }
}

/** Multi-row "add to the row, or create it" on both databases. */
function upsertAdd(trx: Knex.Transaction, table: string, keyCols: string[], cols: string[], addCols: readonly string[], setCols: string[], rows: unknown[][]) {
  const tail = isMysql(trx)
    ? `ON DUPLICATE KEY UPDATE ${[...addCols.map((c) => `${c} = ${c} + VALUES(${c})`), ...setCols.map((c) => `${c} = VALUES(${c})`)].join(', ')}`
    : `ON CONFLICT (${keyCols.join(', ')}) DO UPDATE SET ${[...addCols.map((c) => `${c} = ${table}.${c} + excluded.${c}`), ...setCols.map((c) => `${c} = excluded.${c}`)].join(', ')}`;
  return writeRows(trx, `INSERT INTO ${table} (${cols.join(', ')})`, tail, cols.length, rows);
}

async function addMonths(trx: Knex.Transaction, customers: CustomerMonth[], regions: RegionMonth[]) {
  const cKeys = ['variety', 'month', 'customer_code'];
  await upsertAdd(trx, 'report_customer_months', cKeys, [...cKeys, ...MEASURES], MEASURES, [], customers.map((d) => [d.variety, d.month, d.customer, ...MEASURES.map((k) => d.m[k])]));
  const rKeys = ['variety', 'customer_code', 'month', 'province', 'city'];
  const rMeasures = ['shipped_kg', 'shipped_fen'];
  await upsertAdd(trx, 'report_region_months', rKeys, [...rKeys, ...rMeasures], rMeasures, [], regions.map((d) => [d.variety, d.customer, d.month, d.province, d.city, d.kg, d.fen]));
}

async function addContracts(trx: Knex.Transaction, deltas: Array<{ key: string; customer: string; m: Measures; order?: { date: string | null; customer: string | null } }>, setDates: boolean) {
  const cols = ['contract_key', 'customer_code', 'signed_on', ...MEASURES];
  await upsertAdd(trx, 'report_contracts', ['contract_key'], cols, MEASURES, setDates ? ['customer_code', 'signed_on'] : [], deltas.map((d) => [d.key, d.order?.customer ?? d.customer, d.order?.date ?? null, ...MEASURES.map((k) => d.m[k])]));
}

/**
 * Projects every synced document from scratch: the backfill when the tables are created, and the recomputation the
 * tests compare the incrementally kept summaries with. Sales orders first: their dates and customers set the contracts'.
 */
export async function rebuildProjection(db: Knex): Promise<void> {
  await db('report_facts').delete();
  await db('report_customer_months').delete();
  await db('report_region_months').delete();
  await db('report_contracts').delete();
  for (const iface of Object.keys(KIND_OF)) {
    let after = '';
    for (;;) {
      const rows: ProjectedRecord[] = await db('erp_records')
        .select('interface', 'doc_key', 'deleted', 'payload')
        .where({ interface: iface, deleted: false })
        .andWhere('doc_key', '>', after)
        .orderBy('doc_key')
        .limit(2000);
      if (!rows.length) break;
      await db.transaction((trx) => projectRecords(trx, rows, { dependents: false }));
      after = rows[rows.length - 1]!.doc_key;
    }
  }
}
