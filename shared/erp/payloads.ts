// JSON schemas of the ten inbound ERP payloads (the contract with the mill's ERP, docs/erp-interfaces.md),
// their document keys, their parents, and the cross-field rules a schema cannot say. Money is integer fen (分),
// weight integer kilograms, measurements decimal strings: never floats (DESIGN.md §3).
import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { InboundInterface } from './interfaces.js';

const Obj = <T extends Record<string, TSchema>>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });
const Str = (max = 100) => Type.String({ minLength: 1, maxLength: max });
/** Integer kilograms; below 2^53 so that every value is exact in JSON and in a BIGINT column. */
const Kg = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'kilograms' });
const Fen = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'fen (0.01 yuan)' });
const Count = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const LineNo = Type.Integer({ minimum: 1, maximum: 9999 });
const Day = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'calendar date YYYY-MM-DD (China time)' });
const Instant = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'ISO 8601 timestamp with Z or an offset, e.g. 2026-11-23T16:00:00+08:00',
});
/** Measured values (percent, MPa, J) as decimal strings, exactly as printed on the certificate. */
const Dec = Type.String({ pattern: '^\\d{1,4}(\\.\\d{1,4})?$', description: 'decimal as a string, e.g. "0.21"' });
const Code = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,32}$', description: 'ERP code: letters, digits, _ . -' });
const ContractNo = Type.String({ minLength: 1, maxLength: 64, description: 'contract number (portal or ERP)' });
const Grade = Str(30);
const Spec = Str(60);

export const VARIETIES = ['rebar', 'wire_rod', 'hot_rolled_coil', 'plate', 'section', 'other'] as const;
export type Variety = (typeof VARIETIES)[number];

export const CustomerPayload = Obj(
  {
    code: Code,
    // name and address no longer than their organisations columns (128, 255): a longer one is quarantined with its
    // reason instead of failing the customer matching after the sync on MariaDB.
    name: Str(128),
    shortName: Type.Optional(Str(60)),
    // GB 32100-2015: 18 characters from the alphabet without I, O, S, V, Z.
    creditCode: Type.String({ pattern: '^[0-9A-HJ-NPQRTUWXY]{2}\\d{6}[0-9A-HJ-NPQRTUWXY]{10}$', description: '统一社会信用代码' }),
    province: Str(30),
    city: Str(30),
    address: Type.Optional(Str(255)),
    industry: Type.Optional(Str(60)),
    erpClass: Type.Optional(Str(30)),
    contacts: Type.Array(Obj({ name: Str(60), phone: Type.Optional(Str(30)), title: Type.Optional(Str(60)) }), { maxItems: 50 }),
    active: Type.Boolean(),
  },
  '客户主数据 customer master',
);

export const MaterialPayload = Obj(
  {
    code: Code,
    name: Str(100),
    variety: Type.Enum([...VARIETIES]),
    grade: Grade,
    spec: Spec,
    standard: Str(60),
    active: Type.Boolean(),
  },
  '物料主数据 material master',
);

export const SalesOrderLine = Obj({
  lineNo: LineNo,
  materialCode: Code,
  grade: Grade,
  spec: Spec,
  quantityKg: Kg,
  unitPriceFen: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'price per tonne in fen (含税单价)' }),
  amountFen: Fen,
});
export const SalesOrderPayload = Obj(
  {
    orderNo: Code,
    orderDate: Day,
    customerCode: Code,
    contractNo: Type.Optional(ContractNo),
    status: Type.Enum(['open', 'closed', 'cancelled']),
    lines: Type.Array(SalesOrderLine, { minItems: 1, maxItems: 500 }),
    totalWeightKg: Kg,
    totalAmountFen: Fen,
  },
  '销售订单 sales order',
);

export const ProductionOrderPayload = Obj(
  {
    productionNo: Code,
    salesOrderNo: Type.Optional(Code),
    materialCode: Code,
    grade: Grade,
    spec: Spec,
    workshop: Str(60),
    plannedKg: Kg,
    producedKg: Kg,
    status: Type.Enum(['planned', 'in_production', 'finished', 'cancelled']),
    plannedStart: Day,
    plannedFinish: Day,
  },
  '生产订单 production order',
);

export const InventoryPayload = Obj(
  {
    warehouseCode: Code,
    warehouseName: Str(100),
    materialCode: Code,
    grade: Grade,
    spec: Spec,
    onHandKg: Kg,
    availableKg: Kg,
    asOf: Instant,
  },
  '库存 inventory of one material in one warehouse',
);

export const DeliveryLine = Obj({
  lineNo: LineNo,
  materialCode: Code,
  grade: Grade,
  spec: Spec,
  heatNo: Str(30),
  pieces: Count,
  weightKg: Kg,
});
export const DeliveryNotePayload = Obj(
  {
    deliveryNo: Code,
    deliveryDate: Day,
    customerCode: Code,
    contractNo: Type.Optional(ContractNo),
    salesOrderNo: Code,
    destination: Obj({ province: Str(30), city: Str(30), address: Str(300) }),
    transport: Type.Enum(['truck', 'rail', 'ship']),
    vehicleNo: Str(30),
    lines: Type.Array(DeliveryLine, { minItems: 1, maxItems: 500 }),
    totalWeightKg: Kg,
  },
  '发货单 delivery note',
);

export const InvoicePayload = Obj(
  {
    invoiceNo: Code,
    invoiceDate: Day,
    dueDate: Day,
    customerCode: Code,
    contractNo: Type.Optional(ContractNo),
    salesOrderNo: Type.Optional(Code),
    amountFen: Fen,
    taxFen: Fen,
    totalFen: Fen,
    status: Type.Enum(['issued', 'paid', 'cancelled']),
  },
  '发票 VAT invoice',
);

export const CustomerReceiptPayload = Obj(
  {
    receiptNo: Code,
    receiptDate: Day,
    customerCode: Code,
    amountFen: Fen,
    method: Type.Enum(['bank_transfer', 'acceptance_bill', 'other']),
    bankRef: Type.Optional(Str(64)),
  },
  '客户收款 customer receipt',
);

export const CustomerBalancePayload = Obj(
  {
    customerCode: Code,
    asOf: Instant,
    creditLimitFen: Fen,
    balanceFen: Type.Integer({
      minimum: Number.MIN_SAFE_INTEGER,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'positive: the customer owes; negative: the customer has paid in advance',
    }),
    advanceFen: Fen,
    overdueFen: Fen,
    overdueDays: Type.Integer({ minimum: 0, maximum: 36_500 }),
  },
  '客户余额 customer balance',
);

export const Chemistry = Obj(
  {
    C: Dec,
    Si: Dec,
    Mn: Dec,
    P: Dec,
    S: Dec,
    Ceq: Type.Optional(Dec),
    V: Type.Optional(Dec),
    Nb: Type.Optional(Dec),
    Cr: Type.Optional(Dec),
    Ni: Type.Optional(Dec),
    Cu: Type.Optional(Dec),
  },
  '化学成分 chemical composition, mass percent',
);
export const Mechanical = Obj(
  {
    yieldMpa: Dec,
    tensileMpa: Dec,
    elongationPct: Dec,
    agtPct: Type.Optional(Dec),
    tensileToYield: Type.Optional(Dec),
    bend: Type.Enum(['合格', '不合格']),
    impactJ: Type.Optional(Dec),
  },
  '力学性能 mechanical properties',
);

/**
 * The kind of inspection document: EN 10204 type 2.2 (test report), 3.1 or 3.2 (inspection certificates), or the
 * Chinese mill's 质量证明书 issued with GB products (GB/T 17505-2016 and GB/T 2101-2017 name it). A certificate that
 * does not say is a 质量证明书: every certificate this ERP sent before the field existed was one.
 */
export const CERTIFICATE_DOCUMENT_TYPES = ['2.2', '3.1', '3.2', 'zh_quality_certificate'] as const;
export type CertificateDocumentType = (typeof CERTIFICATE_DOCUMENT_TYPES)[number];
export const DEFAULT_CERTIFICATE_DOCUMENT_TYPE: CertificateDocumentType = 'zh_quality_certificate';
export const RESULT_GROUPS = ['chemical', 'mechanical', 'other'] as const;
export type ResultGroup = (typeof RESULT_GROUPS)[number];
/** How a value is printed against the measurement: "S < 0.005" (below the method's limit), "≤", "=", "≥", ">". */
export const RESULT_OPERATORS = ['<', '≤', '=', '≥', '>'] as const;
export type ResultOperator = (typeof RESULT_OPERATORS)[number];
export const VERDICTS = ['合格', '不合格'] as const;
/** A result value or limit as a decimal string, exactly as printed: up to 12 + 6 digits (DECIMAL(18,6) in the portal). */
const ResultDec = Type.String({ pattern: '^\\d{1,12}(\\.\\d{1,6})?$', description: 'decimal as a string, e.g. "0.0050"' });

export const CertificateResult = Obj(
  {
    group: Type.Enum([...RESULT_GROUPS]),
    /** element or property symbol as printed: C, S, Ceq, ReL, Rm, A, Agt, KV2 ... */
    symbol: Type.String({ minLength: 1, maxLength: 20 }),
    value: ResultDec,
    operator: Type.Optional(Type.Enum([...RESULT_OPERATORS])),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
    min: Type.Optional(ResultDec),
    max: Type.Optional(ResultDec),
    /** test method standard, e.g. GB/T 228.1-2021 */
    method: Type.Optional(Str(60)),
  },
  'one measured result with its limits; a symbol also sent in chemistry/mechanical must carry the same value',
);
export const CertificateOtherTest = Obj(
  {
    /** e.g. 弯曲 (bend), 反向弯曲 (rebend), 表面质量 (surface), 尺寸 (dimensions) */
    name: Str(60),
    result: Type.Enum([...VERDICTS]),
    method: Type.Optional(Str(60)),
  },
  'a test judged pass or fail rather than measured',
);
const Ids = Type.Array(Str(30), { minItems: 1, maxItems: 500 });

export const CertificateBatch = Obj({
  heatNo: Str(30),
  batchNo: Str(30),
  grade: Grade,
  spec: Spec,
  pieces: Count,
  weightKg: Kg,
  chemistry: Chemistry,
  mechanical: Mechanical,
  /** coil numbers (卷号) of wire rod and strip */
  coilNos: Type.Optional(Ids),
  /** bundle numbers (捆号) of bars and sections */
  bundleNos: Type.Optional(Ids),
  /** results with operators, units, limits or methods, and results beyond chemistry and mechanical */
  results: Type.Optional(Type.Array(CertificateResult, { minItems: 1, maxItems: 200 })),
  otherTests: Type.Optional(Type.Array(CertificateOtherTest, { minItems: 1, maxItems: 50 })),
  /** the mill's verdict on the batch (检验结论); absent: the portal derives it from the results */
  result: Type.Optional(Type.Enum([...VERDICTS])),
});
export const QualityCertificatePayload = Obj(
  {
    certificateNo: Code,
    issueDate: Day,
    standard: Str(60),
    customerCode: Code,
    contractNo: Type.Optional(ContractNo),
    salesOrderNo: Type.Optional(Code),
    deliveryNo: Type.Optional(Code),
    productName: Str(100),
    batches: Type.Array(CertificateBatch, { minItems: 1, maxItems: 200 }),
    inspector: Str(60),
    /** absent: zh_quality_certificate (质量证明书) */
    documentType: Type.Optional(Type.Enum([...CERTIFICATE_DOCUMENT_TYPES])),
    /** truck plate or wagon number (车号) */
    vehicleNo: Type.Optional(Str(30)),
  },
  '质保书 quality certificate (mill test certificate)',
);

/**
 * The symbols a mechanical field is printed under, the first being the default; a result in `results` under one of
 * them is the same measurement (its value must match). Yield: ReL (GB/T 1499), ReH (GB/T 700, GB/T 1591), Rp0.2.
 */
export const MECHANICAL_FIELDS = {
  yieldMpa: { symbols: ['ReL', 'ReH', 'Rp0.2'], unit: 'MPa' },
  tensileMpa: { symbols: ['Rm'], unit: 'MPa' },
  elongationPct: { symbols: ['A'], unit: '%' },
  agtPct: { symbols: ['Agt'], unit: '%' },
  tensileToYield: { symbols: ['Rm°/ReL°'], unit: '' },
  impactJ: { symbols: ['KV2', 'KU2'], unit: 'J' },
} as const;
export type MechanicalField = keyof typeof MECHANICAL_FIELDS;

export type CustomerPayload = Static<typeof CustomerPayload>;
export type MaterialPayload = Static<typeof MaterialPayload>;
export type SalesOrderLine = Static<typeof SalesOrderLine>;
export type SalesOrderPayload = Static<typeof SalesOrderPayload>;
export type ProductionOrderPayload = Static<typeof ProductionOrderPayload>;
export type InventoryPayload = Static<typeof InventoryPayload>;
export type DeliveryLine = Static<typeof DeliveryLine>;
export type DeliveryNotePayload = Static<typeof DeliveryNotePayload>;
export type InvoicePayload = Static<typeof InvoicePayload>;
export type CustomerReceiptPayload = Static<typeof CustomerReceiptPayload>;
export type CustomerBalancePayload = Static<typeof CustomerBalancePayload>;
export type Chemistry = Static<typeof Chemistry>;
export type Mechanical = Static<typeof Mechanical>;
export type CertificateBatch = Static<typeof CertificateBatch>;
export type CertificateResult = Static<typeof CertificateResult>;
export type CertificateOtherTest = Static<typeof CertificateOtherTest>;
export type QualityCertificatePayload = Static<typeof QualityCertificatePayload>;

/** The payload type of each interface. */
export interface PayloadOf {
  customer: CustomerPayload;
  material: MaterialPayload;
  sales_order: SalesOrderPayload;
  production_order: ProductionOrderPayload;
  inventory: InventoryPayload;
  delivery_note: DeliveryNotePayload;
  invoice: InvoicePayload;
  customer_receipt: CustomerReceiptPayload;
  customer_balance: CustomerBalancePayload;
  quality_certificate: QualityCertificatePayload;
}

export const PAYLOAD_SCHEMAS: Record<InboundInterface, TSchema> = {
  customer: CustomerPayload,
  material: MaterialPayload,
  sales_order: SalesOrderPayload,
  production_order: ProductionOrderPayload,
  inventory: InventoryPayload,
  delivery_note: DeliveryNotePayload,
  invoice: InvoicePayload,
  customer_receipt: CustomerReceiptPayload,
  customer_balance: CustomerBalancePayload,
  quality_certificate: QualityCertificatePayload,
};

type Loose = Record<string, any>;
const asObj = (p: unknown): Loose => (p !== null && typeof p === 'object' ? (p as Loose) : {});

/**
 * The staging doc_key of a payload: the document number, or warehouse:material for inventory and the customer
 * code for balances (one current balance per customer). A row whose doc_key differs is quarantined as envelope.invalid.
 */
export function docKeyOf(iface: InboundInterface, payload: unknown): string {
  const p = asObj(payload);
  switch (iface) {
    case 'customer':
    case 'material':
      return p.code;
    case 'sales_order':
      return p.orderNo;
    case 'production_order':
      return p.productionNo;
    case 'inventory':
      return `${p.warehouseCode}:${p.materialCode}`;
    case 'delivery_note':
      return p.deliveryNo;
    case 'invoice':
      return p.invoiceNo;
    case 'customer_receipt':
      return p.receiptNo;
    case 'customer_balance':
      return p.customerCode;
    case 'quality_certificate':
      return p.certificateNo;
  }
}

export interface ParentRef {
  iface: InboundInterface;
  key: string;
  /** JSON pointer into the payload, e.g. /lines/2/materialCode */
  path: string;
}

/** The documents a payload refers to, which must be in the portal before it can be applied; each (iface, key) once, at its first path. */
export function parentsOf(iface: InboundInterface, payload: unknown): ParentRef[] {
  const p = asObj(payload);
  const refs: ParentRef[] = [];
  const add = (i: InboundInterface, key: unknown, path: string) => {
    if (typeof key === 'string' && key && !refs.some((r) => r.iface === i && r.key === key)) refs.push({ iface: i, key, path });
  };
  const lineMaterials = (arr: unknown) => {
    if (Array.isArray(arr)) arr.forEach((l, n) => add('material', asObj(l).materialCode, `/lines/${n}/materialCode`));
  };
  switch (iface) {
    case 'sales_order':
      add('customer', p.customerCode, '/customerCode');
      lineMaterials(p.lines);
      break;
    case 'production_order':
      add('material', p.materialCode, '/materialCode');
      add('sales_order', p.salesOrderNo, '/salesOrderNo');
      break;
    case 'inventory':
      add('material', p.materialCode, '/materialCode');
      break;
    case 'delivery_note':
      add('customer', p.customerCode, '/customerCode');
      add('sales_order', p.salesOrderNo, '/salesOrderNo');
      lineMaterials(p.lines);
      break;
    case 'invoice':
    case 'customer_receipt':
    case 'customer_balance':
      add('customer', p.customerCode, '/customerCode');
      break;
    case 'quality_certificate':
      add('customer', p.customerCode, '/customerCode');
      add('delivery_note', p.deliveryNo, '/deliveryNo');
      break;
    case 'customer':
    case 'material':
      break;
  }
  return refs;
}

export interface PayloadError {
  /** JSON pointer to the offending value ('' for the whole payload) */
  path: string;
  message: string;
  /** true for a cross-field rule (quarantined as payload.rule), absent for a schema error (payload.schema) */
  rule?: boolean;
}

export type ValidationResult = { ok: true } | { ok: false; errors: PayloadError[] };

// Compiled once per process: the validators are plain functions after this.
const compiled = new Map(Object.entries(PAYLOAD_SCHEMAS).map(([k, s]) => [k, Compile(s)]));

/** Date fields per interface: the pattern admits 2026-02-30, the calendar does not. */
const DATE_FIELDS: Partial<Record<InboundInterface, string[]>> = {
  sales_order: ['orderDate'],
  production_order: ['plannedStart', 'plannedFinish'],
  delivery_note: ['deliveryDate'],
  invoice: ['invoiceDate', 'dueDate'],
  customer_receipt: ['receiptDate'],
  quality_certificate: ['issueDate'],
};
const realDay = (s: string) => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
};

const sum = (arr: Loose[], field: string) => arr.reduce((s, x) => s + x[field], 0);

function duplicateLineNo(lines: Loose[]): number {
  const seen = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    if (seen.has(lines[i].lineNo)) return i;
    seen.add(lines[i].lineNo);
  }
  return -1;
}

/** Rules across fields, run on a payload that already matches its schema. */
function rules(iface: InboundInterface, p: Loose): PayloadError[] {
  const e: PayloadError[] = [];
  const rule = (path: string, message: string) => e.push({ path, message, rule: true });
  switch (iface) {
    case 'sales_order': {
      const kg = sum(p.lines, 'quantityKg');
      const fen = sum(p.lines, 'amountFen');
      if (p.totalWeightKg !== kg) rule('/totalWeightKg', `totalWeightKg ${p.totalWeightKg} is not the sum of the lines' quantityKg (${kg})`);
      if (p.totalAmountFen !== fen) rule('/totalAmountFen', `totalAmountFen ${p.totalAmountFen} is not the sum of the lines' amountFen (${fen})`);
      const dup = duplicateLineNo(p.lines);
      if (dup >= 0) rule(`/lines/${dup}/lineNo`, `lineNo ${p.lines[dup].lineNo} appears twice`);
      break;
    }
    case 'delivery_note': {
      const kg = sum(p.lines, 'weightKg');
      if (p.totalWeightKg !== kg) rule('/totalWeightKg', `totalWeightKg ${p.totalWeightKg} is not the sum of the lines' weightKg (${kg})`);
      const dup = duplicateLineNo(p.lines);
      if (dup >= 0) rule(`/lines/${dup}/lineNo`, `lineNo ${p.lines[dup].lineNo} appears twice`);
      break;
    }
    case 'invoice':
      if (p.totalFen !== p.amountFen + p.taxFen) rule('/totalFen', `totalFen ${p.totalFen} is not amountFen + taxFen (${p.amountFen + p.taxFen})`);
      if (p.dueDate < p.invoiceDate) rule('/dueDate', `dueDate ${p.dueDate} is before invoiceDate ${p.invoiceDate}`);
      break;
    case 'inventory':
      if (p.availableKg > p.onHandKg) rule('/availableKg', `availableKg ${p.availableKg} exceeds onHandKg ${p.onHandKg}`);
      break;
    case 'production_order':
      if (p.plannedFinish < p.plannedStart) rule('/plannedFinish', `plannedFinish ${p.plannedFinish} is before plannedStart ${p.plannedStart}`);
      break;
    case 'quality_certificate':
      certificateRules(p, rule);
      break;
    default:
      break;
  }
  return e;
}

/** Compares two decimal strings by value ("0.0050" equals "0.005"): -1, 0 or 1. */
function compareDecimalText(a: string, b: string): number {
  const [ai, af = ''] = a.split('.');
  const [bi, bf = ''] = b.split('.');
  const n = Math.max(af.length, bf.length);
  const x = BigInt(ai + af.padEnd(n, '0'));
  const y = BigInt(bi + bf.padEnd(n, '0'));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A certificate's results: one result per group and symbol in a batch, min not above max, and a result that repeats
 * a chemistry or mechanical field carries the same value (the detailed row and the plain field print the same number).
 */
function certificateRules(p: Loose, rule: (path: string, message: string) => void): void {
  p.batches.forEach((b: Loose, bi: number) => {
    const seen = new Set<string>();
    (b.results ?? []).forEach((r: Loose, ri: number) => {
      const at = `/batches/${bi}/results/${ri}`;
      const key = `${r.group}:${r.symbol}`;
      if (seen.has(key)) rule(`${at}/symbol`, `${r.group} result ${r.symbol} appears twice in batch ${b.batchNo}`);
      seen.add(key);
      if (r.min !== undefined && r.max !== undefined && compareDecimalText(r.min, r.max) > 0) rule(`${at}/min`, `min ${r.min} is above max ${r.max}`);
      let plain: string | undefined;
      if (r.group === 'chemical') plain = b.chemistry[r.symbol];
      if (r.group === 'mechanical') {
        for (const [field, m] of Object.entries(MECHANICAL_FIELDS)) if ((m.symbols as readonly string[]).includes(r.symbol)) plain = b.mechanical[field];
      }
      if (plain !== undefined && compareDecimalText(plain, r.value) !== 0) rule(`${at}/value`, `${r.symbol} ${r.value} differs from the value ${plain} sent for it in the batch`);
    });
  });
}

/** Checks a parsed payload against its interface's schema, then against the cross-field rules. */
export function validatePayload(iface: InboundInterface, payload: unknown): ValidationResult {
  const c = compiled.get(iface);
  if (!c) return { ok: false, errors: [{ path: '', message: `unknown interface ${String(iface)}` }] };
  if (!c.Check(payload)) {
    const errors: PayloadError[] = [];
    for (const x of c.Errors(payload)) {
      // An unknown property is reported twice (as "schema is false" under it, and on its object): keep the second.
      if (x.keyword === 'boolean') continue;
      if (x.keyword === 'additionalProperties') {
        const names = (x.params as { additionalProperties?: string[] }).additionalProperties ?? [];
        for (const name of names) errors.push({ path: `${x.instancePath}/${name}`, message: `unknown field ${x.instancePath}/${name}` });
        continue;
      }
      errors.push({ path: x.instancePath, message: `${x.instancePath || '/'} ${x.message}` });
    }
    return { ok: false, errors: errors.length ? errors : [{ path: '', message: 'payload does not match the schema' }] };
  }
  const p = payload as Loose;
  const dates: PayloadError[] = (DATE_FIELDS[iface] ?? [])
    .filter((f) => !realDay(p[f]))
    .map((f) => ({ path: `/${f}`, message: `/${f} ${p[f]} is not a calendar date` }));
  if (dates.length) return { ok: false, errors: dates };
  const e = rules(iface, p);
  return e.length ? { ok: false, errors: e } : { ok: true };
}
