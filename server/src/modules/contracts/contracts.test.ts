// Online contracts: listing an intent contract, taking it with the one-time code (wrong, expired, reused,
// rate-limited), the formal contract sealed by both parties and checked by pdfsig, pdftotext and the portal's own
// verification, tampering, revocation, exactly one contract from concurrent takes, numbering, expiry and reminders,
// execution figures from constructed ERP data, the evidence bundle and the access matrix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestApp, makeOrganisation, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';
import { lastPhoneCode } from '../../../test/sms.js';
import { startTestTsa } from '../../../test/tsa.js';
import { trustPortalRoot } from '../../../test/pdf-tools.js';
import { nowDb, toDbTime } from '../../db/knex.js';
import type { Contract, ContractExecution, Listing, VerificationReport } from '../../../../shared/api/contracts.js';
import { chineseCapitalAmount } from '../../../../shared/units.js';
import { nextNumber } from '../allocation/intents.js';
import { creditCodeCheck } from '../../demo.js';
import { deliverOutbox, pullAcks } from '../erp-sync/outbox.js';
import * as svc from './service.js';

const CI = process.env.CI === 'true';
const tools = ['/usr/bin/pdfsig', '/usr/bin/pdftotext', '/usr/bin/certutil'].every((p) => existsSync(p));
if (!tools && CI) throw new Error('poppler-utils and libnss3-tools are required with CI=true (pdfsig, pdftotext, certutil)');
const needsTools = tools ? {} : { skip: 'pdfsig/pdftotext/certutil missing (apt-get install poppler-utils libnss3-tools)' };

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
const tokens: Record<string, string> = {};
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const as = (who: string, method: Method, url: string, payload?: unknown) =>
  t.as(tokens[who], { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
const signers: Record<string, { id: number; phone: string }> = {};
let work: string;

let intentSeq = 0;
/** An open intent contract of a customer, as an approved answer leaves it. */
async function makeIntent(customerId: number, lines = [{ variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', kg: 300_000, priceFenPerT: 3_650_00 }]) {
  const amounts = lines.map((l) => Math.round((l.kg * l.priceFenPerT) / 1000));
  const [id] = await t.db('intent_contracts').insert({
    contract_no: `YXT${process.pid}${++intentSeq}`,
    customer_id: customerId,
    source_type: 'demand',
    source_id: 900_000 + intentSeq,
    approval_id: null,
    state: 'open',
    delivery_month: '2026-12',
    total_kg: lines.reduce((s, l) => s + l.kg, 0),
    amount_fen: amounts.reduce((s, a) => s + a, 0),
    payment_terms: 'deferred',
    payment_days: 30,
    terms: null,
    created_at: nowDb(),
  });
  await t.db('intent_contract_lines').insert(
    lines.map((l, i) => ({ intent_contract_id: Number(id), position: i + 1, variety: l.variety, grade: l.grade, spec: l.spec, kg: l.kg, price_fen_per_t: l.priceFenPerT, amount_fen: amounts[i] })),
  );
  return Number(id);
}

const listingBody = (intentContractId: number, extra: Record<string, unknown> = {}) => ({
  intentContractId,
  deliveryPlace: '江苏省苏州市相城区 需方仓库',
  deliveryFrom: '2026-12-01',
  deliveryTo: '2026-12-31',
  deliveryMethod: '汽运，供方代办运输',
  qualityStandard: 'GB/T 1499.2-2018',
  ...extra,
});

async function list(customerId: number, lines?: Parameters<typeof makeIntent>[1]): Promise<Listing> {
  const res = await as('sales', 'POST', '/api/listings', listingBody(await makeIntent(customerId, lines)));
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

/** Asks for a code as `who` and reads it from the SMS outbox, as the signer's phone would receive it. */
async function codeFor(who: string, listingId: number): Promise<string> {
  const res = await as(who, 'POST', `/api/listings/${listingId}/code`);
  assert.equal(res.statusCode, 200, res.body);
  const code = await lastPhoneCode(t.db, signers[who].phone, 'signing_code');
  assert.ok(code, 'a code was queued for the signer’s phone');
  return code!;
}

async function take(who: string, listingId: number): Promise<Contract> {
  const code = await codeFor(who, listingId);
  const res = await as(who, 'POST', `/api/listings/${listingId}/take`, { code });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

/** The newest stored PDF of a contract, as the customer downloads it. */
async function pdfOf(who: string, contractId: number, version?: number): Promise<Buffer> {
  const res = await as(who, 'GET', `/api/contracts/${contractId}/pdf${version ? `?version=${version}` : ''}`);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/pdf');
  return res.rawPayload;
}

let nssDir = '';
/** pdfsig's report with the portal's root trusted in an NSS database (its exit code says nothing: read the text). */
function pdfsig(pdf: Buffer): string {
  const file = path.join(work, `check-${Date.now()}-${Math.random()}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdfsig', ['-nssdir', `sql:${nssDir}`, file], { encoding: 'utf8' });
}

/** A unified social credit code with its GB 32100 check character. */
const uscc = (first17: string) => first17 + creditCodeCheck(first17);
const MILL_CODE = uscc('91320000134789012');
const CODE_A = uscc('91320505MA1MH4K21');
const CODE_B = uscc('91310115MA1KY7Y22');

let nextOrgSeq = 0;
/** A customer the ERP knows (credit code, address) whose bank details nobody has entered yet, with an admin who signs. */
async function customerWithoutBank() {
  const id = await makeOrganisation(t.db, { name: `苏州新客户钢材有限公司${++nextOrgSeq}号` });
  await t.db('organisations').where('id', id).update({ credit_code: uscc(`91320500MA1${String(nextOrgSeq).padStart(6, '0')}`), address: '江苏省苏州市相城区元和街道' });
  const admin = await makeUser(t.db, { organisationId: id, role: 'customer_admin', canSign: true, phone: `1370013${String(nextOrgSeq).padStart(4, '0')}` });
  return { id, admin };
}

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
  work = mkdtempSync(path.join(tmpdir(), 'contracts-test-'));
  await t.db('organisations').where('id', w.mill).update({ name: '江南钢铁股份有限公司', credit_code: MILL_CODE, address: '江苏省无锡市钢城大道1号' });
  await t.db('contract_party_details').insert({ organisation_id: w.mill, legal_representative: '李四', bank_name: '中国建设银行无锡分行', bank_account: '3200 1617 8880 5000 1234', phone: '0510-88880000', updated_by: 'test', updated_at: nowDb() });
  for (const c of [w.customerA, w.customerB]) {
    await t.db('organisations').where('id', c).update({ credit_code: c === w.customerA ? CODE_A : CODE_B, address: '上海市浦东新区张江路88号' });
    await t.db('contract_party_details').insert({ organisation_id: c, legal_representative: '王五', bank_name: '招商银行上海分行', bank_account: '1219 0888 8810 001', phone: '021-55550000', updated_by: 'test', updated_at: nowDb() });
  }
  await t.db('organisations').where('id', w.customerA).update({ name: '上海恒达钢材贸易有限公司' });
  const signerA2 = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user', canSign: true, phone: '13900139002' });
  const signerB = await makeUser(t.db, { organisationId: w.customerB, role: 'customer_user', canSign: true, phone: '13900139003' });
  await t.db('users').where('id', w.adminA.id).update({ phone: '13900139001' });
  const otherAm = await makeUser(t.db, { organisationId: w.mill, role: 'account_manager' });
  const cast = { admin: w.admin, sales: w.salesManager, am: w.accountManager, otherAm, quality: w.quality, userA: w.userA, signerA: w.adminA, signerA2, signerB, adminB: w.adminB };
  for (const [k, u] of Object.entries(cast)) tokens[k] = (await t.signIn(u.username)).token;
  Object.assign(signers, { signerA: { id: w.adminA.id, phone: '13900139001' }, signerA2: { id: signerA2.id, phone: '13900139002' }, signerB: { id: signerB.id, phone: '13900139003' } });
  // Separate seal rights: the sales manager uses the mill's seal, the administrator manages and audits.
  for (const [userId, right] of [[w.salesManager.id, 'use'], [w.admin.id, 'manage'], [w.admin.id, 'audit']] as const) {
    const res = await as('admin', 'POST', '/api/seals/rights', { userId, right });
    assert.equal(res.statusCode, 200, res.body);
  }
  if (tools) nssDir = await trustPortalRoot(t.app, work);
});
after(async () => {
  await t.close();
  rmSync(work, { recursive: true, force: true });
});

test('a sales manager lists an open intent contract to its customer, whose signers are told in-app and by SMS', async () => {
  const intent = await makeIntent(w.customerA);
  const res = await as('sales', 'POST', '/api/listings', listingBody(intent));
  assert.equal(res.statusCode, 201, res.body);
  const l = res.json() as Listing;
  assert.equal(l.state, 'listed');
  assert.match(l.listingNo, /^GP\d{6}\d{4}$/);
  assert.equal(l.totalKg, 300_000);
  assert.equal(l.amountFen, 109_500_000);
  assert.equal(l.paymentTerms, '赊销，发票开具后 30 日内付清');
  assert.ok(l.clauses.length >= 5, 'the active standard terms are copied');
  assert.equal((await t.db('intent_contracts').where('id', intent).first('state')).state, 'listed');
  const told = await t.db('notifications').where({ kind: 'listing.published' }).whereIn('user_id', [w.adminA.id, signers.signerA2.id]).count({ n: '*' }).first();
  assert.equal(Number(told!.n), 2, 'both signers of customer A are told in-app');
  const sms = await t.db('sms_messages').where('idempotency_key', 'like', `listing.published:${l.id}%`).count({ n: '*' }).first();
  assert.equal(Number(sms!.n), 2, 'and by SMS');
  const userAFeed = await t.db('notifications').where({ kind: 'listing.published', user_id: w.userA.id }).first();
  assert.equal(userAFeed, undefined, 'a user without the signing right is not asked to sign');

  const again = await as('sales', 'POST', '/api/listings', listingBody(intent));
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().error.code, 'intent_contract.not_open');
});

test('listing needs the seal right "use", a delivery period in order and a window', async () => {
  const intent = await makeIntent(w.customerA);
  await t.db('seal_rights').where({ user_id: w.salesManager.id, seal_right: 'use' }).delete();
  const refused = await as('sales', 'POST', '/api/listings', listingBody(intent));
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().error.code, 'seal.no_right');
  await as('admin', 'POST', '/api/seals/rights', { userId: w.salesManager.id, right: 'use' });
  const backwards = await as('sales', 'POST', '/api/listings', listingBody(intent, { deliveryFrom: '2026-12-31', deliveryTo: '2026-12-01' }));
  assert.equal(backwards.json().error.code, 'listing.delivery_period');
  const past = await as('sales', 'POST', '/api/listings', listingBody(intent, { validUntil: new Date(Date.now() - 1000).toISOString() }));
  assert.equal(past.json().error.code, 'listing.window');
  const notTonnes = await as('sales', 'POST', '/api/listings', { ...listingBody(intent), intentContractId: 'x' });
  assert.equal(notTonnes.statusCode, 400);
  for (const who of ['am', 'quality', 'signerA']) assert.equal((await as(who, 'POST', '/api/listings', listingBody(intent))).statusCode, 403, who);
});

test('the one-time code: only a signer with a verified phone gets one; wrong, expired, reused and too many are refused', async () => {
  const l = await list(w.customerA);
  const noRight = await as('userA', 'POST', `/api/listings/${l.id}/code`);
  assert.equal(noRight.statusCode, 403);
  assert.equal(noRight.json().error.code, 'user.cannot_sign');
  await t.db('users').where('id', signers.signerA2.id).update({ phone_verified_at: null });
  const unverified = await as('signerA2', 'POST', `/api/listings/${l.id}/code`);
  assert.equal(unverified.json().error.code, 'user.phone_not_verified');
  await t.db('users').where('id', signers.signerA2.id).update({ phone_verified_at: nowDb() });

  const sent = await as('signerA', 'POST', `/api/listings/${l.id}/code`);
  assert.equal(sent.statusCode, 200, sent.body);
  assert.equal(sent.json().phone, '139****9001');
  const soon = await as('signerA', 'POST', `/api/listings/${l.id}/code`);
  assert.equal(soon.statusCode, 429, 'one code a minute');
  assert.equal(soon.json().error.code, 'code.too_many_codes');
  const code = (await lastPhoneCode(t.db, signers.signerA.phone, 'signing_code'))!;
  const wrong = code === '000000' ? '000001' : '000000';

  const bad = await as('signerA', 'POST', `/api/listings/${l.id}/take`, { code: wrong });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'code.invalid');
  assert.equal(bad.json().error.details.triesLeft, 4);
  assert.equal((await t.db('contract_events').where({ listing_id: l.id, event: 'code_failed' }).count({ n: '*' }).first())!.n, 1, 'the failed try is kept as evidence');

  // A code for another listing does not take this one.
  const other = await list(w.customerA);
  const cross = await as('signerA', 'POST', `/api/listings/${other.id}/take`, { code });
  assert.equal(cross.json().error.code, 'code.not_sent');

  await t.db('one_time_codes').where({ user_id: signers.signerA.id, subject_id: l.id }).update({ expires_at: toDbTime(new Date(Date.now() - 1000)) });
  const expired = await as('signerA', 'POST', `/api/listings/${l.id}/take`, { code });
  assert.equal(expired.json().error.code, 'code.expired');

  // Five wrong tries use a code up.
  const fresh = await codeFor('signerA2', l.id);
  const wrong2 = fresh === '000000' ? '000001' : '000000';
  for (let i = 0; i < 5; i++) assert.equal((await as('signerA2', 'POST', `/api/listings/${l.id}/take`, { code: wrong2 })).json().error.code, 'code.invalid');
  const locked = await as('signerA2', 'POST', `/api/listings/${l.id}/take`, { code: fresh });
  assert.equal(locked.statusCode, 429);
  assert.equal(locked.json().error.code, 'code.too_many_attempts');

  // A good code takes the listing once; the same code again finds the listing taken.
  await t.db('one_time_codes').where({ user_id: signers.signerA.id }).update({ created_at: toDbTime(new Date(Date.now() - 120_000)) });
  const good = await codeFor('signerA', l.id);
  const ok = await as('signerA', 'POST', `/api/listings/${l.id}/take`, { code: good });
  assert.equal(ok.statusCode, 201, ok.body);
  const reused = await as('signerA', 'POST', `/api/listings/${l.id}/take`, { code: good });
  assert.equal(reused.statusCode, 409);
  assert.equal(reused.json().error.code, 'listing.already_taken');
  assert.equal(reused.json().error.details.contractId, ok.json().id);
  // The SMS outbox never shows the code once delivered; in-app rows never hold it.
  const inApp = await t.db('notifications').where('kind', 'listing.take').first();
  assert.equal(inApp, undefined);
});

test('taking a listing makes the contract, sealed by the customer and then the mill; pdfsig finds both signatures valid and trusted', needsTools, async () => {
  const l = await list(w.customerA, [
    { variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', kg: 300_000, priceFenPerT: 3_650_00 },
    { variety: 'wire_rod', grade: 'HPB300', spec: 'Φ8', kg: 123_456, priceFenPerT: 3_801_23 },
  ]);
  const c = await take('signerA', l.id);
  assert.equal(c.state, 'signed', c.sealError ?? '');
  assert.match(c.contractNo, /^HT\d{6}\d{4}$/);
  assert.deepEqual(c.versions.map((v) => v.kind), ['rendered', 'buyer_sealed', 'seller_sealed']);
  assert.deepEqual(c.events.map((e) => e.event), ['code_sent', 'taken', 'buyer_sealed', 'seller_sealed']);
  assert.equal(c.erpState, 'pending');
  assert.equal((await t.db('listings').where('id', l.id).first('state')).state, 'taken');
  assert.equal((await t.db('intent_contracts').where('id', l.intentContractId).first('state')).state, 'contracted');

  const pdf = await pdfOf('signerA', c.id);
  const report = pdfsig(pdf);
  assert.equal(report.match(/Signature Validation: Signature is Valid\./g)?.length, 2, report);
  assert.equal(report.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 2, report);
  assert.match(report, /上海恒达钢材贸易有限公司 合同专用章/);
  assert.match(report, /江南钢铁股份有限公司 合同专用章/);
  assert.match(report, /Total document signed/);
  // The customer's version is a prefix of the final one: the mill's seal is an incremental update.
  const v2 = await pdfOf('signerA', c.id, 2);
  assert.ok(pdf.subarray(0, v2.length).equals(v2), 'version 3 appends to version 2');

  const file = path.join(work, 'text.pdf');
  writeFileSync(file, pdf);
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
  for (const s of [c.contractNo, '江南钢铁股份有限公司', '上海恒达钢材贸易有限公司', CODE_A, 'HRB400E', 'HPB300', '423.456', chineseCapitalAmount(c.amountFen), '争议解决', c.verifyCode]) {
    assert.ok(text.includes(s.replace(/\s+/g, '')), `the PDF shows ${s}`);
  }
  assert.equal(c.amountFen, 109_500_000 + Math.round((123_456 * 3_801_23) / 1000));

  const uses = await t.db('seal_uses').where({ subject_type: 'contract', subject_id: c.id }).select('serial');
  assert.equal(uses.length, 2, 'each seal use is logged against its certificate');
  const outbox = await t.db('outbox').where({ kind: 'contract', doc_key: c.contractNo }).first();
  const payload = JSON.parse(outbox.payload);
  assert.equal(payload.totalWeightKg, 423_456);
  assert.equal(payload.lines.length, 2);

  assert.equal(c.sellerName, '江南钢铁股份有限公司');
  assert.match(c.intentContractNo, /^YXT/);

  // The ERP picks the contract up from the staging store and answers with its sales order number.
  await deliverOutbox(t.db, t.stores.staging);
  await t.stores.staging('erp_out_contract').where('doc_key', c.contractNo).update({ ack_state: 'accepted', erp_doc_no: 'SO2026120042', acked_at: nowDb() });
  await pullAcks(t.db, t.stores.staging);
  const acked = (await as('signerA', 'GET', `/api/contracts/${c.id}`)).json() as Contract;
  assert.deepEqual([acked.erpState, acked.erpDocNo], ['accepted', 'SO2026120042']);

  const verified = (await t.app.inject({ method: 'POST', url: '/api/verify', payload: pdf, headers: { 'content-type': 'application/pdf' } })).json() as VerificationReport;
  assert.equal(verified.valid, true);
  assert.equal(verified.contractNo, c.contractNo);
  assert.equal(verified.matchesStored, true);
  assert.deepEqual(verified.signatures.map((s) => [s.intact, s.trusted, s.validAtSigning]), [[true, true, true], [true, true, true]]);
  const byCode = await t.app.inject({ method: 'GET', url: `/api/verify/contract?contractNo=${c.contractNo}&code=${c.verifyCode}` });
  assert.equal(byCode.statusCode, 200, byCode.body);
  assert.equal(byCode.json().valid, true);
  const wrongCode = await t.app.inject({ method: 'GET', url: `/api/verify/contract?contractNo=${c.contractNo}&code=AAAA-AAAA` });
  assert.equal(wrongCode.statusCode, 404);
});

test('a one-byte change makes pdfsig report a digest mismatch and the portal report tampering', needsTools, async () => {
  const l = await list(w.customerA);
  const c = await take('signerA', l.id);
  const pdf = Buffer.from(await pdfOf('signerA', c.id));
  const at = pdf.indexOf(Buffer.from('/Producer'));
  assert.ok(at > 0);
  pdf[at + 3] = pdf[at + 3] ^ 0x01;
  assert.match(pdfsig(pdf), /Digest Mismatch\./);
  const report = (await t.app.inject({ method: 'POST', url: '/api/verify', payload: pdf, headers: { 'content-type': 'application/pdf' } })).json() as VerificationReport;
  assert.equal(report.valid, false);
  assert.equal(report.matchesStored, false);
  assert.ok(report.signatures.some((s) => !s.intact));
  const notPdf = await t.app.inject({ method: 'POST', url: '/api/verify', payload: Buffer.from('hello'), headers: { 'content-type': 'application/pdf' } });
  assert.equal(notPdf.statusCode, 400);
  assert.equal(notPdf.json().error.code, 'verify.not_pdf');
});

test('a revoked certificate signs nothing more, and verification reports the revocation', needsTools, async () => {
  const before = await list(w.customerB);
  const signedBefore = await take('signerB', before.id);
  assert.equal(signedBefore.state, 'signed');
  const certs = (await as('admin', 'GET', '/api/seals/certificates')).json().items as { id: number; organisationId: number; purpose: string; state: string }[];
  const certB = certs.find((x) => x.organisationId === w.customerB && x.purpose === 'contract')!;
  assert.equal((await as('sales', 'POST', `/api/seals/certificates/${certB.id}/revoke`, { reason: 'x' })).statusCode, 403, 'the use right does not manage seals');
  const revoked = await as('admin', 'POST', `/api/seals/certificates/${certB.id}/revoke`, { reason: '私钥疑似泄露' });
  assert.equal(revoked.statusCode, 200, revoked.body);

  const after = await list(w.customerB);
  const c = await take('signerB', after.id);
  assert.equal(c.state, 'sealing', 'the contract waits: a revoked seal does not sign');
  assert.match(c.sealError ?? '', /seal\.revoked/);
  assert.equal(c.versions.length, 1);

  const report = (await t.app.inject({ method: 'POST', url: '/api/verify', payload: await pdfOf('signerB', signedBefore.id), headers: { 'content-type': 'application/pdf' } })).json() as VerificationReport;
  const sigB = report.signatures[0];
  assert.ok(sigB.revokedAt, 'the revocation is reported');
  assert.equal(sigB.validAtSigning, true, 'signed before the revocation');

  // An administrator issues a new certificate; the sealing job completes the waiting contract.
  const issued = await as('admin', 'POST', '/api/seals/certificates', { organisationId: w.customerB, purpose: 'contract' });
  assert.equal(issued.statusCode, 201, issued.body);
  await t.db('contracts').where('id', c.id).update({ next_seal_at: nowDb() });
  await svc.sealPending(t.app.contracts);
  const done = (await as('signerB', 'GET', `/api/contracts/${c.id}`)).json() as Contract;
  assert.equal(done.state, 'signed');
  assert.match(pdfsig(await pdfOf('signerB', c.id)), /Signature is Valid\.[\s\S]*Signature is Valid\./);
});

test('taking one listing from several browsers at once yields exactly one contract; numbers stay unique', async () => {
  const l = await list(w.customerA);
  const codes = { signerA: await codeFor('signerA', l.id), signerA2: await codeFor('signerA2', l.id) };
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => {
      const who = i % 2 ? 'signerA2' : 'signerA';
      return as(who, 'POST', `/api/listings/${l.id}/take`, { code: codes[who as keyof typeof codes] });
    }),
  );
  const statuses = results.map((r) => r.statusCode).sort();
  assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(results.map((r) => r.body.slice(0, 120))));
  for (const r of results.filter((x) => x.statusCode !== 201)) assert.ok(['listing.already_taken', 'code.used'].includes(r.json().error.code), r.body);
  assert.equal((await t.db('contracts').where('listing_id', l.id).count({ n: '*' }).first())!.n, 1);

  // Numbers drawn by concurrent transactions are distinct and consecutive.
  const drawn = await Promise.all(Array.from({ length: 12 }, () => t.db.transaction((trx) => nextNumber(trx, 'HT'))));
  const seqs = drawn.map((n) => Number(n.slice(-4))).sort((a, b) => a - b);
  assert.equal(new Set(drawn).size, 12, 'no number twice');
  assert.equal(seqs[11] - seqs[0], 11, 'no gaps');
});

test('a sales manager withdraws a listing not yet taken; the intent contract opens again and the listing takes no more codes', async () => {
  const l = await list(w.customerA);
  assert.equal((await as('signerA', 'POST', `/api/listings/${l.id}/withdraw`)).statusCode, 403, 'customers do not withdraw');
  const res = await as('sales', 'POST', `/api/listings/${l.id}/withdraw`);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().state, 'withdrawn');
  assert.equal((await t.db('intent_contracts').where('id', l.intentContractId).first('state')).state, 'open');
  assert.equal((await as('signerA', 'POST', `/api/listings/${l.id}/code`)).json().error.code, 'listing.closed');
  assert.equal((await as('sales', 'POST', `/api/listings/${l.id}/withdraw`)).json().error.code, 'listing.closed', 'withdrawn once');
});

test('a contract is never made without both parties’ bank details: no code is sent until the customer admin enters them', async () => {
  const c = await customerWithoutBank();
  tokens.newAdmin = (await t.signIn(c.admin.username)).token;
  const l = await list(c.id);
  const refused = await as('newAdmin', 'POST', `/api/listings/${l.id}/code`);
  assert.equal(refused.statusCode, 409);
  assert.equal(refused.json().error.code, 'contract.party_incomplete');
  const details = await as('newAdmin', 'PUT', `/api/contract-parties/${c.id}`, { legalRepresentative: '赵六', bankName: '中国银行苏州分行', bankAccount: '4990 5800 1234', phone: null });
  assert.equal(details.statusCode, 200, details.body);
  assert.equal(details.json().complete, true);
  assert.equal((await as('newAdmin', 'POST', `/api/listings/${l.id}/code`)).statusCode, 200);
});

test('a listing past its window is refused, expires by the job, and both sides are told', async () => {
  const l = await list(w.customerA);
  const code = await codeFor('signerA2', l.id);
  await t.db('listings').where('id', l.id).update({ valid_until: toDbTime(new Date(Date.now() - 1000)) });
  const late = await as('signerA2', 'POST', `/api/listings/${l.id}/take`, { code });
  assert.equal(late.statusCode, 409);
  assert.equal(late.json().error.code, 'listing.expired');
  assert.ok((await svc.expireListings(t.db)) >= 1);
  assert.equal((await t.db('listings').where('id', l.id).first('state')).state, 'expired');
  assert.equal((await t.db('intent_contracts').where('id', l.intentContractId).first('state')).state, 'open', 'the intent contract can be listed again');
  const told = await t.db('notifications').where('kind', 'listing.expired').whereIn('user_id', [w.adminA.id, w.salesManager.id, w.accountManager.id]).select('user_id');
  assert.deepEqual(new Set(told.map((r: { user_id: number }) => r.user_id)), new Set([w.adminA.id, w.salesManager.id, w.accountManager.id]));
  const closed = await as('signerA2', 'POST', `/api/listings/${l.id}/code`);
  assert.equal(closed.json().error.code, 'listing.closed');
  assert.equal(await svc.expireListings(t.db), 0, 'expiring again changes nothing');
});

test('reminders: a listing about to expire, and a contract near its delivery end with tonnage open', needsTools, async () => {
  const l = await list(w.customerA);
  await t.db('listings').where('id', l.id).update({ valid_until: toDbTime(new Date(Date.now() + 3600_000)) });
  const c = await take('signerA', (await list(w.customerA)).id);
  await t.db('contracts').where('id', c.id).update({ delivery_to: '2020-01-31' });
  const first = await svc.sendReminders(t.db);
  assert.ok(first.listings >= 1 && first.contracts >= 1, JSON.stringify(first));
  const again = await svc.sendReminders(t.db);
  assert.deepEqual(again, { listings: 0, contracts: 0 }, 'each reminder once');
  assert.ok(await t.db('sms_messages').where('idempotency_key', 'like', `listing.expiring:${l.id}%`).first());
});

test('execution: scheduled, shipped and settled figures per line from the ERP documents of the contract', needsTools, async () => {
  const c = await take('signerA', (await list(w.customerA, [
    { variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', kg: 300_000, priceFenPerT: 3_600_00 },
    { variety: 'wire_rod', grade: 'HPB300', spec: 'Φ8', kg: 100_000, priceFenPerT: 3_800_00 },
  ])).id);
  const at = nowDb();
  const rec = (iface: string, key: string, payload: Record<string, unknown>, cols: Record<string, unknown>) =>
    t.db('erp_records').insert({ interface: iface, doc_key: key, seq: 1, staging_id: 1, deleted: false, payload: JSON.stringify(payload), synced_at: at, ...cols });
  await rec('material', 'RB25', { code: 'RB25', variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', active: true }, {});
  await rec('material', 'WR8', { code: 'WR8', variety: 'wire_rod', grade: 'HPB300', spec: 'Φ8', active: true }, {});
  await rec('sales_order', 'SO1', { orderNo: 'SO1', orderDate: '2026-12-01', status: 'open', totalWeightKg: 400_000, totalAmountFen: 146_000_000, lines: [] }, { contract_no: c.contractNo, order_no: 'SO1' });
  await rec('production_order', 'PO1', { productionNo: 'PO1', materialCode: 'RB25', grade: 'HRB400E', spec: 'Φ25', plannedKg: 300_000, producedKg: 200_000, status: 'in_production', plannedStart: '2026-12-02' }, { order_no: 'SO1' });
  await rec('production_order', 'PO2', { productionNo: 'PO2', materialCode: 'WR8', grade: 'HPB300', spec: 'Φ8', plannedKg: 100_000, producedKg: 0, status: 'cancelled', plannedStart: '2026-12-02' }, { order_no: 'SO1' });
  const delivery = (no: string, date: string, lines: [string, string, string, number][]) =>
    rec('delivery_note', no, { deliveryNo: no, deliveryDate: date, destination: { province: '上海市', city: '上海市', address: 'x' }, vehicleNo: '沪A12345', totalWeightKg: lines.reduce((s, l) => s + l[3], 0), lines: lines.map(([materialCode, grade, spec, weightKg]) => ({ materialCode, grade, spec, weightKg })) }, { contract_no: c.contractNo, order_no: 'SO1', weight_kg: lines.reduce((s, l) => s + l[3], 0) });
  await delivery('DN1', '2026-12-05', [['RB25', 'HRB400E', 'Φ25', 120_000]]);
  await delivery('DN2', '2026-12-09', [['RB25', 'HRB400E', 'Φ25', 60_000], ['WR8', 'HPB300', 'Φ8', 40_000]]);
  await rec('invoice', 'INV1', { invoiceNo: 'INV1', invoiceDate: '2026-12-10', totalFen: 36_500_000, status: 'issued' }, { contract_no: c.contractNo, order_no: 'SO1' });
  await rec('invoice', 'INV2', { invoiceNo: 'INV2', invoiceDate: '2026-12-11', totalFen: 99_999_999, status: 'cancelled' }, { contract_no: c.contractNo, order_no: 'SO1' });
  await rec('delivery_note', 'DNX', { deliveryNo: 'DNX', deliveryDate: '2026-12-05', totalWeightKg: 999, lines: [] }, { contract_no: 'OTHER', order_no: 'SO9', weight_kg: 999 });

  const e = (await as('signerA', 'GET', `/api/contracts/${c.id}/execution`)).json() as ContractExecution;
  assert.deepEqual(
    e.lines.map((l) => [l.figures.scheduledKg, l.figures.producedKg, l.figures.shippedKg, l.figures.shippedBp]),
    [[300_000, 200_000, 180_000, 6000], [0, 0, 40_000, 4000]],
  );
  // 36,500,000 fen settled over 146,000,000 contracted: rebar's share 108,000,000/146,000,000 of it.
  assert.deepEqual(e.lines.map((l) => l.figures.settledFen), [Math.floor((36_500_000 * 108_000_000) / 146_000_000), 36_500_000 - Math.floor((36_500_000 * 108_000_000) / 146_000_000)]);
  assert.equal(e.totals.shippedKg, 220_000);
  assert.equal(e.totals.settledFen, 36_500_000);
  assert.equal(e.totals.shippedBp, 5500);
  assert.deepEqual(e.shippedSeries, [{ date: '2026-12-05', cumulativeKg: 120_000 }, { date: '2026-12-09', cumulativeKg: 220_000 }]);
  assert.deepEqual(e.deliveries.map((d) => d.docNo).sort(), ['DN1', 'DN2']);
  const listed = (await as('signerA', 'GET', `/api/contracts?q=${c.contractNo}`)).json();
  assert.equal(listed.items[0].shippedKg, 220_000);
});

test('the evidence bundle holds the signed PDF, a sealed audit trail, the chain and the report', needsTools, async () => {
  const c = await take('signerA', (await list(w.customerA)).id);
  const res = await as('signerA', 'GET', `/api/contracts/${c.id}/evidence`);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/zip');
  const dir = path.join(work, `evidence-${c.id}`);
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(path.join(dir, 'e.zip'), res.rawPayload);
  execFileSync('python3', ['-c', `import zipfile;zipfile.ZipFile('${path.join(dir, 'e.zip')}').extractall('${dir}')`]);
  const trail = pdfsig(readFileSync(path.join(dir, 'audit-trail.pdf')));
  assert.match(trail, /Signature is Valid\./);
  const text = execFileSync('pdftotext', [path.join(dir, 'audit-trail.pdf'), '-'], { encoding: 'utf8' });
  assert.ok(text.includes(c.versions[2].sha256), 'the trail names the final version’s hash');
  const report = JSON.parse(readFileSync(path.join(dir, 'verification.json'), 'utf8')) as VerificationReport;
  assert.equal(report.valid, true);
  assert.match(readFileSync(path.join(dir, 'certificate-chain.pem'), 'utf8'), /BEGIN CERTIFICATE[\s\S]*BEGIN CERTIFICATE[\s\S]*BEGIN CERTIFICATE/);
});

test('who sees what: another customer, another account manager and strangers never get a listing or a contract', needsTools, async () => {
  const l = await list(w.customerA);
  const c = await take('signerA', (await list(w.customerA)).id);
  const urls = [`/api/listings/${l.id}`, `/api/contracts/${c.id}`, `/api/contracts/${c.id}/pdf`, `/api/contracts/${c.id}/execution`, `/api/contracts/${c.id}/evidence`];
  for (const url of urls) {
    for (const who of ['signerB', 'adminB', 'otherAm']) assert.equal((await as(who, 'GET', url)).statusCode, 404, `${who} ${url}`);
    assert.equal((await as('quality', 'GET', url)).statusCode, 403, `quality ${url}`);
    assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 401, `anonymous ${url}`);
    assert.equal((await as('am', 'GET', url)).statusCode, 200, `the account manager of customer A ${url}`);
  }
  assert.equal((await as('signerB', 'POST', `/api/listings/${l.id}/code`)).statusCode, 404);
  assert.equal((await as('signerB', 'GET', '/api/contracts')).json().items.some((x: { id: number }) => x.id === c.id), false);
  assert.equal((await as('otherAm', 'GET', '/api/listings')).json().items.some((x: { id: number }) => x.id === l.id), false);
  for (const who of ['sales', 'am', 'signerA']) assert.equal((await as(who, 'GET', '/api/seals/uses')).statusCode, 403, `${who} lacks the audit right`);
  const uses = (await as('admin', 'GET', `/api/seals/uses?pageSize=200`)).json();
  assert.ok(uses.items.some((u: { subjectNo: string }) => u.subjectNo === c.contractNo));
  assert.equal((await as('adminB', 'GET', `/api/contract-parties/${w.customerA}`)).statusCode, 404);
  assert.equal((await as('userA', 'PUT', `/api/contract-parties/${w.customerA}`, { legalRepresentative: 'x', bankName: null, bankAccount: null, phone: null })).statusCode, 403);
});

test('the standard terms are versioned: a new version is a draft until activated, and listings keep the clauses they copied', async () => {
  const listed = await list(w.customerA);
  const created = await as('admin', 'POST', '/api/contract-templates', { name: '钢材购销合同标准条款', clauses: [{ title: '新条款', body: '新的条款内容。' }] });
  assert.equal(created.statusCode, 201, created.body);
  assert.equal(created.json().state, 'draft');
  assert.equal((await as('sales', 'POST', '/api/contract-templates', { name: 'x', clauses: [{ title: 'a', body: 'b' }] })).statusCode, 403);
  const activated = await as('admin', 'POST', `/api/contract-templates/${created.json().id}/activate`);
  assert.equal(activated.json().state, 'active');
  const all = (await as('sales', 'GET', '/api/contract-templates')).json().items as { version: number; state: string }[];
  assert.deepEqual(all.map((x) => [x.version, x.state]).slice(0, 2), [[created.json().version, 'active'], [created.json().version - 1, 'retired']]);
  const after = await list(w.customerA);
  assert.deepEqual(after.clauses, [{ title: '新条款', body: '新的条款内容。' }]);
  const again = (await as('signerA', 'GET', `/api/listings/${listed.id}`)).json() as Listing;
  assert.notDeepEqual(again.clauses, after.clauses, 'an earlier listing keeps its clauses');
});

test('with a timestamp authority configured each seal carries its token; while it does not answer the contract waits and is sealed on retry', needsTools, async () => {
  const tsa = await startTestTsa();
  const seals = t.app.config.seals;
  // As an operator setting TSA_URL: the module reads the app's configuration at each seal.
  Object.assign(seals, { tsaUrl: tsa.url, tsaTimeoutMs: 2000 });
  try {
    tsa.mode = 'down';
    const waiting = await take('signerA', (await list(w.customerA)).id);
    assert.equal(waiting.state, 'sealing', 'no seal without its timestamp, and never a made-up time');
    assert.match(waiting.sealError ?? '', /seal\.tsa_unavailable/);
    assert.ok(tsa.requests >= 1);

    tsa.mode = 'ok';
    await t.db('contracts').where('id', waiting.id).update({ next_seal_at: nowDb() });
    assert.deepEqual(await svc.sealPending(t.app.contracts), { sealed: 1, failed: 0 });
    const signed = (await as('signerA', 'GET', `/api/contracts/${waiting.id}`)).json() as Contract;
    assert.equal(signed.state, 'signed');
    assert.deepEqual(signed.events.map((e) => e.event), ['code_sent', 'taken', 'seal_failed', 'buyer_sealed', 'seller_sealed']);
    const report = (await t.app.inject({ method: 'POST', url: '/api/verify', payload: await pdfOf('signerA', waiting.id), headers: { 'content-type': 'application/pdf' } })).json() as VerificationReport;
    assert.equal(report.valid, true);
    assert.ok(report.signatures.every((s) => s.timestampTime), 'both seals are timestamped (PAdES B-T)');
    assert.match(pdfsig(await pdfOf('signerA', waiting.id)), /Signature is Valid\.[\s\S]*Signature is Valid\./);
  } finally {
    Object.assign(seals, { tsaUrl: undefined });
    await tsa.close();
  }
});
