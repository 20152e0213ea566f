// Customer feedback in a real browser: a customer submits a quality objection with a photo, quality staff find it in
// their queue, reply and resolve it, and the customer rates the resolution, which closes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { field, signIn, startPortal, type Portal } from './harness.js';

let portal: Portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

/** The textarea of an Element Plus field, whichever element carries the test id. */
const area = (page: Page, testId: string) => page.locator(`textarea[data-testid="${testId}"], [data-testid="${testId}"] textarea`).first();

/** A tiny valid PNG (1×1, red). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

async function waitForState(page: Page, state: string): Promise<void> {
  await page.locator(`[data-testid="feedback-state-tag"][data-state="${state}"]`).waitFor();
}

test('a customer’s quality objection with a photo is answered and resolved by quality staff, and rated by the customer', async () => {
  // The customer submits a quality objection with a photo of the defect.
  const customer = await portal.newPage();
  await signIn(customer, 'hengda.admin', DEMO_PASSWORD);
  await customer.getByTestId('nav-feedback').first().click();
  await customer.waitForURL(/\/feedback$/);
  await customer.getByTestId('feedback-new').click();
  await customer.getByTestId('feedback-category-quality_objection').click();
  await field(customer, 'feedback-form-subject').fill('螺纹钢表面裂纹');
  await area(customer, 'feedback-form-description').fill('第二批到货的 Φ25 螺纹钢表面有横向裂纹，共 12 支。');
  await area(customer, 'feedback-form-resolution').fill('换货');
  await customer.getByTestId('feedback-form-files').locator('input[type=file]').setInputFiles({ name: '裂纹.png', mimeType: 'image/png', buffer: PNG });
  await customer.getByTestId('feedback-form-submit').click();
  await customer.waitForURL(/\/feedback\/\d+$/);
  const id = Number(new URL(customer.url()).pathname.split('/').pop());
  await waitForState(customer, 'new');
  await customer.locator('[data-testid^="feedback-attachment-"]', { hasText: '裂纹.png' }).waitFor();
  const row = await portal.stores.db('feedback_items').where('id', id).first();
  assert.equal(row.category, 'quality_objection');
  const quality = await portal.stores.db('users').where('username', 'quality').first('id');
  assert.equal(row.assignee_id, quality.id, 'quality objections go to quality staff');

  // Quality staff find it in their queue, reply, and resolve it.
  const staff = await portal.newPage();
  await signIn(staff, 'quality', DEMO_PASSWORD);
  await staff.getByTestId('nav-staff-feedback').first().click();
  await staff.waitForURL(/\/staff\/feedback$/);
  await staff.getByTestId(`feedback-row-${row.feedback_no}`).click();
  await staff.waitForURL(new RegExp(`/staff/feedback/${id}$`));
  await staff.locator('[data-testid^="feedback-attachment-"]', { hasText: '裂纹.png' }).waitFor();
  await staff.getByTestId('feedback-thumbnail').locator('img').waitFor();
  await area(staff, 'feedback-reply').fill('已收到，安排复检并换货。');
  await staff.getByTestId('feedback-reply-send').click();
  await waitForState(staff, 'in_progress');
  await staff.getByTestId('feedback-move-resolved').click();
  await staff.locator('.el-message-box textarea').fill('已换货 12 支');
  await staff.locator('.el-message-box__btns .el-button--primary').click();
  await waitForState(staff, 'resolved');

  // The customer sees the reply and rates the resolution, which closes the item.
  await customer.reload();
  await waitForState(customer, 'resolved');
  assert.match(await customer.getByTestId('feedback-thread').innerText(), /已收到，安排复检并换货/);
  await customer.getByTestId('feedback-rate-stars').locator('.el-rate__item').nth(3).click();
  await area(customer, 'feedback-rate-comment').fill('处理及时');
  await customer.getByTestId('feedback-rate-submit').click();
  await waitForState(customer, 'closed');
  const rated = await portal.stores.db('feedback_items').where('id', id).first();
  assert.equal(rated.rating, 4);
  assert.equal(rated.state, 'closed');

  // The analysis counts it, with its rating.
  await staff.getByTestId('nav-feedback-analysis').first().click();
  await staff.waitForURL(/\/staff\/feedback-analysis$/);
  await staff.locator('[data-testid="analysis-by-category"] [data-testid="bar"][data-key="quality_objection"]').waitFor();
  assert.equal(await staff.locator('[data-testid="analysis-satisfaction"] [data-testid="bar"][data-key="4"]').getAttribute('data-value'), '1');
});
