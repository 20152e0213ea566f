// The full month of resource allocation in a real browser: the sales manager creates a monthly plan, generates the
// proposal, sees an over-allocation turn red and the server refuse it, publishes the round with a deadline; the
// customer answers one allocation in part with a quoted price, seeing the amount, the money left and the approval
// route as it types; the account manager and then the sales manager approve it in their queues; and the intent
// contract appears for the customer and for the sales manager.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { field, signIn, startPortal, type Portal } from './harness.js';

let portal: Portal;
before(async () => {
  portal = await startPortal();
  const db = portal.stores.db;
  // The customer's credit as the ERP would report it: ¥20,000,000.00 limit, ¥5,000,000.00 used.
  const hengda = await orgId('C10001');
  await db('customer_profiles').where('organisation_id', hengda).update({ credit_limit_fen: 20_000_000_00, used_fen: 5_000_000_00 });
  // Two approvers in turn: the customer's account manager, then any sales manager (through the administrators' API).
  const login = await portal.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: DEMO_PASSWORD } });
  assert.equal(login.statusCode, 200, login.body);
  const rule = await portal.app.inject({
    method: 'POST',
    url: '/api/approval-rules',
    headers: { authorization: `Bearer ${login.json().accessToken}` },
    payload: {
      name: '两级审核',
      priority: 1,
      conditions: { varieties: ['rebar', 'wire_rod'] },
      steps: [
        { approvers: { roles: ['account_manager'] }, mode: 'any' },
        { approvers: { roles: ['sales_manager'] }, mode: 'any' },
      ],
    },
  });
  assert.equal(rule.statusCode, 201, rule.body);
});
after(async () => {
  await portal?.close();
});

async function orgId(code: string): Promise<number> {
  return Number((await portal.stores.db('organisations').where({ code }).first('id')).id);
}

/** Picks an option, then waits for the dropdown to close, so that the next select's options are not confused with it. */
async function selectOption(page: Page, testId: string, label: string): Promise<void> {
  await page.getByTestId(testId).click();
  const option = page.locator('.el-select-dropdown__item:visible', { hasText: label }).first();
  await option.click();
  await option.waitFor({ state: 'hidden' });
}

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).first().innerText()).trim();
const attr = (page: Page, testId: string, name: string) => page.getByTestId(testId).first().getAttribute(name);

async function waitForAttr(page: Page, testId: string, name: string, value: string): Promise<void> {
  await page.locator(`[data-testid="${testId}"][${name}="${value}"]`).first().waitFor();
}

async function approveFirst(page: Page, approvalId: number): Promise<void> {
  await page.getByTestId('nav-approvals').first().click();
  await page.waitForURL(/\/staff\/approvals$/);
  await page.getByTestId(`approve-${approvalId}`).click();
  await page.getByTestId('decision-send').click();
  await page.locator('.el-message--success', { hasText: '已同意' }).waitFor();
  await page.getByTestId(`approve-${approvalId}`).waitFor({ state: 'detached' });
}

test('the full month: plan, proposal, publication, a partial answer with a quote, two approvals, the intent contract', async () => {
  const db = portal.stores.db;

  // ---- the sales manager creates next month's plan: rebar HRB400E 12,000 t and wire rod 2,000 t ----
  const sales = await portal.newPage();
  await signIn(sales, 'sales.manager', DEMO_PASSWORD);
  await sales.getByTestId('nav-plans').first().click();
  await sales.waitForURL(/\/staff\/plans$/);
  await sales.getByTestId('plan-create').click();
  await sales.getByTestId('plan-dialog').waitFor();
  await selectOption(sales, 'plan-line-variety-1', '螺纹钢');
  await field(sales, 'plan-line-grade-1').fill('HRB400E');
  await field(sales, 'plan-line-planned-1').fill('12000');
  await field(sales, 'plan-line-price-1').fill('3850');
  await sales.getByTestId('plan-line-add').click();
  await selectOption(sales, 'plan-line-variety-2', '线材');
  await field(sales, 'plan-line-planned-2').fill('2000');
  await field(sales, 'plan-line-price-2').fill('3920.5');
  const name = await field(sales, 'plan-name').inputValue();
  assert.match(name, /^20\d\d-\d\d 月度资源计划$/, 'the name follows the default period');
  await sales.getByTestId('plan-save').click();
  await sales.waitForURL(/\/staff\/plans\/\d+$/);
  const planId = Number(new URL(sales.url()).pathname.split('/').pop());
  assert.equal(await text(sales, 'plan-name'), name);
  const lines = await db('plan_lines').where('plan_id', planId).orderBy('position');
  assert.deepEqual(
    lines.map((l: { variety: string; grade: string; planned_kg: number; lot_kg: number; base_price_fen_per_t: number }) => [l.variety, l.grade, Number(l.planned_kg), Number(l.lot_kg), Number(l.base_price_fen_per_t)]),
    [
      ['rebar', 'HRB400E', 12_000_000, 1000, 385_000],
      ['wire_rod', '', 2_000_000, 1000, 392_050],
    ],
    'tonnes and yuan typed as text arrive as exact kilograms and fen',
  );

  // A line is changed after the fact: wire rod up to 2,500 t.
  await sales.getByTestId('plan-edit').click();
  await field(sales, 'plan-line-planned-2').fill('2500');
  await sales.getByTestId('plan-save').click();
  await sales.locator('[data-testid="plan-line-planned-kg-2"]', { hasText: '2,500.000' }).waitFor();
  assert.equal(Number((await db('plan_lines').where('id', lines[1].id).first()).planned_kg), 2_500_000);

  // ---- the proposal: the strategic customer first, then the agreement customer, from their monthly tonnage ----
  await sales.getByTestId('grid-proposal').click();
  await sales.locator('.el-message--success', { hasText: '已生成分配建议' }).waitFor();
  const drafts = await db('allocations').where({ plan_id: planId, state: 'draft' });
  const hengda = await orgId('C10001');
  const chengjian = await orgId('C10002');
  const draftKg = (customerId: number, position: number) =>
    Number(drafts.find((d: { customer_id: number; plan_line_id: number }) => d.customer_id === customerId && d.plan_line_id === lines[position - 1].id)?.offered_kg ?? 0);
  assert.equal(draftKg(chengjian, 1), 8_000_000, 'the strategic customer gets its 8,000 t of rebar');
  assert.equal(draftKg(hengda, 1), 3_000_000);
  assert.equal(draftKg(hengda, 2), 1_200_000);
  assert.equal(await field(sales, 'grid-cell-C10001-1').inputValue(), '3000');
  assert.equal(await field(sales, 'grid-cell-C10001-2').inputValue(), '1200');
  assert.equal(await attr(sales, 'grid-line-total-1', 'data-allocated-kg'), '11000000');
  assert.equal(await text(sales, 'grid-customer-total-C10001'), '4,200.000');
  assert.equal(await text(sales, 'plan-line-remaining-1'), '1,000.000', 'the lines table follows the grid');

  // ---- typing over the plan turns the line red at once; the server refuses it with its figures ----
  await field(sales, 'grid-cell-C10002-1').fill('9500');
  await waitForAttr(sales, 'grid-line-total-1', 'data-over', 'true');
  assert.equal(await attr(sales, 'grid-line-total-1', 'data-allocated-kg'), '12500000');
  assert.equal(await text(sales, 'grid-customer-total-C10002'), '9,500.000', 'the customer total follows the typing');
  assert.match(await text(sales, 'grid-over-warning'), /超出计划 500\.000 吨/);
  await sales.getByTestId('grid-save').click();
  await sales.getByTestId('grid-server-over').waitFor();
  assert.match(await text(sales, 'grid-server-over'), /计划 12,000\.000 吨，已分配 11,000\.000 吨，剩余 1,000\.000 吨，本次还要增加 1,500\.000 吨/);
  assert.equal(Number((await db('plan_lines').where('id', lines[0].id).first()).allocated_kg), 11_000_000, 'nothing saved');
  await field(sales, 'grid-cell-C10002-1').fill('9000');
  await waitForAttr(sales, 'grid-line-total-1', 'data-over', 'false');
  await sales.getByTestId('grid-save').click();
  await sales.locator('.el-message--success', { hasText: '已保存 1 处修改' }).waitFor();
  assert.equal(Number((await db('plan_lines').where('id', lines[0].id).first()).allocated_kg), 12_000_000);

  // The search finds one customer of the grid; its totals still count every customer.
  await field(sales, 'grid-search').fill('恒达');
  await waitForAttr(sales, 'grid-count', 'data-shown', '1');
  assert.equal(await sales.getByTestId('grid-row-C10002').count(), 0);
  assert.equal(await attr(sales, 'grid-line-total-1', 'data-allocated-kg'), '12000000');
  await field(sales, 'grid-search').fill('');

  // ---- publication with the default deadline (17:00 China time in three days) ----
  await sales.getByTestId('grid-publish').click();
  await sales.getByTestId('publish-confirm').click();
  await sales.getByTestId('publish-result').waitFor();
  assert.equal(await attr(sales, 'publish-result', 'data-published'), '3');
  assert.equal(await attr(sales, 'publish-result', 'data-notified'), '2');
  assert.match(await text(sales, 'publish-result'), /已发布 3 条分配，已通知 2 家客户/);
  await waitForAttr(sales, 'plan-state', 'data-state', 'published');
  await waitForAttr(sales, 'grid-earlier-C10001-2', 'data-state', 'offered');
  const offer = await db('allocations').where({ plan_id: planId, customer_id: hengda, plan_line_id: lines[1].id }).first();
  assert.equal(offer.state, 'offered');

  // ---- the customer answers the wire rod offer: 1,000 of 1,200 t at 3,900.00 yuan/t ----
  const customer = await portal.newPage();
  await signIn(customer, 'hengda.admin', DEMO_PASSWORD);
  await customer.getByTestId('nav-allocations').first().click();
  await customer.waitForURL(/\/allocations/);
  await customer.getByTestId(`answer-form-${offer.id}`).waitFor();
  assert.equal(await text(customer, 'funds-limit'), '¥20,000,000.00');
  assert.equal(await text(customer, 'funds-available'), '¥15,000,000.00');
  assert.equal(await attr(customer, `allocation-state-${offer.id}`, 'data-state'), 'offered');
  assert.match(await text(customer, `allocation-left-${offer.id}`), /剩余 \d+ 天/);

  await customer.getByTestId(`answer-decision-${offer.id}-partial`).click();
  await field(customer, `answer-accepted-${offer.id}`).fill('1000');
  // A price far too high shows the money going below zero, in red, before anything is sent.
  await field(customer, `answer-quoted-${offer.id}`).fill('20000');
  await customer.getByTestId(`answer-over-funds-${offer.id}`).waitFor();
  assert.equal(await text(customer, `answer-available-after-${offer.id}`), '-¥5,000,000.00');
  await customer.getByTestId(`answer-submit-${offer.id}`).click();
  const confirm = customer.locator('.el-message-box', { hasText: '超出可用额度，仍要提交？' });
  await confirm.waitFor();
  await confirm.getByRole('button', { name: '取消' }).click();
  await confirm.waitFor({ state: 'hidden' });
  assert.equal((await db('allocations').where('id', offer.id).first()).state, 'offered', 'nothing sent without the confirmation');
  await field(customer, `answer-quoted-${offer.id}`).fill('3900');
  await customer.getByTestId(`answer-over-funds-${offer.id}`).waitFor({ state: 'detached' });
  assert.equal(await text(customer, `answer-amount-${offer.id}`), '¥3,900,000.00');
  assert.equal(await text(customer, `answer-available-after-${offer.id}`), '¥11,100,000.00');
  await field(customer, `answer-remarks-${offer.id}`).fill('分两批发运');
  // The route this answer would take: the account manager, then a sales manager.
  await customer.getByTestId(`answer-route-step-${offer.id}`).nth(1).waitFor();
  const route = await text(customer, `answer-route-${offer.id}`);
  assert.match(route, /两级审核/);
  assert.match(route, /第 1 步[\s\S]*李明[\s\S]*第 2 步[\s\S]*王建国/);
  await customer.getByTestId(`answer-submit-${offer.id}`).click();
  await customer.locator('.el-message--success', { hasText: '已部分接受' }).waitFor();
  await waitForAttr(customer, `allocation-state-${offer.id}`, 'data-state', 'approving');
  await customer.locator('[data-testid="funds-pending"]', { hasText: '¥3,900,000.00' }).waitFor();
  assert.equal(await text(customer, 'funds-available'), '¥11,100,000.00');
  assert.match(await text(customer, `answer-versions-${offer.id}`), /部分接受[\s\S]*1,000\.000[\s\S]*¥3,900\.00[\s\S]*分两批发运[\s\S]*hengda\.admin/);
  const answered = await db('allocations').where('id', offer.id).first();
  assert.deepEqual([Number(answered.accepted_kg), Number(answered.quoted_price_fen_per_t), Number(answered.amount_fen)], [1_000_000, 390_000, 390_000_000]);
  const approval = await db('approvals').where({ subject_type: 'allocation_answer', subject_id: offer.id, state: 'pending' }).first();
  assert.ok(approval, 'the answer is in approval');
  await customer.locator(`[data-testid="approval-${approval.id}"][data-state="pending"]`).waitFor();

  // ---- two approvers in turn ----
  const manager = await portal.newPage();
  await signIn(manager, 'account.manager', DEMO_PASSWORD);
  await approveFirst(manager, approval.id);
  assert.equal((await db('approvals').where('id', approval.id).first()).state, 'pending', 'one step of two');
  await approveFirst(sales, approval.id);
  assert.equal((await db('approvals').where('id', approval.id).first()).state, 'approved');
  const intent = await db('intent_contracts').where({ source_type: 'allocation_answer', source_id: offer.id }).first();
  assert.ok(intent, 'the approved answer became an intent contract');
  const { period } = await db('resource_plans').where('id', planId).first('period');
  assert.deepEqual([Number(intent.total_kg), Number(intent.amount_fen), intent.delivery_month], [1_000_000, 390_000_000, period]);

  // ---- the customer sees it approved, with both approvals, and opens the intent contract ----
  await customer.reload();
  await waitForAttr(customer, `allocation-state-${offer.id}`, 'data-state', 'approved');
  await customer.locator(`[data-testid="approval-${approval.id}"][data-state="approved"]`).waitFor();
  assert.match(await text(customer, `approval-${approval.id}`), /第 1 步 · account\.manager · 同意[\s\S]*第 2 步 · sales\.manager · 同意/);
  await customer.getByTestId(`intent-link-${offer.id}`).click();
  await customer.waitForURL(new RegExp(`/intent-contracts/${intent.id}$`));
  assert.equal(await text(customer, 'intent-contract-no'), intent.contract_no);
  assert.equal(await text(customer, 'intent-amount'), '¥3,900,000.00');
  assert.equal(await text(customer, 'intent-total-kg'), '1,000.000');
  assert.equal(await text(customer, 'intent-terms'), '分两批发运');
  assert.match(await text(customer, 'intent-lines'), /线材[\s\S]*1,000\.000[\s\S]*¥3,900\.00[\s\S]*¥3,900,000\.00/);
  await customer.getByTestId('nav-intent-contracts').first().click();
  await customer.getByTestId(`intent-row-${intent.contract_no}`).waitFor();

  // ---- and the sales manager finds it in the intent contracts ----
  await sales.getByTestId('nav-intent-contracts').first().click();
  await sales.waitForURL(/\/intent-contracts$/);
  await sales.getByTestId(`intent-row-${intent.contract_no}`).click();
  await sales.waitForURL(new RegExp(`/intent-contracts/${intent.id}$`));
  assert.equal(await text(sales, 'intent-customer'), '苏州恒达钢材贸易有限公司');
  assert.match(await text(sales, 'intent-source'), new RegExp(`资源分配答复 #${offer.id}`));

  for (const page of [sales, customer, manager]) await page.context().close();
});
