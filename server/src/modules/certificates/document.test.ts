// The printed certificate copy: text as poppler extracts it, fonts, landscape page, the QR code decoded from a raster,
// the seal's placement, the same bytes for the same input, and the PDF pool's 'certificate' kind.
// Every assert.ok here carries a message: on Node 20 a failing assert.ok without one makes node:assert re-parse this
// file's source to describe the expression, which takes minutes on a tsx-transformed file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import jsQRModule from 'jsqr';
import { loadFonts } from '../../pdf/fonts.js';
import { createPdfPool } from '../../pdf/pool.js';
import { renderCertificatePdf, resultText, type CertificateDocument, type CertificatePdf } from './document.js';
import { sampleCertificate } from '../../../test/certificate-fixture.js';
import { pdftotext, useTempDir } from '../../../test/pdf-tools.js';

// jsqr is CommonJS with typings that declare an ES default export: under NodeNext the default import is typed as the
// module object, while at run time it is module.exports, the decoder function itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;
const PAGE = { width: 841.89, height: 595.28 };
const poppler = ['pdftotext', 'pdffonts', 'pdftoppm', 'pdfinfo'].every((tool) => !spawnSync(tool, ['-v']).error);
// Without poppler the PDF checks are skipped on a developer's machine, never in CI.
const skip = !poppler && process.env.CI !== 'true' ? 'poppler-utils is not installed (apt-get install poppler-utils)' : false;

const fonts = loadFonts();
const temp = useTempDir('certificate-pdf-');
const write = (name: string, pdf: Buffer) => temp.write(name, pdf);

interface Raster {
  width: number;
  height: number;
  rgb: Buffer;
}

/** One page (1-based) as an RGB raster at `dpi`, read from pdftoppm's binary PPM (P6). */
function rasterise(file: string, page: number, dpi: number): Raster {
  const prefix = path.join(temp.path, `${path.basename(file, '.pdf')}-p${page}`);
  execFileSync('pdftoppm', ['-r', String(dpi), '-f', String(page), '-l', String(page), '-singlefile', file, prefix]);
  const data = readFileSync(`${prefix}.ppm`);
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 40).toString('latin1'));
  assert.ok(header, 'a binary PPM');
  return { width: Number(header[1]), height: Number(header[2]), rgb: data.subarray(header[0].length) };
}

/** A rectangle of the raster, given in points from the top left, as the RGBA pixels jsqr reads. */
function crop(r: Raster, x1: number, y1: number, x2: number, y2: number): { data: Uint8ClampedArray; width: number; height: number } {
  const s = r.width / PAGE.width;
  const [left, top] = [Math.floor(x1 * s), Math.floor(y1 * s)];
  const width = Math.min(r.width, Math.ceil(x2 * s)) - left;
  const height = Math.min(r.height, Math.ceil(y2 * s)) - top;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = ((top + y) * r.width + left + x) * 3;
      const to = (y * width + x) * 4;
      data[to] = r.rgb[from];
      data[to + 1] = r.rgb[from + 1];
      data[to + 2] = r.rgb[from + 2];
      data[to + 3] = 255;
    }
  }
  return { data, width, height };
}

function decodeQr(r: Raster, x1: number, y1: number, x2: number, y2: number): string | undefined {
  const { data, width, height } = crop(r, x1, y1, x2, y2);
  return jsQR(data, width, height)?.data;
}

/** Seal-red pixels in a rectangle of the page, given in points from the top left. */
function redPixels(r: Raster, x1: number, y1: number, x2: number, y2: number): number {
  const { data, width, height } = crop(r, x1, y1, x2, y2);
  let count = 0;
  for (let i = 0; i < width * height * 4; i += 4) if (data[i] > 170 && data[i + 1] < 110 && data[i + 2] < 110) count++;
  return count;
}

function assertSealOnLastPage(result: CertificatePdf): void {
  const [x1, y1, x2, y2] = result.seal.rect;
  assert.equal(result.seal.page, result.pages - 1, 'the quality seal is on the last page');
  assert.ok(x1 >= 0 && y1 >= 0 && x2 <= PAGE.width && y2 <= PAGE.height && x1 < x2 && y1 < y2, `seal rect ${result.seal.rect} lies inside the landscape page`);
  assert.ok(Math.abs(x2 - x1 - 119.06) < 0.1 && Math.abs(y2 - y1 - 119.06) < 0.1, 'the seal is 42 mm across');
}

test('values are printed with their operator exactly as the ERP sent them', () => {
  assert.equal(resultText({ symbol: 'S', valueText: '0.005', operator: '<', inSpec: true }), '<0.005');
  assert.equal(resultText({ symbol: 'P', valueText: '0.0050', inSpec: true }), '0.0050');
  assert.equal(resultText({ symbol: 'Rm', valueText: '610', operator: '=', inSpec: true }), '610');
  assert.equal(resultText({ symbol: 'Ceq', valueText: '0.40', operator: '≤', inSpec: true }), '≤0.40');
  assert.equal(resultText({ symbol: 'S', valueText: '<0.005', operator: '<', inSpec: true }), '<0.005', 'an operator already in the text is not doubled');
});

test('a certificate without batches, with a bad date or a copy beyond its limit is refused', async () => {
  const c = sampleCertificate();
  await assert.rejects(async () => renderCertificatePdf({ ...c, batches: [] }, fonts), /has no batches/);
  await assert.rejects(async () => renderCertificatePdf({ ...c, issueDate: '23.11.2026' }, fonts), /not a YYYY-MM-DD date/);
  await assert.rejects(async () => renderCertificatePdf({ ...c, copy: { ...c.copy, n: 4, m: 3 } }, fonts), /copy 4\/3/);
  await assert.rejects(async () => renderCertificatePdf({ ...c, batches: [{ ...c.batches[0], weightKg: 1.5 }] }, fonts), /not an integer weight/);
});

test('a ten-heat certificate shows its header, every heat with its values as given, and the copy on every page', { skip }, async () => {
  const c = sampleCertificate();
  const result = await renderCertificatePdf(c, fonts);
  const file = write('ten-heats.pdf', result.pdf);
  const text = pdftotext(file);
  const pages = text.split('\f').filter((p) => p.trim());
  assert.ok(result.pages >= 1 && result.pages <= 2, `ten heats on at most two pages (${result.pages})`);
  assert.equal(pages.length, result.pages);

  for (const field of ['产品质量证明书', 'Inspection certificate EN 10204 3.1', 'ZB20261123001', '2026年11月23日', 'GB/T 1499.2-2024', '热轧带肋钢筋', '上海恒达钢材贸易有限公司', 'HT2026110007', 'FH20261123-0458', '苏E·7K235', '周建华']) {
    assert.ok(text.includes(field), `shows ${field}`);
  }
  for (const b of c.batches) {
    assert.ok(text.includes(b.heatNo) && text.includes(b.batchNo), `heat ${b.heatNo} and batch ${b.batchNo}`);
    // The batch's row, as pdftotext lays it out: grade, spec, pieces, weight, then the chemistry in order.
    const chemistry = b.chemical.map((r) => resultText(r).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + (r.inSpec === false ? '\\*' : '')).join('\\s+');
    assert.match(text, new RegExp(`${b.grade}\\s+${b.spec}\\s+${b.pieces}\\s+[\\d.]+\\s+${chemistry}\\s`), `heat ${b.heatNo}'s chemistry in order, values as given`);
    for (const r of b.mechanical) assert.ok(text.includes(r.valueText), `heat ${b.heatNo} ${r.symbol} ${r.valueText}`);
  }
  assert.ok(text.includes('0.0050'), '"0.0050" stays "0.0050"');
  assert.equal(text.match(/<0\.005\b/g)?.length, 4, 'the four "<0.005" sulphur values');
  assert.ok(text.includes('0.55*'), 'the out-of-spec carbon equivalent is marked');
  assert.ok(text.includes('* 超出标准要求 out of specification'), 'and the mark explained');
  // 30.125 t + ... + 39.458 t: ten weights in integer kilograms, summed as integers.
  for (const weight of ['30.125', '39.458', '347.915']) assert.ok(text.includes(weight), `weight ${weight}`);
  assert.ok(text.includes('捆号 Bundle Nos.: K2B06041201, K2B06041202, K2B06041203'), 'bundle numbers under their batch');

  pages.forEach((page, i) => {
    assert.match(page, /副本 2\/3 · 副本编号 ZB20261123001-C0003 · 打印：上海恒达钢材贸易有限公司\/张伟 2026-11-23 14:05 \(UTC\+8\) · 验证码 K7QX-M2PD/, `footer of page ${i + 1}`);
    assert.ok(page.includes(c.copy.verifyUrl), `verification URL on page ${i + 1}`);
    assert.match(page, new RegExp(`第 ?${i + 1} ?页 ?共 ?${result.pages} ?页`), `page number on page ${i + 1}`);
    assert.match(page, /炉号 Heat No\./, `the table header on page ${i + 1}`);
    // Band and footer name the copy once each; the watermark's dozens of copies stay out of the extracted text.
    assert.equal(page.split(c.copy.copyNo).length - 1, 2, `the copy number twice on page ${i + 1}, the watermark not extracted`);
  });
  assertSealOnLastPage(result);
});

test('the fonts are embedded as subsets and the page is A4 landscape', { skip }, async () => {
  const result = await renderCertificatePdf(sampleCertificate(), fonts);
  const file = write('fonts.pdf', result.pdf);
  const rows = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2).filter((r) => r.trim());
  assert.ok(rows.length >= 2, 'regular and bold');
  for (const row of rows) assert.match(row, /^[A-Z]{6}\+NotoSansSC-\w+\s+CID TrueType\s+Identity-H\s+yes yes yes/, row);
  const info = execFileSync('pdfinfo', ['-l', String(result.pages), file], { encoding: 'utf8' });
  const sizes = [...info.matchAll(/Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/g)].map((m) => `${Math.round(Number(m[1]))} x ${Math.round(Number(m[2]))}`);
  assert.deepEqual(sizes, Array(result.pages).fill('842 x 595'), 'every page 842 x 595 pt');
});

test('the QR code on the last page decodes to the copy’s verification URL, and the small one on each page too', { skip }, async () => {
  const c = sampleCertificate();
  const result = await renderCertificatePdf(c, fonts);
  const file = write('qr.pdf', result.pdf);
  const last = rasterise(file, result.pages, 150);
  // The large code is at the foot of the last page, right of the seal; the small one in every page's top right corner.
  assert.equal(decodeQr(last, PAGE.width - 200, PAGE.height / 2, PAGE.width, PAGE.height), c.copy.verifyUrl, 'the large QR code');
  for (let page = 1; page <= result.pages; page++) {
    const raster = page === result.pages ? last : rasterise(file, page, 150);
    assert.equal(decodeQr(raster, PAGE.width - 140, 0, PAGE.width, 110), c.copy.verifyUrl, `the small QR code on page ${page}`);
  }
  const other = { ...c, copy: { ...c.copy, verifyUrl: 'https://portal.example.com/verify/ZZZZ0000YYYY1111' } };
  const otherFile = write('qr-other.pdf', (await renderCertificatePdf(other, fonts)).pdf);
  assert.equal(decodeQr(rasterise(otherFile, result.pages, 150), PAGE.width - 200, PAGE.height / 2, PAGE.width, PAGE.height), other.copy.verifyUrl, 'each copy its own URL');
});

test('the quality seal is drawn in red where its placement says, on the last page', { skip }, async () => {
  const result = await renderCertificatePdf(sampleCertificate(), fonts);
  assertSealOnLastPage(result);
  const last = rasterise(write('seal.pdf', result.pdf), result.pages, 36);
  const [x1, y1, x2, y2] = result.seal.rect;
  const red = redPixels(last, x1, PAGE.height - y2, x2, PAGE.height - y1);
  assert.ok(red > 200, `the seal is where its placement says (${red} red pixels)`);
});

test('a withdrawn certificate says so on every page', { skip }, async () => {
  const result = await renderCertificatePdf({ ...sampleCertificate(), withdrawn: true }, fonts);
  const pages = pdftotext(write('withdrawn.pdf', result.pdf)).split('\f').filter((p) => p.trim());
  for (const [i, page] of pages.entries()) assert.ok(page.includes('本质量证明书已被钢厂撤回'), `page ${i + 1} says the certificate was withdrawn`);
});

test('a short certificate fits one page; an EN 10204-less type is printed as the mill names it', { skip }, async () => {
  const c: CertificateDocument = { ...sampleCertificate({ heats: 2 }), documentType: '质量证明书' };
  const result = await renderCertificatePdf(c, fonts);
  assert.equal(result.pages, 1);
  const text = pdftotext(write('short.pdf', result.pdf));
  assert.ok(text.includes('Quality certificate 质量证明书'), 'the type as given');
  assertSealOnLastPage(result);
});

test('the same copy renders to the same bytes, whether the fonts were parsed afresh or reused', async () => {
  const first = await renderCertificatePdf(sampleCertificate(), fonts);
  const second = await renderCertificatePdf(sampleCertificate(), fonts);
  const fresh = await renderCertificatePdf(sampleCertificate(), { regular: Buffer.from(fonts.regular), bold: Buffer.from(fonts.bold) });
  assert.ok(first.pdf.equals(second.pdf), 'a second render gives the same bytes');
  assert.ok(first.pdf.equals(fresh.pdf), 'a render with freshly parsed fonts gives the same bytes');
  const c = sampleCertificate();
  const otherCopy = await renderCertificatePdf({ ...c, copy: { ...c.copy, n: 3, copyNo: 'ZB20261123001-C0004' } }, fonts);
  assert.ok(!first.pdf.equals(otherCopy.pdf), 'another copy differs');
});

test('the PDF pool renders certificates as kind "certificate", the same bytes as the main thread', async () => {
  const pool = createPdfPool({ size: 1 });
  try {
    const [a, b] = await Promise.all([pool.render('certificate', sampleCertificate()), pool.render('certificate', sampleCertificate())]);
    for (const r of [a, b]) {
      assert.ok(Buffer.isBuffer(r.pdf) && r.pdf.subarray(0, 5).toString('latin1') === '%PDF-', 'a PDF arrives as a Buffer');
      assertSealOnLastPage(r);
    }
    assert.ok(a.pdf.equals((await renderCertificatePdf(sampleCertificate(), fonts)).pdf), 'a worker renders the same bytes as the main thread');
  } finally {
    await pool.close();
  }
});
