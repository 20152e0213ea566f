// A PDF worker thread: loads the Chinese fonts once, warms up, then renders whatever kind of document the pool sends.
import { parentPort, workerData } from 'node:worker_threads';
import { renderContractPdf, type ContractDocument } from '../modules/contracts/document.js';
import { renderAuditTrail } from '../modules/contracts/audit-trail.js';
import { renderCertificatePdf, type CertificateBatch, type CertificateDocument } from '../modules/certificates/document.js';
import { renderSurveySummary } from '../modules/surveys/document.js';
import { loadFonts, type PdfFonts } from './fonts.js';

/** One kind of document: its renderer, and an input to warm the thread up with before it takes real work. */
interface PdfKind<I, O> {
  render(input: I, fonts: PdfFonts): Promise<O>;
  warmUp?: I;
}

const kind = <I, O>(k: PdfKind<I, O>) => k;

// The warm-up contract is plain ASCII: the layout's own Chinese headings already exercise the CJK glyphs, and the
// fields' content does not matter for warming up the parsed fonts and the JIT.
const warmUpParty = { name: 'Warm-up Co', creditCode: '000000000000000000', address: 'Warm-up address', bankName: 'Warm-up bank', bankAccount: '0000' };
const warmUpContract: ContractDocument = {
  contractNo: 'WARMUP',
  signedDate: '2026-01-01',
  signedPlace: 'Warm-up',
  seller: warmUpParty,
  buyer: warmUpParty,
  lines: [{ lineNo: 1, variety: 'Rebar', grade: 'HRB400E', spec: '12x9000', quantityKg: 1000, unitPriceFen: 100000, amountFen: 100000 }],
  totalKg: 1000,
  totalFen: 100000,
  deliveryPlace: 'Warm-up',
  deliveryFrom: '2026-01-01',
  deliveryTo: '2026-01-31',
  deliveryMethod: 'Warm-up',
  paymentTerms: 'Warm-up',
  qualityStandard: 'Warm-up',
  clauses: [{ title: 'Warm-up', body: 'Warm-up' }],
  templateName: 'Warm-up',
  templateVersion: 1,
  verifyCode: 'WARM-UP0',
  verifyUrl: 'https://example.invalid/verify',
  sealTitles: { buyer: 'Warm-up Co Seal', seller: 'Warm-up Co Seal' },
};

// The warm-up certificate is plain ASCII too, with enough heats and result columns to run the table's layout, the
// QR code, the watermark and the seal; its content does not matter.
const warmUpBatch = (i: number): CertificateBatch => ({
  heatNo: `WARMUP${i}`,
  batchNo: `WARMUP${i}-1`,
  grade: 'Warm-up',
  spec: 'Warm-up',
  pieces: 1,
  weightKg: 1000,
  chemical: ['C', 'Si', 'Mn', 'P', 'S'].map((symbol) => ({ symbol, valueText: '0.005', operator: '<' as const, max: '0.045', inSpec: true })),
  mechanical: ['ReL', 'Rm', 'A'].map((symbol) => ({ symbol, valueText: '400', unit: 'MPa', min: '300', inSpec: true })),
  other: [{ symbol: 'Bend', valueText: 'OK', inSpec: null }],
  result: 'OK',
});
const warmUpCertificate: CertificateDocument = {
  certificateNo: 'WARMUP',
  documentType: '3.1',
  issueDate: '2026-01-01',
  standard: 'Warm-up',
  productName: 'Warm-up',
  mill: { name: 'Warm-up Co' },
  customerName: 'Warm-up Co',
  inspector: 'Warm-up',
  batches: [0, 1, 2, 3].map(warmUpBatch),
  copy: {
    copyNo: 'WARMUP-C0001',
    n: 1,
    m: 1,
    printedBy: 'Warm-up',
    printedFor: 'Warm-up Co',
    printedAt: '2026-01-01T00:00:00.000Z',
    verifyCode: 'WARM-UP0',
    verifyUrl: 'https://example.invalid/verify/WARMUP',
  },
};

/**
 * The kinds of document the pool renders. A new kind is one entry
 * here: a renderer taking its input and the fonts, returning a Buffer or a plain object holding Buffers.
 */
export const pdfKinds = {
  contract: kind({ render: renderContractPdf, warmUp: warmUpContract }),
  'audit-trail': kind({ render: renderAuditTrail }),
  certificate: kind({ render: renderCertificatePdf, warmUp: warmUpCertificate }),
  'survey-summary': kind({ render: renderSurveySummary }),
};

/**
 * Kinds that exist only when the pool is created with `testKinds` (tests of the pool itself): a crash of the
 * thread, a renderer that throws, a render that never ends.
 */
const testKinds: Record<string, PdfKind<unknown, unknown>> = {
  'crash-test': {
    render: () =>
      new Promise(() => {
        setImmediate(() => {
          throw new Error('crash-test: the worker thread dies');
        });
      }),
  },
  'fail-test': {
    render: async () => {
      throw new Error('fail-test: the renderer refuses');
    },
  },
  'hang-test': {
    render: async (input) => {
      const until = Date.now() + Number((input as { ms?: number })?.ms ?? 60_000);
      while (Date.now() < until);
      return Buffer.from('late');
    },
  },
};

export type PdfKinds = typeof pdfKinds;
export type PdfKindName = keyof PdfKinds;
export type PdfInput<K extends PdfKindName> = Parameters<PdfKinds[K]['render']>[0];
export type PdfOutput<K extends PdfKindName> = Awaited<ReturnType<PdfKinds[K]['render']>>;

/** Messages from the pool to a worker. */
export interface PdfJobMessage {
  id: number;
  kind: string;
  input: unknown;
}

/** Messages from a worker to the pool. */
export type PdfWorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; id: number; ok: true; value: unknown; renderMs: number }
  | { type: 'done'; id: number; ok: false; error: { name: string; message: string; stack?: string }; renderMs: number };

/** The pool's options to a worker. */
export interface PdfWorkerData {
  testKinds: boolean;
}

/**
 * The buffers in a result (the result itself, or its top-level fields), each given an ArrayBuffer of its own so
 * that it can be transferred to the main thread instead of copied (a small Buffer may share Node's pool slab).
 */
function transferable(value: unknown): { value: unknown; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const own = (b: Uint8Array): Uint8Array => {
    const whole = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
    const copy = whole ? b : new Uint8Array(b);
    transfer.push(copy.buffer as ArrayBuffer);
    return copy;
  };
  if (value instanceof Uint8Array) return { value: own(value), transfer };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = field instanceof Uint8Array ? own(field) : field;
    return { value: out, transfer };
  }
  return { value, transfer };
}

if (!parentPort) throw new Error('server/src/pdf/worker runs only as a worker thread of the PDF pool');
const port = parentPort;
const options = workerData as PdfWorkerData;
const kinds: Record<string, PdfKind<unknown, unknown>> = { ...(pdfKinds as Record<string, PdfKind<unknown, unknown>>), ...(options.testKinds ? testKinds : {}) };

// Fonts are read and parsed before the first real job, and each kind renders its warm-up several times: the first
// documents of a fresh thread are several times slower than later ones while the JIT catches up (a two-page
// contract measured 250-330 ms, then 130-160, 80-120, ... about 30 ms from the tenth on). Eight warm-ups take about
// a second of the thread's time at start and leave the first real contracts at 40-70 ms.
const fonts = loadFonts();
for (const k of Object.values(kinds)) {
  if (k.warmUp === undefined) continue;
  for (let i = 0; i < 8; i++) await k.render(k.warmUp, fonts);
}

port.on('message', async (job: PdfJobMessage) => {
  const started = performance.now();
  try {
    const k = kinds[job.kind];
    if (!k) throw new Error(`no PDF renderer for kind '${job.kind}'`);
    const { value, transfer } = transferable(await k.render(job.input, fonts));
    const message: PdfWorkerMessage = { type: 'done', id: job.id, ok: true, value, renderMs: performance.now() - started };
    port.postMessage(message, transfer);
  } catch (e) {
    const error = e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { name: 'Error', message: String(e) };
    const message: PdfWorkerMessage = { type: 'done', id: job.id, ok: false, error, renderMs: performance.now() - started };
    port.postMessage(message);
  }
});
port.postMessage({ type: 'ready' } satisfies PdfWorkerMessage);
