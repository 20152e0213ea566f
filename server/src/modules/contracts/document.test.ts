// The contract PDF (text as poppler extracts it, font subsets, seals, same bytes) and the PDF worker pool it runs in.
// Every assert.ok here carries a message: on Node 20 a failing assert.ok without one makes node:assert re-parse this
// file's source to describe the expression, which takes minutes on a tsx-transformed file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { amountFen } from '../../../../shared/units.js';
import { loadFonts } from '../../pdf/fonts.js';
import { createPdfPool, PdfRenderTimeout, PdfWorkerCrash, type PdfPool } from '../../pdf/pool.js';
import { formatTonnes, formatYuan, renderContractPdf, type ContractDocument, type ContractDocumentLine, type ContractPdf } from './document.js';
import { BUYER, SELLER } from '../../../test/contract-fixture.js';
import { pdftotext, useTempDir } from '../../../test/pdf-tools.js';

const A4 = { width: 595.28, height: 841.89 };
const poppler = ['pdftotext', 'pdffonts', 'pdftoppm'].every((tool) => !spawnSync(tool, ['-v']).error);
// Without poppler the PDF checks are skipped on a developer's machine, never in CI.
const skip = !poppler && process.env.CI !== 'true' ? 'poppler-utils is not installed (apt-get install poppler-utils)' : false;

function line(lineNo: number, variety: string, grade: string, spec: string, quantityKg: number, unitPriceFen: number): ContractDocumentLine {
  return { lineNo, variety, grade, spec, quantityKg, unitPriceFen, amountFen: amountFen(quantityKg, unitPriceFen) };
}

function contract(o: { lines?: ContractDocumentLine[]; clauses?: { title: string; body: string }[] } = {}): ContractDocument {
  const lines = o.lines ?? [
    line(1, '螺纹钢', 'HRB400E', 'Φ25×12000', 120_560, 385_000),
    line(2, '盘螺', 'HRB500E', 'Φ8', 85_125, 396_000),
    line(3, '热轧卷板', 'Q355B', '4.75×1500×C', 110_002, 391_234),
  ];
  return {
    contractNo: 'HT2026110007',
    signedDate: '2026-11-23',
    signedPlace: '江苏省张家港市',
    seller: SELLER,
    buyer: BUYER,
    lines,
    totalKg: lines.reduce((sum, l) => sum + l.quantityKg, 0),
    totalFen: lines.reduce((sum, l) => sum + l.amountFen, 0),
    deliveryPlace: '需方仓库（上海市宝山区）',
    deliveryFrom: '2026-12-01',
    deliveryTo: '2026-12-31',
    deliveryMethod: '供方代办汽运，运费由需方承担',
    paymentTerms: '款到发货：需方于合同签订后三个工作日内付清全部货款。',
    qualityStandard: '按GB/T 1499.2-2024及供方质量证明书验收。',
    clauses: o.clauses ?? [
      { title: '质量异议', body: '需方对产品质量有异议的，应在收货后十五日内书面提出，逾期视为验收合格。' },
      { title: '违约责任', body: '任何一方违约，应按《中华人民共和国民法典》承担违约责任。' },
      { title: '争议解决', body: '因本合同引起的争议，双方协商解决；协商不成的，提交供方所在地人民法院诉讼解决。' },
    ],
    templateName: '钢材购销合同标准文本',
    templateVersion: 3,
    verifyCode: 'K7QX-M2PD',
    verifyUrl: 'https://portal.example.com/verify',
    sealTitles: { seller: '江南钢铁股份有限公司 合同专用章', buyer: '上海恒达钢材贸易有限公司 合同专用章' },
  };
}

/** 40 lines and twelve long clauses: at least three pages. */
function longContract(): ContractDocument {
  const varieties = [
    ['螺纹钢', 'HRB400E'],
    ['盘螺', 'HRB500E'],
    ['高速线材', 'SWRH82B'],
    ['热轧卷板', 'Q235B'],
  ];
  const lines = Array.from({ length: 40 }, (_, i) => line(i + 1, varieties[i % 4][0], varieties[i % 4][1], `Φ${10 + i}×${9000 + i * 10}`, 50_000 + i * 1_237, 380_000 + i * 150));
  const body = '本条所称交货，以需方或其指定承运人在供方仓库签收为准；需方应按合同约定的期限提货，逾期提货的，供方有权按每日每吨人民币五元收取仓储费用，并有权在逾期超过三十日后另行处分该批货物。'.repeat(3);
  const titles = ['产品包装', '计量方法', '运输方式', '验收标准', '质量异议', '价格调整', '结算方式', '违约责任', '不可抗力', '合同变更', '争议解决', '其他约定'];
  return contract({ lines, clauses: titles.map((title) => ({ title, body })) });
}

const fonts = loadFonts();
const temp = useTempDir('contract-pdf-');
const write = (name: string, pdf: Buffer) => temp.write(name, pdf);

/** Each page as an RGB raster at `dpi`, read from pdftoppm's binary PPM (P6) files. */
function rasterise(file: string, dpi: number): { width: number; height: number; rgb: Buffer }[] {
  const prefix = path.join(temp.path, `${path.basename(file, '.pdf')}-page`);
  execFileSync('pdftoppm', ['-r', String(dpi), file, prefix]);
  return readdirSync(temp.path)
    .filter((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.ppm'))
    .sort()
    .map((f) => {
      const data = readFileSync(path.join(temp.path, f));
      const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 40).toString('latin1'));
      assert.ok(header, `${f} is a binary PPM`);
      return { width: Number(header[1]), height: Number(header[2]), rgb: data.subarray(header[0].length) };
    });
}

/** Seal-red pixels in a rectangle of the page, given in points from the top left. */
function redPixels(page: { width: number; height: number; rgb: Buffer }, x1: number, y1: number, x2: number, y2: number): number {
  const sx = page.width / A4.width;
  const sy = page.height / A4.height;
  let count = 0;
  for (let y = Math.floor(y1 * sy); y < Math.min(page.height, Math.ceil(y2 * sy)); y++) {
    for (let x = Math.floor(x1 * sx); x < Math.min(page.width, Math.ceil(x2 * sx)); x++) {
      const i = (y * page.width + x) * 3;
      if (page.rgb[i] > 170 && page.rgb[i + 1] < 110 && page.rgb[i + 2] < 110) count++;
    }
  }
  return count;
}

function assertSealsOnLastPage(result: ContractPdf): void {
  for (const seal of [result.seals.seller, result.seals.buyer]) {
    assert.equal(seal.page, result.pages - 1, 'the signature seals are on the last page');
    const [x1, y1, x2, y2] = seal.rect;
    assert.ok(x1 >= 0 && y1 >= 0 && x2 <= A4.width && y2 <= A4.height && x1 < x2 && y1 < y2, `seal rect ${seal.rect} lies inside the page`);
    assert.ok(Math.abs(x2 - x1 - 119.06) < 0.1 && Math.abs(y2 - y1 - 119.06) < 0.1, 'a seal is 42 mm across');
  }
  assert.ok(result.seals.seller.rect[2] <= result.seals.buyer.rect[0], 'the seller seal is left of the buyer seal, not over it');
}

test('amounts and tonnages are printed exactly, grouped in thousands', () => {
  assert.equal(formatTonnes(1_234_567), '1,234.567');
  assert.equal(formatTonnes(5), '0.005');
  assert.equal(formatTonnes(120_560), '120.560');
  assert.equal(formatYuan(1_234_567), '12,345.67');
  assert.equal(formatYuan(9_007_199_254_740_991), '90,071,992,547,409.91');
  assert.equal(formatYuan(7), '0.07');
});

test('a contract whose totals do not match its lines is refused', async () => {
  const c = contract();
  await assert.rejects(async () => renderContractPdf({ ...c, totalFen: c.totalFen + 1 }, fonts), /do not match its lines/);
  await assert.rejects(async () => renderContractPdf({ ...c, lines: [], totalKg: 0, totalFen: 0 }, fonts), /has no lines/);
});

test('the contract shows both parties, every line, the totals in figures and capitals, the terms and the footers', { skip }, async () => {
  const c = contract();
  const result = await renderContractPdf(c, fonts);
  const text = pdftotext(write('three-lines.pdf', result.pdf));
  for (const party of [c.seller, c.buyer]) {
    for (const field of [party.name, party.creditCode, party.address, party.bankName, party.bankAccount, party.phone!, party.legalRepresentative!]) {
      assert.ok(text.includes(field), `shows ${field}`);
    }
  }
  for (const label of ['钢材购销合同', '合同编号：HT2026110007', '签订日期：2026年11月23日', '签订地点：江苏省张家港市', '统一社会信用代码(税号)', '开户银行', '供方(甲方)', '需方(乙方)']) {
    assert.ok(text.includes(label), `shows ${label}`);
  }
  for (const l of c.lines) for (const field of [l.variety, l.grade, l.spec]) assert.ok(text.includes(field), `line ${l.lineNo} shows ${field}`);
  // 120.560 t at 3,850.00 = 464,156.00; 85.125 t at 3,960.00 = 337,095.00; 110.002 t at 3,912.34 = 430,365.22 (rounded half up)
  for (const figure of ['120.560', '85.125', '110.002', '3,850.00', '3,960.00', '3,912.34', '464,156.00', '337,095.00', '430,365.22', '315.687', '1,231,616.22']) {
    assert.ok(text.includes(figure), `shows ${figure}`);
  }
  assert.match(text, /合计人民币\(大写\)：壹佰贰拾叁万壹仟陆佰壹拾陆元贰角贰分/);
  for (const term of ['交货地点：需方仓库（上海市宝山区）', '交货期限：2026年12月1日至2026年12月31日', c.deliveryMethod, c.paymentTerms, '四、质量标准', '五、质量异议', '六、违约责任', '七、争议解决']) {
    assert.ok(text.includes(term), `shows ${term}`);
  }
  assert.equal(result.pages, 2);
  assert.match(text, /合同编号 HT2026110007\s+第 1 页 共 2 页/);
  assert.match(text, /合同编号 HT2026110007\s+第 2 页 共 2 页/);
  assert.equal(text.match(/验证码 K7QX-M2PD，可在 https:\/\/portal\.example\.com\/verify 核验/g)?.length, 2, 'the verification line is on every page');
  assert.ok(text.includes('法定代表人或委托代理人：张伟'), "the buyer's signing agent is named");
  assert.ok(!text.includes('专用章'), "the seals' characters stay out of the extracted text");
  assertSealsOnLastPage(result);
});

test('the fonts are embedded as subsets', { skip }, async () => {
  const file = write('fonts.pdf', (await renderContractPdf(contract(), fonts)).pdf);
  const rows = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2).filter((r) => r.trim());
  assert.ok(rows.length >= 2, 'regular and bold');
  for (const row of rows) assert.match(row, /^[A-Z]{6}\+NotoSansSC-\w+\s+CID TrueType\s+Identity-H\s+yes yes yes/, row);
});

test('a long contract breaks cleanly over several pages, repeating the lines header', { skip }, async () => {
  const c = longContract();
  const result = await renderContractPdf(c, fonts);
  const file = write('long.pdf', result.pdf);
  const text = pdftotext(file);
  const pages = text.split('\f').filter((p) => p.trim());
  assert.ok(result.pages >= 3, `${result.pages} pages`);
  assert.equal(pages.length, result.pages);
  pages.forEach((page, i) => assert.match(page, new RegExp(`第 ${i + 1} 页 共 ${result.pages} 页`), `footer of page ${i + 1}`));
  for (const l of c.lines) {
    assert.ok(text.includes(l.spec), `line ${l.lineNo} spec`);
    assert.ok(text.includes(formatTonnes(l.quantityKg)) && text.includes(formatYuan(l.amountFen)), `line ${l.lineNo} figures`);
  }
  const headers = pages.filter((p) => /序号\s+品种\s+牌号\s+规格\s+数量\(吨\)/.test(p)).length;
  const pagesWithLines = pages.filter((p) => /^\s*\d+\s+(螺纹钢|盘螺|高速线材|热轧卷板)\s/m.test(p)).length;
  assert.ok(pagesWithLines >= 2, 'the lines table spans pages');
  assert.equal(headers, pagesWithLines, 'every page with lines starts with the header');
  for (const clause of c.clauses) assert.match(text, new RegExp(`[一二三四五六七八九十]+、${clause.title}`), clause.title);
  assert.ok(text.includes(formatYuan(c.totalFen)), 'the total amount');
  assertSealsOnLastPage(result);
});

test('each page carries its strip of both cross-page seals at the right edge, and the last page the two round seals', { skip }, async () => {
  for (const [name, c] of [['short', contract()], ['long', longContract()]] as const) {
    const result = await renderContractPdf(c, fonts);
    const pages = rasterise(write(`seals-${name}.pdf`, result.pdf), 36);
    assert.equal(pages.length, result.pages);
    pages.forEach((page, i) => {
      // Seller's strip centred at 30 % of the height, buyer's at 62 %: each shows red in the page's last 8 pt.
      const edge = A4.width - 8;
      assert.ok(redPixels(page, edge, A4.height * 0.3 - 55, A4.width, A4.height * 0.3 + 55) > 3, `${name} page ${i + 1}: seller strip`);
      assert.ok(redPixels(page, edge, A4.height * 0.62 - 55, A4.width, A4.height * 0.62 + 55) > 3, `${name} page ${i + 1}: buyer strip`);
      assert.equal(redPixels(page, edge, A4.height * 0.46 - 2, A4.width, A4.height * 0.46 + 2), 0, `${name} page ${i + 1}: the two strips do not touch`);
    });
    const last = pages[pages.length - 1];
    for (const seal of [result.seals.seller, result.seals.buyer]) {
      const [x1, y1, x2, y2] = seal.rect;
      const red = redPixels(last, x1, A4.height - y2, x2, A4.height - y1);
      assert.ok(red > 200, `${name}: the round seal is drawn where its placement says (${red} red pixels)`);
    }
  }
});

test('the same contract renders to the same bytes, whether the fonts were parsed afresh or reused', async () => {
  const first = await renderContractPdf(contract(), fonts);
  const second = await renderContractPdf(contract(), fonts);
  // Copies of the font files are not in the renderer's parsed-font cache: this render parses them again.
  const fresh = await renderContractPdf(contract(), { regular: Buffer.from(fonts.regular), bold: Buffer.from(fonts.bold) });
  assert.ok(first.pdf.equals(second.pdf), 'a second render gives the same bytes');
  assert.ok(first.pdf.equals(fresh.pdf), 'a render with freshly parsed fonts gives the same bytes');
  assert.ok(first.pdf.subarray(0, 8).toString('latin1').startsWith('%PDF-1.7'), 'PDF 1.7 (transparency needs 1.4)');
});

// ---- the worker pool ----

let pool: PdfPool;
/** The test-only kinds are outside the typed registry. */
const renderAny = (kind: string, input: unknown, o?: { timeoutMs?: number }) => (pool.render as (k: string, i: unknown, o?: { timeoutMs?: number }) => Promise<unknown>)(kind, input, o);

test('the pool renders 8 contracts at once in its threads while the event loop stays responsive', async (t) => {
  pool = createPdfPool({ size: 2, testKinds: true });
  await pool.render('contract', contract());
  // A 1 ms resolution: the histogram records whole timer intervals, so a coarser one would add itself to every sample.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.render('contract', i % 2 ? contract() : longContract())));
  const elapsed = performance.now() - started;
  delay.disable();
  for (const r of results) {
    assert.ok(Buffer.isBuffer(r.pdf) && r.pdf.subarray(0, 5).toString('latin1') === '%PDF-', 'a PDF arrives as a Buffer');
    assert.ok(r.pdf.subarray(-6).toString('latin1').includes('%%EOF'), 'the whole PDF arrived');
    assertSealsOnLastPage(r);
  }
  const p99 = delay.percentile(99) / 1e6;
  t.diagnostic(`8 renders in ${elapsed.toFixed(0)} ms, event loop delay p99 ${p99.toFixed(1)} ms`);
  assert.ok(results[1].pdf.equals((await renderContractPdf(contract(), fonts)).pdf), 'a worker renders the same bytes as the main thread');
  // The limit is 50 ms; rendering on the main thread would block it for a whole document at a time (30-300 ms).
  assert.ok(p99 < 50, `event loop delay p99 ${p99.toFixed(1)} ms while rendering for ${elapsed.toFixed(0)} ms`);
  if (!skip) assert.equal(execFileSync('pdffonts', [write('pooled.pdf', results[1].pdf)], { encoding: 'utf8' }).includes('yes yes yes'), true);
});

test('a crashed worker rejects only the job it was running, and the pool goes on', async () => {
  const jobs = [pool.render('contract', contract()), renderAny('crash-test', {}), pool.render('contract', contract()), pool.render('contract', longContract())];
  const settled = await Promise.allSettled(jobs);
  assert.equal(settled[1].status, 'rejected');
  assert.ok((settled[1] as PromiseRejectedResult).reason instanceof PdfWorkerCrash, 'a PdfWorkerCrash');
  assert.match(String((settled[1] as PromiseRejectedResult).reason.message), /stopped while rendering a 'crash-test' document/);
  for (const i of [0, 2, 3]) assert.equal(settled[i].status, 'fulfilled', `job ${i}`);
  const after = await pool.render('contract', contract());
  assert.ok(after.pdf.length > 10_000, 'the pool renders after the crash');
});

test('a renderer error rejects its job and keeps the worker; an unknown kind is refused', async () => {
  await assert.rejects(renderAny('fail-test', {}), /fail-test: the renderer refuses/);
  await assert.rejects(renderAny('no-such-kind', {}), /no PDF renderer for kind 'no-such-kind'/);
  assert.ok((await pool.render('contract', contract())).pdf.length > 10_000, 'the pool still renders');
});

test('a job over its time limit is rejected with a clear error and its worker replaced', async () => {
  const started = performance.now();
  await assert.rejects(renderAny('hang-test', { ms: 20_000 }, { timeoutMs: 300 }), (e: unknown) => {
    assert.ok(e instanceof PdfRenderTimeout, 'a PdfRenderTimeout');
    assert.match(e.message, /rendering a 'hang-test' PDF took longer than 300 ms/);
    return true;
  });
  assert.ok(performance.now() - started < 5_000, 'rejected at the limit, not when the render ends');
  const [a, b] = await Promise.all([pool.render('contract', contract()), pool.render('contract', contract())]);
  assert.ok(a.pdf.equals(b.pdf), 'the restarted worker renders the same bytes');
});

test('closing the pool lets running jobs finish and refuses new ones', async () => {
  const running = pool.render('contract', contract());
  const closing = pool.close();
  await assert.rejects(pool.render('contract', contract()), /the PDF pool is closed/);
  assert.ok((await running).pdf.length > 10_000, 'the running job finished');
  await closing;
});
