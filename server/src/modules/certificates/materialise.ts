// Turns one ERP certificate payload into the rows the portal stores: the header, and per batch its identifiers and
// every result with its limits (the certificate's own, else the standard's) and in/out of specification. Pure: no
// database here, so the rules can be read and tested on their own.
import {
  DEFAULT_CERTIFICATE_DOCUMENT_TYPE,
  MECHANICAL_FIELDS,
  type CertificateBatch,
  type CertificateDocumentType,
  type Chemistry,
  type MechanicalField,
  type QualityCertificatePayload,
  type ResultGroup,
  type ResultOperator,
} from '../../../../shared/erp/payloads.js';
import type { IdentifierKind } from '../../../../shared/api/certificates.js';
import { inSpec } from './decimal.js';
import { limitFor, requirementFor, type Requirement } from './requirements.js';

export type Verdict = '合格' | '不合格';

export interface ResultRow {
  group: ResultGroup;
  symbol: string;
  kind: 'measured' | 'verdict';
  /** as sent: a decimal string, or the verdict of a judged test */
  valueText: string;
  operator: ResultOperator | null;
  unit: string | null;
  min: string | null;
  max: string | null;
  limitSource: 'certificate' | 'standard' | null;
  method: string | null;
  inSpec: boolean | null;
}

export interface BatchRows {
  heatNo: string;
  batchNo: string;
  grade: string;
  spec: string;
  pieces: number;
  weightKg: number;
  result: Verdict;
  resultSource: 'erp' | 'derived';
  identifiers: { kind: IdentifierKind; value: string }[];
  results: ResultRow[];
}

export interface CertificateRows {
  certificateNo: string;
  documentType: CertificateDocumentType;
  issueDate: string;
  standard: string;
  productName: string;
  customerCode: string;
  contractNo: string | null;
  deliveryNo: string | null;
  salesOrderNo: string | null;
  vehicleNo: string | null;
  inspector: string;
  batches: BatchRows[];
}

const CHEMISTRY_ORDER: (keyof Chemistry)[] = ['C', 'Si', 'Mn', 'P', 'S', 'Ceq', 'V', 'Nb', 'Cr', 'Ni', 'Cu'];
const MECHANICAL_ORDER: MechanicalField[] = ['yieldMpa', 'tensileMpa', 'elongationPct', 'agtPct', 'tensileToYield', 'impactJ'];
/** the bend test of `mechanical.bend`, as a judged test */
const BEND = '弯曲';

type Draft = Omit<ResultRow, 'min' | 'max' | 'limitSource' | 'inSpec'> & { min: string | null; max: string | null };

function measured(group: ResultGroup, symbol: string, value: string, unit: string | null): Draft {
  return { group, symbol, kind: 'measured', valueText: value, operator: null, unit, min: null, max: null, method: null };
}

/** The results of one batch in print order: chemistry, mechanical, then further results and judged tests. */
function batchResults(b: CertificateBatch, req: Requirement | null): ResultRow[] {
  const drafts: Draft[] = [];
  for (const el of CHEMISTRY_ORDER) {
    const v = b.chemistry[el];
    if (v !== undefined) drafts.push(measured('chemical', el, v, '%'));
  }
  for (const field of MECHANICAL_ORDER) {
    const v = b.mechanical[field];
    if (v === undefined) continue;
    const m = MECHANICAL_FIELDS[field];
    const symbols = m.symbols as readonly string[];
    // The ERP's own symbol for the measurement wins (ReH on a GB/T 700 plate), then the standard's, then the default.
    const sent = b.results?.find((r) => r.group === 'mechanical' && symbols.includes(r.symbol))?.symbol;
    const symbol = sent ?? (field === 'yieldMpa' && req ? req.yieldSymbol : symbols[0]);
    drafts.push(measured('mechanical', symbol, v, m.unit || null));
  }
  for (const r of b.results ?? []) {
    const row: Draft = {
      group: r.group,
      symbol: r.symbol,
      kind: 'measured',
      valueText: r.value,
      operator: r.operator ?? null,
      unit: r.unit ?? null,
      min: r.min ?? null,
      max: r.max ?? null,
      method: r.method ?? null,
    };
    const at = drafts.findIndex((d) => d.group === r.group && d.symbol === r.symbol);
    // The detailed result replaces the plain field it repeats (the payload rules hold them to the same value).
    if (at >= 0) drafts[at] = { ...row, unit: row.unit ?? drafts[at].unit };
    else drafts.push(row);
  }
  const judged = [{ name: BEND, result: b.mechanical.bend, method: undefined as string | undefined }, ...(b.otherTests ?? [])];
  for (const t of judged) {
    const row: Draft = { group: 'other', symbol: t.name, kind: 'verdict', valueText: t.result, operator: null, unit: null, min: null, max: null, method: t.method ?? null };
    const at = drafts.findIndex((d) => d.kind === 'verdict' && d.symbol === t.name);
    if (at >= 0) drafts[at] = row;
    else drafts.push(row);
  }
  return drafts.map((d): ResultRow => {
    if (d.kind === 'verdict') return { ...d, limitSource: null, inSpec: d.valueText === '合格' };
    if (d.min !== null || d.max !== null) return { ...d, limitSource: 'certificate', inSpec: inSpec(d.valueText, d.operator, d.min, d.max) };
    const l = limitFor(req, d.group, d.symbol);
    if (!l) return { ...d, limitSource: null, inSpec: null };
    const min = l.min ?? null;
    const max = l.max ?? null;
    return { ...d, min, max, limitSource: 'standard', inSpec: inSpec(d.valueText, d.operator, min, max) };
  });
}

function identifiersOf(b: CertificateBatch): BatchRows['identifiers'] {
  const out: BatchRows['identifiers'] = [];
  const add = (kind: IdentifierKind, value: string) => {
    if (!out.some((i) => i.kind === kind && i.value === value)) out.push({ kind, value });
  };
  add('heat', b.heatNo);
  add('batch', b.batchNo);
  for (const c of b.coilNos ?? []) add('coil', c);
  for (const c of b.bundleNos ?? []) add('bundle', c);
  return out;
}

export function certificateRows(p: QualityCertificatePayload): CertificateRows {
  return {
    certificateNo: p.certificateNo,
    documentType: p.documentType ?? DEFAULT_CERTIFICATE_DOCUMENT_TYPE,
    issueDate: p.issueDate,
    standard: p.standard,
    productName: p.productName,
    customerCode: p.customerCode,
    contractNo: p.contractNo ?? null,
    deliveryNo: p.deliveryNo ?? null,
    salesOrderNo: p.salesOrderNo ?? null,
    vehicleNo: p.vehicleNo ?? null,
    inspector: p.inspector,
    batches: p.batches.map((b) => {
      const results = batchResults(b, requirementFor(p.standard, b.grade));
      // Without the mill's verdict, a batch with any result out of specification is 不合格.
      const derived: Verdict = results.some((r) => r.inSpec === false) ? '不合格' : '合格';
      return {
        heatNo: b.heatNo,
        batchNo: b.batchNo,
        grade: b.grade,
        spec: b.spec,
        pieces: b.pieces,
        weightKg: b.weightKg,
        result: b.result ?? derived,
        resultSource: b.result ? 'erp' : 'derived',
        identifiers: identifiersOf(b),
        results,
      };
    }),
  };
}
