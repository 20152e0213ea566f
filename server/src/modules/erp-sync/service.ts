// ERP sync administration: status per interface, runs, quarantine (retry, dismiss), outbox, reconciliation, freshness.
import type { Knex } from 'knex';
import { APPLY_ORDER, INBOUND_INTERFACES, OUTBOUND_KINDS, inboundTable, type InboundInterface } from '../../../../shared/erp/interfaces.js';
import type {
  ErpRecord,
  Freshness,
  OutboxPage,
  OutboxQuery,
  QuarantineItem,
  QuarantinePage,
  QuarantineQuery,
  Reconciliation,
  SyncStatus,
} from '../../../../shared/api/erp.js';
import { fromDbTime, toDbTime } from '../../db/knex.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { Conflict, NotFound } from '../../errors.js';
import { LEASE_NAME, check } from './engine.js';
import { lift } from './extract.js';

const iso = (v: unknown) => fromDbTime(v === null || v === undefined ? null : String(v));

export async function syncStatus(db: Knex, staging: Knex): Promise<SyncStatus> {
  const states = new Map((await db('sync_state').select('*')).map((r) => [r.interface as string, r]));
  const waitingRows: Array<{ interface: string; n: number }> = await db('erp_waiting').select('interface').count({ n: '*' }).groupBy('interface');
  const waiting = new Map(waitingRows.map((r) => [String(r.interface), Number(r.n)]));
  const openRows: Array<{ interface: string; n: number }> = await db('erp_quarantine')
    .select('interface')
    .count({ n: '*' })
    .whereIn('state', ['open', 'retrying'])
    .groupBy('interface');
  const open = new Map(openRows.map((r) => [String(r.interface), Number(r.n)]));
  const now = Date.now();
  const interfaces = [];
  for (const iface of APPLY_ORDER) {
    const s = states.get(iface);
    const watermark = Number(s?.watermark ?? 0);
    const table = inboundTable(iface);
    const max = Number((await staging(table).max('id as m').first())?.m ?? 0);
    const lag = await staging(table).where('id', '>', watermark).count({ n: '*' }).min({ oldest: 'received_at' }).first();
    const oldest = lag?.oldest ? Date.parse(String(lag.oldest).replace(' ', 'T') + 'Z') : null;
    interfaces.push({
      interface: iface,
      watermark,
      lastSeq: Number(s?.last_seq ?? 0),
      stagingMaxId: max,
      lagRows: Number(lag?.n ?? 0),
      lagSeconds: oldest ? Math.max(0, Math.round((now - oldest) / 1000)) : 0,
      lastRunAt: iso(s?.last_run_at),
      lastSuccessAt: iso(s?.last_success_at),
      lastError: s?.last_error ?? null,
      appliedTotal: Number(s?.applied_total ?? 0),
      staleTotal: Number(s?.stale_total ?? 0),
      quarantinedTotal: Number(s?.quarantined_total ?? 0),
      waiting: waiting.get(iface) ?? 0,
      quarantineOpen: open.get(iface) ?? 0,
    });
  }
  const runs = (await db('sync_runs').orderBy('id', 'desc').limit(20)).map((r) => ({
    id: Number(r.id),
    trigger: r.trigger,
    holder: r.holder,
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
    applied: Number(r.applied),
    stale: Number(r.stale),
    waiting: Number(r.waiting),
    released: Number(r.released),
    quarantined: Number(r.quarantined),
    delivered: Number(r.delivered),
    acknowledged: Number(r.acknowledged),
    error: r.error ?? null,
  }));
  const outbox = [];
  for (const kind of OUTBOUND_KINDS) {
    const c = async (q: (qb: Knex.QueryBuilder) => Knex.QueryBuilder) => Number((await q(db('outbox').where('kind', kind)).count({ n: '*' }).first())?.n ?? 0);
    outbox.push({
      kind,
      undelivered: await c((q) => q.whereNull('delivered_at')),
      awaitingAck: await c((q) => q.whereNotNull('delivered_at').where('ack_state', 'pending')),
      accepted: await c((q) => q.where('ack_state', 'accepted')),
      rejected: await c((q) => q.where('ack_state', 'rejected')),
    });
  }
  const l = await db('sync_leases').where('name', LEASE_NAME).first();
  return {
    interfaces,
    runs,
    outbox,
    lease: l ? { holder: l.holder, token: Number(l.token), expiresAt: iso(l.expires_at)! } : null,
  };
}

function quarantineItem(r: Record<string, any>): QuarantineItem {
  return {
    id: Number(r.id),
    interface: r.interface,
    stagingId: Number(r.staging_id),
    docKey: r.doc_key,
    seq: Number(r.seq),
    op: r.op,
    payload: r.payload ?? null,
    reason: r.reason,
    message: r.message,
    path: r.path ?? null,
    state: r.state,
    attempts: Number(r.attempts),
    createdAt: iso(r.created_at)!,
    resolvedAt: iso(r.resolved_at),
    resolvedBy: r.resolved_by ?? null,
    dismissReason: r.dismiss_reason ?? null,
  };
}

export async function listQuarantine(db: Knex, q: QuarantineQuery): Promise<QuarantinePage> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const base = db('erp_quarantine').modify((qb) => {
    if (q.interface) qb.where('interface', q.interface);
    if (q.state) qb.where('state', q.state);
    if (q.reason) qb.where('reason', q.reason);
    if (q.docKey) qb.where('doc_key', q.docKey);
  });
  const total = Number((await base.clone().count({ n: '*' }).first())?.n ?? 0);
  const rows = await base.clone().orderBy('id', 'desc').limit(pageSize).offset((page - 1) * pageSize);
  return { items: rows.map(quarantineItem), total, page, pageSize };
}

export async function getQuarantine(db: Knex, id: number): Promise<QuarantineItem> {
  const r = await db('erp_quarantine').where('id', id).first();
  if (!r) throw new NotFound('erp.quarantine_not_found', `No quarantined row ${id}`);
  return quarantineItem(r);
}

/** One synced ERP document as the portal holds it: for administrators checking what the ERP sent. */
export async function getRecord(db: Knex, iface: InboundInterface, docKey: string): Promise<ErpRecord> {
  const r = await db('erp_records').where({ interface: iface, doc_key: docKey }).first();
  if (!r) throw new NotFound('erp.record_not_found', `The portal holds no ${iface} document ${docKey}`);
  return {
    interface: iface,
    docKey: r.doc_key,
    seq: Number(r.seq),
    stagingId: Number(r.staging_id),
    deleted: Boolean(r.deleted),
    payload: r.payload === null || r.payload === undefined ? null : JSON.parse(String(r.payload)),
    syncedAt: iso(r.synced_at)!,
  };
}

/** Marks a quarantined row for retry; the next sync run (started by the caller) checks it again under the lease. */
export async function requestRetry(trx: Knex.Transaction, actor: Actor, id: number): Promise<void> {
  const r = await trx('erp_quarantine').where('id', id).first();
  if (!r) throw new NotFound('erp.quarantine_not_found', `No quarantined row ${id}`);
  if (r.state !== 'open') throw new Conflict('erp.quarantine_not_open', `Row ${id} is ${r.state}, only open rows can be retried`, { state: r.state });
  await trx('erp_quarantine').where({ id, state: 'open' }).update({ state: 'retrying', resolved_by: actor.username });
  await audit(trx, actor, { action: 'erp.quarantine_retry', entity: 'erp_quarantine', entityId: id, details: { interface: r.interface, docKey: r.doc_key, reason: r.reason } });
}

export async function dismiss(trx: Knex.Transaction, actor: Actor, id: number, reason: string): Promise<void> {
  const r = await trx('erp_quarantine').where('id', id).first();
  if (!r) throw new NotFound('erp.quarantine_not_found', `No quarantined row ${id}`);
  if (r.state !== 'open') throw new Conflict('erp.quarantine_not_open', `Row ${id} is ${r.state}, only open rows can be dismissed`, { state: r.state });
  await trx('erp_quarantine')
    .where({ id, state: 'open' })
    .update({ state: 'dismissed', dismiss_reason: reason, resolved_at: toDbTime(new Date()), resolved_by: actor.username });
  await audit(trx, actor, { action: 'erp.quarantine_dismiss', entity: 'erp_quarantine', entityId: id, details: { interface: r.interface, docKey: r.doc_key, reason } });
}

export async function listOutbox(db: Knex, q: OutboxQuery): Promise<OutboxPage> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const base = db('outbox').modify((qb) => {
    if (q.kind) qb.where('kind', q.kind);
    if (q.state === 'undelivered') qb.whereNull('delivered_at');
    else if (q.state === 'pending') qb.whereNotNull('delivered_at').where('ack_state', 'pending');
    else if (q.state) qb.where('ack_state', q.state);
  });
  const total = Number((await base.clone().count({ n: '*' }).first())?.n ?? 0);
  const rows = await base.clone().orderBy('id', 'desc').limit(pageSize).offset((page - 1) * pageSize);
  return {
    items: rows.map((r: Record<string, any>) => ({
      id: Number(r.id),
      kind: r.kind,
      docKey: r.doc_key,
      createdAt: iso(r.created_at)!,
      deliveredAt: iso(r.delivered_at),
      attempts: Number(r.attempts),
      lastError: r.last_error ?? null,
      ackState: r.ack_state,
      erpDocNo: r.erp_doc_no ?? null,
      rejectReason: r.reject_reason ?? null,
      ackedAt: iso(r.acked_at),
    })),
    total,
    page,
    pageSize,
  };
}

/** "Data as of": the start of the last run that caught up with every interface asked about (the oldest of them). */
export async function freshness(db: Knex, interfaces: string[]): Promise<Freshness> {
  const wanted = interfaces.filter((i): i is InboundInterface => (INBOUND_INTERFACES as readonly string[]).includes(i));
  const rows = wanted.length ? await db('sync_state').whereIn('interface', wanted) : [];
  const by = new Map(rows.map((r) => [r.interface as string, iso(r.last_success_at)]));
  const list = wanted.map((i) => ({ interface: i, asOf: by.get(i) ?? null }));
  const asOf = list.length && list.every((l) => l.asOf) ? list.map((l) => l.asOf!).sort()[0]! : null;
  return { asOf, interfaces: list };
}

interface Tot {
  count: number;
  weightKg: number;
  amountFen: number;
}
const add = (m: Map<string, Tot>, k: string, w: number | null, a: number | null) => {
  const t = m.get(k) ?? { count: 0, weightKg: 0, amountFen: 0 };
  t.count++;
  t.weightKg += w ?? 0;
  t.amountFen += a ?? 0;
  m.set(k, t);
};

/** Control groups beyond the day: shipped tonnage per contract, invoiced amount per customer (the examples). */
function groupsOf(iface: InboundInterface, l: { doc_date: string | null; contract_no: string | null; customer_code: string | null }): string[] {
  const g = [`day:${l.doc_date ?? 'none'}`];
  if (iface === 'delivery_note' && l.contract_no) g.push(`contract:${l.contract_no}`);
  if (iface === 'invoice' && l.customer_code) g.push(`customer:${l.customer_code}`);
  return g;
}

/**
 * Recomputes, from the staging rows up to each watermark, what the portal should hold (the latest valid version
 * of each document, deletes removing it, rows waiting or in quarantine left out) and compares counts and
 * control totals per interface and per day with what the portal does hold.
 */
export async function reconcile(db: Knex, staging: Knex, range: { from?: string; to?: string }): Promise<Reconciliation> {
  const lines: Reconciliation['lines'] = [];
  const inRange = (g: string) => {
    const d = g.startsWith('day:') ? g.slice(4) : null;
    // Master data has no business date ('day:none'): it is always compared, whatever the range.
    if (!d || d === 'none') return true;
    return (!range.from || d >= range.from) && (!range.to || d <= range.to);
  };
  for (const iface of APPLY_ORDER) {
    const state = await db('sync_state').where('interface', iface).first();
    const watermark = Number(state?.watermark ?? 0);
    const excluded = new Set<number>([
      ...(await db('erp_waiting').where('interface', iface).pluck('staging_id')).map(Number),
      ...(await db('erp_quarantine').where('interface', iface).whereNot('state', 'resolved').pluck('staging_id')).map(Number),
    ]);
    const latest = new Map<string, { seq: number; op: string; payload: string | null }>();
    let lastId = 0;
    for (;;) {
      const rows = await staging(inboundTable(iface)).select('id', 'doc_key', 'seq', 'op', 'payload').where('id', '>', lastId).andWhere('id', '<=', watermark).orderBy('id').limit(5000);
      if (!rows.length) break;
      for (const r of rows) {
        lastId = Number(r.id);
        if (excluded.has(lastId)) continue;
        const row = { id: lastId, doc_key: String(r.doc_key), seq: Number(r.seq), op: String(r.op), payload: r.payload === null ? null : String(r.payload) };
        if (!check(iface, row).ok) continue;
        const have = latest.get(row.doc_key);
        if (!have || row.seq > have.seq) latest.set(row.doc_key, row);
      }
    }
    const expected = new Map<string, Tot>();
    for (const v of latest.values()) {
      if (v.op !== 'upsert') continue;
      const l = lift(iface, JSON.parse(v.payload!));
      for (const g of groupsOf(iface, l)) add(expected, g, l.weight_kg, l.amount_fen);
    }
    const actual = new Map<string, Tot>();
    const held = await db('erp_records').select('doc_date', 'contract_no', 'customer_code', 'weight_kg', 'amount_fen').where({ interface: iface, deleted: false });
    for (const r of held as Array<Record<string, any>>) {
      for (const g of groupsOf(iface, r as never)) add(actual, g, r.weight_kg === null ? null : Number(r.weight_kg), r.amount_fen === null ? null : Number(r.amount_fen));
    }
    const zero = { count: 0, weightKg: 0, amountFen: 0 };
    for (const g of [...new Set([...expected.keys(), ...actual.keys()])].sort()) {
      if (!inRange(g)) continue;
      const s = expected.get(g) ?? zero;
      const p = actual.get(g) ?? zero;
      lines.push({
        interface: iface,
        group: g.startsWith('day:') ? g.slice(4) : g,
        staging: s,
        portal: p,
        matches: s.count === p.count && s.weightKg === p.weightKg && s.amountFen === p.amountFen,
      });
    }
  }
  return { checkedAt: new Date().toISOString(), differences: lines.filter((l) => !l.matches).length, lines };
}

export interface SupplyFigure {
  variety: string;
  grade: string;
  spec: string;
  /** available stock over all warehouses */
  inventoryKg: number;
  /** production orders planned or in production, not yet produced */
  productionKg: number;
}

/**
 * The ERP's supply of each material's variety, grade and spec: available stock and open production, from the synced
 * inventory, production order and material master documents (deleted documents left out). For the resource plan.
 */
export async function supplyByMaterial(db: Knex): Promise<SupplyFigure[]> {
  const rows: { interface: string; payload: string }[] = await db('erp_records')
    .whereIn('interface', ['material', 'inventory', 'production_order'])
    .andWhere('deleted', false)
    .select('interface', 'payload');
  const materials = new Map<string, { variety: string; grade: string; spec: string }>();
  for (const r of rows) {
    if (r.interface !== 'material') continue;
    const m = JSON.parse(r.payload) as { code: string; variety: string; grade: string; spec: string };
    materials.set(m.code, { variety: m.variety, grade: m.grade, spec: m.spec });
  }
  const out = new Map<string, SupplyFigure>();
  const add = (code: string, inventoryKg: number, productionKg: number) => {
    const m = materials.get(code);
    if (!m) return;
    const key = `${m.variety}|${m.grade}|${m.spec}`;
    const f = out.get(key) ?? { ...m, inventoryKg: 0, productionKg: 0 };
    f.inventoryKg += inventoryKg;
    f.productionKg += productionKg;
    out.set(key, f);
  };
  for (const r of rows) {
    if (r.interface === 'inventory') {
      const p = JSON.parse(r.payload) as { materialCode: string; availableKg: number };
      add(p.materialCode, p.availableKg, 0);
    } else if (r.interface === 'production_order') {
      const p = JSON.parse(r.payload) as { materialCode: string; plannedKg: number; producedKg: number; status: string };
      if (p.status === 'planned' || p.status === 'in_production') add(p.materialCode, 0, Math.max(0, p.plannedKg - p.producedKg));
    }
  }
  return [...out.values()];
}

export interface ContractErpDocuments {
  salesOrders: Record<string, any>[];
  productionOrders: Record<string, any>[];
  deliveries: Record<string, any>[];
  invoices: Record<string, any>[];
  /** material code → variety, for the materials the documents name */
  varieties: Map<string, string>;
  /** the newest sync time among the documents */
  asOf: string | null;
}

/**
 * The ERP's documents of one portal contract: its sales orders (by contract number), their production orders (by
 * sales order number), and the delivery notes and invoices that name the contract or one of its sales orders.
 */
export async function contractErpDocuments(db: Knex, contractNo: string): Promise<ContractErpDocuments> {
  const live = () => db('erp_records').where('deleted', false).select('interface', 'payload', 'synced_at');
  const orders: { payload: string; synced_at: string }[] = await live().where({ interface: 'sales_order', contract_no: contractNo });
  const orderNos = orders.map((o) => JSON.parse(o.payload).orderNo as string);
  const byOrder = (iface: string) =>
    orderNos.length ? live().where('interface', iface).whereIn('order_no', orderNos) : Promise.resolve([] as { payload: string; synced_at: string }[]);
  const byContractOrOrder = (iface: string) =>
    live()
      .where('interface', iface)
      .where((q) => {
        q.where('contract_no', contractNo);
        if (orderNos.length) q.orWhereIn('order_no', orderNos);
      });
  const [production, deliveries, invoices] = await Promise.all([byOrder('production_order'), byContractOrOrder('delivery_note'), byContractOrOrder('invoice')]);
  const all = [...orders, ...production, ...deliveries, ...invoices];
  const parse = (rows: { payload: string }[]) => rows.map((r) => JSON.parse(r.payload) as Record<string, any>);
  const p = { salesOrders: parse(orders), productionOrders: parse(production), deliveries: parse(deliveries), invoices: parse(invoices) };
  const codes = new Set<string>();
  for (const o of p.salesOrders) for (const l of o.lines ?? []) codes.add(l.materialCode);
  for (const o of p.productionOrders) codes.add(o.materialCode);
  for (const d of p.deliveries) for (const l of d.lines ?? []) codes.add(l.materialCode);
  const varieties = new Map<string, string>();
  if (codes.size) {
    const mats: { doc_key: string; payload: string }[] = await db('erp_records').where('interface', 'material').whereIn('doc_key', [...codes]).select('doc_key', 'payload');
    for (const m of mats) varieties.set(m.doc_key, JSON.parse(m.payload).variety);
  }
  const asOf = all.reduce<string | null>((max, r) => (max === null || r.synced_at > max ? r.synced_at : max), null);
  return { ...p, varieties, asOf: iso(asOf) };
}

/** Shipped kilograms per portal contract number, from the delivery notes that name it. */
export async function shippedByContract(db: Knex, contractNos: string[]): Promise<Map<string, number>> {
  if (!contractNos.length) return new Map();
  const rows: { contract_no: string; kg: string | number }[] = await db('erp_records')
    .where({ interface: 'delivery_note', deleted: false })
    .whereIn('contract_no', contractNos)
    .groupBy('contract_no')
    .select('contract_no')
    .sum({ kg: 'weight_kg' });
  return new Map(rows.map((r) => [r.contract_no, Number(r.kg ?? 0)]));
}

export interface OutboxState {
  delivered: boolean;
  ackState: 'pending' | 'accepted' | 'rejected';
  erpDocNo: string | null;
  rejectReason: string | null;
  ackedAt: string | null;
}

/** The ERP's answer to outbox entries, for the modules that wrote them. */
export async function outboxStates(db: Knex, ids: number[]): Promise<Map<number, OutboxState>> {
  if (!ids.length) return new Map();
  const rows = await db('outbox').whereIn('id', ids).select('id', 'delivered_at', 'ack_state', 'erp_doc_no', 'reject_reason', 'acked_at');
  return new Map(
    rows.map((r: any) => [
      Number(r.id),
      { delivered: Boolean(r.delivered_at), ackState: r.ack_state, erpDocNo: r.erp_doc_no ?? null, rejectReason: r.reject_reason ?? null, ackedAt: iso(r.acked_at) },
    ]),
  );
}

/**
 * The ERP's material for each contract line: the one active material of that variety, grade and spec (a blank grade
 * or spec matches any); null when none or several match, and the ERP then rejects the contract with its reason.
 * The material master is read once for all the lines.
 */
export async function materialCodesFor(db: Knex, lines: { variety: string; grade: string; spec: string }[]): Promise<(string | null)[]> {
  const rows: { doc_key: string; payload: string }[] = await db('erp_records').where({ interface: 'material', deleted: false }).select('doc_key', 'payload');
  const materials = rows.map((r) => ({ code: r.doc_key, ...(JSON.parse(r.payload) as { variety: string; grade: string; spec: string; active: boolean }) }));
  return lines.map(({ variety, grade, spec }) => {
    const hits = materials.filter((m) => m.active && m.variety === variety && (!grade || m.grade === grade) && (!spec || m.spec === spec));
    return hits.length === 1 ? hits[0].code : null;
  });
}

export interface SyncedDocument {
  docKey: string;
  deleted: boolean;
  payload: string | null;
  payloadHash: string | null;
  /** the stored DATETIME text, for the reader's cursor */
  syncedAt: string;
}

/**
 * One interface's documents synced at or after `since` (a stored synced_at text), ordered by synced_at then doc key,
 * after the (syncedAt, docKey) cursor when given: for modules that build their own tables from ERP documents.
 * A document released from waiting keeps its old staging id but gets a new synced_at, so readers follow synced_at.
 */
export async function documentsSyncedSince(
  db: Knex | Knex.Transaction,
  iface: InboundInterface,
  since: string,
  after: { syncedAt: string; docKey: string } | null,
  limit: number,
): Promise<SyncedDocument[]> {
  const rows: { doc_key: string; deleted: number | boolean; payload: string | null; payload_hash: string | null; synced_at: unknown }[] = await db('erp_records')
    .select('doc_key', 'deleted', 'payload', 'payload_hash', 'synced_at')
    .where('interface', iface)
    .andWhere('synced_at', '>=', since)
    .modify((q) => {
      if (after) q.andWhere((w) => w.where('synced_at', '>', after.syncedAt).orWhere((x) => x.where('synced_at', after.syncedAt).andWhere('doc_key', '>', after.docKey)));
    })
    .orderBy([{ column: 'synced_at' }, { column: 'doc_key' }])
    .limit(limit);
  return rows.map((r) => ({
    docKey: r.doc_key,
    deleted: Boolean(Number(r.deleted)),
    payload: r.payload === null ? null : String(r.payload),
    payloadHash: r.payload_hash ?? null,
    syncedAt: r.synced_at instanceof Date ? toDbTime(r.synced_at) : String(r.synced_at),
  }));
}
