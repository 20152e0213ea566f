// The portal shell in a real browser: sign-in per role, role menus, language switch remembered, guards, sign-out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { field, signIn, startPortal, type Portal } from './harness.js';

let portal: Portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

async function navKeys(page: import('playwright-core').Page): Promise<string[]> {
  const ids = await page.locator('[data-testid^="nav-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
  return [...new Set(ids.map((id) => String(id).slice(4)))].sort();
}

describe('portal shell', () => {
  test('a customer administrator sees the customer menu in Chinese, cannot open staff pages, and signs out', async () => {
    const page = await portal.newPage();
    await page.goto('/');
    await page.waitForURL(/\/login/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    await signIn(page, 'hengda.admin', DEMO_PASSWORD);
    assert.match(await page.getByTestId('header-org').innerText(), /恒达钢材/);
    assert.equal(await page.getByTestId('page-title').innerText(), '工作台');
    assert.equal(await page.getByTestId('home-role').getAttribute('data-role'), 'customer_admin');
    assert.deepEqual(await navKeys(page), ['allocations', 'certificates', 'contracts', 'demands', 'feedback', 'home', 'intent-contracts', 'listings', 'my-surveys', 'org-users', 'profile', 'query-contract-progress', 'query-credit', 'query-funds']);

    // A staff page typed into the address bar shows 403, not the page.
    await page.goto('/staff/organisations');
    await page.getByTestId('forbidden').waitFor();

    // Sign out: the refresh cookie is revoked, so a reload stays on the sign-in page.
    await page.goto('/');
    await page.getByTestId('user-menu').click();
    await page.getByTestId('menu-logout').click();
    await page.waitForURL(/\/login/);
    await page.reload();
    await page.getByTestId('login-submit').waitFor();
    assert.match(page.url(), /\/login/);
    await page.goto('/');
    await page.waitForURL(/\/login/);
    await page.context().close();
  });

  test('a sales manager sees the staff menu; the English switch is remembered across reloads', async () => {
    const page = await portal.newPage();
    await signIn(page, 'sales.manager', DEMO_PASSWORD);
    assert.match(await page.getByTestId('header-org').innerText(), /江南钢铁/);
    assert.equal(await page.getByTestId('home-role').getAttribute('data-role'), 'sales_manager');
    const keys = await navKeys(page);
    assert.ok(keys.includes('organisations'), `staff menu: ${keys}`);
    assert.ok(!keys.includes('org-users') && !keys.includes('admin-users'), `no customer/admin entries: ${keys}`);

    await page.getByTestId('nav-organisations').first().click();
    await page.waitForURL(/\/staff\/organisations/);
    await page.getByTestId('organisations-table').getByText('恒达钢材', { exact: false }).first().waitFor();

    await page.getByTestId('lang-switch').click();
    await page.getByTestId('page-title').getByText('Customers').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await page.evaluate(() => localStorage.getItem('ssp.locale')), 'en');

    // A reload keeps English and the session (refresh cookie -> new access token).
    await page.reload();
    await page.getByTestId('page-title').getByText('Customers').waitFor();
    await page.getByTestId('user-menu').waitFor();

    await page.getByTestId('lang-switch').click();
    await page.getByTestId('page-title').getByText('客户').waitFor();

    await page.goto('/no/such/page');
    await page.getByTestId('not-found').waitFor();
    await page.context().close();
  });

  test('a wrong password shows an error and keeps the user on the sign-in page', async () => {
    const page = await portal.newPage();
    await page.goto('/login');
    await field(page, 'login-username').fill('hengda.user');
    await field(page, 'login-password').fill('wrong-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    assert.match(page.url(), /\/login/);
    await page.context().close();
  });

  test('the administrator sees the admin menu and the audit log records the sign-ins', async () => {
    const page = await portal.newPage();
    await signIn(page, 'admin', DEMO_PASSWORD);
    const keys = await navKeys(page);
    for (const k of ['home', 'organisations', 'admin-users', 'admin-audit']) assert.ok(keys.includes(k), `${k} in ${keys}`);
    await page.getByTestId('nav-admin-audit').first().click();
    await page.getByTestId('audit-table').getByText('auth.login', { exact: false }).first().waitFor();
    await page.context().close();
  });
});
