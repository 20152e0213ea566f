// Users in a real browser: a customer administrator invites a user, who must choose a password first; a user verifies
// their phone with the code the SMS outbox holds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { lastPhoneCode } from '../../server/test/sms.js';
import { field, signIn, startPortal, type Portal } from './harness.js';

let portal: Portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

describe('users', () => {
  test('a customer administrator invites a user, sees the temporary password once, and the user must change it at sign-in', async () => {
    const admin = await portal.newPage();
    await signIn(admin, 'hengda.admin', DEMO_PASSWORD);
    await admin.getByTestId('nav-org-users').first().click();
    await admin.waitForURL(/\/org\/users/);
    await admin.getByTestId('users-create').click();
    await field(admin, 'user-create-username').fill('hengda.buyer2');
    await field(admin, 'user-create-display-name').fill('王磊');
    await field(admin, 'user-create-phone').fill('13900000019');
    await admin.getByTestId('user-create-submit').click();

    const shown = admin.getByTestId('temporary-password');
    await shown.waitFor();
    const temporary = (await shown.innerText()).trim();
    assert.match(temporary, /^[A-Za-z2-9]{4}-[A-Za-z2-9]{4}-[A-Za-z2-9]{4}$/);
    await admin.getByTestId('temporary-password-done').click();
    await admin.getByTestId('temporary-password-dialog').waitFor({ state: 'hidden' });
    const row = admin.getByTestId('users-table').locator('tr', { hasText: 'hengda.buyer2' });
    await row.getByText('待改密').waitFor();
    await admin.context().close();

    const user = await portal.newPage();
    await signIn(user, 'hengda.buyer2', temporary);
    await user.getByTestId('cp-forced').waitFor();
    assert.equal(await user.getByTestId('page-title').count(), 0, 'no page behind the forced dialog');
    await field(user, 'cp-current').fill(temporary);
    await field(user, 'cp-new').fill('Buyer2-own-pass');
    await field(user, 'cp-confirm').fill('Buyer2-own-pass');
    await user.getByTestId('cp-submit').click();
    await user.getByTestId('page-title').waitFor();
    assert.equal(await user.getByTestId('cp-forced').isVisible(), false);

    // The new password is the user's own now: a fresh sign-in goes straight to the work bench.
    await user.reload();
    await user.getByTestId('page-title').waitFor();
    const fresh = await portal.newPage();
    await signIn(fresh, 'hengda.buyer2', 'Buyer2-own-pass');
    await fresh.getByTestId('page-title').waitFor();
    assert.equal(await fresh.getByTestId('cp-forced').count(), 0);
    await user.context().close();
    await fresh.context().close();
  });

  test('a user verifies their phone from the user menu with the code sent by SMS', async () => {
    const page = await portal.newPage();
    await signIn(page, 'hengda.user', DEMO_PASSWORD);
    await page.getByTestId('user-menu').click();
    await page.getByTestId('menu-verify-phone').click();
    await page.getByTestId('phone-state').getByText('未验证').waitFor();
    await page.getByTestId('phone-send').click();
    await page.getByTestId('phone-sent').waitFor();
    const code = await lastPhoneCode(portal.app.db, '13900000012');
    assert.ok(code, 'the code is in the SMS outbox');
    await field(page, 'phone-code').fill(code);
    await page.getByTestId('phone-verify').click();
    await page.getByTestId('phone-state').getByText('已验证').waitFor();
    await page.context().close();
  });
});
