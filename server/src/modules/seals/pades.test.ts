// Seals: the portal CA's certificates, two PAdES signatures on a Chinese contract PDF checked by pdfsig, openssl and
// verifyPdf, tampering, the forge reference engine, and B-T timestamps from a real (test) RFC 3161 TSA.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import PDFDocument from 'pdfkit';
import { createRootCa, issueOrgCertificate, loadSigner, type Signer } from './ca.js';
import { children, OID, oidOf, parseDer, pemToDer } from './cms.js';
import { preparePlaceholder, readSignatureFields, signatureRanges, signPlaceholder, type PlaceholderOptions } from './pades.js';
import { verifyPdf } from './verify.js';
import { closedPortUrl, startTestTsa } from '../../../test/tsa.js';

const CI = process.env.CI === 'true';
const MILL = { name: '某某钢铁股份有限公司', creditCode: '91130200MA07TQ5R29' };
const CUSTOMER = { name: '上海恒达钢材贸易有限公司', creditCode: '91310115MA1H8WLN5X' };
const ROOT_PASS = 'root passphrase for tests';
const FONT = path.resolve('node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf');
// Where the contract template draws the two seals on page 2, and so where their widgets go.
const CUSTOMER_SEAL: [number, number, number, number] = [90, 600, 210, 720];
const MILL_SEAL: [number, number, number, number] = [360, 600, 480, 720];

let work: string;
let stored: { root: { certPem: string; keyPem: string; serial: string }; mill: StoredCert; customer: StoredCert };
let millSigner: Signer;
let customerSigner: Signer;
let rootDer: Buffer;
let nssDir: string;
let contract: Buffer;
let afterCustomer: Buffer;
let sealed: Buffer;

type StoredCert = { certPem: string; keyPem: string; serial: string; passphrase: string };

// ---- factories ----

let fontBytes: Buffer | undefined;
async function renderContract(): Promise<Buffer> {
  fontBytes ??= readFileSync(FONT);
  const doc = new PDFDocument({ size: 'A4', info: { Title: '钢材购销合同' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.registerFont('sc', fontBytes);
  doc.font('sc').fontSize(18).text('钢材购销合同', { align: 'center' });
  doc.fontSize(11).moveDown().text(`买方：${CUSTOMER.name}\n卖方：${MILL.name}\n螺纹钢 HRB400E Φ25，300.000 吨，单价 3,650.00 元/吨，交货期 2026年12月。`);
  doc.addPage();
  doc.font('sc').fontSize(11).text('（签章页）');
  for (const [rect, label] of [
    [CUSTOMER_SEAL, '买方合同专用章'],
    [MILL_SEAL, '卖方合同专用章'],
  ] as const) {
    const [x1, y1, x2, y2] = rect;
    // pdfkit's y axis runs down from the top; the widget rects are in PDF user space (up from the bottom).
    const cx = (x1 + x2) / 2;
    const cy = doc.page.height - (y1 + y2) / 2;
    doc.circle(cx, cy, (x2 - x1) / 2 - 2).lineWidth(2).stroke('#c00');
    doc.fillColor('#c00').fontSize(9).text(label, x1, cy - 5, { width: x2 - x1, align: 'center' });
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

const placeholder = (signer: Signer, o: Partial<PlaceholderOptions> & Pick<PlaceholderOptions, 'fieldName' | 'rect'>): PlaceholderOptions => ({
  page: 1,
  signingTime: new Date(),
  name: signer.commonName,
  reason: '签订钢材购销合同',
  location: '中国',
  ...o,
});

async function sealBoth(pdf: Buffer, engine: 'node' | 'forge' = 'node'): Promise<{ first: Buffer; both: Buffer }> {
  const first = await signPlaceholder(preparePlaceholder(pdf, placeholder(customerSigner, { fieldName: 'customer', rect: CUSTOMER_SEAL })), customerSigner, { engine });
  const both = await signPlaceholder(preparePlaceholder(first, placeholder(millSigner, { fieldName: 'mill', rect: MILL_SEAL })), millSigner, { engine });
  return { first, both };
}

// ---- external tools ----

function haveTools(t: TestContext, ...names: string[]): boolean {
  const missing = names.filter((n) => (spawnSync(n, ['-h'], { stdio: 'ignore' }).error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT');
  if (!missing.length) return true;
  if (CI) assert.fail(`${missing.join(', ')} not installed and CI=true: install poppler-utils, openssl and libnss3-tools`);
  t.skip(`${missing.join(', ')} not installed (apt-get install poppler-utils openssl libnss3-tools); skipped outside CI`);
  return false;
}

function file(name: string, content: Buffer | string): string {
  const p = path.join(work, name);
  writeFileSync(p, content);
  return p;
}

let nssReady = false;
function trustedNssDb(): string {
  if (!nssReady) {
    execFileSync('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
    execFileSync('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'portal root', '-t', 'CT,C,C', '-i', file('root.pem', stored.root.certPem)]);
    nssReady = true;
  }
  return nssDir;
}

/** pdfsig's report split per signature. Its exit code is 0 even for a digest mismatch, so only the text counts. */
function pdfsig(pdf: Buffer): string[] {
  const r = spawnSync('pdfsig', ['-nssdir', `sql:${trustedNssDb()}`, file(`check-${randomBytes(4).toString('hex')}.pdf`, pdf)], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return r.stdout.split(/^Signature #\d+:$/m).slice(1);
}

function openssl(args: string[]): string {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

// ---- fixture: the storage path, as the seals module will use it ----

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'seals-'));
  nssDir = mkdtempSync(path.join(work, 'nss-'));
  const root = await createRootCa({ commonName: `${MILL.name} 电子签章根证书`, organisation: MILL.name, passphrase: ROOT_PASS });
  const issue = async (org: { name: string; creditCode: string }, passphrase: string): Promise<StoredCert> => ({
    ...(await issueOrgCertificate({ ...root, passphrase: ROOT_PASS }, { orgName: org.name, creditCode: org.creditCode, purpose: 'contract', keyPassphrase: passphrase })),
    passphrase,
  });
  // Only PEM strings survive, as in the certificate table; the signers are reloaded from them.
  stored = JSON.parse(JSON.stringify({ root, mill: await issue(MILL, 'mill seal key'), customer: await issue(CUSTOMER, 'customer seal key') }));
  rootDer = pemToDer(stored.root.certPem);
  millSigner = loadSigner(stored.mill, [stored.root.certPem]);
  customerSigner = loadSigner(stored.customer, [stored.root.certPem]);
  contract = await renderContract();
  ({ first: afterCustomer, both: sealed } = await sealBoth(contract));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// ---- the CA ----

test('seal certificates name the organisation in UTF-8 Chinese with its credit code, sign documents only, and carry no revocation URLs', () => {
  const cert = forge.pki.certificateFromPem(stored.mill.certPem);
  const attr = (shortName: string) => cert.subject.attributes.find((a) => a.shortName === shortName || a.name === shortName);
  assert.equal(forge.util.decodeUtf8(String(attr('CN')?.value)), `${MILL.name} 合同专用章`);
  assert.equal(attr('CN')?.valueTagClass, forge.asn1.Type.UTF8);
  assert.equal(forge.util.decodeUtf8(String(attr('O')?.value)), MILL.name);
  assert.equal(attr('O')?.valueTagClass, forge.asn1.Type.UTF8);
  assert.equal(attr('serialNumber')?.value, MILL.creditCode);
  assert.equal(attr('C')?.value, 'CN');
  const ku = cert.getExtension('keyUsage') as { digitalSignature?: boolean; nonRepudiation?: boolean; keyCertSign?: boolean } | null;
  assert.ok(ku?.digitalSignature && ku.nonRepudiation && !ku.keyCertSign);
  for (const absent of ['extKeyUsage', 'authorityInfoAccess', 'cRLDistributionPoints']) assert.equal(cert.getExtension(absent), null, absent);
  assert.match(stored.mill.serial, /^[0-7][0-9a-f]{31}$/);
  assert.equal(millSigner.serial, stored.mill.serial);
  assert.notEqual(stored.mill.serial, stored.customer.serial);
});

test('a quality seal certificate says 质量专用章', async () => {
  const q = await issueOrgCertificate({ ...stored.root, passphrase: ROOT_PASS }, { orgName: MILL.name, creditCode: MILL.creditCode, purpose: 'quality', keyPassphrase: 'quality key' });
  assert.equal(loadSigner({ ...q, passphrase: 'quality key' }, []).commonName, `${MILL.name} 质量专用章`);
  assert.match(q.subject, /^CN=某某钢铁股份有限公司 质量专用章, serialNumber=91130200MA07TQ5R29, O=某某钢铁股份有限公司, C=CN$/);
});

test('keys are stored as PKCS#8 encrypted with AES-256 and only open with their passphrase', () => {
  assert.match(stored.mill.keyPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  const algo = children(children(parseDer(pemToDer(stored.mill.keyPem, 'ENCRYPTED PRIVATE KEY')))[0]);
  assert.equal(oidOf(algo[0]), '1.2.840.113549.1.5.13', 'PBES2');
  assert.equal(oidOf(children(children(algo[1])[1])[0]), '2.16.840.1.101.3.4.1.42', 'aes-256-cbc');
  assert.throws(() => loadSigner({ ...stored.mill, passphrase: 'wrong' }, []), { code: 'seal.key_passphrase_wrong' });
  assert.throws(() => loadSigner({ ...stored.mill, keyPem: stored.customer.keyPem, passphrase: stored.customer.passphrase }, []), { code: 'seal.key_mismatch' });
});

test('the CA refuses a credit code whose check character is wrong', async () => {
  await assert.rejects(
    issueOrgCertificate({ ...stored.root, passphrase: ROOT_PASS }, { orgName: MILL.name, creditCode: '91130200MA07TQ5R2X', purpose: 'contract', keyPassphrase: 'k' }),
    { code: 'seal.credit_code_invalid' },
  );
});

// ---- two seals on the contract ----

test('the customer then the mill seal the contract as incremental updates that never rewrite earlier bytes', () => {
  assert.ok(afterCustomer.subarray(0, contract.length).equals(contract));
  assert.ok(sealed.subarray(0, afterCustomer.length).equals(afterCustomer));
  const ranges = signatureRanges(sealed);
  assert.deepEqual(
    ranges.map((r) => r.fieldName),
    ['customer', 'mill'],
  );
  const [customer, mill] = ranges.map((r) => r.byteRange);
  assert.equal(customer[2] + customer[3], afterCustomer.length, 'the customer signed its whole revision');
  assert.equal(mill[2] + mill[3], sealed.length, 'the mill signed everything');
  const fields = readSignatureFields(sealed);
  assert.deepEqual(
    fields.map((f) => [f.dict.get('SubFilter'), f.dict.get('Filter')]),
    [
      [{ k: 'name', v: 'ETSI.CAdES.detached' }, { k: 'name', v: 'Adobe.PPKLite' }],
      [{ k: 'name', v: 'ETSI.CAdES.detached' }, { k: 'name', v: 'Adobe.PPKLite' }],
    ],
  );
});

test('pdfsig finds both seals valid and trusted under the portal root, names the signers in Chinese, and the mill’s covers the whole document', (t) => {
  if (!haveTools(t, 'pdfsig', 'certutil')) return;
  const [customer, mill] = pdfsig(sealed);
  assert.ok(customer && mill, 'two signatures');
  for (const [report, org] of [
    [customer, CUSTOMER],
    [mill, MILL],
  ] as const) {
    assert.match(report, /Signature Validation: Signature is Valid\./);
    assert.match(report, /Certificate Validation: Certificate is Trusted\./);
    assert.match(report, new RegExp(`Signer Certificate Common Name: ${org.name} 合同专用章`));
    assert.match(report, /Signature Type: ETSI\.CAdES\.detached/);
    assert.match(report, /Signing Hash Algorithm: SHA-256/);
  }
  assert.match(customer, /Not total document signed/);
  assert.match(mill, /- Total document signed/);
});

test('openssl verifies each seal’s CMS against the root; its signed attributes are contentType, messageDigest and signing-certificate-v2, without signing-time', (t) => {
  if (!haveTools(t, 'openssl')) return;
  const rootPem = file('root-ca.pem', stored.root.certPem);
  for (const f of readSignatureFields(sealed)) {
    const [a, b, c, d] = f.byteRange!;
    const sig = file(`${f.fieldName}.p7s`, f.contents!.bytes);
    const content = file(`${f.fieldName}.bin`, Buffer.concat([sealed.subarray(a, b), sealed.subarray(c, c + d)]));
    assert.match(openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', content, '-CAfile', rootPem, '-purpose', 'any', '-out', '/dev/null']), /Verification successful/);
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', sig]);
    assert.match(printed, /signingCertificateV2|1\.2\.840\.113549\.1\.9\.16\.2\.47/);
    assert.doesNotMatch(printed, /signingTime|1\.2\.840\.113549\.1\.9\.5\b/);
    const signedAttrs = [...printed.matchAll(/object: (\S+) \(([\d.]+)\)/g)].map((m) => m[2]).filter((oid) => oid.startsWith('1.2.840.113549.1.9.'));
    assert.deepEqual(signedAttrs.sort(), [OID.contentType, OID.messageDigest, OID.signingCertificateV2].sort());
  }
});

test('verifyPdf reports both seals intact, with Chinese signer names, serials, /M times and trust in the portal root only', async () => {
  const v = verifyPdf(sealed, { trustedRootsDer: [rootDer] });
  assert.equal(v.intact, true);
  assert.equal(v.modifiedAfterLastSignature, false);
  const [customer, mill] = v.signatures;
  assert.equal(customer.signerCommonName, `${CUSTOMER.name} 合同专用章`);
  assert.equal(customer.serial, stored.customer.serial);
  assert.equal(mill.signerSubject, `CN=${MILL.name} 合同专用章, serialNumber=${MILL.creditCode}, O=${MILL.name}, C=CN`);
  assert.equal(mill.issuerSubject, `CN=${MILL.name} 电子签章根证书, O=${MILL.name}, C=CN`);
  assert.equal(mill.serial, stored.mill.serial);
  for (const s of v.signatures) {
    assert.ok(s.digestValid && s.signatureValid && s.chainValid && s.coversWholeDocumentAtThatRevision, s.fieldName);
    assert.equal(s.subFilter, 'ETSI.CAdES.detached');
    assert.ok(Math.abs(Date.parse(s.signingTime!) - Date.now()) < 120_000);
    assert.ok(Date.parse(s.notBefore) <= Date.parse(s.signingTime!) && Date.parse(s.signingTime!) < Date.parse(s.notAfter));
    assert.equal(s.timestamp, undefined);
  }
  const otherRoot = await createRootCa({ commonName: '别的根证书', organisation: '别的公司', passphrase: 'other root' });
  assert.ok(verifyPdf(sealed, { trustedRootsDer: [pemToDer(otherRoot.certPem)] }).signatures.every((s) => !s.chainValid && s.digestValid));
  assert.ok(verifyPdf(sealed).signatures.every((s) => !s.chainValid));
});

test('/M carries the signing time given, with its offset', async () => {
  const at = new Date('2026-11-23T02:15:00Z');
  const pdf = await signPlaceholder(preparePlaceholder(contract, placeholder(millSigner, { fieldName: 'mill', rect: MILL_SEAL, signingTime: at })), millSigner);
  const m = readSignatureFields(pdf)[0].dict.get('M');
  assert.equal(m?.k === 'str' ? m.v.toString('latin1') : m, "D:20261123101500+08'00'");
  assert.equal(verifyPdf(pdf).signatures[0].signingTime, at.toISOString());
});

test('one changed byte inside a signed range is a digest mismatch for pdfsig and for verifyPdf', (t) => {
  const [customerRange] = signatureRanges(sealed).map((r) => r.byteRange);
  const at = sealed.indexOf('stream', 1000) + 20;
  assert.ok(at > 20 && at < customerRange[1]);
  const tampered = Buffer.from(sealed);
  tampered[at] ^= 0x01;
  const v = verifyPdf(tampered, { trustedRootsDer: [rootDer] });
  assert.equal(v.intact, false);
  assert.deepEqual(
    v.signatures.map((s) => s.digestValid),
    [false, false],
  );
  if (!haveTools(t, 'pdfsig', 'certutil')) return;
  for (const report of pdfsig(tampered)) assert.match(report, /Signature Validation: Digest Mismatch\./);
});

test('a signature whose CMS is unreadable is reported broken instead of failing the whole check', () => {
  const [customer] = readSignatureFields(sealed);
  const broken = Buffer.from(sealed);
  broken.fill('0', customer.contents!.start + 1, customer.contents!.end - 1);
  const v = verifyPdf(broken, { trustedRootsDer: [rootDer] });
  assert.equal(v.intact, false);
  assert.deepEqual(
    v.signatures.map((s) => [s.fieldName, s.digestValid, s.signatureValid]),
    [
      ['customer', false, false],
      // The customer's /Contents lies inside the mill's signed range: the mill's digest no longer matches.
      ['mill', false, true],
    ],
  );
  assert.equal(v.signatures[1].signerCommonName, `${MILL.name} 合同专用章`);
});

test('bytes appended after the mill’s seal are reported as a modification', (t) => {
  const appended = preparePlaceholder(sealed, placeholder(millSigner, { fieldName: 'later', rect: [0, 0, 0, 0] }));
  const v = verifyPdf(appended, { trustedRootsDer: [rootDer] });
  assert.equal(v.modifiedAfterLastSignature, true);
  assert.equal(v.intact, false);
  assert.ok(v.signatures.every((s) => s.digestValid && s.signatureValid && s.coversWholeDocumentAtThatRevision));
  if (!haveTools(t, 'pdfsig', 'certutil')) return;
  const reports = pdfsig(appended);
  assert.match(reports[1], /Not total document signed/);
  assert.match(reports[1], /Signature is Valid\./);
});

test('the forge engine produces seals pdfsig and verifyPdf accept as well', async (t) => {
  const { both } = await sealBoth(contract, 'forge');
  const v = verifyPdf(both, { trustedRootsDer: [rootDer] });
  assert.equal(v.intact, true);
  assert.ok(v.signatures.every((s) => s.chainValid));
  if (!haveTools(t, 'pdfsig', 'certutil')) return;
  const reports = pdfsig(both);
  assert.equal(reports.length, 2);
  for (const report of reports) assert.match(report, /Signature is Valid\.[^]*Certificate is Trusted\./);
});

test('a /Contents too small for the signature fails with a clear error instead of a truncated seal', async () => {
  const small = preparePlaceholder(contract, placeholder(millSigner, { fieldName: 'mill', rect: MILL_SEAL, contentsBytes: 1024 }));
  await assert.rejects(signPlaceholder(small, millSigner), /needs \d+ bytes but \/Contents holds 1024.*contentsBytes/);
});

test('a field name is used once per document', () => {
  assert.throws(() => preparePlaceholder(sealed, placeholder(millSigner, { fieldName: 'mill', rect: MILL_SEAL })), /already has a field named mill/);
});

// ---- B-T: timestamps ----

test('with a TSA the seal carries a token over its signature value, and verifyPdf reads its time and TSA', async (t) => {
  const tsa = await startTestTsa();
  try {
    const pdf = await signPlaceholder(preparePlaceholder(afterCustomer, placeholder(millSigner, { fieldName: 'mill', rect: MILL_SEAL })), millSigner, { tsa: { url: tsa.url } });
    assert.equal(tsa.requests, 1);
    const v = verifyPdf(pdf, { trustedRootsDer: [rootDer] });
    assert.equal(v.intact, true);
    const mill = v.signatures[1];
    assert.ok(mill.timestamp, 'timestamp present');
    assert.equal(mill.timestamp.valid, true);
    assert.equal(mill.timestamp.tsaSubject, 'CN=Portal Test TSA, O=Test');
    assert.ok(Math.abs(Date.parse(mill.timestamp.time) - Date.now()) < 60_000);
    assert.equal(v.signatures[0].timestamp, undefined);
    if (!haveTools(t, 'pdfsig', 'certutil', 'openssl')) return;
    // pdfsig 22.12 does not report signature timestamps; it must still accept the signature carrying one.
    const [, report] = pdfsig(pdf);
    assert.match(report, /Signature is Valid\./);
    const f = readSignatureFields(pdf)[1];
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file('bt.p7s', f.contents!.bytes)]);
    assert.match(printed, /id-smime-aa-timeStampToken|1\.2\.840\.113549\.1\.9\.16\.2\.14/);
  } finally {
    await tsa.close();
  }
});

test('a configured TSA that is down makes sealing fail with seal.tsa_unavailable, never a seal without its token', async () => {
  const prepared = preparePlaceholder(afterCustomer, placeholder(millSigner, { fieldName: 'mill', rect: MILL_SEAL }));
  await assert.rejects(signPlaceholder(prepared, millSigner, { tsa: { url: await closedPortUrl(), timeoutMs: 2000 } }), { code: 'seal.tsa_unavailable', statusCode: 503 });
});

test('a TSA that rejects the request or stamps something else is treated as unavailable', async () => {
  const tsa = await startTestTsa();
  try {
    const prepared = preparePlaceholder(afterCustomer, placeholder(millSigner, { fieldName: 'mill', rect: MILL_SEAL }));
    tsa.mode = 'rejection';
    await assert.rejects(signPlaceholder(prepared, millSigner, { tsa: { url: tsa.url } }), { code: 'seal.tsa_unavailable', message: /status 2/ });
    tsa.mode = 'other-imprint';
    await assert.rejects(signPlaceholder(prepared, millSigner, { tsa: { url: tsa.url } }), { code: 'seal.tsa_unavailable', message: /does not cover/ });
  } finally {
    await tsa.close();
  }
});

test('a TSA that does not answer in time is unavailable too', async () => {
  const server = createServer(() => {
    /* never answers */
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const prepared = preparePlaceholder(afterCustomer, placeholder(millSigner, { fieldName: 'mill', rect: MILL_SEAL }));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await assert.rejects(signPlaceholder(prepared, millSigner, { tsa: { url, timeoutMs: 300 } }), { code: 'seal.tsa_unavailable', message: /in time/ });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
