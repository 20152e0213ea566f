// The Customers pages in a real browser: a sales manager filters the list (kept in the address), opens a customer,
// changes its class and finds the change in its history; a customer administrator sees its own profile and credit
// and nobody else's; an account manager sees only the customers assigned to them.
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { DEMO_ORGS, DEMO_PASSWORD } from '../../server/src/demo.js';
import { customer, writeStaging } from '../../server/test/erp-fixtures.js';
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
const row = (page: Page, code: string) => page.getByTestId(`customer-row-${code}`);
const rowCodes = async (page: Page) =>
  (await page.locator('[data-testid="customers-table"] [data-testid^="customer-row-"]').evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-testid')),
  )).map((id) => String(id).replace('customer-row-', '')).sort();
const orgId = async (code: string) => Number((await portal.stores.db('organisations').where({ code }).first('id')).id);

async function selectOption(page: Page, testId: string, label: string): Promise<void> {
  await page.getByTestId(testId).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: label }).first().click();
}

/** The ERP's customer master row for a demo customer, with the same credit code, so that it matches cleanly. */
function demoCustomer(code: string) {
  const org = DEMO_ORGS.find((o) => o.code === code);
  assert.ok(org, code);
  return {
    ...customer(code, org.name),
    shortName: org.shortName,
    creditCode: org.creditCode,
    province: org.province,
    city: org.city,
    address: org.address,
  };
}

const balance = (customerCode: string, creditLimitFen: number, balanceFen: number, overdueFen = 0, overdueDays = 0) => ({
  customerCode,
  asOf: new Date().toISOString(),
  creditLimitFen,
  balanceFen,
  advanceFen: 0,
  overdueFen,
  overdueDays,
});

describe('customer pages', () => {
  test('a sales manager filters by province, opens a customer, makes it a strategic customer and sees it in the history', async () => {
    const page = await portal.newPage();
    await signIn(page, 'sales.manager', DEMO_PASSWORD);
    assert.ok((await navKeys(page)).includes('customers'));
    await page.getByTestId('nav-customers').first().click();
    await page.waitForURL(/\/staff\/customers$/);
    await row(page, 'C10003').waitFor();
    assert.deepEqual(await rowCodes(page), ['C10001', 'C10002', 'C10003']);

    // Only 江苏省: Hangzhou (浙江省) and Hefei (安徽省) leave the list; the filter goes into the address.
    await field(page, 'customers-province').fill('江苏省');
    await field(page, 'customers-province').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('province') === '江苏省');
    await row(page, 'C10002').waitFor({ state: 'detached' });
    assert.deepEqual(await rowCodes(page), ['C10001']);

    // The CSV export carries the same filter (fetched with the access token, then saved from a Blob).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('customers-export').click()]);
    assert.equal(download.suggestedFilename(), 'customers.csv');
    const csv = await readFile(await download.path(), 'utf8');
    assert.equal(csv.charCodeAt(0), 0xfeff, 'UTF-8 with a byte-order mark');
    assert.match(csv, /C10001/);
    assert.ok(!csv.includes('C10002') && !csv.includes('C10003'), csv);

    // A reload keeps the filter and its answer.
    await page.reload();
    await row(page, 'C10001').waitFor();
    assert.equal(await field(page, 'customers-province').inputValue(), '江苏省');
    assert.deepEqual(await rowCodes(page), ['C10001']);

    await row(page, 'C10001').click();
    await page.waitForURL(/\/staff\/customers\/\d+$/);
    assert.equal(await text(page, 'customer-name'), '苏州恒达钢材贸易有限公司');
    assert.equal(await text(page, 'customer-code'), 'C10001');
    assert.equal(await page.getByTestId('customer-class').getAttribute('data-class'), 'agreement');

    await page.getByTestId('customer-edit').click();
    await selectOption(page, 'customer-edit-class', '战略客户');
    await page.getByTestId('customer-edit-save').click();
    await page.locator('.el-message--success', { hasText: '客户资料已保存' }).waitFor();
    const classTag = page.locator('[data-testid="customer-class"][data-class="strategic"]');
    await classTag.waitFor();
    assert.equal((await classTag.innerText()).trim(), '战略客户');
    const profile = await portal.stores.db('customer_profiles as p')
      .join('customer_classes as c', 'c.id', 'p.class_id')
      .where('p.organisation_id', await orgId('C10001'))
      .first('c.code');
    assert.equal(profile?.code, 'strategic');

    // The history says who changed the class, from the demo's 协议户 to 战略客户.
    await page.getByTestId('customer-tab-history').click();
    const change = page.locator('[data-testid="customer-history-table"] [data-testid="history-change"][data-field="class"]');
    await change.waitFor();
    assert.match(await change.innerText(), /客户分类\s*协议户\s*→\s*战略客户/);
    assert.match(await page.getByTestId('customer-history-table').innerText(), /sales\.manager/);

    // Back to the list as it was left: still only 江苏省.
    await page.getByTestId('customer-back').click();
    await page.waitForURL((url) => url.pathname === '/staff/customers' && url.searchParams.get('province') === '江苏省');
    await row(page, 'C10001').waitFor();
    assert.deepEqual(await rowCodes(page), ['C10001']);
    await page.context().close();
  });

  test("a customer administrator sees its own profile and credit figures, not another customer's", async () => {
    // The ERP sends both customers' masters and balances; the sync matches them and refreshes the credit snapshot.
    await writeStaging(portal.stores.staging, [
      { iface: 'customer', key: 'C10001', seq: 101, payload: demoCustomer('C10001') },
      { iface: 'customer', key: 'C10002', seq: 102, payload: demoCustomer('C10002') },
    ]);
    await writeStaging(portal.stores.staging, [
      { iface: 'customer_balance', key: 'C10001', seq: 103, payload: balance('C10001', 2_000_000_00, 1_234_567_89, 5_000_00, 12) },
      { iface: 'customer_balance', key: 'C10002', seq: 104, payload: balance('C10002', 9_999_999_00, 3_333_333_33) },
    ]);
    const run = await portal.app.erpSync.runNow('script');
    assert.equal(run.status, 'done', JSON.stringify(run));

    const page = await portal.newPage();
    await signIn(page, 'hengda.admin', DEMO_PASSWORD);
    const keys = await navKeys(page);
    assert.ok(keys.includes('profile'), `customer menu: ${keys}`);
    assert.ok(!keys.includes('customers'), `no staff customer list: ${keys}`);
    await page.getByTestId('nav-profile').first().click();
    await page.waitForURL(/\/profile$/);

    await page.getByTestId('profile-name').waitFor();
    assert.equal(await text(page, 'profile-name'), '苏州恒达钢材贸易有限公司');
    assert.equal(await text(page, 'profile-code'), 'C10001');
    assert.equal(await text(page, 'profile-credit-limit'), '¥2,000,000.00');
    assert.equal(await text(page, 'profile-credit-used'), '¥1,234,567.89');
    assert.equal(await text(page, 'profile-credit-available'), '¥765,432.11');
    assert.equal(await text(page, 'profile-credit-overdue'), '¥5,000.00');
    assert.match(await text(page, 'profile-account-manager'), /李明/);

    const body = await page.locator('body').innerText();
    assert.ok(!body.includes('杭州城建'), 'no other customer on the page');
    assert.ok(!body.includes('9,999,999.00') && !body.includes('3,333,333.33'), "no other customer's credit");

    // The staff list stays closed to a customer.
    await page.goto('/staff/customers');
    await page.getByTestId('forbidden').waitFor();
    await page.context().close();
  });

  test('an account manager sees only their own customers, and not the page of another one', async () => {
    const page = await portal.newPage();
    await signIn(page, 'account.manager', DEMO_PASSWORD);
    await page.getByTestId('nav-customers').first().click();
    await page.waitForURL(/\/staff\/customers$/);
    await row(page, 'C10002').waitFor();
    // C10001 and C10002 are assigned to 李明 in the demo data; C10003 has no account manager.
    assert.deepEqual(await rowCodes(page), ['C10001', 'C10002']);
    assert.equal(await page.getByTestId('customers-table').getAttribute('data-total'), '2');
    assert.equal(await page.getByTestId('customers-account-manager').count(), 0, 'no account-manager filter for an account manager');

    await page.goto(`/staff/customers/${await orgId('C10003')}`);
    await page.getByTestId('customer-not-found').waitFor();
    assert.equal(await page.getByTestId('customer-name').count(), 0);

    await page.goto(`/staff/customers/${await orgId('C10002')}`);
    assert.equal((await page.getByTestId('customer-name').innerText()).trim(), '杭州城建工程集团有限公司');
    await page.context().close();
  });
});
