// Contract PDF benchmark: a two-page Chinese contract rendered N times through the PDF worker pool, timed inside the
// worker per document, with the main thread's event loop delay meanwhile (issue targets: p95 ≤ 250 ms, p99 ≤ 50 ms).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createPdfPool, type PdfInput, type PdfKindName, type PdfOutput } from '../../server/src/pdf/pool.js';
import type { ContractDocument, ContractDocumentLine } from '../../server/src/modules/contracts/document.js';
import { amountFen } from '../../shared/units.js';
import { percentile } from './load.js';
import { BUYER, SELLER } from '../../server/test/contract-fixture.js';

export interface RenderBenchResult {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  eventLoopDelayP99Ms: number;
  documents: number;
  /** pages of the benchmark's document */
  pages: number;
}

/** Eight lines and six clauses: two A4 pages, the size of a typical monthly contract. */
function benchContract(): ContractDocument {
  const products: [string, string, string][] = [
    ['螺纹钢', 'HRB400E', 'Φ12×9000'],
    ['螺纹钢', 'HRB400E', 'Φ25×12000'],
    ['螺纹钢', 'HRB500E', 'Φ32×12000'],
    ['盘螺', 'HRB400E', 'Φ8'],
    ['高速线材', 'SWRH82B', 'Φ12.5'],
    ['热轧卷板', 'Q235B', '4.75×1500×C'],
    ['热轧卷板', 'Q355B', '9.75×1800×C'],
    ['中厚板', 'Q355NE', '20×2500×12000'],
  ];
  const lines: ContractDocumentLine[] = products.map(([variety, grade, spec], i) => {
    const quantityKg = 80_000 + i * 12_345;
    const unitPriceFen = 376_000 + i * 2_150;
    return { lineNo: i + 1, variety, grade, spec, quantityKg, unitPriceFen, amountFen: amountFen(quantityKg, unitPriceFen) };
  });
  const clause = (title: string, body: string) => ({ title, body });
  return {
    contractNo: 'HT2026110001',
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
    paymentTerms: '款到发货：需方于合同签订后三个工作日内付清全部货款；逾期未付的，供方有权顺延交货期限。',
    qualityStandard: '按GB/T 1499.2-2024、GB/T 3274-2017及供方质量证明书验收。',
    clauses: [
      clause('计量方法', '螺纹钢按理论重量交货，其他品种按实际重量交货；磅差在千分之三以内的，双方互不找补。'),
      clause('质量异议', '需方对产品外观、规格有异议的，应在收货后十五日内书面提出；对内在质量有异议的，应在收货后三十日内书面提出，并附法定检验机构的检验报告，逾期视为验收合格。'),
      clause('违约责任', '需方逾期付款的，每日按逾期金额的万分之五支付违约金；供方逾期交货的，每日按逾期交货部分货款的万分之五支付违约金。'),
      clause('不可抗力', '因不可抗力不能履行合同的，受影响一方应在事件发生后五日内通知对方，并在十五日内提供有关证明，可部分或全部免除责任。'),
      clause('争议解决', '因本合同引起的争议，双方协商解决；协商不成的，提交供方所在地人民法院诉讼解决。'),
      clause('其他约定', '本合同经双方加盖电子签章后生效，电子签章与实物印章具有同等法律效力；本合同电子文本一式两份，双方各执一份。'),
    ],
    templateName: '钢材购销合同标准文本',
    templateVersion: 3,
    verifyCode: 'K7QX-M2PD',
    verifyUrl: 'https://portal.example.com/verify',
    sealTitles: { seller: '江南钢铁股份有限公司 合同专用章', buyer: '上海恒达钢材贸易有限公司 合同专用章' },
  };
}

/** The kinds whose renderer reports its page count (not the audit trail, a bare Buffer). */
type PagedKind = { [K in PdfKindName]: PdfOutput<K> extends { pages: number } ? K : never }[PdfKindName];

/**
 * Renders `input` `documents` times as `kind` through a pool of the default size, all submitted at once (the pool
 * queues them), after the workers have started and warmed up: the figure is the steady cost of a document, not the
 * start-up. Shared by the contract and the quality certificate benchmarks.
 */
export async function benchPoolRender<K extends PagedKind>(kind: K, input: PdfInput<K>, o: { documents: number }): Promise<RenderBenchResult> {
  const renderMs: number[] = [];
  const pool = createPdfPool({ onJob: (stats) => renderMs.push(stats.renderMs) });
  try {
    const { pages } = await pool.render(kind, input);
    renderMs.length = 0;
    // 1 ms resolution: the histogram records whole timer intervals, so its resolution adds itself to every sample.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    await Promise.all(Array.from({ length: o.documents }, () => pool.render(kind, input)));
    delay.disable();
    return {
      p50Ms: percentile(renderMs, 50),
      p95Ms: percentile(renderMs, 95),
      p99Ms: percentile(renderMs, 99),
      eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
      documents: renderMs.length,
      pages,
    };
  } finally {
    await pool.close();
  }
}

/** `documents` two-page contracts through the pool. */
export function benchRender(o: { documents: number }): Promise<RenderBenchResult> {
  return benchPoolRender('contract', benchContract(), o);
}
