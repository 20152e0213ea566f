// Data access for quality certificates: replacing a certificate's rows from the ERP, withdrawal, the scoped search
// and the full certificate with its batches, identifiers and results.
import type { Knex } from 'knex';
import type { CertificateListQuery, IdentifierKind } from '../../../../shared/api/certificates.js';
import type { CertificateDocumentType, ResultGroup, ResultOperator } from '../../../../shared/erp/payloads.js';
import { LIKE, likePrefix } from '../../db/knex.js';
import { scopeToCustomers, type Principal } from '../../plugins/access.js';
import type { CertificateRows, Verdict } from './materialise.js';

type Db = Knex | Knex.Transaction;

/** Rows per multi-row insert: SQLite compiles one to a compound SELECT of at most 500 terms. */
const CHUNK = 400;

export interface CertificateRow {
  id: number;
  certificate_no: string;
  erp_doc_key: string;
  payload_hash: string;
  document_type: CertificateDocumentType;
  issue_date: string;
  standard: string;
  product_name: string;
  customer_code: string;
  customer_id: number | null;
  customer_name: string | null;
  contract_no: string | null;
  delivery_no: string | null;
  sales_order_no: string | null;
  vehicle_no: string | null;
  inspector: string;
  withdrawn_at: string | null;
  withdrawn_by: string | null;
  withdrawn_reason: string | null;
  synced_at: string;
}

export interface BatchRow {
  id: number;
  certificate_id: number;
  position: number;
  heat_no: string;
  batch_no: string;
  grade: string;
  spec: string;
  pieces: number;
  weight_kg: number;
  result: Verdict;
  result_source: 'erp' | 'derived';
}

export interface IdentifierRow {
  batch_id: number;
  kind: IdentifierKind;
  value: string;
}

export interface ResultDbRow {
  batch_id: number;
  position: number;
  result_group: ResultGroup;
  symbol: string;
  value_text: string;
  /** null for a judged test */
  is_measured: boolean;
  operator: ResultOperator | null;
  unit: string | null;
  min_text: string | null;
  max_text: string | null;
  limit_source: 'certificate' | 'standard' | null;
  method: string | null;
  in_spec: boolean | null;
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const bool = (v: unknown) => (v === null || v === undefined ? null : Boolean(Number(v)));

const toCertificate = (r: Record<string, unknown>): CertificateRow => ({
  id: Number(r.id),
  certificate_no: String(r.certificate_no),
  erp_doc_key: String(r.erp_doc_key),
  payload_hash: String(r.payload_hash),
  document_type: r.document_type as CertificateDocumentType,
  issue_date: String(r.issue_date),
  standard: String(r.standard),
  product_name: String(r.product_name),
  customer_code: String(r.customer_code),
  customer_id: r.customer_id === null ? null : Number(r.customer_id),
  customer_name: str(r.customer_name),
  contract_no: str(r.contract_no),
  delivery_no: str(r.delivery_no),
  sales_order_no: str(r.sales_order_no),
  vehicle_no: str(r.vehicle_no),
  inspector: String(r.inspector),
  withdrawn_at: str(r.withdrawn_at),
  withdrawn_by: str(r.withdrawn_by),
  withdrawn_reason: str(r.withdrawn_reason),
  synced_at: String(r.synced_at),
});

// ---- from the ERP ----

export async function findByDocKey(db: Db, docKey: string): Promise<{ id: number; payload_hash: string; withdrawn_by: string | null } | undefined> {
  const r = await db('certificates').where('erp_doc_key', docKey).first('id', 'payload_hash', 'withdrawn_by');
  return r ? { id: Number(r.id), payload_hash: String(r.payload_hash), withdrawn_by: str(r.withdrawn_by) } : undefined;
}

/**
 * Writes a certificate as the ERP now sends it: the header upserted by document key, its batches, identifiers and
 * results deleted and inserted again. Runs in the caller's transaction, so a reader sees the old or the new one.
 * A withdrawal by the ERP (a deleted document sent again) is lifted; one by quality staff stays.
 */
export async function replaceCertificate(trx: Knex.Transaction, docKey: string, hash: string, c: CertificateRows, syncedAt: string): Promise<number> {
  const header = {
    certificate_no: c.certificateNo,
    erp_doc_key: docKey,
    payload_hash: hash,
    document_type: c.documentType,
    issue_date: c.issueDate,
    standard: c.standard,
    product_name: c.productName,
    customer_code: c.customerCode,
    customer_id: trx('organisations').select('id').where({ kind: 'customer', code: c.customerCode }).limit(1),
    contract_no: c.contractNo,
    delivery_no: c.deliveryNo,
    sales_order_no: c.salesOrderNo,
    vehicle_no: c.vehicleNo,
    inspector: c.inspector,
    synced_at: syncedAt,
  };
  const existing = await findByDocKey(trx, docKey);
  let id: number;
  if (existing) {
    id = existing.id;
    const lift = existing.withdrawn_by === 'erp' ? { withdrawn_at: null, withdrawn_by: null, withdrawn_reason: null } : {};
    await trx('certificates').where('id', id).update({ ...header, ...lift });
    await trx('certificate_results').where('certificate_id', id).delete();
    await trx('certificate_identifiers').where('certificate_id', id).delete();
    await trx('certificate_batches').where('certificate_id', id).delete();
  } else {
    const [newId] = await trx('certificates').insert(header);
    id = Number(newId);
  }
  const identifiers: Record<string, unknown>[] = [];
  const results: Record<string, unknown>[] = [];
  for (const [i, b] of c.batches.entries()) {
    const [batchId] = await trx('certificate_batches').insert({
      certificate_id: id,
      position: i + 1,
      heat_no: b.heatNo,
      batch_no: b.batchNo,
      grade: b.grade,
      spec: b.spec,
      pieces: b.pieces,
      weight_kg: b.weightKg,
      result: b.result,
      result_source: b.resultSource,
    });
    for (const x of b.identifiers) identifiers.push({ certificate_id: id, batch_id: Number(batchId), kind: x.kind, value: x.value });
    for (const [j, r] of b.results.entries()) {
      const numeric = r.kind === 'measured';
      results.push({
        certificate_id: id,
        batch_id: Number(batchId),
        position: j + 1,
        result_group: r.group,
        symbol: r.symbol,
        value: numeric ? r.valueText : null,
        value_text: r.valueText,
        operator: r.operator,
        unit: r.unit,
        min: r.min,
        min_text: r.min,
        max: r.max,
        max_text: r.max,
        limit_source: r.limitSource,
        method: r.method,
        in_spec: r.inSpec,
      });
    }
  }
  for (let i = 0; i < identifiers.length; i += CHUNK) await trx('certificate_identifiers').insert(identifiers.slice(i, i + CHUNK));
  for (let i = 0; i < results.length; i += CHUNK) await trx('certificate_results').insert(results.slice(i, i + CHUNK));
  return id;
}

/** Marks a certificate withdrawn unless it already is; returns whether it changed. */
export async function markWithdrawn(trx: Db, id: number, by: string, reason: string, at: string): Promise<boolean> {
  const n = await trx('certificates').where('id', id).whereNull('withdrawn_at').update({ withdrawn_at: at, withdrawn_by: by, withdrawn_reason: reason });
  return n > 0;
}

/** Links certificates that arrived before their customer was matched to the portal customer of their ERP code. */
export async function linkUnmatchedCustomers(db: Db): Promise<number> {
  return db('certificates')
    .whereNull('customer_id')
    .whereExists((q) => q.select(db.raw('1')).from('organisations').where('kind', 'customer').whereRaw('organisations.code = certificates.customer_code'))
    .update({ customer_id: db('organisations').select('id').where('kind', 'customer').whereRaw('organisations.code = certificates.customer_code').limit(1) });
}

export async function readState(db: Db, name: string): Promise<string | null> {
  const r = await db('certificate_sync_state').where('name', name).first('value');
  return r ? String(r.value) : null;
}

export async function writeState(trx: Db, name: string, value: string): Promise<void> {
  await trx('certificate_sync_state').insert({ name, value }).onConflict('name').merge();
}

// ---- reading ----

function withCustomer(db: Db) {
  return db('certificates as c').leftJoin('organisations as o', 'o.id', 'c.customer_id').select('c.*', 'o.name as customer_name');
}

/** Certificates the principal may see: a customer its own, an account manager their customers', other staff all. */
export function visibleCertificates(db: Db, p: Principal) {
  return scopeToCustomers(withCustomer(db), p, 'c.customer_id');
}

export async function listCertificates(db: Db, p: Principal, f: CertificateListQuery & { page: number; pageSize: number }): Promise<{ rows: CertificateRow[]; total: number }> {
  const q = visibleCertificates(db, p);
  if (f.certificateNo) q.andWhereRaw(LIKE, ['c.certificate_no', likePrefix(f.certificateNo)]);
  if (f.contractNo) q.andWhere('c.contract_no', f.contractNo);
  if (f.deliveryNo) q.andWhere('c.delivery_no', f.deliveryNo);
  if (f.from) q.andWhere('c.issue_date', '>=', f.from);
  if (f.to) q.andWhere('c.issue_date', '<=', f.to);
  if (f.customerId) q.andWhere('c.customer_id', f.customerId);
  if (f.withdrawn !== undefined) q.andWhere((w) => (f.withdrawn ? w.whereNotNull('c.withdrawn_at') : w.whereNull('c.withdrawn_at')));
  if (f.heatNo) q.whereExists((s) => s.select(db.raw('1')).from('certificate_identifiers as i').whereRaw('i.certificate_id = c.id').andWhere('i.value', f.heatNo!));
  if (f.grade || f.spec) {
    q.whereExists((s) => {
      s.select(db.raw('1')).from('certificate_batches as b').whereRaw('b.certificate_id = c.id');
      if (f.grade) s.andWhere('b.grade', f.grade);
      if (f.spec) s.andWhere('b.spec', f.spec);
    });
  }
  const [{ n }] = await q.clone().clearSelect().count({ n: '*' });
  const rows = await q
    .orderBy([{ column: 'c.issue_date', order: 'desc' }, { column: 'c.id', order: 'desc' }])
    .limit(f.pageSize)
    .offset((f.page - 1) * f.pageSize);
  return { rows: rows.map(toCertificate), total: Number(n) };
}

export async function findVisible(db: Db, p: Principal, id: number): Promise<CertificateRow | undefined> {
  const r = await visibleCertificates(db, p).andWhere('c.id', id).first();
  return r ? toCertificate(r) : undefined;
}

/** One certificate without a caller scope: for printing and verification, which authorise on their own terms. */
export async function findCertificate(db: Db, id: number): Promise<CertificateRow | undefined> {
  const r = await withCustomer(db).where('c.id', id).first();
  return r ? toCertificate(r) : undefined;
}

export async function batchesOf(db: Db, certificateIds: number[]): Promise<BatchRow[]> {
  if (!certificateIds.length) return [];
  const rows = await db('certificate_batches').whereIn('certificate_id', certificateIds).orderBy(['certificate_id', 'position']);
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    certificate_id: Number(r.certificate_id),
    position: Number(r.position),
    heat_no: String(r.heat_no),
    batch_no: String(r.batch_no),
    grade: String(r.grade),
    spec: String(r.spec),
    pieces: Number(r.pieces),
    weight_kg: Number(r.weight_kg),
    result: r.result as Verdict,
    result_source: r.result_source as 'erp' | 'derived',
  }));
}

export async function identifiersOf(db: Db, certificateId: number): Promise<IdentifierRow[]> {
  const rows = await db('certificate_identifiers').where('certificate_id', certificateId).orderBy('id');
  return rows.map((r: Record<string, unknown>) => ({ batch_id: Number(r.batch_id), kind: r.kind as IdentifierKind, value: String(r.value) }));
}

/** Results in print order; the DECIMAL columns are not read back: the text columns are the values as issued. */
export async function resultsOf(db: Db, certificateId: number): Promise<ResultDbRow[]> {
  const rows = await db('certificate_results')
    .where('certificate_id', certificateId)
    .orderBy(['batch_id', 'position'])
    .select('batch_id', 'position', 'result_group', 'symbol', 'value_text', db.raw('(value is not null) as is_measured'), 'operator', 'unit', 'min_text', 'max_text', 'limit_source', 'method', 'in_spec');
  return rows.map((r: Record<string, unknown>) => ({
    batch_id: Number(r.batch_id),
    position: Number(r.position),
    result_group: r.result_group as ResultGroup,
    symbol: String(r.symbol),
    value_text: String(r.value_text),
    is_measured: Boolean(Number(r.is_measured)),
    operator: (r.operator as ResultOperator | null) ?? null,
    unit: str(r.unit),
    min_text: str(r.min_text),
    max_text: str(r.max_text),
    limit_source: (r.limit_source as 'certificate' | 'standard' | null) ?? null,
    method: str(r.method),
    in_spec: bool(r.in_spec),
  }));
}

/** The mill that issues the certificates (the portal's one organisation of kind 'mill'). */
export async function millOf(db: Db): Promise<{ name: string; code: string; address: string | null; creditCode: string | null } | null> {
  const r = await db('organisations').where('kind', 'mill').orderBy('id').first('name', 'code', 'address', 'credit_code');
  return r ? { name: String(r.name), code: String(r.code), address: str(r.address), creditCode: str(r.credit_code) } : null;
}
