// The printed copy of a quality certificate (质保书, 产品质量证明书): a pure pdfkit renderer for the PDF worker threads.
// A4 landscape as mills print them; every copy names its copy number, printer and buyer, and carries a QR code to the
// public verification page of that copy (issue 7, "Authorised remote printing").
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { decimalText } from '../../../../shared/units.js';
import { registerDocFonts } from '../../pdf/doc-fonts.js';
import type { PdfFonts } from '../../pdf/fonts.js';
import { drawSeal, SEAL_RADIUS, sealRect, type SealPlacement } from '../../pdf/seal-drawing.js';

export type { SealPlacement } from '../../pdf/seal-drawing.js';

/** One chemical, mechanical or other test result, exactly as the ERP sent it. */
export interface CertificateResult {
  /** e.g. C, Mn, ReL, Rm, A, Agt, 弯曲 */
  symbol: string;
  /** exactly as the ERP sent it: "0.0050" stays "0.0050" */
  valueText: string;
  operator?: '<' | '≤' | '=' | '≥' | '>';
  unit?: string;
  min?: string;
  max?: string;
  /** null: not judged against a specification */
  inSpec: boolean | null;
}

/** One heat / batch of the certificate. */
export interface CertificateBatch {
  heatNo: string;
  batchNo: string;
  coilNos?: string[];
  bundleNos?: string[];
  grade: string;
  spec: string;
  pieces: number;
  /** integer kilograms */
  weightKg: number;
  chemical: CertificateResult[];
  mechanical: CertificateResult[];
  other: CertificateResult[];
  /** e.g. 合格 */
  result: string;
}

/** The copy being printed: who printed it, for whom, and how it is verified. */
export interface CertificateCopy {
  /** unique, e.g. ZB20261123001-C0003 */
  copyNo: string;
  /** 副本 n/m: this copy of the m allowed */
  n: number;
  m: number;
  printedBy: string;
  /** the organisation or the downstream buyer the copy names */
  printedFor: string;
  /** ISO 8601 */
  printedAt: string;
  /** short code to type on the verification page */
  verifyCode: string;
  /** what the QR code encodes */
  verifyUrl: string;
}

export interface CertificateDocument {
  certificateNo: string;
  /** EN 10204 type ('2.1', '2.2', '3.1', '3.2') or a Chinese name such as 质量证明书 */
  documentType: string;
  /** YYYY-MM-DD */
  issueDate: string;
  standard: string;
  productName: string;
  mill: { name: string; address?: string; phone?: string };
  customerName: string;
  contractNo?: string;
  deliveryNo?: string;
  vehicleNo?: string;
  inspector: string;
  batches: CertificateBatch[];
  copy: CertificateCopy;
  withdrawn?: boolean;
}

export interface CertificatePdf {
  pdf: Buffer;
  /** the quality department's seal (质量专用章), for the signature widget that goes over it */
  seal: SealPlacement;
  pages: number;
}

// ---- geometry (points; pdfkit draws with the origin at the top left, y downwards) ----

/** A4 landscape: mills print certificates across the page so that a dozen element columns fit. */
const PAGE = { width: 841.89, height: 595.28 };
const MARGIN = { top: 26, left: 34, right: 34, bottom: 56 };
const CONTENT_WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const BOTTOM = PAGE.height - MARGIN.bottom;
const CELL_PAD = { x: 2.5, y: 2.5 };
/** Table text sizes tried in turn until the columns fit the page without wrapping a value. */
const TABLE_SIZES = [7.5, 7, 6.5, 6, 5.5];
const BORDER = '#333333';
const MARK_RED = '#c00000';
// QR modules: 0.6 mm at the foot of the last page, 0.5 mm in each page's corner (3.5 px and 3 px at 150 dpi, both
// above what phone cameras and jsqr need), each with the 4-module quiet zone the QR standard asks for.
const QR_MODULE = { large: 1.7, small: 1.4 };

type Doc = PDFKit.PDFDocument;
type Align = 'left' | 'center' | 'right';

/** EN 10204:2004 names of its document types; anything else is printed as the mill names it. */
const EN10204: Record<string, string> = {
  '2.1': 'Declaration of compliance with the order EN 10204 2.1',
  '2.2': 'Test report EN 10204 2.2',
  '3.1': 'Inspection certificate EN 10204 3.1',
  '3.2': 'Inspection certificate EN 10204 3.2',
};

function chineseDate(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${day}`);
  return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`;
}

/** An instant as China time (UTC+8, no daylight saving), to the minute. */
function chinaTime(iso: string): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) throw new RangeError(`not an ISO time: ${iso}`);
  return `${new Date(t + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ')} (UTC+8)`;
}

/** Integer kilograms as tonnes with three decimals: by the digits of the integer, never a binary fraction. */
function tonnes(kg: number): string {
  return decimalText(kg, 3);
}

/** The value as printed: its operator (except '=') in front of the ERP's text, unless the text already has one. */
export function resultText(r: CertificateResult): string {
  if (!r.operator || r.operator === '=' || /^[<>≤≥=]/.test(r.valueText)) return r.valueText;
  return `${r.operator}${r.valueText}`;
}

/** The specification as printed in the requirement row: "0.10~0.25", "≥400", "≤0.045". */
function limitText(r: CertificateResult): string {
  if (r.min !== undefined && r.max !== undefined) return `${r.min}~${r.max}`;
  if (r.min !== undefined) return `≥${r.min}`;
  if (r.max !== undefined) return `≤${r.max}`;
  return '';
}

function validate(c: CertificateDocument): void {
  if (c.batches.length === 0) throw new RangeError(`certificate ${c.certificateNo} has no batches`);
  chineseDate(c.issueDate);
  chinaTime(c.copy.printedAt);
  const { n, m } = c.copy;
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(m) || n < 1 || n > m) throw new RangeError(`copy ${n}/${m} is not one of the allowed copies`);
  for (const b of c.batches) {
    if (!Number.isSafeInteger(b.weightKg) || b.weightKg < 0) throw new RangeError(`heat ${b.heatNo}: not an integer weight in kg: ${b.weightKg}`);
    if (!Number.isSafeInteger(b.pieces) || b.pieces < 0) throw new RangeError(`heat ${b.heatNo}: not a number of pieces: ${b.pieces}`);
  }
}

// ---- the batch table's columns ----

type Group = 'chemical' | 'mechanical' | 'other';

interface Column {
  /** header lines, e.g. ['ReL', 'MPa'] */
  head: string[];
  group?: Group;
  symbol?: string;
  align: Align;
  width: number;
}

interface Cell {
  text: string;
  align?: Align;
  bold?: boolean;
  /** out of specification: printed red with an asterisk */
  mark?: boolean;
  span?: number;
}

const GROUP_HEAD: Record<Group, string> = {
  chemical: '化学成分 Chemical composition',
  mechanical: '力学性能 Mechanical properties',
  other: '其他检验 Other tests',
};

/** The result columns of a group: every symbol that any batch has, in the order they first appear. */
function groupColumns(c: CertificateDocument, group: Group): Column[] {
  const columns: Column[] = [];
  const seen = new Set<string>();
  for (const b of c.batches) {
    for (const r of b[group]) {
      if (seen.has(r.symbol)) continue;
      seen.add(r.symbol);
      // Chemistry is in % unless the ERP says otherwise (e.g. ppm for N or H): the group header says %.
      const unit = group === 'chemical' && (r.unit === undefined || r.unit === '%') ? undefined : r.unit;
      columns.push({ head: unit ? [r.symbol, unit] : [r.symbol], group, symbol: r.symbol, align: 'center', width: 0 });
    }
  }
  return columns;
}

function fixedColumns(): Column[] {
  return [
    { head: ['炉号 Heat No.', '批号 Batch No.'], align: 'left', width: 0 },
    { head: ['牌号', 'Grade'], align: 'center', width: 0 },
    { head: ['规格', 'Size'], align: 'center', width: 0 },
    { head: ['件数', 'Pcs'], align: 'right', width: 0 },
    { head: ['重量(t)', 'Weight'], align: 'right', width: 0 },
  ];
}

const RESULT_COLUMN = (): Column => ({ head: ['结论', 'Result'], align: 'center', width: 0 });

class Writer {
  // The table measures each cell's text several times (column widths, row heights, centring): measured once here,
  // since pdfkit lays the text out with fontkit each time, a fifth of a certificate's render.
  private readonly measured = new Map<string, number>();

  constructor(readonly doc: Doc) {}

  private memo(key: string, measure: () => number): number {
    let value = this.measured.get(key);
    if (value === undefined) {
      value = measure();
      this.measured.set(key, value);
    }
    return value;
  }

  font(bold: boolean, size: number): this {
    this.doc.font(bold ? 'bold' : 'regular').fontSize(size);
    return this;
  }

  /** The widest line of `text`. */
  width(text: string, bold: boolean, size: number): number {
    return this.memo(`w${bold ? 1 : 0}|${size}|${text}`, () => {
      this.font(bold, size);
      return Math.max(...text.split('\n').map((line) => this.doc.widthOfString(line)));
    });
  }

  /** The height of `text` wrapped to `width`, its '\n'-separated lines one under the other. */
  height(text: string, width: number, bold: boolean, size: number): number {
    return this.memo(`h${bold ? 1 : 0}|${size}|${width}|${text}`, () => {
      this.font(bold, size);
      const line = (t: string) => Math.max(this.doc.currentLineHeight(true), this.doc.heightOfString(t || ' ', { width, lineGap: 1 }));
      return text.split('\n').reduce((sum, t) => sum + line(t), 0);
    });
  }

  /** Text in a box, vertically centred, with the box's border. */
  cell(text: string, x: number, y: number, w: number, h: number, o: { size: number; bold?: boolean; align?: Align; color?: string; shade?: boolean }): void {
    const { doc } = this;
    if (o.shade) doc.save().rect(x, y, w, h).fill('#eeeeee').restore();
    doc.lineWidth(0.5).strokeColor(BORDER).rect(x, y, w, h).stroke();
    const inner = w - 2 * CELL_PAD.x;
    let top = y + (h - this.height(text, inner, o.bold ?? false, o.size)) / 2;
    this.font(o.bold ?? false, o.size);
    doc.fillColor(o.color ?? 'black');
    // Line by line: pdfkit measures a '\n' inside a line as a glyph, and would wrap a line that fits.
    for (const line of text.split('\n')) {
      const lineHeight = this.height(line, inner, o.bold ?? false, o.size);
      doc.text(line, x + CELL_PAD.x, top, { width: inner, align: o.align ?? 'left', lineGap: 1 });
      top += lineHeight;
    }
  }
}

/**
 * Column widths for the table at the first size that fits: each column as wide as its widest header line or value,
 * the room left over shared out evenly; values never wrap. Returns the size and the columns with their widths.
 */
function fitColumns(w: Writer, columns: Column[], rows: Cell[][]): { size: number; columns: Column[] } {
  for (const size of TABLE_SIZES) {
    const natural = columns.map((col, i) => {
      let widest = Math.max(...col.head.map((h) => w.width(h, true, size)));
      for (const row of rows) {
        const cell = row[i];
        if (cell) widest = Math.max(widest, w.width(cell.mark ? `${cell.text}*` : cell.text, cell.bold ?? false, size));
      }
      return widest + 2 * CELL_PAD.x + 1;
    });
    const total = natural.reduce((a, b) => a + b, 0);
    if (total <= CONTENT_WIDTH || size === TABLE_SIZES[TABLE_SIZES.length - 1]) {
      // At the smallest size and still too wide, every column shrinks alike and the longest texts wrap.
      const extra = (CONTENT_WIDTH - total) / columns.length;
      const scale = total > CONTENT_WIDTH ? CONTENT_WIDTH / total : 1;
      return { size, columns: columns.map((col, i) => ({ ...col, width: scale < 1 ? natural[i] * scale : natural[i] + extra })) };
    }
  }
  throw new Error('unreachable');
}

// ---- the QR code ----

// A document draws its QR code on every page: it is encoded once (the last one is kept; a worker renders one at a time).
let lastQr: { text: string; qr: QRCode.QRCode } | undefined;

function qrMatrix(text: string): QRCode.QRCode {
  if (lastQr?.text !== text) lastQr = { text, qr: QRCode.create(text, { errorCorrectionLevel: 'M' }) };
  return lastQr.qr;
}

/**
 * The QR code of `text` (error correction M, which survives a smudged or folded print) drawn as vector squares with
 * its quiet zone on white, top-left corner at (x, y); each row's dark runs are one rectangle. Returns its side.
 */
function drawQr(doc: Doc, text: string, x: number, y: number, module: number): number {
  const qr = qrMatrix(text);
  const n = qr.modules.size;
  const side = (n + 8) * module;
  doc.save();
  doc.rect(x, y, side, side).fill('white');
  doc.fillColor('black');
  const origin = { x: x + 4 * module, y: y + 4 * module };
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (!qr.modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && qr.modules.get(row, col)) col++;
      doc.rect(origin.x + start * module, origin.y + row * module, (col - start) * module, module);
    }
  }
  doc.fill();
  doc.restore();
  return side;
}

/** The side of the QR code of `text` at `module` points per module, quiet zone included. */
function qrSide(text: string, module: number): number {
  return (qrMatrix(text).modules.size + 8) * module;
}

// ---- the page furniture ----

/**
 * The customer's (or buyer's) name repeated diagonally over the whole page in light grey, drawn first so that the
 * content lies over it. An empty ActualText keeps it out of extracted text, so pdftotext still reads the table.
 */
function watermark(w: Writer, c: CertificateDocument): void {
  const { doc } = w;
  const text = `${c.copy.printedFor}  ${c.copy.copyNo}`;
  const size = 15;
  const step = { x: w.width(text, false, size) + 70, y: 78 };
  const reach = Math.hypot(PAGE.width, PAGE.height) / 2;
  doc.addContent('/Span << /ActualText () >> BDC');
  doc.save();
  doc.rect(0, 0, PAGE.width, PAGE.height).clip();
  doc.translate(PAGE.width / 2, PAGE.height / 2).rotate(-28);
  doc.fillColor('#8c8c8c').fillOpacity(0.16);
  w.font(false, size);
  for (let row = 0, y = -reach; y < reach; row++, y += step.y) {
    // Every other row is shifted by half a step, so the names form a lattice rather than columns.
    for (let x = -reach - (row % 2 ? step.x / 2 : 0); x < reach; x += step.x) doc.text(text, x, y, { lineBreak: false });
  }
  doc.restore();
  doc.addContent('EMC');
}

/** The band at the top of every page: logo area, title and type, copy number and a small QR code. */
function band(w: Writer, c: CertificateDocument, withdrawn: boolean): number {
  const { doc } = w;
  const top = MARGIN.top;
  // The logo area: a placeholder box with the mill's name until the mill's artwork is configured.
  const logo = { x: MARGIN.left, y: top, w: 150, h: 48 };
  doc.save().lineWidth(1).strokeColor('#1f3b73').roundedRect(logo.x, logo.y, logo.w, logo.h, 4).stroke().restore();
  const nameHeight = w.height(c.mill.name, logo.w - 12, true, 10);
  w.font(true, 10);
  doc.fillColor('#1f3b73').text(c.mill.name, logo.x + 6, logo.y + (logo.h - nameHeight) / 2, { width: logo.w - 12, align: 'center', lineGap: 1 });

  const qrX = PAGE.width - MARGIN.right - qrSide(c.copy.verifyUrl, QR_MODULE.small);
  const side = drawQr(doc, c.copy.verifyUrl, qrX, top - 4, QR_MODULE.small);

  const idWidth = 150;
  const idLeft = qrX - 6 - idWidth;
  const titleLeft = logo.x + logo.w + 10;
  const titleWidth = idLeft - 6 - titleLeft;
  w.font(true, 18);
  doc.fillColor('black').text('产品质量证明书', titleLeft, top, { width: titleWidth, align: 'center', characterSpacing: 3, lineBreak: false });
  w.font(false, 9);
  const type = EN10204[c.documentType.trim()] ?? `Quality certificate ${c.documentType}`;
  doc.text(type, titleLeft, top + 25, { width: titleWidth, align: 'center', lineBreak: false });
  const contact = [c.mill.name, c.mill.address, c.mill.phone ? `电话 Tel. ${c.mill.phone}` : undefined].filter(Boolean).join('  ');
  w.font(false, 7);
  doc.fillColor('#333333').text(contact, titleLeft, top + 38, { width: titleWidth, align: 'center', lineBreak: false });

  // The copy's identity beside the QR code, readable at a glance.
  w.font(true, 10);
  doc.fillColor('black').text(`副本 ${c.copy.n}/${c.copy.m}`, idLeft, top, { width: idWidth, align: 'right', lineBreak: false });
  w.font(false, 7);
  doc.text(c.copy.copyNo, idLeft, top + 14, { width: idWidth, align: 'right', lineBreak: false });
  doc.text(`验证码 ${c.copy.verifyCode}`, idLeft, top + 24, { width: idWidth, align: 'right', lineBreak: false });

  let bottom = Math.max(top + logo.h, top - 4 + side) + 6;
  if (withdrawn) {
    w.font(true, 10);
    doc.fillColor(MARK_RED).text('本质量证明书已被钢厂撤回，不得作为交货依据  This certificate has been withdrawn by the mill', MARGIN.left, bottom, {
      width: CONTENT_WIDTH,
      align: 'center',
      lineBreak: false,
    });
    bottom += 16;
  }
  doc.fillColor('black');
  return bottom;
}

function footer(w: Writer, c: CertificateDocument, index: number, count: number): void {
  const { doc } = w;
  // Below the bottom margin on purpose: without lifting it, pdfkit would start a new page for this text.
  doc.page.margins.bottom = 0;
  const y = PAGE.height - MARGIN.bottom + 10;
  doc.lineWidth(0.4).strokeColor('#999999').moveTo(MARGIN.left, y).lineTo(PAGE.width - MARGIN.right, y).stroke();
  const { copy } = c;
  w.font(false, 7.5);
  doc
    .fillColor('black')
    .text(`副本 ${copy.n}/${copy.m} · 副本编号 ${copy.copyNo} · 打印：${copy.printedFor}/${copy.printedBy} ${chinaTime(copy.printedAt)} · 验证码 ${copy.verifyCode}`, MARGIN.left, y + 5, {
      width: CONTENT_WIDTH,
      align: 'left',
      lineBreak: false,
    });
  doc.text(`第 ${index + 1} 页 共 ${count} 页`, MARGIN.left, y + 5, { width: CONTENT_WIDTH, align: 'right', lineBreak: false });
  doc.text(`证书编号 ${c.certificateNo} · 扫描二维码或访问 ${copy.verifyUrl} 输入验证码核验本副本  Verify this copy at the address above`, MARGIN.left, y + 17, {
    width: CONTENT_WIDTH,
    align: 'left',
    lineBreak: false,
  });
  doc.page.margins.bottom = MARGIN.bottom;
}

/** Number, dates, standard, product, customer and the shipment: four label/value pairs per row. */
function headerGrid(w: Writer, c: CertificateDocument, top: number): number {
  const items: [string, string][] = [
    ['证书编号 Cert. No.', c.certificateNo],
    ['签发日期 Date of issue', chineseDate(c.issueDate)],
    ['执行标准 Standard', c.standard],
    ['产品名称 Product', c.productName],
    ['需方 Customer', c.customerName],
    ['合同号 Contract No.', c.contractNo ?? ''],
    ['发货单号 Delivery No.', c.deliveryNo ?? ''],
    ['车(船)号 Vehicle No.', c.vehicleNo ?? ''],
  ];
  const labelWidth = 70;
  const valueWidth = CONTENT_WIDTH / 4 - labelWidth;
  const size = 8;
  let y = top;
  for (let i = 0; i < items.length; i += 4) {
    const row = items.slice(i, i + 4);
    const h = Math.max(...row.flatMap(([label, value]) => [w.height(label, labelWidth - 2 * CELL_PAD.x, true, 6.5), w.height(value, valueWidth - 2 * CELL_PAD.x, false, size)])) + 2 * CELL_PAD.y + 2;
    row.forEach(([label, value], k) => {
      const x = MARGIN.left + k * (labelWidth + valueWidth);
      w.cell(label, x, y, labelWidth, h, { size: 6.5, bold: true, shade: true });
      w.cell(value, x + labelWidth, y, valueWidth, h, { size });
    });
    y += h;
  }
  return y + 6;
}

// ---- the document ----

interface TableRow {
  cells: Cell[];
  kind: 'requirement' | 'batch' | 'identifiers' | 'total';
}

function resultCell(r: CertificateResult | undefined): Cell {
  if (!r) return { text: '' };
  return { text: resultText(r), mark: r.inSpec === false };
}

/** The requirement row for a batch: the grade's limits under each column that has any. */
function requirementCells(b: CertificateBatch, resultColumns: Column[]): Cell[] | undefined {
  const limits = resultColumns.map((col) => {
    const r = b[col.group!].find((x) => x.symbol === col.symbol);
    return r ? limitText(r) : '';
  });
  if (limits.every((l) => l === '')) return undefined;
  return [{ text: `标准要求 Requirement ${b.grade}`, span: 5, bold: true }, ...limits.map((text) => ({ text })), { text: '' }];
}

function buildRows(c: CertificateDocument, resultColumns: Column[]): TableRow[] {
  const rows: TableRow[] = [];
  let lastRequirement = '';
  for (const b of c.batches) {
    // A requirement row before the first batch of each grade's limits, and again only when they change.
    const requirement = requirementCells(b, resultColumns);
    const key = requirement ? JSON.stringify(requirement.map((cell) => cell.text)) : '';
    if (requirement && key !== lastRequirement) rows.push({ kind: 'requirement', cells: requirement });
    if (requirement) lastRequirement = key;
    rows.push({
      kind: 'batch',
      cells: [
        { text: `${b.heatNo}\n${b.batchNo}` },
        { text: b.grade, align: 'center' },
        { text: b.spec, align: 'center' },
        { text: String(b.pieces), align: 'right' },
        { text: tonnes(b.weightKg), align: 'right' },
        ...resultColumns.map((col) => resultCell(b[col.group!].find((r) => r.symbol === col.symbol))),
        { text: b.result, align: 'center', bold: true },
      ],
    });
    const ids = [b.coilNos?.length ? `卷号 Coil Nos.: ${b.coilNos.join(', ')}` : '', b.bundleNos?.length ? `捆号 Bundle Nos.: ${b.bundleNos.join(', ')}` : ''].filter(Boolean).join('    ');
    if (ids) rows.push({ kind: 'identifiers', cells: [{ text: '' }, { text: ids, span: 5 + resultColumns.length }] });
  }
  // Sums by integer arithmetic: kilograms are added as integers and printed as tonnes by their digits.
  const pieces = c.batches.reduce((sum, b) => sum + b.pieces, 0);
  const kg = c.batches.reduce((sum, b) => sum + b.weightKg, 0);
  rows.push({
    kind: 'total',
    cells: [{ text: '合计 Total', bold: true, span: 3 }, { text: String(pieces), align: 'right', bold: true }, { text: tonnes(kg), align: 'right', bold: true }, { text: '', span: resultColumns.length + 1 }],
  });
  return rows;
}

class BatchTable {
  readonly size: number;
  readonly columns: Column[];
  readonly groups: { group: Group | undefined; from: number; span: number }[] = [];

  constructor(
    readonly w: Writer,
    columns: Column[],
    readonly rows: TableRow[],
  ) {
    // Only single-column cells decide the widths: a spanning cell (requirement label, identifiers, total) wraps instead.
    const sizing = rows.map((r) => r.cells.flatMap((cell) => ((cell.span ?? 1) > 1 ? Array.from({ length: cell.span! }, () => ({ text: '' })) : [cell])));
    const fitted = fitColumns(w, columns, sizing);
    this.size = fitted.size;
    this.columns = fitted.columns;
    for (let i = 0; i < this.columns.length; i++) {
      const group = this.columns[i].group;
      const last = this.groups[this.groups.length - 1];
      if (group && last?.group === group) last.span++;
      else this.groups.push({ group, from: i, span: 1 });
    }
  }

  private x(column: number): number {
    return MARGIN.left + this.columns.slice(0, column).reduce((a, c) => a + c.width, 0);
  }

  private spanWidth(from: number, span: number): number {
    return this.columns.slice(from, from + span).reduce((a, c) => a + c.width, 0);
  }

  /** Two header rows: the fixed columns span both, each result group has its name over its symbols. */
  header(top: number): number {
    const { w, size } = this;
    const line = w.height('Ag', 100, true, size);
    const groupHeight = line + 2 * CELL_PAD.y;
    const symbolHeight = 2 * line + 2 * CELL_PAD.y;
    for (const g of this.groups) {
      if (!g.group) {
        for (let i = g.from; i < g.from + g.span; i++) {
          const col = this.columns[i];
          w.cell(col.head.join('\n'), this.x(i), top, col.width, groupHeight + symbolHeight, { size, bold: true, align: 'center', shade: true });
        }
        continue;
      }
      const unit = g.group === 'chemical' ? ' (%)' : '';
      w.cell(`${GROUP_HEAD[g.group]}${unit}`, this.x(g.from), top, this.spanWidth(g.from, g.span), groupHeight, { size, bold: true, align: 'center', shade: true });
      for (let i = g.from; i < g.from + g.span; i++) {
        const col = this.columns[i];
        w.cell(col.head.join('\n'), this.x(i), top + groupHeight, col.width, symbolHeight, { size, bold: true, align: 'center', shade: true });
      }
    }
    return top + groupHeight + symbolHeight;
  }

  rowHeight(row: TableRow): number {
    let column = 0;
    let height = 0;
    for (const cell of row.cells) {
      const span = cell.span ?? 1;
      const width = this.spanWidth(column, span) - 2 * CELL_PAD.x;
      height = Math.max(height, this.w.height(cell.mark ? `${cell.text}*` : cell.text, width, cell.bold ?? false, this.size));
      column += span;
    }
    return height + 2 * CELL_PAD.y;
  }

  row(row: TableRow, top: number): number {
    const { w, size } = this;
    const height = this.rowHeight(row);
    let column = 0;
    for (const cell of row.cells) {
      const span = cell.span ?? 1;
      const align = cell.align ?? (row.kind === 'identifiers' || (cell.span ?? 1) > 1 ? 'left' : this.columns[column].align);
      w.cell(cell.mark ? `${cell.text}*` : cell.text, this.x(column), top, this.spanWidth(column, span), height, {
        size,
        bold: cell.bold ?? cell.mark,
        align,
        color: cell.mark ? MARK_RED : row.kind === 'requirement' ? '#333333' : 'black',
        shade: row.kind === 'requirement' || row.kind === 'total',
      });
      column += span;
    }
    return top + height;
  }
}

/** The closing block: statement, inspector, the quality department's seal over its label, and the large QR code. */
function closing(w: Writer, c: CertificateDocument, top: number, marked: boolean): { sealCentre: [number, number] } {
  const { doc } = w;
  const qrSize = qrSide(c.copy.verifyUrl, QR_MODULE.large);
  const qrX = PAGE.width - MARGIN.right - qrSize;
  const qrY = top;
  drawQr(doc, c.copy.verifyUrl, qrX, qrY, QR_MODULE.large);
  w.font(false, 7);
  doc.fillColor('black').text(`扫码核验 Scan to verify  ${c.copy.verifyCode}`, qrX - 60, qrY + qrSize + 2, { width: qrSize + 60, align: 'right', lineBreak: false });

  const textWidth = 400;
  w.font(false, 8.5);
  doc.text('兹证明上述产品经检验符合所列标准及合同的要求。', MARGIN.left, top + 4, { width: textWidth, lineGap: 2 });
  w.font(false, 7.5);
  doc.text('We hereby certify that the products described above have been inspected and comply with the stated standard and order.', MARGIN.left, doc.y, { width: textWidth, lineGap: 1 });
  if (marked) {
    doc.fillColor(MARK_RED).text('* 超出标准要求 out of specification', MARGIN.left, doc.y + 4, { width: textWidth });
    doc.fillColor('black');
  }
  w.font(false, 9);
  doc.text(`检验员 Inspector：${c.inspector}`, MARGIN.left, top + 70, { width: textWidth, lineBreak: false });
  doc.text(`签发日期 Date of issue：${chineseDate(c.issueDate)}`, MARGIN.left, top + 86, { width: textWidth, lineBreak: false });

  // The seal between the text and the QR code, over its department's label as a stamped seal would be.
  const cx = (MARGIN.left + textWidth + qrX) / 2;
  const cy = top + SEAL_RADIUS + 2;
  // The department's label just under the seal, its ring touching the label as a stamp pressed over it would.
  w.font(true, 9);
  doc.text('质量管理部门(盖章)', cx - 80, cy + SEAL_RADIUS - 6, { width: 160, align: 'center', lineBreak: false });
  w.font(false, 7.5);
  doc.text('Quality department (seal)', cx - 80, cy + SEAL_RADIUS + 7, { width: 160, align: 'center', lineBreak: false });
  drawSeal(doc, cx, cy, `${c.mill.name} 质量专用章`, c.mill.name);
  return { sealCentre: [cx, cy] };
}

/** The closing block's height: the seal, or the large QR code with its caption. */
function closingHeight(c: CertificateDocument): number {
  return Math.max(2 * SEAL_RADIUS + 20, qrSide(c.copy.verifyUrl, QR_MODULE.large) + 12, 100);
}

/**
 * Renders one printed copy of a certificate. The same input gives the same bytes: the info dates come from the
 * print time, and pdfkit derives the file ID from the info and the font subset tags from the font order.
 */
export function renderCertificatePdf(c: CertificateDocument, fonts: PdfFonts): Promise<CertificatePdf> {
  validate(c);
  const printed = new Date(c.copy.printedAt);
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margins: MARGIN,
    bufferPages: true,
    pdfVersion: '1.7',
    lang: 'zh-CN',
    info: {
      Title: `产品质量证明书 ${c.certificateNo} 副本 ${c.copy.n}/${c.copy.m}`,
      Author: c.mill.name,
      Subject: `${c.certificateNo} ${c.copy.copyNo}`,
      Creator: 'steel-sales-portal',
      Producer: 'PDFKit',
      CreationDate: printed,
      ModDate: printed,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  registerDocFonts(doc, fonts);
  const w = new Writer(doc);
  const withdrawn = c.withdrawn === true;

  /** Watermark first (under everything), then the band; returns where the page's content starts. */
  const startPage = (first: boolean): number => {
    if (!first) doc.addPage();
    watermark(w, c);
    return band(w, c, withdrawn);
  };

  let y = startPage(true);
  y = headerGrid(w, c, y);

  const resultColumns = [...groupColumns(c, 'chemical'), ...groupColumns(c, 'mechanical'), ...groupColumns(c, 'other')];
  const rows = buildRows(c, resultColumns);
  const table = new BatchTable(w, [...fixedColumns(), ...resultColumns, RESULT_COLUMN()], rows);
  const heights = rows.map((r) => table.rowHeight(r));
  y = table.header(y);
  let requirement: TableRow | undefined;
  rows.forEach((row, i) => {
    // A requirement row stays with the batch under it, a batch with its identifier row, the last batch with the total.
    const next = rows[i + 1];
    let needed = heights[i];
    if (next && (row.kind === 'requirement' || next.kind === 'identifiers' || next.kind === 'total')) needed += heights[i + 1];
    if (row.kind === 'requirement') requirement = row;
    if (y + needed > BOTTOM) {
      y = startPage(false);
      w.font(false, 8);
      doc.fillColor('black').text(`证书编号 ${c.certificateNo}（续 continued）`, MARGIN.left, y, { width: CONTENT_WIDTH, lineBreak: false });
      y = table.header(y + 14);
      // The batches continuing on this page are read against their grade's limits, repeated under the header.
      if (requirement && requirement !== row && row.kind !== 'total') y = table.row(requirement, y);
    }
    y = table.row(row, y);
  });

  // The closing block sits at the foot of the last page, where a mill's signature and seal go.
  const marked = c.batches.some((b) => [...b.chemical, ...b.mechanical, ...b.other].some((r) => r.inSpec === false));
  const blockHeight = closingHeight(c);
  if (y + 10 + blockHeight > BOTTOM) y = startPage(false);
  const { sealCentre } = closing(w, c, BOTTOM - blockHeight, marked);
  const sealPage = doc.bufferedPageRange().count - 1;

  const range = doc.bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    footer(w, c, i, range.count);
  }
  doc.end();
  return done.then((pdf) => ({ pdf, pages: range.count, seal: { page: sealPage, rect: sealRect(sealCentre, PAGE.height) } }));
}
