// Hardening issue, "no HTML injection in any page or PDF": hostile text (markup, template syntax, PDF syntax, an RTL
// override, spreadsheet formulas, very long and CJK strings) in every user- or ERP-provided field that lands in a
// rendered document. The contract, certificate copy and survey summary PDFs show it literally as text, stay valid and
// sealed, and carry no actions beyond the verification link; CSV downloads neutralise formulas; notification texts
// fill each parameter once; and the web app renders no data as HTML.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, makeWorld, testConfig, type TestApp } from '../test/helpers.js';
import { customer, material, writeStaging } from '../test/erp-fixtures.js';
import { certificatePayload } from '../test/certificate-fixture.js';
import { lastPhoneCode } from '../test/sms.js';
import { useTempDir } from '../test/pdf-tools.js';
import { nowDb } from './db/knex.js';
import { creditCodeCheck } from './demo.js';
import { csvText } from './csv.js';
import { render } from './modules/notifications/templates.js';

const tools = ['pdftotext', 'pdfinfo', 'pdfsig', 'unzip'].every((tool) => !spawnSync(tool, ['-v']).error);
if (!tools && process.env.CI === 'true') throw new Error('poppler-utils is required with CI=true');
const needsTools = tools ? {} : { skip: 'poppler-utils missing (apt-get install poppler-utils)' };

const RLO = '\u202E';
/** The hostile core: markup, an attribute break-out, template syntax, a PDF string break-out and an RTL override. */
const CORE = `<script>alert(1)</script>"><img src=x onerror=alert(1)>\${7*7}{{7*7}})>>/JS(app.alert(1))${RLO}fdp.exe`;
/** `prefix` + the hostile core, padded with CJK text to exactly `length` characters (a field's maximum). */
const hostile = (prefix: string, length?: number) => {
  const s = `${prefix}${CORE}`;
  return length === undefined ? s : (s + '钢材贸易有限公司'.repeat(600)).slice(0, length);
};
/** What a browser may send as its name: any printable ASCII. */
const USER_AGENT = '<script>alert(1)</script>"><img src=x onerror=alert(1)>${7*7}{{7*7}})>>/JS(app.alert(1))';
const FORMULAS = ["=cmd|' /C calc'!A0", '+SUM(1,2)', '-2+3', '@SUM(1)', '\t=1+1', '\r=1+1'];

const H = {
  // The buyer's seal certificate carries the name in its common name (at most 64 characters, RFC 5280), so this one
  // is short; the long strings go into the address, the delivery terms and the clauses.
  buyerName: `甲<script>alert(1)</script>"><b>\${7*7}{{7*7}}${RLO}有限公司`,
  buyerAddress: hostile('上海市', 255),
  legalRepresentative: hostile('法人', 60),
  bankName: hostile('银行', 100),
  deliveryPlace: hostile('交货地', 200),
  deliveryMethod: hostile('运', 60),
  qualityStandard: hostile('标准', 200),
  templateName: hostile('模板', 100),
  clauseTitle: hostile('条款', 100),
  clauseBody: hostile('正文', 4000),
  productName: hostile('产品', 100),
  inspector: hostile('检', 60),
  grade: '<b>HRB400E</b>${7*7}',
  spec: hostile('Φ25', 60),
  standard: hostile('GB', 60),
  buyerOfShare: hostile('买家', 100),
  surveyTitle: hostile('问卷', 200),
  questionTitle: hostile('问题', 200),
  optionLabel: hostile('选项', 200),
  feedbackSubject: hostile('反馈', 100),
};

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
const tokens: Record<string, string> = {};
const pdfs: Record<string, Buffer> = {};
const tmp = useTempDir('injection-test-');
let surveyId = 0;

const as = (who: string, method: string, url: string, payload?: unknown) =>
  t.as(tokens[who], { method: method as never, url, ...(payload === undefined ? {} : { payload: payload as object }) });
async function ok(res: Promise<LightMyRequestResponse>, status = [200, 201]): Promise<any> {
  const r = await res;
  assert.ok(status.includes(r.statusCode), `${r.statusCode} ${r.body.slice(0, 400)}`);
  return r.json();
}
const uscc = (first17: string) => first17 + creditCodeCheck(first17);

before(async () => {
  const base = testConfig();
  t = await createTestApp({ certificates: { ...base.certificates, publicPerMinute: 10_000 } });
  w = await makeWorld(t.db);
  await t.db('users').where('id', w.adminA.id).update({ can_answer: true, can_print: true, phone: '13900139001' });
  for (const [k, u] of Object.entries({ admin: w.admin, sales: w.salesManager, adminA: w.adminA })) tokens[k] = (await t.signIn(u.username)).token;
  for (const [userId, right] of [[w.salesManager.id, 'use'], [w.admin.id, 'manage']] as const) await ok(as('admin', 'POST', '/api/seals/rights', { userId, right }));

  // The ERP names customer A with hostile text, customer B with a spreadsheet formula, and sends a hostile certificate.
  const codeA = (await t.db('organisations').where('id', w.customerA).first('code')).code as string;
  const codeB = (await t.db('organisations').where('id', w.customerB).first('code')).code as string;
  const cert = certificatePayload('ZB-INJ-0001', codeA, { contractNo: 'HT-INJ-1', deliveryNo: undefined, salesOrderNo: undefined, productName: H.productName, inspector: H.inspector, standard: H.standard, vehicleNo: '苏E<b>1</b>' });
  cert.batches[0] = { ...cert.batches[0], grade: H.grade, spec: H.spec };
  await writeStaging(t.stores.staging, [
    { iface: 'customer', key: codeA, seq: 1, payload: { ...customer(codeA, H.buyerName), creditCode: uscc('91320505MA1MH4K21'), address: H.buyerAddress } },
    { iface: 'customer', key: codeB, seq: 1, payload: { ...customer(codeB, FORMULAS[0]), creditCode: uscc('91310115MA1KY7Y22') } },
    { iface: 'material', key: 'RB-HRB400E-25', seq: 1, payload: material('RB-HRB400E-25') },
    { iface: 'quality_certificate', key: 'ZB-INJ-0001', seq: 2, payload: cert },
  ]);
  const run = await t.app.erpSync.runNow('manual', 5000);
  assert.equal(run.quarantined, 0, JSON.stringify(run));
  assert.equal((await t.db('organisations').where('id', w.customerA).first('name')).name, H.buyerName);

  await t.db('organisations').where('id', w.mill).update({ name: '江南钢铁股份有限公司', credit_code: uscc('91320000134789012'), address: '江苏省无锡市钢城大道1号' });
  await t.db('contract_party_details').insert({ organisation_id: w.mill, legal_representative: '李四', bank_name: '中国建设银行无锡分行', bank_account: '3200 1617 8880 5000 1234', phone: '0510-88880000', updated_by: 'test', updated_at: nowDb() });
  await ok(as('adminA', 'PUT', `/api/contract-parties/${w.customerA}`, { legalRepresentative: H.legalRepresentative, bankName: H.bankName, bankAccount: '1219 0888 8810 001', phone: null }));
  const template = await ok(as('admin', 'POST', '/api/contract-templates', { name: H.templateName, clauses: [{ title: H.clauseTitle, body: H.clauseBody }] }));
  await ok(as('admin', 'POST', `/api/contract-templates/${template.id}/activate`));

  // The contract: listed with hostile delivery terms and taken by A's signer.
  const [intent] = await t.db('intent_contracts').insert({
    contract_no: `YXINJ${process.pid}`, customer_id: w.customerA, source_type: 'demand', source_id: 980_001, approval_id: null, state: 'open',
    delivery_month: '2026-12', total_kg: 300_000, amount_fen: 109_500_000, payment_terms: 'deferred', payment_days: 30, terms: null, created_at: nowDb(),
  });
  await t.db('intent_contract_lines').insert({ intent_contract_id: Number(intent), position: 1, variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', kg: 300_000, price_fen_per_t: 3_650_00, amount_fen: 109_500_000 });
  const listing = await ok(as('sales', 'POST', '/api/listings', { intentContractId: Number(intent), deliveryPlace: H.deliveryPlace, deliveryFrom: '2026-12-01', deliveryTo: '2026-12-31', deliveryMethod: H.deliveryMethod, qualityStandard: H.qualityStandard }));
  await ok(as('adminA', 'POST', `/api/listings/${listing.id}/code`));
  // The signer's browser names itself with hostile text: the audit trail prints it.
  const takeCode = await lastPhoneCode(t.db, '13900139001', 'signing_code');
  const contract = await ok(t.as(tokens.adminA, { method: 'POST', url: `/api/listings/${listing.id}/take`, payload: { code: takeCode }, headers: { 'user-agent': USER_AGENT } }));
  assert.equal(contract.state, 'signed', contract.sealError ?? '');
  const contractPdf = await as('adminA', 'GET', `/api/contracts/${contract.id}/pdf`);
  assert.equal(contractPdf.statusCode, 200, contractPdf.body);
  pdfs.contract = contractPdf.rawPayload;
  const evidence = await as('adminA', 'GET', `/api/contracts/${contract.id}/evidence`);
  assert.equal(evidence.statusCode, 200, evidence.body);
  pdfs.auditTrail = execFileSync('unzip', ['-p', tmp.write('evidence.zip', evidence.rawPayload), 'audit-trail.pdf'], { maxBuffer: 64 << 20 });

  // The certificate: a copy printed by A, and one printed through A's share link naming a hostile buyer.
  const certificateId = Number((await t.db('certificates').where('certificate_no', 'ZB-INJ-0001').first('id')).id);
  const copy = await ok(as('adminA', 'POST', `/api/certificates/${certificateId}/prints`));
  const copyPdf = await as('adminA', 'GET', copy.pdfUrl);
  assert.equal(copyPdf.statusCode, 200, copyPdf.body);
  pdfs.certificate = copyPdf.rawPayload;
  const share = await ok(as('adminA', 'POST', `/api/certificates/${certificateId}/shares`, { buyerName: H.buyerOfShare, expiresAt: new Date(Date.now() + 86400_000).toISOString(), maxCopies: 1 }));
  const shared = await t.app.inject({ method: 'POST', url: `/api/shared-certificates/${share.token}/prints` });
  assert.equal(shared.statusCode, 200, shared.body);
  pdfs.sharedCopy = shared.rawPayload;

  // A survey with hostile title, question and option, answered by A with hostile text and formulas.
  const survey = await ok(as('sales', 'POST', '/api/surveys', {
    title: H.surveyTitle, introduction: CORE, kind: 'campaign', triggerEvent: null, answerPer: 'organisation', anonymous: false,
    opensAt: new Date(Date.now() - 3600_000).toISOString(), closesAt: new Date(Date.now() + 7 * 86400_000).toISOString(), target: { all: false, customerIds: [w.customerA] },
    sections: [{ id: 's1', title: CORE.slice(0, 100), questions: [
      { id: 'pick', type: 'single', title: H.questionTitle, required: true, options: [{ id: 'x', label: H.optionLabel }, { id: 'y', label: '否' }] },
      { id: 'note', type: 'long_text', title: '建议', required: false },
      { id: 'f1', type: 'short_text', title: '公式', required: false },
    ] }],
  }));
  surveyId = survey.id;
  await ok(as('sales', 'POST', `/api/surveys/${survey.id}/publish`));
  const inv = (await ok(as('adminA', 'GET', '/api/my-surveys'))).items.find((i: { surveyId: number }) => i.surveyId === survey.id);
  await ok(as('adminA', 'POST', `/api/my-surveys/${inv.id}/submit`, { answers: { pick: 'x', note: hostile('回答', 2000), f1: FORMULAS[0] } }));
  const summary = await as('sales', 'GET', `/api/surveys/${survey.id}/summary.pdf`);
  assert.equal(summary.statusCode, 200, summary.body);
  pdfs.surveySummary = summary.rawPayload;
});
after(() => t.close());

/** Text as compared: whitespace (line wrapping) and the bidirectional controls (not drawn) left out. */
const norm = (s: string) => s.replace(/[\s\u202A-\u202E\u2066-\u2069]/g, '');

/** The PDF's text in drawing order, without the contract's page footers (number, page, verification code and link). */
function pdfText(name: string): string {
  const file = tmp.write(`${name}.pdf`, pdfs[name]);
  return execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' })
    .replace(/^合同编号 \S+ +第 \d+ 页 共 \d+ 页$/gm, '')
    .replace(/^验证码 \S+，可在 \S+ 核验$/gm, '');
}

/** Every action, script or embedded-file key in the PDF's objects, and every link target. */
function activeContent(pdf: Buffer): { keys: string[]; uris: string[] } {
  const raw = pdf.toString('latin1');
  const keys = [...raw.matchAll(/\/(JS|JavaScript|Launch|OpenAction|AA|SubmitForm|ImportData|GoToR|GoToE|RichMedia|EmbeddedFile|EmbeddedFiles|XFA)\b/g)].map((m) => m[1]!);
  const uris = [...raw.matchAll(/\/URI\s*\(((?:\\.|[^\\)])*)\)/g)].map((m) => m[1]!);
  return { keys, uris };
}

const EXPECTED: Record<string, string[]> = {
  contract: [H.buyerName, H.buyerAddress, H.legalRepresentative, H.bankName, H.deliveryPlace, H.deliveryMethod, H.qualityStandard, H.clauseTitle, H.clauseBody],
  certificate: [H.productName, H.inspector, H.grade, H.spec, H.standard, H.buyerName],
  sharedCopy: [H.productName, H.buyerOfShare],
  auditTrail: [H.buyerName, USER_AGENT],
  surveySummary: [H.surveyTitle, H.questionTitle, H.optionLabel],
};

for (const [name, expected] of Object.entries(EXPECTED)) {
  test(`the ${name} PDF shows every hostile value literally, as text, and is a valid PDF`, needsTools, () => {
    const text = norm(pdfText(name));
    const missing = expected.filter((v) => !text.includes(norm(v)));
    // Where each missing value stops matching, to see what the renderer did to it.
    const where = missing.map((v) => {
      const n = norm(v);
      let k = 1;
      while (k < n.length && text.includes(n.slice(0, k + 1))) k++;
      const at = text.indexOf(n.slice(0, k));
      return `${n.slice(0, 30)}… matches ${k} of ${n.length} characters, then the text has ${JSON.stringify(text.slice(at + k - 10, at + k + 40))}`;
    });
    assert.deepEqual(where, [], `not found literally in the ${name} PDF's text`);
    assert.ok(!text.includes('alert(1)</script>49'), 'no template was evaluated');
    const info = execFileSync('pdfinfo', [tmp.write(`${name}-info.pdf`, pdfs[name])], { encoding: 'utf8' });
    assert.match(info, /^Pages:\s+[1-9]/m, info);
    assert.doesNotMatch(info, /JavaScript:\s+yes/i, 'pdfinfo finds no JavaScript');
  });
  test(`the ${name} PDF carries no script, launch or open action, and links only to the portal's verification`, needsTools, () => {
    const { keys, uris } = activeContent(pdfs[name]!);
    assert.deepEqual(keys, [], 'no action or script keys in any object');
    const baseUrl = t.config.publicUrl;
    for (const u of uris) assert.ok(u.startsWith(`${baseUrl}/verify/`), `unexpected link ${u}`);
  });
}

test('the sealed contract, its audit trail and the certificate copies stay valid signatures with hostile text inside', needsTools, () => {
  for (const name of ['contract', 'certificate', 'sharedCopy', 'auditTrail']) {
    const out = execFileSync('pdfsig', [tmp.write(`${name}-sig.pdf`, pdfs[name])], { encoding: 'utf8' });
    assert.match(out, /Signature Validation: Signature is Valid\./, `${name}: ${out}`);
    assert.doesNotMatch(out, /Digest Mismatch|Unknown Validation Failure/, `${name}: ${out}`);
  }
});

/** Every cell of a CSV download, RFC 4180 quoting undone. */
function cells(csv: string): string[] {
  const out: string[] = [];
  const s = csv.replace(/^\uFEFF/, '');
  let cell = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(cell), (cell = '');
    else if (ch === '\r' && s[i + 1] === '\n') out.push(cell), (cell = ''), i++;
    else cell += ch;
  }
  if (cell) out.push(cell);
  return out;
}
const runnable = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell);

test('a CSV cell never starts a formula: the customer list, the survey answers and the CSV writer itself', async () => {
  for (const f of FORMULAS) {
    const csv = csvText([['h'], [f]]);
    const cell = cells(csv)[1]!;
    assert.ok(!runnable(cell), `${JSON.stringify(f)} came out as ${JSON.stringify(cell)}`);
    assert.ok(cell.endsWith(f.trimStart()) || cell.includes(f.replace(/^[\t\r]/, '')), 'the text is kept');
  }
  assert.deepEqual(cells(csvText([['-12.5', '42']])), ['-12.5', '42'], 'numbers stay numbers');

  const customers = await as('sales', 'GET', '/api/customers/export.csv');
  assert.equal(customers.statusCode, 200, customers.body);
  assert.ok(customers.body.includes(H.buyerName.replace(/"/g, '""')), 'the hostile name is kept as text');
  assert.deepEqual(cells(customers.body).filter(runnable), []);
  const answers = await as('sales', 'GET', `/api/surveys/${surveyId}/export.csv`);
  assert.equal(answers.statusCode, 200, answers.body);
  assert.ok(answers.body.includes(`'${FORMULAS[0]}`), 'the formula answer is neutralised, not dropped');
  assert.deepEqual(cells(answers.body).filter(runnable), []);
});

test('an ERP customer name or address longer than the portal keeps is quarantined with its reason, not half-applied', async () => {
  const code = 'INJLONG1';
  await writeStaging(t.stores.staging, [{ iface: 'customer', key: code, seq: 10, payload: { ...customer(code, '长地址客户'), creditCode: uscc('91310115MA1KY7Y22'), address: hostile('上海市', 300) } }]);
  const run = await t.app.erpSync.runNow('manual', 5000);
  assert.equal(run.quarantined, 1, JSON.stringify(run));
  assert.equal((await t.db('erp_quarantine').where('doc_key', code).first('reason')).reason, 'payload.schema');
  assert.equal(await t.db('organisations').where('code', code).first('id'), undefined);
});

test('notification texts fill each parameter once: hostile values are neither expanded nor interpreted', () => {
  const { title, body } = render('feedback_submitted', { feedbackNo: '{customer}', customer: H.buyerName, subject: `{feedbackNo}${CORE}` }, 'zh-CN');
  assert.ok(title.includes('{customer}'), title);
  assert.ok(body.includes(H.buyerName) && body.includes(`{feedbackNo}${CORE}`), body);
});

test('feedback with a hostile subject reaches staff as the literal text, in-app and by SMS', async () => {
  await ok(as('adminA', 'POST', '/api/feedback', { category: 'quality_objection', subject: H.feedbackSubject, description: CORE }));
  const told = await t.db('notifications').whereIn('kind', ['feedback.submitted', 'feedback.assigned']).first('template', 'params');
  assert.ok(told, 'staff are told');
  const { title, body } = render(told.template, JSON.parse(told.params), 'zh-CN');
  assert.ok(body.includes(H.feedbackSubject) && title.includes('{') === false, body);
  const sms = await t.db('sms_messages').where('idempotency_key', 'like', 'feedback%').first();
  if (sms) assert.ok(!/<script>alert\(1\)<\/script>49/.test(JSON.stringify(sms)), 'no template was evaluated in the SMS');
  const list = await as('sales', 'GET', '/api/notifications');
  assert.equal(list.statusCode, 200);
  assert.match(String(list.headers['content-type']), /^application\/json/);
});

test('a feedback attachment with a hostile file name downloads as a well-formed attachment of its checked type', async () => {
  const item = await ok(as('adminA', 'POST', '/api/feedback', { category: 'service', subject: 's', description: 'd' }));
  const name = '"><img src=x onerror=alert(1)>;${7*7}{{7*7}}中文.png';
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
  const up = await ok(t.as(tokens.adminA, { method: 'POST', url: `/api/feedback/${item.id}/attachments?name=${encodeURIComponent(name)}`, headers: { 'content-type': 'application/octet-stream' }, payload: png }));
  const dl = await as('adminA', 'GET', `/api/feedback/${item.id}/attachments/${up.id}`);
  assert.equal(dl.statusCode, 200, dl.body);
  assert.equal(dl.headers['content-type'], 'image/png');
  assert.equal(dl.headers['x-content-type-options'], 'nosniff');
  const disposition = String(dl.headers['content-disposition']);
  // One quoted ASCII name without quotes or separators of its own, and the stored name (markup characters taken out
  // on upload) RFC 5987-encoded beside it.
  assert.match(disposition, /^(attachment|inline); filename="[^"\\;%]*"; filename\*=UTF-8''[A-Za-z0-9%!._~-]+$/, disposition);
  const stored = decodeURIComponent(disposition.split("UTF-8''")[1]!);
  assert.doesNotMatch(stored, /[<>"]/, stored);
  assert.ok(stored.endsWith('中文.png'), stored);
});

test('JSON answers that echo hostile values are JSON, never HTML', async () => {
  for (const url of [`/api/customers/${w.customerA}`, `/api/surveys/${surveyId}/results`, '/api/contract-templates']) {
    const res = await as(url.startsWith('/api/customers') ? 'sales' : 'sales', 'GET', url);
    assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 200)}`);
    assert.match(String(res.headers['content-type']), /^application\/json/, url);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
  }
});

/** The web app's sources, for the checks that nothing renders data as HTML. */
function webSources(dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/src'), out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) webSources(p, out);
    else if (/\.(vue|ts|js)$/.test(name)) out.push(p);
  }
  return out;
}

test('the web app renders no data as HTML: no v-html, innerHTML, outerHTML, insertAdjacentHTML or document.write', () => {
  const files = webSources();
  assert.ok(files.length > 20, `only ${files.length} web sources found`);
  const hits = files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .map((l, i) => ({ l, i }))
      .filter(({ l }) => /v-html|\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|javascript:/.test(l))
      .map(({ i }) => `${path.relative(process.cwd(), f)}:${i + 1}`),
  );
  assert.deepEqual(hits, []);
});
