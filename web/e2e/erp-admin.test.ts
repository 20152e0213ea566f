// The ERP sync page in a real browser: an administrator syncs real staging rows, reads the state per interface,
// inspects and dismisses a quarantined row, retries another; API errors are shown; reconciliation highlights a difference;
// other roles have no entry and get 403; the page speaks English.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { toDbTime } from '../../server/src/db/knex.js';
import { customer, invoice, material, receipt, salesOrder, writeStaging } from '../../server/test/erp-fixtures.js';
import { field, signIn, startPortal, type Portal } from './harness.js';

let portal: Portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

async function navKeys(page: Page): Promise<string[]> {
  const ids = await page.locator('[data-testid^="nav-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
  return [...new Set(ids.map((id) => String(id).slice(4)))].sort();
}

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).first().innerText()).trim();

/** Today's calendar day in China time, as the page's default reconciliation range ends. */
const chinaToday = () =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

const quarantineRow = (page: Page, docKey: string) =>
  page.locator(`[data-testid="erp-quarantine-table"] [data-testid="erp-quarantine-row"][data-doc-key="${docKey}"]`);

/** The dismiss dialog's reason box (an Element Plus textarea, whichever element carries the test id). */
const reasonBox = (page: Page) =>
  page.locator('textarea[data-testid="erp-dismiss-reason"], [data-testid="erp-dismiss-reason"] textarea').first();

async function closeDrawer(page: Page): Promise<void> {
  await page.locator('.el-drawer__close-btn:visible').click();
  await page.getByTestId('erp-quarantine-detail').waitFor({ state: 'hidden' });
}

async function selectOption(page: Page, testId: string, label: string): Promise<void> {
  await page.getByTestId(testId).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: label }).first().click();
}

describe('ERP sync page', () => {
  test('an administrator syncs staging rows, reads the numbers, and dismisses a quarantined row with a reason', async () => {
    const c = 'C90001';
    const m = 'M90001';
    const so = 'SO90001';
    const badInvoice = 'INV90001';
    const badReceipt = 'RC90001';
    const rawReceipt = '{"receiptNo": "RC90001", "amountFen": 12';
    await writeStaging(portal.stores.staging, [
      { iface: 'customer', key: c, seq: 1, payload: customer(c) },
      { iface: 'material', key: m, seq: 2, payload: material(m) },
      { iface: 'sales_order', key: so, seq: 7, payload: salesOrder(so, c, m) },
      // totalFen must be amountFen + taxFen: a business-rule failure on /totalFen.
      { iface: 'invoice', key: badInvoice, seq: 3, payload: { ...invoice(badInvoice, c), totalFen: 1 } },
      // Not JSON at all: shown exactly as received.
      { iface: 'customer_receipt', key: badReceipt, seq: 4, payload: rawReceipt },
    ]);

    const page = await portal.newPage();
    await signIn(page, 'admin', DEMO_PASSWORD);
    assert.ok((await navKeys(page)).includes('admin-erp'));
    await page.getByTestId('nav-admin-erp').first().click();
    await page.waitForURL(/\/admin\/erp$/);
    assert.equal(await text(page, 'page-title'), 'ERP 同步');

    // Nothing synced yet: the header says so and the staging rows show as lag.
    await page.locator('[data-testid="data-as-of"][data-state="never"]').waitFor();
    assert.equal(await text(page, 'data-as-of'), '尚未同步');
    await page.getByTestId('erp-status-table').getByText('客户主数据').waitFor();
    assert.equal(await text(page, 'erp-status-sales_order-lag-rows'), '1');
    assert.equal(await text(page, 'erp-status-sales_order-applied'), '0');

    await page.getByTestId('erp-sync-now').click();
    const result = page.getByTestId('erp-sync-result');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-status'), 'done');
    assert.equal(await page.getByTestId('erp-sync-result-applied').getAttribute('data-value'), '3');
    assert.equal(await page.getByTestId('erp-sync-result-quarantined').getAttribute('data-value'), '2');
    assert.match(await result.innerText(), /入库\s*3/);

    // The table is refreshed after the run.
    await page.locator('[data-testid="erp-status-sales_order-applied"]', { hasText: '1' }).waitFor();
    assert.equal(await text(page, 'erp-status-sales_order-last-seq'), '7');
    assert.equal(await text(page, 'erp-status-sales_order-lag-rows'), '0');
    assert.equal(await text(page, 'erp-status-customer-applied'), '1');
    assert.equal(await text(page, 'erp-status-invoice-applied'), '0');
    assert.equal(await text(page, 'erp-status-invoice-quarantined'), '1');
    assert.equal(await text(page, 'erp-status-invoice-open'), '1');
    assert.equal(await text(page, 'erp-status-customer_receipt-open'), '1');
    assert.equal(await text(page, 'erp-status-sales_order-watermark'), '1');
    assert.match(await page.getByTestId('erp-runs-table').innerText(), /手动/);
    await page.locator('[data-testid="data-as-of"][data-state="synced"]').waitFor();
    assert.match(await text(page, 'data-as-of'), /^数据截至 \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);

    // The quarantine lists the open rows; the invoice shows its reason, field and pretty-printed payload.
    await page.getByTestId('erp-tab-quarantine').click();
    await page.waitForURL(/\/admin\/erp\?tab=quarantine$/);
    await quarantineRow(page, badInvoice).waitFor();
    assert.equal(await page.locator('[data-testid="erp-quarantine-table"] [data-testid="erp-quarantine-row"]').count(), 2);
    await quarantineRow(page, badInvoice).click();
    const detail = page.getByTestId('erp-quarantine-detail');
    await detail.locator('[data-testid="erp-quarantine-reason"]').waitFor();
    assert.equal(await detail.getByTestId('erp-quarantine-reason').getAttribute('data-reason'), 'payload.rule');
    assert.match(await detail.getByTestId('erp-quarantine-reason').innerText(), /业务规则不符/);
    assert.equal(await detail.getByTestId('erp-quarantine-path').innerText(), '/totalFen');
    assert.match(await detail.getByTestId('erp-quarantine-message').innerText(), /totalFen/);
    const payload = detail.getByTestId('erp-quarantine-payload');
    assert.equal(await payload.getAttribute('data-format'), 'json');
    const payloadText = await payload.innerText();
    assert.match(payloadText, /\n {2}"invoiceNo": "INV90001",\n/);
    assert.match(payloadText, /\n {2}"totalFen": 1,\n/);

    // Dismissing needs a reason of at least two characters.
    await page.getByTestId('erp-quarantine-dismiss').click();
    await page.getByTestId('erp-dismiss-confirm').click();
    await page.locator('.el-form-item__error', { hasText: '请填写忽略原因' }).waitFor();
    await reasonBox(page).fill('废');
    await page.getByTestId('erp-dismiss-confirm').click();
    await page.locator('.el-form-item__error', { hasText: '请填写忽略原因' }).waitFor();
    assert.equal((await portal.stores.db('erp_quarantine').where({ doc_key: badInvoice }).first()).state, 'open');
    await reasonBox(page).fill('ERP 已作废此发票');
    await page.getByTestId('erp-dismiss-confirm').click();
    await page.locator('.el-message--success', { hasText: '已忽略该隔离记录' }).waitFor();

    // It leaves the open list; the other row stays; the database keeps the decision and its reason.
    await quarantineRow(page, badInvoice).waitFor({ state: 'detached' });
    await quarantineRow(page, badReceipt).waitFor();
    const row = await portal.stores.db('erp_quarantine').where({ doc_key: badInvoice }).first();
    assert.equal(row.state, 'dismissed');
    assert.equal(row.dismiss_reason, 'ERP 已作废此发票');
    assert.equal(row.resolved_by, 'admin');
    assert.ok(row.resolved_at);
    const audited = await portal.stores.db('audit_log').where({ action: 'erp.quarantine_dismiss', entity_id: String(row.id) });
    assert.equal(audited.length, 1);

    // Filtered by state "dismissed", it is found again, with its reason in the detail.
    await selectOption(page, 'erp-quarantine-state-filter', '已忽略');
    await quarantineRow(page, badInvoice).waitFor();
    assert.equal(await quarantineRow(page, badInvoice).getAttribute('data-state'), 'dismissed');
    await quarantineRow(page, badInvoice).click();
    await page.locator('[data-testid="erp-quarantine-detail"][data-state="dismissed"]').waitFor();
    assert.equal(await text(page, 'erp-quarantine-dismiss-reason'), 'ERP 已作废此发票');
    assert.equal(await page.getByTestId('erp-quarantine-retry').count(), 0, 'no actions on a dismissed row');
    await closeDrawer(page);

    // The receipt that is not JSON is shown exactly as received.
    await page.getByTestId('erp-quarantine-reset').click();
    await quarantineRow(page, badReceipt).click();
    await page.locator('[data-testid="erp-quarantine-detail"][data-state="open"]').waitFor();
    await page.locator('[data-testid="erp-quarantine-reason"][data-reason="payload.invalid_json"]').waitFor();
    const raw = page.getByTestId('erp-quarantine-payload');
    assert.equal(await raw.getAttribute('data-format'), 'raw');
    assert.equal(await raw.innerText(), rawReceipt);
    await closeDrawer(page);

    // The status table follows: the invoice has no open row any more.
    await page.getByTestId('erp-tab-status').click();
    await page.locator('[data-testid="erp-status-invoice-open"]', { hasText: '0' }).waitFor();
    assert.equal(await text(page, 'erp-status-customer_receipt-open'), '1');
    await page.context().close();
  });

  test('an error of the API is shown: a row dismissed meanwhile cannot be retried', async () => {
    const key = 'RC90002';
    await writeStaging(portal.stores.staging, [{ iface: 'customer_receipt', key, seq: 1, payload: 'not json' }]);
    await portal.app.erpSync.runNow('script');

    const page = await portal.newPage();
    await signIn(page, 'admin', DEMO_PASSWORD);
    await page.goto('/admin/erp?tab=quarantine');
    await field(page, 'erp-quarantine-doc-key-filter').fill(key);
    await field(page, 'erp-quarantine-doc-key-filter').press('Enter');
    await quarantineRow(page, key).waitFor();
    // The row can show before the filtered page replaces the unfiltered one: wait for the filtered list to settle.
    const rows = '[data-testid="erp-quarantine-table"] [data-testid="erp-quarantine-row"]';
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 1, rows).catch(() => undefined);
    assert.equal(await page.locator(rows).count(), 1);
    await quarantineRow(page, key).click();
    await page.locator('[data-testid="erp-quarantine-detail"][data-state="open"]').waitFor();

    // Another administrator dismisses it while this one is looking.
    await portal.stores.db('erp_quarantine').where({ doc_key: key }).update({ state: 'dismissed', dismiss_reason: '重复数据', resolved_by: 'other' });
    await page.getByTestId('erp-quarantine-retry').click();
    await page.locator('.el-message--error', { hasText: '该记录已不是待处理状态' }).waitFor();
    await page.getByTestId('erp-quarantine-detail').getByText('该记录已不是待处理状态').waitFor();
    // The drawer then shows the row as it now is, without actions.
    await page.locator('[data-testid="erp-quarantine-detail"][data-state="dismissed"]').waitFor();
    assert.equal(await page.getByTestId('erp-quarantine-retry').count(), 0);
    assert.equal((await portal.stores.db('erp_quarantine').where({ doc_key: key }).first()).state, 'dismissed');
    await page.context().close();
  });

  test('retrying a row quarantined for a missing customer applies it once the customer has arrived', async () => {
    const c = 'C90004';
    const key = 'RC90004';
    await writeStaging(portal.stores.staging, [{ iface: 'customer_receipt', key, seq: 1, payload: receipt(key, c) }]);
    await portal.app.erpSync.runNow('script');
    // The receipt waited for its customer longer than allowed: quarantined as parent.missing.
    await portal.stores.db('erp_waiting').where({ doc_key: key }).update({ since: toDbTime(new Date(Date.now() - 25 * 3600_000)) });
    await portal.app.erpSync.runNow('script');
    assert.equal((await portal.stores.db('erp_quarantine').where({ doc_key: key }).first()).reason, 'parent.missing');
    await writeStaging(portal.stores.staging, [{ iface: 'customer', key: c, seq: 1, payload: customer(c) }]);

    const page = await portal.newPage();
    await signIn(page, 'admin', DEMO_PASSWORD);
    await page.goto('/admin/erp?tab=quarantine');
    await quarantineRow(page, key).click();
    await page.locator('[data-testid="erp-quarantine-reason"][data-reason="parent.missing"]').waitFor();
    assert.equal(await text(page, 'erp-quarantine-path'), '/customerCode');
    await page.getByTestId('erp-quarantine-retry').click();
    await page.locator('.el-message--success', { hasText: '重试成功' }).waitFor();
    await page.locator('[data-testid="erp-quarantine-detail"][data-state="resolved"]').waitFor();
    await closeDrawer(page);
    await quarantineRow(page, key).waitFor({ state: 'detached' });
    assert.equal((await portal.stores.db('erp_quarantine').where({ doc_key: key }).first()).state, 'resolved');
    assert.ok(await portal.stores.db('erp_records').where({ interface: 'customer_receipt', doc_key: key }).first());
    await page.context().close();
  });

  test('reconciliation over the last 7 days highlights a difference between portal and staging store', async () => {
    const c = 'C90003';
    const m = 'M90003';
    const so = 'SO90003';
    const day = chinaToday();
    await writeStaging(portal.stores.staging, [
      { iface: 'customer', key: c, seq: 1, payload: customer(c) },
      { iface: 'material', key: m, seq: 1, payload: material(m) },
      { iface: 'sales_order', key: so, seq: 1, payload: { ...salesOrder(so, c, m), orderDate: day } },
    ]);
    await portal.app.erpSync.runNow('script');

    const page = await portal.newPage();
    await signIn(page, 'admin', DEMO_PASSWORD);
    await page.goto('/admin/erp');
    await page.getByTestId('erp-tab-reconciliation').click();
    const table = page.getByTestId('erp-reconciliation-table');
    const line = table.locator('tr', { hasText: day }).filter({ hasText: '销售订单' });
    await line.waitFor();
    assert.equal(await line.getByTestId('erp-reconciliation-result').getAttribute('data-matches'), 'true');
    assert.match(await line.innerText(), /32\.000/);
    assert.equal(await page.getByTestId('erp-reconciliation-summary').getAttribute('data-differences'), '0');

    // The portal's copy drifts (as a bug or a hand edit would make it): the line turns red.
    await portal.stores.db('erp_records').where({ interface: 'sales_order', doc_key: so }).update({ weight_kg: 31_000 });
    await page.getByTestId('erp-reconciliation-check').click();
    await line.locator('[data-testid="erp-reconciliation-result"][data-matches="false"]').waitFor();
    assert.match(await line.getAttribute('class') ?? '', /is-mismatch/);
    assert.equal(await page.getByTestId('erp-reconciliation-summary').getAttribute('data-differences'), '1');
    assert.match(await line.locator('.diff').first().innerText(), /32\.000/);
    assert.match(await line.innerText(), /31\.000/);
    await page.context().close();
  });

  test('a sales manager has no ERP entry and gets the 403 page at /admin/erp', async () => {
    const page = await portal.newPage();
    await signIn(page, 'sales.manager', DEMO_PASSWORD);
    const keys = await navKeys(page);
    assert.ok(keys.includes('organisations'), `staff menu: ${keys}`);
    assert.ok(!keys.includes('admin-erp'), `no ERP entry: ${keys}`);
    await page.goto('/admin/erp');
    await page.getByTestId('forbidden').waitFor();
    assert.equal(await page.getByTestId('erp-status-table').count(), 0);
    await page.context().close();
  });

  test('in English the page, its interface names and "data as of" are translated', async () => {
    await portal.app.erpSync.runNow('script');
    const page = await portal.newPage();
    await signIn(page, 'admin', DEMO_PASSWORD);
    await page.goto('/admin/erp');
    await page.getByTestId('erp-status-table').getByText('客户主数据').waitFor();
    await page.getByTestId('lang-switch').click();
    await page.getByTestId('page-title').getByText('ERP sync').waitFor();
    await page.getByTestId('erp-status-table').getByText('Customer master').waitFor();
    assert.equal(await page.getByTestId('erp-sync-now').innerText(), 'Sync now');
    assert.match(await text(page, 'data-as-of'), /^Data as of /);
    assert.equal(await page.getByTestId('nav-admin-erp').first().innerText(), 'ERP sync');
    await page.context().close();
  });
});
