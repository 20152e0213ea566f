// Sealing benchmark: both seals (customer, then mill) on an already rendered 2-page Chinese contract with Node's crypto,
// against the same work done wholly by node-forge in the same run (the issue's target: node median ≤ 15 ms).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import { createRootCa, issueOrgCertificate, loadSigner, type Signer } from '../../server/src/modules/seals/ca.js';
import { preparePlaceholder, signPlaceholder } from '../../server/src/modules/seals/pades.js';
import { verifyPdf } from '../../server/src/modules/seals/verify.js';
import { median, percentile } from './load.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FONT = path.join(root, 'node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf');

async function renderContract(): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4' });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.registerFont('sc', readFileSync(FONT));
  doc.font('sc').fontSize(18).text('钢材购销合同', { align: 'center' });
  doc.fontSize(11).moveDown();
  for (let i = 1; i <= 20; i++) doc.text(`第${i}条 螺纹钢 HRB400E Φ25 按 GB/T 1499.2 交货，数量 300.000 吨，单价 3,650.00 元/吨，运费由买方承担。`);
  doc.addPage().font('sc').fontSize(11).text('（签章页）买方：上海恒达钢材贸易有限公司　卖方：某某钢铁股份有限公司');
  doc.circle(150, 180, 58).lineWidth(2).stroke('#c00');
  doc.circle(420, 180, 58).lineWidth(2).stroke('#c00');
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

async function signers(): Promise<{ customer: Signer; mill: Signer }> {
  const ca = await createRootCa({ commonName: '某某钢铁股份有限公司 电子签章根证书', organisation: '某某钢铁股份有限公司', passphrase: 'bench root' });
  const issue = async (orgName: string, creditCode: string) => {
    const c = await issueOrgCertificate({ ...ca, passphrase: 'bench root' }, { orgName, creditCode, purpose: 'contract', keyPassphrase: 'bench key' });
    // Reloaded from PEM, as the seals module does from its table.
    return loadSigner({ certPem: c.certPem, keyPem: c.keyPem, passphrase: 'bench key' }, [ca.certPem]);
  };
  return { customer: await issue('上海恒达钢材贸易有限公司', '91310115MA1H8WLN5X'), mill: await issue('某某钢铁股份有限公司', '91130200MA07TQ5R29') };
}

async function sealTwice(pdf: Buffer, s: { customer: Signer; mill: Signer }, engine: 'node' | 'forge'): Promise<Buffer> {
  const common = { page: 1, signingTime: new Date(), reason: '签订钢材购销合同' };
  const first = await signPlaceholder(
    preparePlaceholder(pdf, { ...common, fieldName: 'customer', rect: [92, 604, 208, 720], name: s.customer.commonName }),
    s.customer,
    { engine },
  );
  return signPlaceholder(preparePlaceholder(first, { ...common, fieldName: 'mill', rect: [362, 604, 478, 720], name: s.mill.commonName }), s.mill, { engine });
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function benchSealing(o: { samples: number }): Promise<{ node: { medianMs: number; p95Ms: number }; forge: { medianMs: number; p95Ms: number }; samples: number }> {
  const pdf = await renderContract();
  const s = await signers();
  for (const engine of ['node', 'forge'] as const) {
    // Warm-up, and a guard that what is timed produces seals the portal itself accepts.
    const out = await sealTwice(pdf, s, engine);
    const v = verifyPdf(out);
    if (!v.intact || v.signatures.length !== 2) throw new Error(`The ${engine} engine produced a PDF that does not verify`);
    for (let i = 0; i < 2; i++) await sealTwice(pdf, s, engine);
  }
  const times = { node: [] as number[], forge: [] as number[] };
  // Interleaved so drift in machine load affects both engines alike.
  for (let i = 0; i < o.samples; i++) {
    for (const engine of ['node', 'forge'] as const) {
      const t0 = performance.now();
      await sealTwice(pdf, s, engine);
      times[engine].push(performance.now() - t0);
    }
  }
  const stats = (xs: number[]) => ({ medianMs: round(median(xs)), p95Ms: round(percentile(xs, 95)) });
  return { node: stats(times.node), forge: stats(times.forge), samples: o.samples };
}

/**
 * The quality department's one seal on a printed 10-heat certificate copy (rendering excluded), Node's crypto against
 * node-forge in the same run (issue 7's target: median ≤ 15 ms).
 */
export async function benchCertificateSealing(o: { samples: number }): Promise<{ node: { medianMs: number; p95Ms: number }; forge: { medianMs: number; p95Ms: number }; samples: number }> {
  const { renderCertificatePdf } = await import('../../server/src/modules/certificates/document.js');
  const { loadFonts } = await import('../../server/src/pdf/fonts.js');
  const { sampleCertificate } = await import('../../server/test/certificate-fixture.js');
  const { pdf, seal } = await renderCertificatePdf(sampleCertificate({ heats: 10 }), loadFonts());
  const ca = await createRootCa({ commonName: '某某钢铁股份有限公司 电子签章根证书', organisation: '某某钢铁股份有限公司', passphrase: 'bench root' });
  const c = await issueOrgCertificate({ ...ca, passphrase: 'bench root' }, { orgName: '某某钢铁股份有限公司', creditCode: '91130200MA07TQ5R29', purpose: 'quality', keyPassphrase: 'bench key' });
  const quality = loadSigner({ certPem: c.certPem, keyPem: c.keyPem, passphrase: 'bench key' }, [ca.certPem]);
  const sealOnce = (engine: 'node' | 'forge') =>
    signPlaceholder(
      preparePlaceholder(pdf, { fieldName: 'QualitySeal', page: seal.page, rect: seal.rect, signingTime: new Date(), name: quality.commonName, reason: '质量证明书副本' }),
      quality,
      { engine },
    );
  for (const engine of ['node', 'forge'] as const) {
    const v = verifyPdf(await sealOnce(engine));
    if (!v.intact || v.signatures.length !== 1) throw new Error(`The ${engine} engine produced a certificate that does not verify`);
    for (let i = 0; i < 2; i++) await sealOnce(engine);
  }
  const times = { node: [] as number[], forge: [] as number[] };
  for (let i = 0; i < o.samples; i++) {
    for (const engine of ['node', 'forge'] as const) {
      const t0 = performance.now();
      await sealOnce(engine);
      times[engine].push(performance.now() - t0);
    }
  }
  const stats = (xs: number[]) => ({ medianMs: round(median(xs)), p95Ms: round(percentile(xs, 95)) });
  return { node: stats(times.node), forge: stats(times.forge), samples: o.samples };
}
