// Customer demands in a real browser: a customer submits a demand without a price (seeing its approval route), the
// sales manager counters with one, the customer accepts, the sales manager approves it in the approval queue, and the
// customer finds the demand approved with its intent contract.
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

/** Next month in China, as YYYY-MM: a delivery month the form offers. */
function nextMonth(): string {
  const now = new Date(Date.now() + 8 * 3600_000);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
}

async function selectOption(page: Page, testId: string, label: string): Promise<void> {
  await page.getByTestId(testId).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: label }).first().click();
}

/** The textarea of an Element Plus field, whichever element carries the test id. */
const area = (page: Page, testId: string) => page.locator(`textarea[data-testid="${testId}"], [data-testid="${testId}"] textarea`).first();

const stateOf = (page: Page) => page.getByTestId('demand-state').getAttribute('data-state');

async function waitForState(page: Page, state: string): Promise<void> {
  await page.locator(`[data-testid="demand-state"][data-state="${state}"]`).waitFor();
}

test('a customer’s demand is countered with a price, accepted, approved, and becomes an intent contract', async () => {
  const month = nextMonth();

  // The customer submits 123.457 t of rebar without a price; the dialog shows the route an agreement would take.
  const customer = await portal.newPage();
  await signIn(customer, 'hengda.admin', DEMO_PASSWORD);
  await customer.getByTestId('nav-demands').first().click();
  await customer.waitForURL(/\/demands$/);
  await customer.getByTestId('demand-new').click();
  const dialog = customer.getByTestId('demand-create-dialog');
  await selectOption(customer, 'demand-variety', '螺纹钢');
  await field(customer, 'demand-grade').fill('HRB400E');
  await field(customer, 'demand-spec').fill('Φ25');
  await field(customer, 'demand-tonnes').fill('123.457');
  await selectOption(customer, 'demand-month', month);
  await area(customer, 'demand-remarks').fill('分两批交货');
  await dialog.getByTestId('approval-route').waitFor();
  assert.match(await dialog.getByTestId('approval-route').innerText(), /王建国/, 'the default rule: any sales manager');
  await customer.getByTestId('demand-submit').click();
  await customer.waitForURL(/\/demands\/\d+$/);
  const demandId = Number(new URL(customer.url()).pathname.split('/').pop());
  await waitForState(customer, 'open');
  const stored = await portal.stores.db('demands').where('id', demandId).first();
  assert.equal(Number(stored.kg), 123_457, 'tonnes typed as decimal text arrive as exact kilograms');
  assert.equal(stored.price_fen_per_t, null);
  assert.equal(stored.delivery_month, month);
  assert.equal(await customer.getByTestId('demand-accept').count(), 0, 'nothing to accept: the terms are the customer’s own');

  // The sales manager finds it in the staff list and counters with 4,123.45 yuan/t.
  const sales = await portal.newPage();
  await signIn(sales, 'sales.manager', DEMO_PASSWORD);
  await sales.getByTestId('nav-staff-demands').first().click();
  await sales.waitForURL(/\/staff\/demands$/);
  await sales.getByTestId(`demand-row-${stored.demand_no}`).click();
  await sales.waitForURL(new RegExp(`/staff/demands/${demandId}$`));
  await sales.getByTestId('demand-counter-open').click();
  await field(sales, 'demand-counter-price').fill('4123.45');
  await area(sales, 'demand-counter-text').fill('按 4123.45 元/吨供货');
  await sales.getByTestId('demand-counter-submit').click();
  await sales.locator('[data-testid="demand-message"][data-kind="counter"][data-side="mill"]').waitFor();
  assert.equal(await stateOf(sales), 'open');

  // The customer sees the mill's terms, and the route an acceptance starts, then accepts.
  await customer.reload();
  await customer.locator('[data-testid="demand-price-shown"][data-fen="412345"]').waitFor();
  const acceptSection = customer.getByTestId('demand-accept-section');
  await acceptSection.getByTestId('approval-route').waitFor();
  await customer.getByTestId('demand-accept').click();
  await waitForState(customer, 'approving');
  await customer.locator('[data-testid="demand-approval"] [data-testid="approval-route"][data-state="pending"]').waitFor();

  // The sales manager approves it in the approval queue.
  const approval = await portal.stores.db('approvals').where({ subject_type: 'demand', subject_id: demandId, state: 'pending' }).first('id');
  assert.ok(approval, 'the acceptance started an approval');
  await sales.getByTestId('nav-approvals').first().click();
  await sales.waitForURL(/\/staff\/approvals$/);
  await sales.getByTestId(`approve-${approval.id}`).click();
  await sales.getByTestId('decision-send').click();
  await sales.getByTestId(`approve-${approval.id}`).waitFor({ state: 'detached' });

  // The customer finds it approved, with the thread in order and a link to the intent contract.
  await customer.reload();
  await waitForState(customer, 'approved');
  const kinds = await customer.locator('[data-testid="demand-message"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-side')}:${e.getAttribute('data-kind')}`));
  assert.deepEqual(kinds, ['customer:submit', 'mill:counter', 'customer:accept', 'mill:approval']);
  await customer.getByTestId('demand-intent-link').waitFor();
  const intent = await portal.stores.db('intent_contracts').where({ source_type: 'demand', source_id: demandId }).first();
  assert.equal(await customer.getByTestId('demand-intent-link').getAttribute('href'), `/intent-contracts/${intent.id}`);
  // 123.457 t × 4,123.45 yuan/t = 509,068.77 yuan (rounded half up to the fen).
  assert.equal(Number(intent.amount_fen), 50_906_877);
  assert.equal(await customer.getByTestId('demand-actions').count(), 0, 'an approved demand takes no more actions');
  await customer.context().close();
  await sales.context().close();
});
