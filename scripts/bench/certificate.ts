// Quality certificate PDF benchmark: a ten-heat certificate copy (QR codes, watermark, seal) rendered N times through
// the PDF worker pool, timed inside the worker per document, with the main thread's event loop delay meanwhile
// (issue 7's target: p95 ≤ 250 ms per document). Not yet wired into run.ts.
import { sampleCertificate } from '../../server/test/certificate-fixture.js';
import { benchPoolRender, type RenderBenchResult } from './render.js';

export function benchCertificateRender(o: { documents: number }): Promise<RenderBenchResult> {
  return benchPoolRender('certificate', sampleCertificate({ heats: 10 }), o);
}
