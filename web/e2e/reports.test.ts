// Reports in a real browser (issue 8): the ERP sends deliveries to two periods, an invoice, a receipt and a customer
// balance through the staging store and the sync; a sales manager opens the regional flow for November, steps to the
// previous period (the address and the figures follow), and exports the CSV, whose rows equal the table shown; the
// customer's fund ledger shows its own rows and the difference from the ERP's balance.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { customer, deliveryNote, invoice, material, receipt, salesOrder, writeStaging, type StagingRow } from '../../server/test/erp-fixtures.js';
import { signIn, startPortal, type Portal } from './harness.js';

// The demo customer 恒达 (server/src/demo.ts), its user, and the sales manager.
const CUSTOMER_CODE = 'C10001';
const CUSTOMER_USER = 'hengda.user';
const MANAGER = 'sales.manager';
const MATERIAL = 'RB-HRB400E-25';
const RUN = process.pid;
const ORDER_NO = `SO-RPT-${RUN}`;
const INVOICE_NO = `FP-RPT-${RUN}`;
const RECEIPT_NO = `SK-RPT-${RUN}`;

/** Deliveries to two months: November to Sichuan, October to Chongqing and Chengdu. */
const DELIVERIES = [
  { no: `FH-RPT-1-${RUN}`, date: '2026-11-05', province: '四川省', city: '成都市', kg: 20_000 },
  { no: `FH-RPT-2-${RUN}`, date: '2026-11-18', province: '四川省', city: '绵阳市', kg: 5_500 },
  { no: `FH-RPT-3-${RUN}`, date: '2026-10-12', province: '重庆市', city: '重庆市', kg: 12_345 },
  { no: `FH-RPT-4-${RUN}`, date: '2026-10-20', province: '四川省', city: '成都市', kg: 8_000 },
];
const INVOICE_AMOUNT_FEN = 1_000_000; // 1,130,000 with tax
const RECEIPT_FEN = 500_000;
const ERP_BALANCE_FEN = 600_000;
/** ledger 1,130,000 − 500,000 = 630,000 against the ERP's 600,000 */
const DIFFERENCE_FEN = 1_130_000 - RECEIPT_FEN - ERP_BALANCE_FEN;

let portal: Portal;
before(async () => {
  portal = await startPortal();
  await sendErpDocuments();
});
after(async () => {
  await portal?.close();
});

async function sendErpDocuments(): Promise<void> {
  const org = await portal.stores.db('organisations').where({ code: CUSTOMER_CODE }).first();
  const rows: StagingRow[] = [
    { iface: 'customer', key: CUSTOMER_CODE, seq: 1, payload: { ...customer(CUSTOMER_CODE, org.name), creditCode: org.credit_code ?? undefined } },
    { iface: 'material', key: MATERIAL, seq: 1, payload: material(MATERIAL) },
    { iface: 'sales_order', key: ORDER_NO, seq: 1, payload: { ...salesOrder(ORDER_NO, CUSTOMER_CODE, MATERIAL, 60_000), orderDate: '2026-09-20' } },
    ...DELIVERIES.map((d) => ({
      iface: 'delivery_note' as const,
      key: d.no,
      seq: 1,
      payload: { ...deliveryNote(d.no, ORDER_NO, CUSTOMER_CODE, MATERIAL, d.kg), deliveryDate: d.date, destination: { province: d.province, city: d.city, address: '工地' } },
    })),
    { iface: 'invoice', key: INVOICE_NO, seq: 1, payload: { ...invoice(INVOICE_NO, CUSTOMER_CODE, INVOICE_AMOUNT_FEN), contractNo: `HT${ORDER_NO}` } },
    { iface: 'customer_receipt', key: RECEIPT_NO, seq: 1, payload: receipt(RECEIPT_NO, CUSTOMER_CODE, RECEIPT_FEN) },
    {
      iface: 'customer_balance',
      key: CUSTOMER_CODE,
      seq: 1,
      payload: {
        customerCode: CUSTOMER_CODE,
        asOf: '2026-11-20T02:00:00Z',
        creditLimitFen: 5_000_000,
        balanceFen: ERP_BALANCE_FEN,
        advanceFen: 0,
        overdueFen: 0,
        overdueDays: 0,
      },
    },
  ];
  await writeStaging(portal.stores.staging, rows);
  const run = await portal.app.erpSync.runNow('manual', 5000);
  assert.equal(run.status, 'done', JSON.stringify(run));
  const quarantined = await portal.stores.db('erp_quarantine').select('interface', 'doc_key', 'reason');
  assert.deepEqual(quarantined, [], 'every document is accepted');
}

/** The cells of a table as shown: body rows, then the totals row. */
async function shownRows(page: Page, testId: string): Promise<string[][]> {
  const table = page.getByTestId(testId);
  const rowsOf = (selector: string) =>
    table.locator(selector).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText.trim())));
  return [...(await rowsOf('.el-table__body-wrapper tbody tr')), ...(await rowsOf('.el-table__footer-wrapper tfoot tr'))];
}

/** A shown figure as the CSV writes it: no thousands separators, sign only when negative, no per cent sign. */
const asCsv = (cell: string) => (cell === '新增' ? '' : cell.replace(/,/g, '').replace(/^\+/, '').replace(/%$/, ''));

function parseCsv(text: string): string[][] {
  return text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => line.split(',').map((cell) => cell.replace(/^"(.*)"$/, '$1')));
}

const shippedOf = async (page: Page, province: string, city = '') => {
  const rows = await shownRows(page, 'flow-table');
  return rows.find((r) => r[0] === province && r[1] === city)?.[2];
};

test('a sales manager opens the regional flow, steps to the previous period, and exports exactly the table shown', async () => {
  const page = await portal.newPage();
  await signIn(page, MANAGER, DEMO_PASSWORD);
  await page.getByTestId('nav-report-regional-flow').click();
  await page.waitForURL(/\/staff\/reports\/regional-flow\?/);
  // The address always names its period, so the view can be bookmarked.
  const opened = new URL(page.url());
  assert.match(opened.searchParams.get('from') ?? '', /^\d{4}-\d{2}$/);
  assert.match(opened.searchParams.get('to') ?? '', /^\d{4}-\d{2}$/);

  // ---- November ----
  await page.goto('/staff/reports/regional-flow?from=2026-11&to=2026-11');
  await page.locator('[data-testid="flow-period"][data-from="2026-11"][data-to="2026-11"]').waitFor();
  assert.equal(await page.getByTestId('figure-shipped').getAttribute('data-raw'), String(25_500));
  assert.equal(await page.getByTestId('figure-previous').getAttribute('data-raw'), String(20_345));
  assert.equal(await shippedOf(page, '四川省'), '25.500');
  assert.equal(await shippedOf(page, '四川省', '成都市'), '20.000');
  assert.equal(await shippedOf(page, '四川省', '绵阳市'), '5.500');
  // Chongqing took nothing in November, but did in October: it shows, with its fall.
  assert.equal(await shippedOf(page, '重庆市'), '0.000');
  const ranked = await page.locator('[data-testid="flow-ranked"] [data-testid="bar"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
  assert.equal(ranked[0], '四川省', 'the largest province first');
  assert.equal(await page.locator('[data-testid="flow-city"]').count(), 2, 'the flow diagram ends in the two cities');

  // ---- the previous period: the address and the figures follow ----
  await page.getByTestId('period-previous').click();
  await page.waitForURL((url) => url.searchParams.get('from') === '2026-10' && url.searchParams.get('to') === '2026-10');
  await page.locator('[data-testid="flow-period"][data-from="2026-10"][data-to="2026-10"]').waitFor();
  await page.locator('[data-testid="report-regional-flow"][data-loading="false"]').waitFor();
  assert.equal(await page.getByTestId('figure-shipped').getAttribute('data-raw'), String(20_345));
  assert.equal(await shippedOf(page, '重庆市', '重庆市'), '12.345');
  assert.equal(await shippedOf(page, '四川省', '成都市'), '8.000');
  assert.equal(await shippedOf(page, '四川省', '绵阳市'), undefined, 'no Mianyang in October or September');

  // "Back" returns to November: the view is in the address.
  await page.goBack();
  await page.locator('[data-testid="flow-period"][data-from="2026-11"]').waitFor();
  await page.goForward();
  await page.locator('[data-testid="flow-period"][data-from="2026-10"]').waitFor();
  await page.locator('[data-testid="report-regional-flow"][data-loading="false"]').waitFor();

  // ---- CSV export of exactly what is shown ----
  const shown = await shownRows(page, 'flow-table');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-export').click()]);
  const file = await download.path();
  assert.ok(file, 'the CSV is saved');
  const csv = parseCsv(await readFile(file, 'utf8'));
  assert.deepEqual(csv[0].slice(0, 3), ['省份', '城市', '发货量(吨)'], 'Chinese headers for a Chinese reader');
  assert.deepEqual(
    csv.slice(1),
    shown.map((row) => row.map(asCsv)),
    'every CSV row equals the row shown, the totals included',
  );
  await page.context().close();
});

test('the managers report and the overview agree with the regional flow, and the managers report drills down to the contract', async () => {
  const page = await portal.newPage();
  await signIn(page, MANAGER, DEMO_PASSWORD);
  const shippedFigure = () => page.getByTestId('figure-shipped').getAttribute('data-raw');

  // The same filter gives the same shipped tonnage in every report (issue 8: figures that agree).
  await page.goto('/staff/reports/overview?from=2026-11&to=2026-11');
  await page.locator('[data-testid="report-overview"][data-loading="false"]').waitFor();
  await page.getByTestId('figure-shipped').waitFor();
  assert.equal(await shippedFigure(), String(25_500));

  await page.goto('/staff/reports/managers?from=2026-09&to=2026-11');
  await page.locator('[data-testid="managers-table"][data-level="managers"]').waitFor();
  assert.equal(await shippedFigure(), String(25_500 + 20_345));

  // manager → customers → contracts, each step in the address
  await page.locator('[data-testid="managers-drill-manager"]').filter({ hasText: '李明' }).click();
  await page.waitForURL((url) => url.searchParams.has('managerId'));
  await page.locator('[data-testid="managers-table"][data-level="customers"]').waitFor();
  await page.getByTestId('managers-drill-customer').filter({ hasText: '恒达' }).click();
  await page.waitForURL((url) => url.searchParams.has('customerId'));
  await page.locator('[data-testid="managers-table"][data-level="contracts"]').waitFor();
  const contracts = await page.getByTestId('managers-contract').allInnerTexts();
  assert.deepEqual(contracts.map((c) => c.trim()), [`HT${ORDER_NO}`]);
  assert.equal(await shippedFigure(), String(25_500 + 20_345));

  // A contract signed outside the portal has no page: the reader is told so.
  await page.getByTestId('managers-contract').first().click();
  await page.locator('.el-message').filter({ hasText: `HT${ORDER_NO}` }).waitFor();

  // The path leads back up.
  await page.getByTestId('managers-path-all').click();
  await page.locator('[data-testid="managers-table"][data-level="managers"]').waitFor();
  assert.equal(new URL(page.url()).searchParams.has('managerId'), false);
  await page.context().close();
});

test('a customer sees its own fund ledger and the difference from the ERP balance', async () => {
  const page = await portal.newPage();
  await signIn(page, CUSTOMER_USER, DEMO_PASSWORD);
  await page.getByTestId('nav-query-funds').click();
  await page.waitForURL(/\/queries\/funds\?/);
  await page.goto('/queries/funds?from=2026-01-01&to=2026-12-31');
  const rows = page.locator('[data-testid="funds-table"] [data-testid="funds-row"]');
  await page.locator(`[data-testid="funds-row"][data-doc="${RECEIPT_NO}"]`).waitFor();
  const docs = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-doc')));
  assert.deepEqual(docs, [INVOICE_NO, RECEIPT_NO], 'the invoice, then the receipt, by date');
  assert.equal(await page.locator(`[data-testid="funds-row"][data-doc="${RECEIPT_NO}"]`).getAttribute('data-balance'), String(1_130_000 - RECEIPT_FEN));

  // The ledger's balance beside the ERP's, and the difference shown, not hidden.
  const reconciliation = page.getByTestId('funds-reconciliation');
  assert.equal(await reconciliation.getAttribute('data-difference'), String(DIFFERENCE_FEN));
  assert.equal(await reconciliation.getAttribute('data-agrees'), 'false');
  assert.equal((await page.getByTestId('funds-difference').innerText()).trim(), '¥300.00');
  assert.equal((await page.getByTestId('funds-erp-balance').innerText()).trim(), '¥6,000.00');
  assert.match(await page.getByTestId('funds-difference-alert').innerText(), /¥300\.00/);

  // Only invoices: the address keeps the type, the receipt leaves the table.
  await page.goto('/queries/funds?from=2026-01-01&to=2026-12-31&type=invoice');
  await page.locator('[data-testid="report-funds"][data-loading="false"]').waitFor();
  await page.locator(`[data-testid="funds-row"][data-doc="${RECEIPT_NO}"]`).waitFor({ state: 'detached' });
  assert.equal(await rows.count(), 1);

  // At phone width the ledger is a list of cards.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator(`[data-testid="funds-list"] [data-testid="funds-row"][data-doc="${INVOICE_NO}"]`).waitFor();
  await page.context().close();
});
