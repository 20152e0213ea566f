// Quality certificates in a real browser: the ERP sends a certificate for the demo customer 恒达 through the staging
// store and the sync; a customer user finds it by its heat number (the filter kept in the address), opens it and sees
// the values exactly as sent (the operator of "< 0.0050", an out-of-spec value marked), prints a sealed copy (副本
// 1/3 by the default print right), and the copy's verification page, opened without signing in, says it is genuine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { materialiseCertificates } from '../../server/src/modules/certificates/service.js';
import { certificatePayload } from '../../server/test/certificate-fixture.js';
import { customer, deliveryNote, material, salesOrder, writeStaging } from '../../server/test/erp-fixtures.js';
import { field, signIn, startPortal, type Portal } from './harness.js';

// The demo customer 恒达 (server/src/demo.ts) and its user with the print right.
const CUSTOMER_CODE = 'C10001';
const CUSTOMER_USER = 'hengda.user';
const CERTIFICATE_NO = `ZB-E2E-${process.pid}`;
const HEAT_NO = '26A01240';
const MATERIAL = 'RB-HRB400E-25';
const ORDER_NO = `SO-E2E-${process.pid}`;
const DELIVERY_NO = `FH-E2E-${process.pid}`;

let portal: Portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

const text = async (page: import('playwright-core').Page, testId: string) => (await page.getByTestId(testId).first().innerText()).trim();

/**
 * The certificate arrives as the ERP sends it: its customer, material, sales order and delivery note first (the sync
 * holds a document back until the documents it names have arrived), then the certificate, the sync, and the
 * materialisation after it.
 */
let arrived: Promise<void> | null = null;
const certificateFromErp = () => (arrived ??= sendCertificate());

async function sendCertificate(): Promise<void> {
  const org = await portal.stores.db('organisations').where({ code: CUSTOMER_CODE }).first();
  await writeStaging(portal.stores.staging, [
    { iface: 'customer', key: CUSTOMER_CODE, seq: 1, payload: { ...customer(CUSTOMER_CODE, org.name), creditCode: org.credit_code ?? undefined } },
    { iface: 'material', key: MATERIAL, seq: 1, payload: material(MATERIAL) },
    { iface: 'sales_order', key: ORDER_NO, seq: 1, payload: salesOrder(ORDER_NO, CUSTOMER_CODE, MATERIAL) },
    { iface: 'delivery_note', key: DELIVERY_NO, seq: 1, payload: deliveryNote(DELIVERY_NO, ORDER_NO, CUSTOMER_CODE, MATERIAL) },
    {
      iface: 'quality_certificate',
      key: CERTIFICATE_NO,
      seq: 1,
      payload: certificatePayload(CERTIFICATE_NO, CUSTOMER_CODE, { contractNo: `HT${ORDER_NO}`, salesOrderNo: ORDER_NO, deliveryNo: DELIVERY_NO }),
    },
  ]);
  const run = await portal.app.erpSync.runNow('manual', 5000);
  assert.equal(run.status, 'done', JSON.stringify(run));
  await materialiseCertificates(portal.stores.db);
  const stored = await portal.stores.db('certificates').where({ certificate_no: CERTIFICATE_NO }).first('id', 'customer_id');
  const pending = await portal.stores.db('erp_waiting').select('doc_key', 'parent_interface', 'parent_key');
  const quarantined = await portal.stores.db('erp_quarantine').select('reason');
  assert.ok(stored?.customer_id, `the certificate is matched to the demo customer: ${JSON.stringify({ stored, pending, quarantined })}`);
}

test('a customer finds a certificate by heat number, prints a copy, and its verification page says it is genuine', async () => {
  await certificateFromErp();

  // ---- the customer searches by heat number ----
  const page = await portal.newPage();
  await signIn(page, CUSTOMER_USER, DEMO_PASSWORD);
  await page.getByTestId('nav-certificates').click();
  await page.waitForURL(/\/certificates$/);
  await field(page, 'certificates-heatNo').fill(HEAT_NO);
  await page.getByTestId('certificates-submit').click();
  await page.waitForURL((url) => url.searchParams.get('heatNo') === HEAT_NO);
  const row = page.getByTestId(`certificate-row-${CERTIFICATE_NO}`);
  await row.waitFor();
  assert.equal(await page.getByTestId('certificates-table').getAttribute('data-total'), '1');

  // The address keeps the filter: a reload shows the same list.
  await page.reload();
  assert.equal(await field(page, 'certificates-heatNo').inputValue(), HEAT_NO);
  await page.getByTestId(`certificate-row-${CERTIFICATE_NO}`).click();

  // ---- the certificate as issued ----
  await page.waitForURL(/\/certificates\/\d+$/);
  assert.equal(await text(page, 'certificate-no'), CERTIFICATE_NO);
  const sulphur = page.locator('[data-testid="results-1-chemical"] [data-testid="certificate-value"][data-symbol="S"]');
  assert.equal((await sulphur.innerText()).trim(), '< 0.0050', 'the value and its operator exactly as the ERP sent them');
  const manganese = page.locator('[data-testid="results-2-chemical"] [data-testid="certificate-value"][data-symbol="Mn"]');
  assert.equal((await manganese.innerText()).trim(), '1.61');
  assert.equal(await manganese.getAttribute('data-in-spec'), 'false', 'Mn above 1.60 is marked out of specification');
  assert.equal(await page.getByTestId('certificate-weight').getAttribute('data-kg'), String(24_989 + 4_628));

  // ---- printing a sealed copy ----
  // The sealed PDF opens in a new tab.
  const [pdfTab] = await Promise.all([page.context().waitForEvent('page'), page.getByTestId('certificate-print').click()]);
  await pdfTab.waitForURL(/^blob:/);
  await page.getByTestId('copy-dialog').waitFor();
  const nm = page.getByTestId('copy-nm');
  await nm.waitFor();
  assert.equal(await nm.getAttribute('data-n'), '1');
  assert.equal(await nm.getAttribute('data-m'), '3', 'the default print right: three copies per certificate');
  const copyNo = await text(page, 'copy-no');
  const stored = await portal.stores.db('certificate_copies').where({ copy_no: copyNo }).first();
  assert.ok(stored, 'the copy is logged');
  await page.locator(`[data-testid="print-log-${copyNo}"]`).waitFor();
  assert.equal(await page.getByTestId('certificate-print-used').getAttribute('data-n'), '1');
  const verifyHref = await page.getByTestId('copy-verify-link').getAttribute('href');
  assert.match(verifyHref ?? '', /^\/verify\/[0-9A-Z]+$/);

  // ---- anyone holding the copy opens its verification link, without signing in ----
  const visitor = await portal.newPage();
  await visitor.goto(verifyHref!);
  const report = visitor.getByTestId('copy-verify-report');
  await report.waitFor();
  assert.equal(await report.getAttribute('data-verdict'), 'genuine');
  assert.match(await text(visitor, 'copy-verify-verdict'), /真实有效/);
  assert.equal(await text(visitor, 'copy-verify-certificate'), CERTIFICATE_NO);
  assert.equal(await text(visitor, 'copy-verify-copy'), copyNo);
  assert.match(await text(visitor, 'copy-verify-batches'), new RegExp(HEAT_NO));

  // The holder checks the PDF they were given: sealed, trusted, the very copy the mill keeps.
  await visitor.locator('[data-testid="copy-verify-upload"] input[type=file]').setInputFiles({ name: `${copyNo}.pdf`, mimeType: 'application/pdf', buffer: Buffer.from(stored.pdf) });
  await visitor.getByTestId('copy-verify-check-pdf').click();
  const checks = visitor.getByTestId('copy-verify-pdf');
  await checks.waitFor();
  for (const check of ['intact', 'trusted', 'matchesStored']) {
    assert.equal(await checks.locator(`[data-check="${check}"]`).getAttribute('data-value'), 'true', check);
  }
  assert.equal(await report.getAttribute('data-verdict'), 'genuine');

  // A made-up code matches no copy.
  await visitor.goto('/verify/ABCDEFGHJKMNPQRSTVWXYZ0123456789');
  await visitor.locator('[data-testid="copy-verify-report"][data-verdict="noSuchCopy"]').waitFor();
});

test('a customer shares a certificate with its buyer, who prints a copy; after quality staff withdraw the certificate its copies verify as withdrawn', async () => {
  await certificateFromErp();
  const db = portal.stores.db;
  const { id } = await db('certificates').where({ certificate_no: CERTIFICATE_NO }).first('id');

  // ---- the customer administrator creates a share link for one copy ----
  const page = await portal.newPage();
  await signIn(page, 'hengda.admin', DEMO_PASSWORD);
  await page.goto(`/certificates/${id}`);
  await page.getByTestId('share-create').click();
  await field(page, 'share-buyer').fill('无锡宏建建筑工程有限公司');
  await page.getByTestId('share-submit').click();
  const urlInput = page.locator('input[data-testid^="share-url-"], [data-testid^="share-url-"] input').first();
  await urlInput.waitFor();
  const sharePath = new URL(await urlInput.inputValue()).pathname;
  assert.match(sharePath, /^\/shared\/[A-Za-z0-9_-]+$/);

  // ---- the buyer, without an account, prints through the link ----
  const buyer = await portal.newPage();
  await buyer.goto(sharePath);
  assert.equal(await text(buyer, 'shared-certificate-no'), CERTIFICATE_NO);
  assert.equal(await buyer.getByTestId('shared-copies-left').getAttribute('data-left'), '1');
  const [download] = await Promise.all([buyer.waitForEvent('download'), buyer.getByTestId('shared-print').click()]);
  assert.match(download.suggestedFilename(), /\.pdf$/);
  await buyer.locator('[data-testid="shared-copies-left"][data-left="0"]').waitFor();
  assert.equal(await buyer.getByTestId('shared-print').isDisabled(), true);
  const copy = await db('certificate_copies').whereNotNull('share_id').where({ certificate_id: id }).first('verify_code', 'printed_for');
  assert.equal(copy.printed_for, '无锡宏建建筑工程有限公司', 'the copy names the buyer');

  // ---- quality staff withdraw the certificate with a reason ----
  const quality = await portal.newPage();
  await signIn(quality, 'quality', DEMO_PASSWORD);
  await quality.goto(`/staff/certificates/${id}`);
  await quality.getByTestId('certificate-withdraw').click();
  await quality.locator('[data-testid="withdraw-reason"] textarea, textarea[data-testid="withdraw-reason"]').first().fill('ERP 更正后重新出具');
  await quality.getByTestId('withdraw-submit').click();
  await quality.getByTestId('certificate-withdrawn').waitFor();
  assert.match(await text(quality, 'certificate-withdrawn'), /ERP 更正后重新出具/);

  // ---- the buyer's copy now verifies as withdrawn ----
  await buyer.goto(`/verify/${copy.verify_code}`);
  await buyer.locator('[data-testid="copy-verify-report"][data-verdict="withdrawn"]').waitFor();
  assert.match(await text(buyer, 'copy-verify-withdrawn'), /ERP 更正后重新出具/);
});

test('quality staff find a customer’s certificates by contract and refuse it printing; its users then see that they may not print', async () => {
  await certificateFromErp();
  const db = portal.stores.db;
  const org = await db('organisations').where({ code: CUSTOMER_CODE }).first('id', 'name');
  const { id } = await db('certificates').where({ certificate_no: CERTIFICATE_NO }).first('id');

  // ---- the staff search, filtered by customer and contract number from the address ----
  const quality = await portal.newPage();
  await signIn(quality, 'quality', DEMO_PASSWORD);
  await quality.goto(`/staff/certificates?customerId=${org.id}&contractNo=HT${ORDER_NO}`);
  await quality.getByTestId(`certificate-row-${CERTIFICATE_NO}`).waitFor();
  assert.equal(await quality.getByTestId('certificates-table').getAttribute('data-total'), '1');
  await quality.locator('[data-testid="certificates-customer"]', { hasText: org.name }).waitFor();

  // ---- print rights: the default (allowed, three copies) until quality staff decide ----
  await quality.getByTestId('nav-certificate-print-rights').click();
  await quality.waitForURL(/\/staff\/certificate-print-rights$/);
  await quality.goto(`/staff/certificate-print-rights?customerId=${org.id}`);
  const allowed = quality.locator('[data-testid="print-rights-allowed"]');
  await allowed.waitFor();
  assert.match((await allowed.getAttribute('class')) ?? '', /is-checked/, 'allowed by default');
  await allowed.click();
  await quality.getByTestId('print-rights-save').click();
  await quality.locator('.el-message--success').waitFor();
  const stored = await db('certificate_print_rights').where({ customer_id: org.id }).first();
  assert.ok(stored && !stored.allowed, 'printing refused for the customer');

  // ---- the customer's user sees at once that the organisation may not print ----
  const customerPage = await portal.newPage();
  await signIn(customerPage, CUSTOMER_USER, DEMO_PASSWORD);
  await customerPage.goto(`/certificates/${id}`);
  await customerPage.getByTestId('certificate-print-refused').waitFor();
  assert.equal(await customerPage.getByTestId('certificate-print').count(), 0);
});
