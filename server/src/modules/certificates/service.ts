// Quality certificates (质保书): built from the ERP's certificate documents after every sync, searched and read by
// the access of the caller, exported as EN 10168 JSON, withdrawn by quality staff; and what printing needs.
import type { Knex } from 'knex';
import type {
  CertificateBatchView,
  CertificateDetail,
  CertificateListQuery,
  CertificatePage,
  CertificateResultView,
  CertificateSummary,
  En10168Document,
  En10168Item,
  En10168Measurement,
  Withdrawal,
} from '../../../../shared/api/certificates.js';
import type { QualityCertificatePayload } from '../../../../shared/erp/payloads.js';
import { fromDbTime, nowDb } from '../../db/knex.js';
import { Conflict, NotFound } from '../../errors.js';
import { audit, type Actor } from '../../plugins/audit.js';
import type { Principal } from '../../plugins/access.js';
import { documentsSyncedSince } from '../erp-sync/service.js';
import { certificateRows } from './materialise.js';
import * as store from './store.js';

const CURSOR = 'erp.cursor';
const PAGE = 200;
/** Documents synced this long before the cursor are read again (hash-checked, so unchanged ones cost a lookup):
 * a sync on another host whose clock is behind cannot slip a document in behind the cursor. */
const OVERLAP_MS = 5 * 60_000;
export const ERP_WITHDRAWER = 'erp';

export interface MaterialiseResult {
  upserted: number;
  unchanged: number;
  withdrawn: number;
  linked: number;
}

const shift = (dbTime: string, ms: number) => new Date(new Date(dbTime.replace(' ', 'T') + 'Z').getTime() + ms).toISOString().replace('T', ' ').replace('Z', '');

/**
 * Applies the certificate documents the sync changed since the last run: a new or changed payload (by its hash)
 * replaces the certificate's rows, a deleted document withdraws it (by the ERP), an unchanged one is skipped, so a
 * second run changes nothing. One transaction per page, the cursor saved in it.
 */
export async function materialiseCertificates(db: Knex): Promise<MaterialiseResult> {
  const out: MaterialiseResult = { upserted: 0, unchanged: 0, withdrawn: 0, linked: 0 };
  out.linked = await store.linkUnmatchedCustomers(db);
  const saved = await store.readState(db, CURSOR);
  const since = saved ? shift(JSON.parse(saved).syncedAt, -OVERLAP_MS) : '1970-01-01 00:00:00.000';
  let after: { syncedAt: string; docKey: string } | null = null;
  for (;;) {
    const docs = await documentsSyncedSince(db, 'quality_certificate', since, after, PAGE);
    if (!docs.length) return out;
    await db.transaction(async (trx) => {
      for (const d of docs) {
        const have = await store.findByDocKey(trx, d.docKey);
        if (d.deleted || d.payload === null) {
          if (have && (await store.markWithdrawn(trx, have.id, ERP_WITHDRAWER, 'ERP 已删除该质保书 / deleted by the ERP', nowDb()))) out.withdrawn++;
          else out.unchanged++;
          continue;
        }
        if (have && have.payload_hash === d.payloadHash && have.withdrawn_by !== ERP_WITHDRAWER) {
          out.unchanged++;
          continue;
        }
        await store.replaceCertificate(trx, d.docKey, d.payloadHash ?? '', certificateRows(JSON.parse(d.payload) as QualityCertificatePayload), d.syncedAt);
        out.upserted++;
      }
      const last = docs[docs.length - 1];
      after = { syncedAt: last.syncedAt, docKey: last.docKey };
      const prev = saved ? (JSON.parse(saved) as { syncedAt: string }).syncedAt : '';
      // The cursor only moves forward: the overlap re-reads older rows without pulling it back.
      if (last.syncedAt > prev) await store.writeState(trx, CURSOR, JSON.stringify(after));
    });
    if (docs.length < PAGE) return out;
  }
}

// ---- views ----

const withdrawalOf = (c: store.CertificateRow): Withdrawal | null =>
  c.withdrawn_at ? { at: fromDbTime(c.withdrawn_at)!, by: c.withdrawn_by ?? '', reason: c.withdrawn_reason ?? '' } : null;

const customerOf = (c: store.CertificateRow) => ({ id: c.customer_id, code: c.customer_code, name: c.customer_name });

const overall = (batches: { result: string }[]) => (batches.some((b) => b.result === '不合格') ? '不合格' : '合格') as '合格' | '不合格';

export async function listCertificates(db: Knex, p: Principal, q: CertificateListQuery): Promise<CertificatePage> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const { rows, total } = await store.listCertificates(db, p, { ...q, page, pageSize });
  const batches = await store.batchesOf(db, rows.map((r) => r.id));
  const items = rows.map((c): CertificateSummary => {
    const mine = batches.filter((b) => b.certificate_id === c.id);
    const uniq = (xs: string[]) => [...new Set(xs)];
    return {
      id: c.id,
      certificateNo: c.certificate_no,
      documentType: c.document_type,
      issueDate: c.issue_date,
      standard: c.standard,
      productName: c.product_name,
      customer: customerOf(c),
      contractNo: c.contract_no,
      deliveryNo: c.delivery_no,
      vehicleNo: c.vehicle_no,
      grades: uniq(mine.map((b) => b.grade)),
      specs: uniq(mine.map((b) => b.spec)),
      heatNos: uniq(mine.map((b) => b.heat_no)),
      pieces: mine.reduce((s, b) => s + b.pieces, 0),
      weightKg: mine.reduce((s, b) => s + b.weight_kg, 0),
      result: overall(mine),
      withdrawal: withdrawalOf(c),
    };
  });
  return { items, total, page, pageSize };
}

async function detailOf(db: Knex | Knex.Transaction, c: store.CertificateRow): Promise<CertificateDetail> {
  const [batches, identifiers, results] = await Promise.all([store.batchesOf(db, [c.id]), store.identifiersOf(db, c.id), store.resultsOf(db, c.id)]);
  const views = batches.map((b): CertificateBatchView => {
    const ids = (kind: string) => identifiers.filter((i) => i.batch_id === b.id && i.kind === kind).map((i) => i.value);
    return {
      position: b.position,
      heatNo: b.heat_no,
      batchNo: b.batch_no,
      coilNos: ids('coil'),
      bundleNos: ids('bundle'),
      grade: b.grade,
      spec: b.spec,
      pieces: b.pieces,
      weightKg: b.weight_kg,
      result: b.result,
      resultSource: b.result_source,
      results: results
        .filter((r) => r.batch_id === b.id)
        .map(
          (r): CertificateResultView => ({
            group: r.result_group,
            symbol: r.symbol,
            kind: r.is_measured ? 'measured' : 'verdict',
            value: r.value_text,
            operator: r.operator,
            unit: r.unit,
            min: r.min_text,
            max: r.max_text,
            limitSource: r.limit_source,
            method: r.method,
            inSpec: r.in_spec,
          }),
        ),
    };
  });
  return {
    id: c.id,
    certificateNo: c.certificate_no,
    documentType: c.document_type,
    issueDate: c.issue_date,
    standard: c.standard,
    productName: c.product_name,
    customer: customerOf(c),
    contractNo: c.contract_no,
    deliveryNo: c.delivery_no,
    salesOrderNo: c.sales_order_no,
    vehicleNo: c.vehicle_no,
    inspector: c.inspector,
    pieces: views.reduce((s, b) => s + b.pieces, 0),
    weightKg: views.reduce((s, b) => s + b.weightKg, 0),
    result: overall(views),
    withdrawal: withdrawalOf(c),
    syncedAt: fromDbTime(c.synced_at)!,
    batches: views,
  };
}

const notFound = (id: number) => new NotFound('certificate.not_found', `No certificate ${id}`);

/** The certificate as issued; one the caller may not see is not found (its existence is not disclosed). */
export async function getCertificate(db: Knex, p: Principal, id: number): Promise<CertificateDetail> {
  const c = await store.findVisible(db, p, id);
  if (!c) throw notFound(id);
  return detailOf(db, c);
}

/** The certificates of a contract that the caller may see, newest first: for the contract page's link. */
export async function certificatesOfContract(db: Knex, p: Principal, contractNo: string): Promise<CertificateSummary[]> {
  const all: CertificateSummary[] = [];
  for (let page = 1; ; page++) {
    const r = await listCertificates(db, p, { contractNo, page, pageSize: 200 });
    all.push(...r.items);
    if (all.length >= r.total || !r.items.length) return all;
  }
}

// ---- EN 10168 ----

export const DOCUMENT_TYPE_TITLES: Record<CertificateDetail['documentType'], { zh: string; en: string }> = {
  '2.2': { zh: '检验报告 EN 10204 2.2', en: 'Test report EN 10204 2.2' },
  '3.1': { zh: '检验证书 EN 10204 3.1', en: 'Inspection certificate EN 10204 3.1' },
  '3.2': { zh: '检验证书 EN 10204 3.2', en: 'Inspection certificate EN 10204 3.2' },
  zh_quality_certificate: { zh: '质量证明书', en: 'Quality certificate (质量证明书)' },
};

/** EN 10168 group C fields of the tensile test by symbol; other mechanical results go to C16–C29 in order. */
const TENSILE: Record<string, string> = { ReL: 'C11', ReH: 'C11', 'Rp0.2': 'C11', Rm: 'C12', A: 'C13' };

function measurement(r: CertificateResultView): En10168Measurement {
  return {
    Property: r.symbol,
    Value: r.value,
    ...(r.operator ? { Operator: r.operator } : {}),
    ...(r.unit ? { Unit: r.unit } : {}),
    ...(r.min !== null ? { Minimum: r.min } : {}),
    ...(r.max !== null ? { Maximum: r.max } : {}),
    ...(r.method ? { Method: r.method } : {}),
    InSpec: r.inSpec,
  };
}

const field = (letter: string, n: number) => `${letter}${String(n).padStart(2, '0')}`;

function en10168Item(c: CertificateDetail, b: CertificateBatchView): En10168Item {
  const inspection: En10168Item['Inspection'] = { C00: b.heatNo };
  const other: En10168Item['OtherTests'] = {};
  let tensileExtra = 16;
  let otherMechanical = 50;
  let chemical = 71;
  let otherTest = 50;
  for (const r of b.results) {
    const m = measurement(r);
    if (r.group === 'chemical' && chemical <= 109) inspection[field('C', chemical++)] = m;
    else if (r.group === 'mechanical' && TENSILE[r.symbol] && !inspection[TENSILE[r.symbol]]) inspection[TENSILE[r.symbol]] = m;
    else if (r.group === 'mechanical' && /^K[UV]/.test(r.symbol) && !inspection.C43) inspection.C43 = m;
    else if (r.group === 'mechanical' && tensileExtra <= 29 && r.symbol !== 'HBW') inspection[field('C', tensileExtra++)] = m;
    else if (r.group === 'mechanical' && otherMechanical <= 69) inspection[field('C', otherMechanical++)] = m;
    else if (r.group === 'other' && otherTest <= 99) other[field('D', otherTest++)] = m;
  }
  return {
    ProductDescription: {
      B02: { SteelDesignation: b.grade, ProductNorm: c.standard },
      B07: { Heat: b.heatNo, Batch: b.batchNo, Coils: b.coilNos, Bundles: b.bundleNos },
      B08: b.pieces,
      B09: b.spec,
      B13: { Value: String(b.weightKg), Unit: 'kg' },
    },
    Inspection: inspection,
    OtherTests: other,
    Result: b.result,
  };
}

/** The certificate as EN 10168 groups (A commercial, B product, C inspection, D other tests, Z validation). */
export function en10168Of(c: CertificateDetail, mill: { name: string } | null): En10168Document {
  return {
    Standard: 'EN 10168:2004',
    CommercialTransaction: {
      A01: mill?.name ?? '',
      A02: DOCUMENT_TYPE_TITLES[c.documentType].en,
      A03: c.certificateNo,
      A06: { Name: c.customer.name, Code: c.customer.code },
      A07: c.contractNo,
      A08: c.salesOrderNo,
      A98: c.deliveryNo,
      ...(c.vehicleNo ? { A10: { Key: 'VehicleNo' as const, Value: c.vehicleNo } } : {}),
    },
    ProductDescription: { B01: c.productName },
    Items: c.batches.map((b) => en10168Item(c, b)),
    Validation: {
      Z01:
        c.result === '合格'
          ? `The products described above comply with ${c.standard}. 经检验，上述产品符合 ${c.standard} 标准要求。`
          : `Not every batch complies with ${c.standard}: see each item's result. 部分批次不符合 ${c.standard}，见各批检验结论。`,
      Z02: c.issueDate,
      Z03: { Name: c.inspector },
    },
    Withdrawal: c.withdrawal,
  };
}

export async function en10168(db: Knex, p: Principal, id: number): Promise<{ certificateNo: string; document: En10168Document }> {
  const c = await getCertificate(db, p, id);
  return { certificateNo: c.certificateNo, document: en10168Of(c, await store.millOf(db)) };
}

// ---- withdrawal ----

/** Quality staff withdraw a certificate with a reason (e.g. after a correction from the ERP); verification then says so. */
export async function withdraw(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, reason: string): Promise<CertificateDetail> {
  const c = await store.findVisible(trx, p, id);
  if (!c) throw notFound(id);
  if (c.withdrawn_at) throw new Conflict('certificate.already_withdrawn', `Certificate ${c.certificate_no} was withdrawn already`, { withdrawal: withdrawalOf(c) });
  await store.markWithdrawn(trx, id, p.username, reason, nowDb());
  await audit(trx, actor, { action: 'certificate.withdraw', entity: 'certificate', entityId: id, details: { certificateNo: c.certificate_no, reason } });
  return detailOf(trx, (await store.findCertificate(trx, id))!);
}

// ---- printing ----

export interface CertificateForPrint {
  certificate: CertificateDetail;
  /** the issuing mill (A01) */
  mill: { name: string; code: string; address: string | null; creditCode: string | null } | null;
  /** the document's printed title in both languages */
  title: { zh: string; en: string };
  /** EN 10168 Z01: the statement of compliance printed above the signature */
  statement: string;
}

/**
 * Everything the printed certificate shows, without a caller scope: the print service authorises the copy first.
 * Values are the ERP's texts, so the PDF prints "0.0050" as sent.
 */
export async function certificateForPrint(db: Knex | Knex.Transaction, id: number): Promise<CertificateForPrint> {
  const c = await store.findCertificate(db, id);
  if (!c) throw notFound(id);
  const certificate = await detailOf(db, c);
  const mill = await store.millOf(db);
  return { certificate, mill, title: DOCUMENT_TYPE_TITLES[c.document_type], statement: en10168Of(certificate, mill).Validation.Z01 };
}
