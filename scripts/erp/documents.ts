// Builders shared by the world generator and the follow mode: calendar days in China time, heats and batches,
// truck/wagon/barge loads, and the payloads of orders, deliveries, certificates and invoices.
import type {
  CertificateBatch,
  Chemistry,
  DeliveryLine,
  DeliveryNotePayload,
  InvoicePayload,
  Mechanical,
  QualityCertificatePayload,
  SalesOrderLine,
  SalesOrderPayload,
} from '../../shared/erp/payloads.js';
import { batchMechanical, heatChemistry, type Product } from './catalogue.js';
import type { Transport } from './parties.js';
import type { Rng } from './rng.js';

// --- calendar: a "day" is the number of days since 1970-01-01 of a date in China (UTC+8, no DST) ---------------

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

export const chinaDay = (d: Date): number => Math.floor((d.getTime() + CHINA_OFFSET_MS) / DAY_MS);
export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const ymd = (day: number): string => isoDay(day).replace(/-/g, '');
export const ym = (day: number): string => ymd(day).slice(0, 6);
export const yy = (day: number): string => ymd(day).slice(2, 4);
/** first day of the month `n` months after the month of `day` */
export function monthStart(day: number, n = 0): number {
  const d = new Date(day * DAY_MS);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1) / DAY_MS);
}
export const monthEnd = (day: number): number => monthStart(day, 1) - 1;
/** ISO timestamp with the China offset, e.g. 2026-11-23T16:05:00+08:00 */
export function stamp(day: number, minute: number): string {
  const h = Math.floor(minute / 60);
  const m = minute % 60;
  return `${isoDay(day)}T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00+08:00`;
}
/** the China-time day and minute of an instant */
export function dayMinute(d: Date): { day: number; minute: number } {
  const ms = d.getTime() + CHINA_OFFSET_MS;
  return { day: Math.floor(ms / DAY_MS), minute: Math.floor((ms % DAY_MS) / 60_000) };
}

// --- heats and batches ----------------------------------------------------------------------------------------

interface Heat {
  heatNo: string;
  leftKg: number;
  usedKg: number;
}

/** Heats by furnace: each product draws from its current heat until it is used up, then a new heat is cast. */
export class HeatPool {
  private counters = new Map<string, number>();
  private current = new Map<string, Heat>();

  constructor(
    private readonly rng: Rng,
    private readonly firstCounter: number,
  ) {}

  private next(product: Product, day: number): Heat {
    const c = (this.counters.get(product.furnace) ?? this.firstCounter + this.rng.int(0, 900)) + this.rng.int(1, 6);
    this.counters.set(product.furnace, c);
    const heat = { heatNo: `${yy(day)}${product.furnace}${String(c % 100_000).padStart(5, '0')}`, leftKg: this.rng.int(product.heatT[0], product.heatT[1]) * 1000, usedKg: 0 };
    this.current.set(product.material.code, heat);
    return heat;
  }

  /** Takes kg from the product's current heat (a new heat when too little is left); returns the heat and batch. */
  take(product: Product, kg: number, day: number): { heatNo: string; batchNo: string } {
    let h = this.current.get(product.material.code);
    if (!h || h.leftKg < kg / 2) h = this.next(product, day);
    // GB/T 1499 and the wire-rod standards: a batch is one heat, at most 60 t; plates and coils: one batch per heat.
    const batch = product.material.variety === 'rebar' || product.material.variety === 'wire_rod' ? Math.floor(h.usedKg / 60_000) + 1 : 1;
    h.leftKg -= kg;
    h.usedKg += kg;
    return { heatNo: h.heatNo, batchNo: `${h.heatNo}-${String(batch).padStart(2, '0')}` };
  }
}

export interface LoadPart {
  heatNo: string;
  batchNo: string;
  pieces: number;
  weightKg: number;
}

export const LOAD_KG: Record<Transport, [number, number]> = {
  truck: [30_000, 35_000], // a semi-trailer's legal payload
  rail: [58_000, 62_000], // a C70 open wagon, loaded to about 60 t
  ship: [800_000, 1_500_000], // a Yangtze barge
};

/**
 * One vehicle's load of a product, at most `leftKg`: bars and plates by count at theoretical weight, coils weighed
 * one by one. Split by heat (and batch), one part per delivery line. Empty when less than half a piece is left.
 */
export function cutLoad(product: Product, transport: Transport, leftKg: number, heats: HeatPool, rng: Rng, day: number): LoadPart[] {
  const [lo, hi] = LOAD_KG[transport];
  const target = Math.min(leftKg, rng.int(lo, hi));
  const parts: LoadPart[] = [];
  const add = (heatNo: string, batchNo: string, pieces: number, weightKg: number) => {
    const last = parts[parts.length - 1];
    if (last && last.batchNo === batchNo) {
      last.pieces += pieces;
      last.weightKg += weightKg;
    } else parts.push({ heatNo, batchNo, pieces, weightKg });
  };
  if (target < product.pieceKg / 2) return parts;
  if (product.coil) {
    const n = Math.max(1, Math.round(target / product.pieceKg));
    for (let i = 0; i < n; i++) {
      const w = Math.round(product.pieceKg * rng.real(0.94, 1.06));
      const h = heats.take(product, w, day);
      add(h.heatNo, h.batchNo, 1, w);
    }
  } else {
    let pieces = Math.max(1, Math.floor(target / product.pieceKg));
    // A bundle or plate at a time so that a heat boundary falls between pieces.
    const step = Math.max(1, Math.round(product.material.variety === 'rebar' ? 2500 / product.pieceKg : 1));
    while (pieces > 0) {
      const p = Math.min(pieces, step);
      const w = Math.round(p * product.pieceKg);
      const h = heats.take(product, w, day);
      add(h.heatNo, h.batchNo, p, w);
      pieces -= p;
    }
    // Theoretical weight of the whole part, not the sum of rounded bundles.
    for (const part of parts) part.weightKg = Math.round(part.pieces * product.pieceKg);
  }
  return parts;
}

const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
export function vehicleNo(transport: Transport, rng: Rng): string {
  if (transport === 'rail') return `C70-${rng.int(1_500_000, 1_799_999)}`;
  if (transport === 'ship') return `${rng.pick(['苏张家港货', '苏南通货', '苏扬州货', '皖马鞍山货', '赣九江货', '鄂武汉货'])}${rng.int(1000, 9999)}`;
  const prefix = rng.pickWeighted([['苏E', 6], ['苏B', 1], ['苏F', 1], ['皖A', 1], ['浙A', 1], ['鲁Q', 1]] as const);
  return rng.chance(0.7) ? `${prefix}${rng.int(10_000, 99_999)}` : `${prefix}${PLATE_LETTERS[rng.int(0, PLATE_LETTERS.length - 1)]}${rng.int(1000, 9999)}`;
}

// --- payloads -------------------------------------------------------------------------------------------------

/** Line amount: quantity (kg) × price per tonne (fen) / 1000, rounded to the fen. */
export const lineAmountFen = (quantityKg: number, unitPriceFen: number) => Math.round((quantityKg * unitPriceFen) / 1000);

export function orderLine(lineNo: number, product: Product, quantityKg: number, unitPriceFen: number): SalesOrderLine {
  const m = product.material;
  return { lineNo, materialCode: m.code, grade: m.grade, spec: m.spec, quantityKg, unitPriceFen, amountFen: lineAmountFen(quantityKg, unitPriceFen) };
}

export function salesOrder(o: { orderNo: string; day: number; customerCode: string; contractNo?: string; status?: SalesOrderPayload['status']; lines: SalesOrderLine[] }): SalesOrderPayload {
  return {
    orderNo: o.orderNo,
    orderDate: isoDay(o.day),
    customerCode: o.customerCode,
    ...(o.contractNo ? { contractNo: o.contractNo } : {}),
    status: o.status ?? 'open',
    lines: o.lines,
    totalWeightKg: o.lines.reduce((s, l) => s + l.quantityKg, 0),
    totalAmountFen: o.lines.reduce((s, l) => s + l.amountFen, 0),
  };
}

export function deliveryNote(o: {
  deliveryNo: string;
  day: number;
  customerCode: string;
  contractNo?: string;
  salesOrderNo: string;
  destination: DeliveryNotePayload['destination'];
  transport: Transport;
  vehicleNo: string;
  product: Product;
  parts: LoadPart[];
}): DeliveryNotePayload {
  const m = o.product.material;
  // One line per heat: the batches of a heat are listed on the certificate, not on the delivery note.
  const lines: DeliveryLine[] = [];
  for (const p of o.parts) {
    const last = lines[lines.length - 1];
    if (last && last.heatNo === p.heatNo) {
      last.pieces += p.pieces;
      last.weightKg += p.weightKg;
    } else lines.push({ lineNo: lines.length + 1, materialCode: m.code, grade: m.grade, spec: m.spec, heatNo: p.heatNo, pieces: p.pieces, weightKg: p.weightKg });
  }
  return {
    deliveryNo: o.deliveryNo,
    deliveryDate: isoDay(o.day),
    customerCode: o.customerCode,
    ...(o.contractNo ? { contractNo: o.contractNo } : {}),
    salesOrderNo: o.salesOrderNo,
    destination: o.destination,
    transport: o.transport,
    vehicleNo: o.vehicleNo,
    lines,
    totalWeightKg: lines.reduce((s, l) => s + l.weightKg, 0),
  };
}

const INSPECTORS = ['赵敏', '钱立新', '孙海燕', '周国平', '吴晓东'];

/** Test results are per heat (chemistry) and per batch (mechanical), the same on every certificate that cites them. */
export class Lab {
  private chem = new Map<string, Chemistry>();
  private mech = new Map<string, Mechanical>();
  constructor(private readonly rng: Rng) {}

  chemistry(heatNo: string, grade: string): Chemistry {
    let c = this.chem.get(heatNo);
    if (!c) this.chem.set(heatNo, (c = heatChemistry(grade, this.rng)));
    return c;
  }

  mechanical(batchNo: string, grade: string): Mechanical {
    let m = this.mech.get(batchNo);
    if (!m) this.mech.set(batchNo, (m = batchMechanical(grade, this.rng)));
    return m;
  }

  inspector(): string {
    return this.rng.pick(INSPECTORS);
  }
}

/** Sulphur below this is printed "S < 0.005": the spark spectrometer's limit of quantification (GB/T 4336-2016). */
const S_LIMIT = '0.005';

/** A batch's chemistry as printed: a sulphur content under the method's limit becomes "< 0.005" in `results`. */
export function printedChemistry(c: Chemistry): Pick<CertificateBatch, 'chemistry' | 'results'> {
  if (Number(c.S) >= Number(S_LIMIT)) return { chemistry: c };
  return {
    chemistry: { ...c, S: S_LIMIT },
    results: [{ group: 'chemical', symbol: 'S', value: S_LIMIT, operator: '<', unit: '%', method: 'GB/T 4336-2016' }],
  };
}

/**
 * Document types as Chinese mills issue them: plates and coils an EN 10204 3.1 certificate (they are also sold to
 * fabricators working to EN codes), bars the 质量证明书; wire rod leaves the field out, as the ERP did before it existed.
 */
function documentTypeOf(p: Product): Pick<QualityCertificatePayload, 'documentType'> {
  const v = p.material.variety;
  if (v === 'plate' || v === 'hot_rolled_coil') return { documentType: '3.1' };
  if (v === 'wire_rod') return {};
  return { documentType: 'zh_quality_certificate' };
}

export function certificate(o: { certificateNo: string; day: number; delivery: DeliveryNotePayload; product: Product; parts: LoadPart[]; lab: Lab }): QualityCertificatePayload {
  const m = o.product.material;
  const batches: CertificateBatch[] = o.parts.map((p) => ({
    heatNo: p.heatNo,
    batchNo: p.batchNo,
    grade: m.grade,
    spec: m.spec,
    pieces: p.pieces,
    weightKg: p.weightKg,
    ...printedChemistry(o.lab.chemistry(p.heatNo, m.grade)),
    mechanical: o.lab.mechanical(p.batchNo, m.grade),
  }));
  return {
    ...documentTypeOf(o.product),
    vehicleNo: o.delivery.vehicleNo,
    certificateNo: o.certificateNo,
    issueDate: isoDay(o.day),
    standard: o.product.certStandard,
    customerCode: o.delivery.customerCode,
    ...(o.delivery.contractNo ? { contractNo: o.delivery.contractNo } : {}),
    salesOrderNo: o.delivery.salesOrderNo,
    deliveryNo: o.delivery.deliveryNo,
    productName: m.name,
    batches,
    inspector: o.lab.inspector(),
  };
}

/** 13% VAT (增值税) split out of a tax-inclusive settlement amount, as Chinese steel prices are quoted. */
export function vatSplit(totalFen: number): { amountFen: number; taxFen: number; totalFen: number } {
  const amountFen = Math.round(totalFen / 1.13);
  return { amountFen, taxFen: totalFen - amountFen, totalFen };
}

export function invoice(o: { invoiceNo: string; day: number; termDays: number; customerCode: string; contractNo?: string; salesOrderNo?: string; totalFen: number }): InvoicePayload {
  return {
    invoiceNo: o.invoiceNo,
    invoiceDate: isoDay(o.day),
    dueDate: isoDay(o.day + o.termDays),
    customerCode: o.customerCode,
    ...(o.contractNo ? { contractNo: o.contractNo } : {}),
    ...(o.salesOrderNo ? { salesOrderNo: o.salesOrderNo } : {}),
    ...vatSplit(o.totalFen),
    status: 'issued',
  };
}

/** Settlement value (tax included) of delivered lines at the order line's price. */
export function deliveredValueFen(d: DeliveryNotePayload, unitPriceFen: number): number {
  return d.lines.reduce((s, l) => s + lineAmountFen(l.weightKg, unitPriceFen), 0);
}

/** Numbered documents: prefix + date part + counter, e.g. FH202611050012. */
export class Numbering {
  private counters = new Map<string, number>();
  next(prefix: string, width = 4): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}${String(n).padStart(width, '0')}`;
  }
  /** continue after a number already used (follow mode reads the highest number from the staging store) */
  seen(prefix: string, n: number) {
    if (n > (this.counters.get(prefix) ?? 0)) this.counters.set(prefix, n);
  }
  has(prefix: string) {
    return this.counters.has(prefix);
  }
}

export const BANKS = ['ICBC', 'ABC', 'BOC', 'CCB', 'BOCOM', 'CMB', 'SPDB', 'CIB'];
export function bankRef(method: 'bank_transfer' | 'acceptance_bill', day: number, rng: Rng): string {
  if (method === 'acceptance_bill') {
    // An electronic commercial draft number: 30 digits, the first one 5 for a bank acceptance.
    let s = '5' + rng.pick(['102', '103', '104', '105', '301', '308']);
    while (s.length < 30) s += String(rng.int(0, 9));
    return s;
  }
  return `${rng.pick(BANKS)}${ymd(day)}${String(rng.int(0, 99_999_999)).padStart(8, '0')}`;
}
