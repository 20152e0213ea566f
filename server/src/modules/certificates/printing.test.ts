// Authorised remote printing (issue 7): print rights and copy limits (also under concurrent prints), the sealed copy
// as pdfsig, pdftotext and a QR reader see it, share links (expiry, limit, revocation, the buyer on the copy, no
// prices), public verification (genuine, unknown, altered code, tampered PDF, withdrawn) and the access matrix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jsQRModule from 'jsqr';
import { createTestApp, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';
import { customer, material, writeStaging } from '../../../test/erp-fixtures.js';
import { certificatePayload } from '../../../test/certificate-fixture.js';
import type { CertificateCopy, CertificateShare, CopyVerification, PrintLogPage, PrintRights, SharedCertificate } from '../../../../shared/api/certificates.js';
import { creditCodeCheck } from '../../demo.js';
import { parseVerifyCode, printCopy } from './printing.js';
import { trustPortalRoot } from '../../../test/pdf-tools.js';

const jsQR = jsQRModule as unknown as typeof jsQRModule.default;
const tools = ['pdfsig', 'pdftotext', 'pdftoppm', 'certutil'].every((tool) => !spawnSync(tool, ['-h']).error);
if (!tools && process.env.CI === 'true') throw new Error('poppler-utils and libnss3-tools are required with CI=true');
const needsTools = tools ? {} : { skip: 'pdfsig/pdftotext/pdftoppm/certutil missing (apt-get install poppler-utils libnss3-tools)' };

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
let work: string;
let nssDir = '';
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};
let codeA = '';
let seq = 100;
let printer: { id: number; username: string };

type Method = 'GET' | 'POST' | 'PUT';
const as = (who: string, method: Method, url: string, payload?: unknown) => t.as(tokens[who], { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
const anon = (method: Method, url: string, o: { payload?: Buffer; ip?: string } = {}) =>
  t.app.inject({ method, url, remoteAddress: o.ip ?? '192.0.2.1', ...(o.payload ? { payload: o.payload, headers: { 'content-type': 'application/pdf' } } : {}) });
const errCode = (res: { json(): { error: { code: string } } }) => res.json().error.code;
const codeOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

async function materialise(no: string, o: Record<string, unknown> = {}): Promise<number> {
  const payload = certificatePayload(no, codeA, { contractNo: 'HT-A9', deliveryNo: undefined, salesOrderNo: undefined, ...o });
  await writeStaging(t.stores.staging, [{ iface: 'quality_certificate', key: no, seq: ++seq, payload }]);
  const r = await t.app.erpSync.runNow('manual', 5000);
  assert.equal(r.status, 'done', JSON.stringify(r));
  const row = await t.db('certificates').where('certificate_no', no).first('id');
  assert.ok(row, `certificate ${no} materialised`);
  return Number(row.id);
}

async function print(who: string, certificateId: number): Promise<CertificateCopy> {
  const res = await as(who, 'POST', `/api/certificates/${certificateId}/prints`);
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function pdfOf(who: string, copy: CertificateCopy): Promise<Buffer> {
  const res = await as(who, 'GET', copy.pdfUrl);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/pdf');
  return res.rawPayload;
}

function write(name: string, pdf: Buffer): string {
  const file = path.join(work, name);
  writeFileSync(file, pdf);
  return file;
}

before(async () => {
  // Public routes at the production limit would throttle this file's own checks; the limit has a test of its own.
  const base = await import('../../../test/helpers.js').then((h) => h.testConfig());
  t = await createTestApp({ certificates: { ...base.certificates, publicPerMinute: 10_000 } });
  w = await makeWorld(t.db);
  work = mkdtempSync(path.join(tmpdir(), 'printing-test-'));
  const uscc = (first17: string) => first17 + creditCodeCheck(first17);
  await t.db('organisations').where('id', w.mill).update({ name: '江南钢铁股份有限公司', credit_code: uscc('91320000134789012') });
  printer = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user', canPrint: true });
  const printerB = await makeUser(t.db, { organisationId: w.customerB, role: 'customer_user', canPrint: true });
  const otherManager = await makeUser(t.db, { organisationId: w.mill, role: 'account_manager' });
  for (const [k, u] of Object.entries({ ...w, printer, printerB, otherManager })) if (typeof u === 'object') tokens[k] = (await t.signIn(u.username)).token;
  codeA = (await t.db('organisations').where('id', w.customerA).first('code')).code;
  const codeB = (await t.db('organisations').where('id', w.customerB).first('code')).code;
  await writeStaging(t.stores.staging, [
    { iface: 'customer', key: codeA, seq: 1, payload: customer(codeA, '甲建工集团') },
    { iface: 'customer', key: codeB, seq: 1, payload: { ...customer(codeB, '乙钢构公司'), creditCode: '91320505MA1N2B3C5X' } },
    { iface: 'material', key: 'RB-HRB400E-25', seq: 1, payload: material('RB-HRB400E-25') },
  ]);
  ids.main = await materialise('ZB-P-0001');
  if (tools) nssDir = await trustPortalRoot(t.app, work);
});

after(async () => {
  await t.close();
  rmSync(work, { recursive: true, force: true });
});

test('print rights default to the configuration until quality staff decide, between 1 and 50 copies', async () => {
  const res = await as('quality', 'GET', `/api/certificate-print-rights/${w.customerA}`);
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { customerId: w.customerA, allowed: true, copiesPerCertificate: 3, isDefault: true } satisfies PrintRights);
  assert.equal((await as('quality', 'PUT', `/api/certificate-print-rights/${w.customerA}`, { allowed: true, copiesPerCertificate: 51 })).statusCode, 400);
  assert.equal((await as('salesManager', 'PUT', `/api/certificate-print-rights/${w.customerA}`, { allowed: true, copiesPerCertificate: 3 })).statusCode, 403);
  const put = await as('quality', 'PUT', `/api/certificate-print-rights/${w.customerA}`, { allowed: true, copiesPerCertificate: 3 });
  assert.deepEqual(put.json(), { customerId: w.customerA, allowed: true, copiesPerCertificate: 3, isDefault: false });
  assert.equal((await as('userB', 'GET', `/api/certificate-print-rights/${w.customerA}`)).statusCode, 404, 'another customer’s rights are not found');
});

test('a printed copy is sealed with the quality seal: pdfsig says valid and trusted, 质量专用章', needsTools, async () => {
  const copy = await print('printer', ids.main);
  assert.equal(copy.n, 1);
  assert.equal(copy.m, 3);
  assert.equal(copy.office, false);
  assert.equal(copy.copyNo, 'ZB-P-0001-C01');
  assert.equal(copy.printedFor, '甲建工集团');
  assert.match(copy.verifyCode, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  assert.match(copy.verifyUrl, /\/verify\/[0-9A-HJKMNP-TV-Z]{32}$/);
  assert.ok(codeOf(copy.verifyUrl).startsWith(copy.verifyCode.replace(/-/g, '')), 'the short code is the QR code’s first 16 characters');
  const pdf = await pdfOf('printer', copy);
  const report = execFileSync('pdfsig', ['-nssdir', `sql:${nssDir}`, write('sealed.pdf', pdf)], { encoding: 'utf8' });
  assert.match(report, /Signature is Valid\./, report);
  assert.match(report, /Certificate is Trusted\./, report);
  assert.match(report, /江南钢铁股份有限公司 质量专用章/, report);
  const stored = await t.db('certificate_copies').where('copy_no', copy.copyNo).first('pdf_sha256', 'data_sha256');
  assert.match(stored.data_sha256, /^[0-9a-f]{64}$/);
  const use = await t.db('seal_uses').where({ subject_type: 'certificate', subject_id: ids.main }).first('document_sha256');
  assert.equal(use.document_sha256, stored.pdf_sha256, 'the seal use names the stored copy');
  const log = await t.db('audit_log').where({ action: 'certificate.print', entity_id: String(ids.main) }).count({ n: '*' }).first();
  assert.ok(Number(log!.n) >= 1, 'the print is in the log');
});

test('the copy shows the values exactly as the ERP sent them and its QR code decodes to its verification URL', needsTools, async () => {
  const id = await materialise('ZB-P-0002');
  const copy = await print('printer', id);
  const file = write('text.pdf', await pdfOf('printer', copy));
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  for (const v of ['26A01234', '26A01240', 'HRB400E', 'Φ25×12000', '<0.0050', '1.61', '0.028', '22.5', '12.0', '24.989', '4.628', '甲建工集团', copy.copyNo, copy.verifyCode]) {
    assert.ok(text.includes(v), `${v} on the copy`);
  }
  assert.match(text, /副本 1\/3/);
  const pages = text.split('\f').filter((p) => p.trim()).length;
  execFileSync('pdftoppm', ['-r', '150', '-f', String(pages), '-l', String(pages), '-singlefile', file, path.join(work, 'qr')]);
  const data = readFileSync(path.join(work, 'qr.ppm'));
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 40).toString('latin1'))!;
  const [width, height] = [Number(header[1]), Number(header[2])];
  const rgb = data.subarray(header[0].length);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = rgb[i * 3];
    rgba[i * 4 + 1] = rgb[i * 3 + 1];
    rgba[i * 4 + 2] = rgb[i * 3 + 2];
    rgba[i * 4 + 3] = 255;
  }
  // The lower right quarter of the last page holds the large QR code.
  const [x0, y0] = [Math.floor(width * 0.7), Math.floor(height / 2)];
  const cw = width - x0;
  const ch = height - y0;
  const crop = new Uint8ClampedArray(cw * ch * 4);
  for (let y = 0; y < ch; y++) crop.set(rgba.subarray(((y0 + y) * width + x0) * 4, ((y0 + y) * width + x0 + cw) * 4), y * cw * 4);
  assert.equal(jsQR(crop, cw, ch)?.data, copy.verifyUrl);
});

test('at most m copies are printed, even by ten prints at once', needsTools, async () => {
  const id = await materialise('ZB-P-0003');
  const results = await Promise.all(Array.from({ length: 10 }, () => as('printer', 'POST', `/api/certificates/${id}/prints`)));
  const codes = results.map((r) => r.statusCode).sort();
  assert.deepEqual(codes, [201, 201, 201, 409, 409, 409, 409, 409, 409, 409], results.map((r) => r.body).join('\n'));
  assert.deepEqual(results.filter((r) => r.statusCode === 201).map((r) => (r.json() as CertificateCopy).n).sort(), [1, 2, 3]);
  const refused = results.find((r) => r.statusCode === 409)!;
  assert.equal(errCode(refused), 'print.limit_reached');
  assert.deepEqual(refused.json().error.details, { allowed: 3, used: 3 });
  const rows = await t.db('certificate_copies').where('certificate_id', id).count({ n: '*' }).first();
  assert.equal(Number(rows!.n), 3);
  // Office copies of quality staff do not count against the customer's copies.
  const office = await print('quality', id);
  assert.equal(office.office, true);
  assert.equal(office.copyNo, 'ZB-P-0003-S01');
});

test('a withdrawn print right refuses at once; a customer refused by the mill cannot print', needsTools, async () => {
  const id = await materialise('ZB-P-0004');
  assert.equal(errCode(await as('userA', 'POST', `/api/certificates/${id}/prints`)), 'print.not_allowed', 'a user without the print right');
  await t.db('users').where('id', printer.id).update({ can_print: false });
  const res = await as('printer', 'POST', `/api/certificates/${id}/prints`);
  assert.equal(res.statusCode, 403);
  assert.equal(errCode(res), 'print.not_allowed');
  await t.db('users').where('id', printer.id).update({ can_print: true });
  await as('quality', 'PUT', `/api/certificate-print-rights/${w.customerA}`, { allowed: false, copiesPerCertificate: 3 });
  assert.equal(errCode(await as('printer', 'POST', `/api/certificates/${id}/prints`)), 'print.not_allowed');
  await as('quality', 'PUT', `/api/certificate-print-rights/${w.customerA}`, { allowed: true, copiesPerCertificate: 3 });
  assert.equal((await as('printer', 'POST', `/api/certificates/${id}/prints`)).statusCode, 201);
});

test('the access matrix: another customer and another account manager 404, anonymous 401, no right 403', async () => {
  const url = `/api/certificates/${ids.main}/prints`;
  assert.equal((await as('printerB', 'POST', url)).statusCode, 404);
  assert.equal((await as('otherManager', 'POST', url)).statusCode, 403, 'account managers do not print');
  assert.equal((await as('otherManager', 'GET', url)).statusCode, 404);
  assert.equal((await as('printerB', 'GET', url)).statusCode, 404);
  assert.equal((await t.app.inject({ method: 'POST', url })).statusCode, 401);
  assert.equal((await as('userA', 'POST', url)).statusCode, 403);
  const copyNo = (await t.db('certificate_copies').where('certificate_id', ids.main).first('copy_no'))?.copy_no;
  if (copyNo) {
    assert.equal((await as('printerB', 'GET', `/api/certificate-copies/${copyNo}/pdf`)).statusCode, 404);
    assert.equal((await as('otherManager', 'GET', `/api/certificate-copies/${copyNo}/pdf`)).statusCode, 404);
    assert.equal((await as('accountManager', 'GET', `/api/certificate-copies/${copyNo}/pdf`)).statusCode, 200);
  }
  assert.equal((await as('printerB', 'GET', `/api/certificate-prints`)).statusCode, 403, 'the print log across customers is for staff');
});

test('the print log shows who printed which copy for whom, per certificate and per customer', needsTools, async () => {
  const id = await materialise('ZB-P-0005');
  await print('printer', id);
  await print('quality', id);
  const staff = (await as('quality', 'GET', `/api/certificates/${id}/prints`)).json() as PrintLogPage;
  assert.equal(staff.total, 2);
  const customerCopy = staff.items.find((i) => !i.office)!;
  assert.equal(customerCopy.printedBy, printer.username);
  assert.equal(customerCopy.printedFor, '甲建工集团');
  assert.deepEqual([customerCopy.n, customerCopy.m, customerCopy.share], [1, 3, null]);
  const perCustomer = (await as('salesManager', 'GET', `/api/certificate-prints?customerId=${w.customerA}&pageSize=200`)).json() as PrintLogPage;
  assert.ok(perCustomer.items.some((i) => i.copyNo === customerCopy.copyNo));
  const own = (await as('userA', 'GET', `/api/certificates/${id}/prints`)).json() as PrintLogPage;
  assert.deepEqual(own.items.map((i) => i.copyNo), [customerCopy.copyNo], 'the customer sees its own copies, not the mill’s office copy');
  const officeNo = staff.items.find((i) => i.office)!.copyNo;
  assert.equal((await as('userA', 'GET', `/api/certificate-copies/${officeNo}/pdf`)).statusCode, 404);
  assert.equal((await as('quality', 'GET', `/api/certificate-copies/${officeNo}/pdf`)).statusCode, 200);
});

test('share links: the buyer sees no prices, prints copies naming the buyer, within the limit, until revoked or expired', needsTools, async () => {
  const id = await materialise('ZB-P-0006');
  const expiresAt = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
  assert.equal((await as('userA', 'POST', `/api/certificates/${id}/shares`, { buyerName: '丙建设公司', expiresAt, maxCopies: 2 })).statusCode, 403, 'needs the print right');
  const created = await as('printer', 'POST', `/api/certificates/${id}/shares`, { buyerName: '丙建设公司', expiresAt, maxCopies: 2 });
  assert.equal(created.statusCode, 201, created.body);
  const share = created.json() as CertificateShare;
  assert.match(share.token, /^[A-Za-z0-9_-]{32}$/);
  assert.ok(share.url.endsWith(`/shared/${share.token}`));

  const summary = await anon('GET', `/api/shared-certificates/${share.token}`);
  assert.equal(summary.statusCode, 200, summary.body);
  const s = summary.json() as SharedCertificate;
  assert.deepEqual([s.certificateNo, s.buyerName, s.customerName, s.copiesLeft, s.mill], ['ZB-P-0006', '丙建设公司', '甲建工集团', 2, '江南钢铁股份有限公司']);
  assert.deepEqual(s.batches.map((b) => [b.heatNo, b.weightKg]), [['26A01234', 24_989], ['26A01240', 4_628]]);
  assert.doesNotMatch(summary.body, /price|amount|fen|元/i, 'no prices');

  const printed = await anon('POST', `/api/shared-certificates/${share.token}/prints`);
  assert.equal(printed.statusCode, 200, printed.body);
  assert.equal(printed.headers['content-type'], 'application/pdf');
  const text = execFileSync('pdftotext', ['-layout', write('shared.pdf', printed.rawPayload), '-'], { encoding: 'utf8' });
  assert.ok(text.includes('丙建设公司'), 'the copy names the buyer');
  const verified = (await anon('GET', `/api/certificate-verify/${printed.headers['x-verify-code']}`)).json() as CopyVerification;
  assert.equal(verified.printedFor, '丙建设公司');
  const log = (await as('quality', 'GET', `/api/certificates/${id}/prints`)).json() as PrintLogPage;
  assert.equal(log.items[0].share?.buyerName, '丙建设公司');

  assert.equal((await anon('POST', `/api/shared-certificates/${share.token}/prints`)).statusCode, 200);
  const exhausted = await anon('POST', `/api/shared-certificates/${share.token}/prints`);
  assert.equal(exhausted.statusCode, 409);
  assert.equal(errCode(exhausted), 'share.exhausted');

  // The customer had 3 copies: 2 went to the buyer; a new link for 5 meets the customer's limit after one more.
  const second = (await as('printer', 'POST', `/api/certificates/${id}/shares`, { buyerName: '丁公司', expiresAt, maxCopies: 5 })).json() as CertificateShare;
  assert.equal((await anon('POST', `/api/shared-certificates/${second.token}/prints`)).statusCode, 200);
  assert.equal(errCode(await anon('POST', `/api/shared-certificates/${second.token}/prints`)), 'print.limit_reached');

  const revoked = await as('printer', 'POST', `/api/certificate-shares/${second.id}/revoke`);
  assert.equal(revoked.statusCode, 200, revoked.body);
  const gone = await anon('GET', `/api/shared-certificates/${second.token}`);
  assert.equal(gone.statusCode, 410);
  assert.equal(errCode(gone), 'share.revoked');
  assert.equal(errCode(await anon('POST', `/api/shared-certificates/${second.token}/prints`)), 'share.revoked');

  const id2 = await materialise('ZB-P-0007');
  const third = (await as('printer', 'POST', `/api/certificates/${id2}/shares`, { buyerName: '戊公司', expiresAt, maxCopies: 1 })).json() as CertificateShare;
  await t.db('certificate_shares').where('id', third.id).update({ expires_at: '2026-01-01 00:00:00.000' });
  const expired = await anon('POST', `/api/shared-certificates/${third.token}/prints`);
  assert.equal(expired.statusCode, 410);
  assert.equal(errCode(expired), 'share.expired');
  assert.equal((await anon('GET', '/api/shared-certificates/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).statusCode, 404);
  assert.equal((await as('printerB', 'GET', `/api/certificates/${id}/shares`)).statusCode, 404);
  assert.equal((await as('printer', 'GET', `/api/certificates/${id}/shares`)).json().length, 2);
});

test('verification: a genuine copy, an altered or made-up code, a tampered PDF, and a withdrawn certificate', needsTools, async () => {
  const id = await materialise('ZB-P-0008');
  const copy = await print('printer', id);
  const pdf = await pdfOf('printer', copy);
  const code = codeOf(copy.verifyUrl);

  const byQr = await anon('GET', `/api/certificate-verify/${code}`);
  assert.equal(byQr.statusCode, 200, byQr.body);
  const v = byQr.json() as CopyVerification;
  assert.equal(v.genuine, true);
  assert.equal(v.reason, undefined);
  assert.deepEqual([v.certificateNo, v.copyNo, v.n, v.m, v.printedFor, v.dataMatches, v.withdrawn], ['ZB-P-0008', copy.copyNo, 1, 3, '甲建工集团', true, null]);
  assert.deepEqual(v.batches.map((b) => [b.heatNo, b.grade, b.spec, b.weightKg]), [['26A01234', 'HRB400E', 'Φ25×12000', 24_989], ['26A01240', 'HRB400E', 'Φ25×12000', 4_628]]);
  assert.doesNotMatch(byQr.body, /price|amount/i);
  const typed = await anon('GET', `/api/certificate-verify/${copy.verifyCode.toLowerCase()}`);
  assert.equal((typed.json() as CopyVerification).copyNo, copy.copyNo, 'the typed short code, in any case');

  const altered = code.slice(0, 31) + (code[31] === 'A' ? 'B' : 'A');
  for (const c of [altered, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', 'nonsense']) {
    const res = await anon('GET', `/api/certificate-verify/${c}`);
    assert.equal(res.statusCode, 404, c);
    assert.equal(errCode(res), 'verify.no_such_copy');
    assert.match(res.json().error.message, /No copy/);
  }

  const withPdf = await anon('POST', `/api/certificate-verify/${code}`, { payload: pdf });
  assert.equal(withPdf.statusCode, 200, withPdf.body);
  assert.deepEqual((withPdf.json() as CopyVerification).pdf, { intact: true, trusted: true, matchesStored: true });
  assert.equal((withPdf.json() as CopyVerification).genuine, true);

  const tampered = Buffer.from(pdf);
  const at = tampered.indexOf('ZB-P-0008');
  tampered[at + 8] = '9'.charCodeAt(0);
  const bad = (await anon('POST', `/api/certificate-verify/${code}`, { payload: tampered })).json() as CopyVerification;
  assert.equal(bad.genuine, false);
  assert.equal(bad.pdf?.intact, false);
  assert.equal(bad.pdf?.matchesStored, false);
  assert.equal(bad.reason, 'pdf_not_intact');

  const withdraw = await as('quality', 'POST', `/api/certificates/${id}/withdraw`, { reason: 'ERP 更正化学成分' });
  assert.equal(withdraw.statusCode, 200, withdraw.body);
  const after = (await anon('GET', `/api/certificate-verify/${code}`)).json() as CopyVerification;
  assert.equal(after.genuine, false);
  assert.equal(after.reason, 'withdrawn');
  assert.equal(after.withdrawn?.reason, 'ERP 更正化学成分');
  assert.equal(errCode(await as('printer', 'POST', `/api/certificates/${id}/prints`)), 'certificate.withdrawn');
});

test('a copy whose certificate the ERP corrected since says its data no longer match', needsTools, async () => {
  const id = await materialise('ZB-P-0009');
  const copy = await print('printer', id);
  assert.equal(await materialise('ZB-P-0009', { inspector: '钱七' }), id, 'the correction replaces the same certificate');
  const v = (await anon('GET', `/api/certificate-verify/${codeOf(copy.verifyUrl)}`)).json() as CopyVerification;
  assert.deepEqual([v.genuine, v.dataMatches, v.reason], [false, false, 'data_changed']);
});

test('a copy that fails to render gives its number back, so the customer loses no copy', needsTools, async () => {
  const id = await materialise('ZB-P-0010');
  const principal = { userId: printer.id, username: printer.username, displayName: printer.username, role: 'customer_user', organisationId: w.customerA, organisationKind: 'customer', sessionId: 0, canAnswer: false, canSign: false, canPrint: true, mustChangePassword: false } as const;
  const actor = { userId: printer.id, username: printer.username, organisationId: w.customerA, ip: null, requestId: null, audited: false };
  const failing = { ...t.app.certificatePrinting, render: async () => Promise.reject(new Error('worker crashed')) };
  await assert.rejects(printCopy(failing, { kind: 'user', principal, actor }, id), /worker crashed/);
  assert.equal((await t.db('certificate_print_counters').where({ certificate_id: id, series: 'customer' }).first('used')).used, 0);
  assert.equal((await print('printer', id)).n, 1);
});

test('verification codes carry at least 80 bits and parse however they are typed', () => {
  assert.deepEqual(parseVerifyCode('abcd-efgh-jkmn-pqrs'), { column: 'short_code', value: 'ABCDEFGHJKMNPQRS' });
  assert.deepEqual(parseVerifyCode('O1IL 0000 0000 0000'), { column: 'short_code', value: '0111000000000000' });
  assert.equal(parseVerifyCode('ABCD-EFGH'), null, 'an 8-character code is too short to be one');
  assert.equal(parseVerifyCode('ABCU-EFGH-JKMN-PQRS'), null, 'U is not a Crockford digit');
});

test('public verification is rate-limited per address with retryAfterSeconds', async () => {
  const base = await import('../../../test/helpers.js').then((h) => h.testConfig());
  const limited = await createTestApp({ certificates: { ...base.certificates, publicPerMinute: 30 } });
  try {
    const ask = (ip: string) => limited.app.inject({ method: 'GET', url: '/api/certificate-verify/ABCD-EFGH-JKMN-PQRS', remoteAddress: ip });
    for (let i = 0; i < 30; i++) assert.equal((await ask('198.51.100.7')).statusCode, 404);
    const res = await ask('198.51.100.7');
    assert.equal(res.statusCode, 429);
    assert.equal(res.json().error.code, 'rate_limited');
    assert.ok(res.json().error.details.retryAfterSeconds >= 1);
    assert.equal((await ask('198.51.100.8')).statusCode, 404, 'another address is not limited');
  } finally {
    await limited.close();
  }
});
