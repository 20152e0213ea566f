// The formal contract's PDF (正式合同): a pure pdfkit renderer, called inside a PDF worker thread (server/src/pdf).
import PDFDocument from 'pdfkit';
import { chineseCapitalAmount, decimalText } from '../../../../shared/units.js';
import { registerDocFonts } from '../../pdf/doc-fonts.js';
import { drawSeal, SEAL_RADIUS, sealRect, type SealPlacement } from '../../pdf/seal-drawing.js';

export type { SealPlacement } from '../../pdf/seal-drawing.js';

export interface ContractParty {
  name: string;
  /** 统一社会信用代码, which is also the tax number */
  creditCode: string;
  address: string;
  legalRepresentative?: string;
  /** the signing user's name for the buyer */
  agent?: string;
  phone?: string;
  bankName: string;
  bankAccount: string;
}

export interface ContractDocumentLine {
  lineNo: number;
  /** Chinese display name, e.g. 螺纹钢 */
  variety: string;
  grade: string;
  spec: string;
  quantityKg: number;
  /** per tonne, tax included */
  unitPriceFen: number;
  amountFen: number;
}

export interface ContractDocument {
  contractNo: string;
  /** default 钢材购销合同 */
  title?: string;
  /** YYYY-MM-DD, China time */
  signedDate: string;
  signedPlace: string;
  /** the mill, 供方 (甲方) */
  seller: ContractParty;
  /** the customer, 需方 (乙方) */
  buyer: ContractParty;
  lines: ContractDocumentLine[];
  totalKg: number;
  totalFen: number;
  deliveryPlace: string;
  /** YYYY-MM-DD */
  deliveryFrom: string;
  /** YYYY-MM-DD */
  deliveryTo: string;
  deliveryMethod: string;
  paymentTerms: string;
  qualityStandard: string;
  clauses: { title: string; body: string }[];
  templateName: string;
  templateVersion: number;
  /** short code printed for the public verification page */
  verifyCode: string;
  verifyUrl: string;
  /** the organisation name and the seal's title separated by a space, e.g. "<company name> 合同专用章" */
  sealTitles: { buyer: string; seller: string };
}

export interface ContractPdf {
  pdf: Buffer;
  seals: { buyer: SealPlacement; seller: SealPlacement };
  pages: number;
}

export interface ContractFonts {
  regular: Buffer;
  bold: Buffer;
}

/** Groups the whole part of decimal text in threes: "1234567.891" -> "1,234,567.891". */
function grouped(text: string): string {
  const [whole, fraction] = text.split('.');
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? withCommas : `${withCommas}.${fraction}`;
}

/** Integer kilograms as tonnes with three decimals and thousands separators: 1234567 -> "1,234.567". */
export function formatTonnes(kg: number): string {
  return grouped(decimalText(kg, 3));
}

/** Integer fen as yuan with two decimals and thousands separators: 1234567 -> "12,345.67". */
export function formatYuan(fen: number): string {
  return grouped(decimalText(fen, 2));
}

// ---- geometry (points; pdfkit draws with the origin at the top left, y downwards) ----

const A4 = { width: 595.28, height: 841.89 };
// The right margin is wider than the left so that the cross-page seal's strip (at most half a seal, 59.5 pt) stays
// clear of the text; the bottom one leaves room for the footer.
const MARGIN = { top: 50, left: 50, right: 62, bottom: 72 };
const CONTENT_WIDTH = A4.width - MARGIN.left - MARGIN.right;
const BOTTOM = A4.height - MARGIN.bottom;
/** Heights (centre, from the top) of the two cross-page seals, far enough apart not to overlap. */
const CROSS_SEAL_Y = { seller: A4.height * 0.3, buyer: A4.height * 0.62 };

const LINE_COLUMNS = [30, 52, 60, 80, 64, 78, CONTENT_WIDTH - 364];
const PARTY_COLUMNS = [112, (CONTENT_WIDTH - 112) / 2, (CONTENT_WIDTH - 112) / 2];
const CELL_PAD = { x: 4, y: 4 };

type Doc = PDFKit.PDFDocument;
type Align = 'left' | 'center' | 'right';
interface Cell {
  text: string;
  align?: Align;
  bold?: boolean;
  /** how many columns the cell spans */
  span?: number;
}

function chineseDate(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${day}`);
  return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`;
}

/** Section numbers 一、二、… up to 九十九. */
function chineseOrdinal(n: number): string {
  const digits = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
  if (n < 10) return digits[n];
  const tens = Math.floor(n / 10);
  return `${tens === 1 ? '' : digits[tens]}十${digits[n % 10]}`;
}

/** Sums by integer arithmetic: a document whose totals disagree with its lines must not be printed as a contract. */
function checkTotals(doc: ContractDocument): void {
  if (doc.lines.length === 0) throw new RangeError(`contract ${doc.contractNo} has no lines`);
  let kg = 0;
  let fen = 0;
  for (const line of doc.lines) {
    kg += line.quantityKg;
    fen += line.amountFen;
  }
  if (kg !== doc.totalKg || fen !== doc.totalFen) {
    throw new RangeError(`contract ${doc.contractNo}: totals ${doc.totalKg} kg / ${doc.totalFen} fen do not match its lines (${kg} kg / ${fen} fen)`);
  }
}

class Layout {
  constructor(readonly doc: Doc) {}

  font(bold: boolean, size: number): this {
    this.doc.font(bold ? 'bold' : 'regular').fontSize(size);
    return this;
  }

  newPage(): void {
    this.doc.addPage();
    this.doc.x = MARGIN.left;
    this.doc.y = MARGIN.top;
  }

  /** Starts a new page unless `height` more points fit on this one; true when it did. */
  ensure(height: number): boolean {
    if (this.doc.y + height <= BOTTOM) return false;
    this.newPage();
    return true;
  }

  height(text: string, width: number, bold: boolean, size: number, lineGap = 2): number {
    this.font(bold, size);
    return Math.max(this.doc.currentLineHeight(true), this.doc.heightOfString(text || ' ', { width, lineGap }));
  }

  rowHeight(cells: Cell[], widths: number[], size: number): number {
    let column = 0;
    let height = 0;
    for (const cell of cells) {
      const width = this.spanWidth(widths, column, cell.span ?? 1);
      height = Math.max(height, this.height(cell.text, width - 2 * CELL_PAD.x, cell.bold ?? false, size));
      column += cell.span ?? 1;
    }
    return height + 2 * CELL_PAD.y;
  }

  spanWidth(widths: number[], from: number, span: number): number {
    return widths.slice(from, from + span).reduce((a, b) => a + b, 0);
  }

  /** One table row at the cursor, cells vertically centred, with its borders; the caller made sure it fits. */
  row(cells: Cell[], widths: number[], size: number, shade = false): void {
    const { doc } = this;
    const top = doc.y;
    const height = this.rowHeight(cells, widths, size);
    let x = MARGIN.left;
    let column = 0;
    if (shade) doc.save().rect(MARGIN.left, top, this.spanWidth(widths, 0, widths.length), height).fill('#eeeeee').restore();
    for (const cell of cells) {
      const width = this.spanWidth(widths, column, cell.span ?? 1);
      const textHeight = this.height(cell.text, width - 2 * CELL_PAD.x, cell.bold ?? false, size);
      doc.lineWidth(0.6).strokeColor('#333333').rect(x, top, width, height).stroke();
      this.font(cell.bold ?? false, size);
      doc.fillColor('black').text(cell.text, x + CELL_PAD.x, top + (height - textHeight) / 2, {
        width: width - 2 * CELL_PAD.x,
        align: cell.align ?? 'left',
        lineGap: 2,
      });
      x += width;
      column += cell.span ?? 1;
    }
    doc.x = MARGIN.left;
    doc.y = top + height;
  }

  /** Flowing text over the content width; pdfkit continues it on new pages by itself. */
  paragraph(text: string, o: { bold?: boolean; size?: number; indent?: number; gapAfter?: number } = {}): void {
    const size = o.size ?? 10;
    this.font(o.bold ?? false, size);
    this.doc.fillColor('black').text(text, MARGIN.left, this.doc.y, { width: CONTENT_WIDTH, lineGap: 3, indent: o.indent ?? 0 });
    this.doc.x = MARGIN.left;
    this.doc.y += o.gapAfter ?? 2;
  }

  heading(text: string, keepWithNext: number): void {
    this.doc.y += 6;
    this.ensure(this.height(text, CONTENT_WIDTH, true, 11) + keepWithNext);
    this.paragraph(text, { bold: true, size: 11, gapAfter: 4 });
  }
}

// ---- the seal ----

/**
 * Page `index` of `count` shows strip `index` of the seal at the right page edge (骑缝章), so the strips join into
 * one seal when the pages are fanned out. A single page shows the seal's right half.
 */
function drawCrossSeal(doc: Doc, index: number, count: number, cy: number, sealTitle: string, fallbackName: string): void {
  const diameter = 2 * SEAL_RADIUS;
  const stripWidth = count === 1 ? diameter / 2 : diameter / count;
  const stripStart = count === 1 ? diameter / 2 : index * stripWidth;
  const sealLeft = A4.width - stripWidth - stripStart;
  doc.save();
  doc.rect(A4.width - stripWidth, cy - SEAL_RADIUS - 1, stripWidth, diameter + 2).clip();
  drawSeal(doc, sealLeft + SEAL_RADIUS, cy, sealTitle, fallbackName);
  doc.restore();
}

// ---- the document ----

function header(l: Layout, c: ContractDocument): void {
  const { doc } = l;
  l.font(true, 20);
  doc.fillColor('black').text(c.title ?? '钢材购销合同', MARGIN.left, MARGIN.top, { width: CONTENT_WIDTH, align: 'center', characterSpacing: 2 });
  doc.y += 8;
  const blockWidth = 230;
  const blockLeft = MARGIN.left + CONTENT_WIDTH - blockWidth;
  l.font(false, 9.5);
  for (const text of [
    `合同编号：${c.contractNo}`,
    `签订日期：${chineseDate(c.signedDate)}`,
    `签订地点：${c.signedPlace}`,
    `合同文本：${c.templateName}（第 ${c.templateVersion} 版）`,
  ]) {
    doc.text(text, blockLeft, doc.y, { width: blockWidth, lineGap: 2 });
  }
  doc.x = MARGIN.left;
  doc.y += 10;
}

function partiesTable(l: Layout, c: ContractDocument): void {
  const { seller, buyer } = c;
  const rows: [string, string, string][] = [
    ['名称', seller.name, buyer.name],
    ['统一社会信用代码(税号)', seller.creditCode, buyer.creditCode],
    ['地址', seller.address, buyer.address],
    ['法定代表人', seller.legalRepresentative ?? '', buyer.legalRepresentative ?? ''],
  ];
  if (seller.agent || buyer.agent) rows.push(['委托代理人', seller.agent ?? '', buyer.agent ?? '']);
  rows.push(['开户银行', seller.bankName, buyer.bankName], ['账号', seller.bankAccount, buyer.bankAccount], ['电话', seller.phone ?? '', buyer.phone ?? '']);
  const head: Cell[] = [{ text: '', bold: true }, { text: '供方(甲方)', bold: true, align: 'center' }, { text: '需方(乙方)', bold: true, align: 'center' }];
  const size = 9.5;
  l.ensure(l.rowHeight(head, PARTY_COLUMNS, size) + l.rowHeight([{ text: rows[0][0] }, { text: rows[0][1] }, { text: rows[0][2] }], PARTY_COLUMNS, size));
  l.row(head, PARTY_COLUMNS, size, true);
  for (const [label, left, right] of rows) {
    const cells: Cell[] = [{ text: label, bold: true }, { text: left }, { text: right }];
    if (l.ensure(l.rowHeight(cells, PARTY_COLUMNS, size))) l.row(head, PARTY_COLUMNS, size, true);
    l.row(cells, PARTY_COLUMNS, size);
  }
}

function linesTable(l: Layout, c: ContractDocument): void {
  const size = 9;
  const head: Cell[] = ['序号', '品种', '牌号', '规格', '数量(吨)', '含税单价(元/吨)', '金额(元)'].map((text) => ({ text, bold: true, align: 'center' }));
  const headHeight = l.rowHeight(head, LINE_COLUMNS, size);
  const rows: Cell[][] = c.lines.map((line) => [
    { text: String(line.lineNo), align: 'center' },
    { text: line.variety },
    { text: line.grade },
    { text: line.spec },
    { text: formatTonnes(line.quantityKg), align: 'right' },
    { text: formatYuan(line.unitPriceFen), align: 'right' },
    { text: formatYuan(line.amountFen), align: 'right' },
  ]);
  const total: Cell[] = [
    { text: '合计', bold: true, align: 'center', span: 4 },
    { text: formatTonnes(c.totalKg), bold: true, align: 'right' },
    { text: '' },
    { text: formatYuan(c.totalFen), bold: true, align: 'right' },
  ];
  const capital: Cell[] = [{ text: `合计人民币(大写)：${chineseCapitalAmount(c.totalFen)}`, bold: true, span: 7 }];
  // The total and its capital-numeral line stay together with the last line, under a header on every page.
  const heights = rows.map((r) => l.rowHeight(r, LINE_COLUMNS, size));
  const tail = l.rowHeight(total, LINE_COLUMNS, size) + l.rowHeight(capital, LINE_COLUMNS, size);
  l.ensure(headHeight + heights[0] + (rows.length === 1 ? tail : 0));
  l.row(head, LINE_COLUMNS, size, true);
  rows.forEach((r, i) => {
    const needed = heights[i] + (i === rows.length - 1 ? tail : 0);
    if (l.ensure(needed)) l.row(head, LINE_COLUMNS, size, true);
    l.row(r, LINE_COLUMNS, size);
  });
  l.row(total, LINE_COLUMNS, size);
  l.row(capital, LINE_COLUMNS, size);
}

/** The two signature boxes side by side, each with its party's seal over it; returns the seals' centres. */
function signatures(l: Layout, c: ContractDocument): { page: number; seller: [number, number]; buyer: [number, number] } {
  const { doc } = l;
  const gap = 15;
  const boxWidth = (CONTENT_WIDTH - gap) / 2;
  const boxHeight = 2 * SEAL_RADIUS + 50;
  doc.y += 12;
  l.ensure(boxHeight);
  const top = doc.y;
  const page = doc.bufferedPageRange().start + doc.bufferedPageRange().count - 1;
  const boxes = [
    { left: MARGIN.left, label: '供方(盖章)：', party: c.seller },
    { left: MARGIN.left + boxWidth + gap, label: '需方(盖章)：', party: c.buyer },
  ];
  for (const box of boxes) {
    doc.lineWidth(0.6).strokeColor('#333333').rect(box.left, top, boxWidth, boxHeight).stroke();
    const x = box.left + 8;
    const width = boxWidth - 16;
    l.font(true, 10);
    doc.fillColor('black').text(box.label, x, top + 8, { width });
    l.font(false, 10);
    doc.text(box.party.name, x, doc.y + 2, { width, lineGap: 2 });
    doc.text(`法定代表人或委托代理人：${box.party.agent ?? box.party.legalRepresentative ?? ''}`, x, top + boxHeight - 48, { width });
    doc.text(`日期：${chineseDate(c.signedDate)}`, x, top + boxHeight - 24, { width });
  }
  doc.x = MARGIN.left;
  doc.y = top + boxHeight;
  const cy = top + 10 + SEAL_RADIUS;
  return { page, seller: [boxes[0].left + boxWidth / 2, cy], buyer: [boxes[1].left + boxWidth / 2, cy] };
}

function footer(l: Layout, c: ContractDocument, index: number, count: number): void {
  const { doc } = l;
  // Below the bottom margin on purpose: without lifting it, pdfkit would start a new page for this text.
  doc.page.margins.bottom = 0;
  doc.lineWidth(0.4).strokeColor('#999999').moveTo(MARGIN.left, A4.height - 60).lineTo(A4.width - MARGIN.right, A4.height - 60).stroke();
  l.font(false, 8.5);
  doc.fillColor('black').text(`合同编号 ${c.contractNo}    第 ${index + 1} 页 共 ${count} 页`, MARGIN.left, A4.height - 54, { width: CONTENT_WIDTH, align: 'center', lineBreak: false });
  doc.text(`验证码 ${c.verifyCode}，可在 ${c.verifyUrl} 核验`, MARGIN.left, A4.height - 40, { width: CONTENT_WIDTH, align: 'center', lineBreak: false });
  doc.page.margins.bottom = MARGIN.bottom;
}

/**
 * Renders the contract. The same input gives the same bytes: the info dates come from the signing date, and pdfkit
 * derives the file ID from the info and the font subset tags from the font order, with nothing random.
 */
export function renderContractPdf(c: ContractDocument, fonts: ContractFonts): Promise<ContractPdf> {
  checkTotals(c);
  chineseDate(c.deliveryFrom);
  chineseDate(c.deliveryTo);
  const signed = new Date(`${c.signedDate}T00:00:00+08:00`);
  if (Number.isNaN(signed.getTime())) throw new RangeError(`not a YYYY-MM-DD date: ${c.signedDate}`);
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    bufferPages: true,
    pdfVersion: '1.7',
    lang: 'zh-CN',
    info: {
      Title: `${c.title ?? '钢材购销合同'} ${c.contractNo}`,
      Author: c.seller.name,
      Subject: c.contractNo,
      Creator: 'steel-sales-portal',
      Producer: 'PDFKit',
      CreationDate: signed,
      ModDate: signed,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  registerDocFonts(doc, fonts);
  const l = new Layout(doc);

  header(l, c);
  l.paragraph('供需双方根据《中华人民共和国民法典》及有关法律法规的规定，本着平等互利、协商一致的原则，签订本合同，共同遵守。', { indent: 20, gapAfter: 8 });
  partiesTable(l, c);

  let section = 0;
  l.heading(`${chineseOrdinal(++section)}、产品名称、规格、数量及价格`, 60);
  linesTable(l, c);

  l.heading(`${chineseOrdinal(++section)}、交货地点、期限及方式`, 40);
  l.paragraph(`交货地点：${c.deliveryPlace}`, { indent: 20 });
  l.paragraph(`交货期限：${chineseDate(c.deliveryFrom)}至${chineseDate(c.deliveryTo)}`, { indent: 20 });
  l.paragraph(`交货方式：${c.deliveryMethod}`, { indent: 20 });
  l.heading(`${chineseOrdinal(++section)}、付款方式`, 30);
  l.paragraph(c.paymentTerms, { indent: 20 });
  l.heading(`${chineseOrdinal(++section)}、质量标准`, 30);
  l.paragraph(c.qualityStandard, { indent: 20 });
  for (const clause of c.clauses) {
    // A clause title is kept with the first two lines of its text.
    l.heading(`${chineseOrdinal(++section)}、${clause.title}`, 2 * l.height('一', CONTENT_WIDTH, false, 10, 3));
    for (const paragraph of clause.body.split(/\r?\n/).filter((p) => p.trim() !== '')) l.paragraph(paragraph.trim(), { indent: 20 });
  }

  const signing = signatures(l, c);
  drawSeal(doc, ...signing.seller, c.sealTitles.seller, c.seller.name);
  drawSeal(doc, ...signing.buyer, c.sealTitles.buyer, c.buyer.name);

  const range = doc.bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    footer(l, c, i, range.count);
    drawCrossSeal(doc, i, range.count, CROSS_SEAL_Y.seller, c.sealTitles.seller, c.seller.name);
    drawCrossSeal(doc, i, range.count, CROSS_SEAL_Y.buyer, c.sealTitles.buyer, c.buyer.name);
  }
  doc.end();
  return done.then((pdf) => ({
    pdf,
    pages: range.count,
    seals: {
      seller: { page: signing.page - range.start, rect: sealRect(signing.seller, A4.height) },
      buyer: { page: signing.page - range.start, rect: sealRect(signing.buyer, A4.height) },
    },
  }));
}
