// Online contracts in a real browser: a sales manager lists an open intent contract to its customer (定向挂牌); the
// customer's signer opens the listing, asks for the one-time code, types the code the SMS gateway received and lands
// on the contract, which ends sealed by both parties; the signed PDF downloads with both signatures, the execution tab
// and the English switch work, staff find the contract by its number (kept in the address), and the public
// verification page opened from the address printed on the contract says it is valid.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { nowDb } from '../../server/src/db/knex.js';
import { lastPhoneCode } from '../../server/test/sms.js';
import { field, signIn, startPortal, type Portal } from './harness.js';

// The demo customer 恒达 and its administrator, who has the signing right and a verified phone (server/src/demo.ts);
// the demo sales manager holds the mill seal's right "use", so may list.
const CUSTOMER_CODE = 'C10001';
const SIGNER = { username: 'hengda.admin', phone: '13900000011' };

let portal: Portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

/** The textarea of an Element Plus field (harness.field finds inputs only). */
const textArea = (page: Page, testId: string) => page.locator(`textarea[data-testid="${testId}"], [data-testid="${testId}"] textarea`).first();
const text = async (page: Page, testId: string) => (await page.getByTestId(testId).first().innerText()).trim();

async function waitForAttr(page: Page, testId: string, name: string, value: string, timeout?: number): Promise<void> {
  await page.locator(`[data-testid="${testId}"][${name}="${value}"]`).first().waitFor({ timeout });
}

/** Next month in China time, YYYY-MM: the delivery month of the intent contract. */
function nextMonth(): string {
  const china = new Date(Date.now() + 8 * 3600_000);
  return new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
}

/** An open intent contract as an approved answer leaves it: 300 t of rebar at 3,650.00 yuan/t, deferred 30 days. */
async function openIntent(): Promise<{ id: number; contractNo: string }> {
  const db = portal.stores.db;
  const customer = await db('organisations').where({ code: CUSTOMER_CODE }).first('id');
  const contractNo = `YX-E2E-${process.pid}`;
  const [id] = await db('intent_contracts').insert({
    contract_no: contractNo,
    customer_id: customer.id,
    source_type: 'demand',
    source_id: 990_001,
    approval_id: null,
    state: 'open',
    delivery_month: nextMonth(),
    total_kg: 300_000,
    amount_fen: 109_500_000,
    payment_terms: 'deferred',
    payment_days: 30,
    terms: '分两批发运',
    created_at: nowDb(),
  });
  await db('intent_contract_lines').insert({
    intent_contract_id: Number(id),
    position: 1,
    variety: 'rebar',
    grade: 'HRB400E',
    spec: 'Φ25',
    kg: 300_000,
    price_fen_per_t: 365_000,
    amount_fen: 109_500_000,
  });
  return { id: Number(id), contractNo };
}

/**
 * The signing code the signer's phone received. Codes are redacted in sms_messages once delivered, so it is read
 * from the outbox while still queued, else from the line the log gateway (SMS_PROVIDER=log) wrote for the handset.
 */
async function signingCode(phone: string, notBefore: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const queued = await lastPhoneCode(portal.app.db, phone, 'signing_code');
    if (queued) return queued;
    const file = portal.app.config.sms.logFile;
    if (existsSync(file)) {
      const delivered = readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { at: string; phone: string; template: string; params: { code?: string } })
        .filter((m) => m.phone === phone && m.template === 'signing_code' && m.at >= notBefore)
        .pop();
      if (delivered?.params.code) return delivered.params.code;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no signing code reached ${phone}`);
}

test('a listing is taken with the SMS code and becomes a contract sealed by both parties, which verifies as valid', async () => {
  const db = portal.stores.db;
  const intent = await openIntent();

  // ---- the sales manager lists the intent contract to its customer ----
  const sales = await portal.newPage();
  await signIn(sales, 'sales.manager', DEMO_PASSWORD);
  await sales.goto(`/intent-contracts/${intent.id}`);
  await sales.getByTestId('intent-list').click();
  await sales.getByTestId('listing-dialog').waitFor();
  assert.equal(await textArea(sales, 'listing-payment').inputValue(), '赊销，发票开具后 30 日内付清', 'payment terms in words from the intent contract');
  await sales.locator('[data-testid="listing-template"]', { hasText: /第 \d+ 版/ }).waitFor();
  assert.match(await text(sales, 'contract-lines'), /螺纹钢[\s\S]*HRB400E[\s\S]*Φ25[\s\S]*300\.000[\s\S]*¥3,650\.00[\s\S]*¥1,095,000\.00/);
  await field(sales, 'listing-place').fill('江苏省苏州市相城区 需方仓库');
  await field(sales, 'listing-method').fill('汽运，供方代办运输');
  await field(sales, 'listing-standard').fill('GB/T 1499.2-2018');
  await sales.getByTestId('listing-submit').click();
  await sales.waitForURL(/\/staff\/listings\/\d+$/);
  const listingId = Number(new URL(sales.url()).pathname.split('/').pop());
  await waitForAttr(sales, 'listing-state', 'data-state', 'listed');
  const listingNo = await text(sales, 'listing-no');
  const listed = await db('listings').where('id', listingId).first();
  assert.ok(listed, 'the listing is stored');
  assert.equal((await db('intent_contracts').where('id', intent.id).first('state')).state, 'listed');
  assert.equal(await text(sales, 'listing-standard'), 'GB/T 1499.2-2018');

  // The staff list shows it, open, with a withdraw action.
  await sales.getByTestId('nav-staff-listings').first().click();
  await waitForAttr(sales, `listing-row-${listingNo}`, 'data-state', 'listed');
  await sales.getByTestId(`listing-withdraw-${listingNo}`).waitFor();

  // ---- the customer's signer opens it from "my listings" ----
  const customer = await portal.newPage();
  await signIn(customer, SIGNER.username, DEMO_PASSWORD);
  await customer.getByTestId('nav-listings').first().click();
  await customer.waitForURL(/\/listings$/);
  await customer.getByTestId(`listing-row-${listingNo}`).click();
  await customer.waitForURL(new RegExp(`/listings/${listingId}$`));
  assert.equal(await text(customer, 'listing-amount'), '¥1,095,000.00');
  assert.equal(await text(customer, 'listing-total-kg'), '300.000');
  assert.equal(await text(customer, 'listing-payment'), '赊销，发票开具后 30 日内付清');
  assert.match(await text(customer, 'listing-countdown'), /^剩余 \d+ 天 \d+ 小时$/);
  assert.ok((await customer.getByTestId('listing-clauses').locator('li').count()) > 0, 'the standard terms are shown');

  // ---- takes it: agrees, asks for the code, types what the phone received ----
  await customer.getByTestId('listing-take').click();
  await customer.getByTestId('take-dialog').waitFor();
  assert.equal(await customer.getByTestId('take-confirm').isDisabled(), true, 'nothing to confirm before agreeing and a code');
  await customer.getByTestId('take-agree').click();
  const asked = new Date(Date.now() - 1000).toISOString();
  await customer.getByTestId('take-send').click();
  await customer.getByTestId('take-sent').waitFor();
  assert.equal(await customer.getByTestId('take-sent').getAttribute('data-phone'), '139****0011', 'the phone is shown masked');
  await customer.locator('[data-testid="take-send"]', { hasText: /\d+ 秒后可重新发送/ }).waitFor();
  const code = await signingCode(SIGNER.phone, asked);

  // A wrong code first: refused, with the tries left, and nothing made.
  const wrong = code === '000000' ? '111111' : '000000';
  await field(customer, 'take-code').fill(wrong);
  await customer.getByTestId('take-confirm').click();
  await waitForAttr(customer, 'take-error', 'data-code', 'code.invalid');
  assert.match(await text(customer, 'take-error'), /验证码错误，还可尝试 4 次/);
  assert.equal((await db('listings').where('id', listingId).first('state')).state, 'listed');

  await field(customer, 'take-code').fill(code);
  await customer.getByTestId('take-confirm').click();
  await customer.waitForURL(/\/contracts\/\d+$/);
  const contractId = Number(new URL(customer.url()).pathname.split('/').pop());

  // ---- the contract: sealed by both parties (the page asks again every 2 s while sealing) ----
  await waitForAttr(customer, 'contract-state', 'data-state', 'signed', 60_000);
  const contract = await db('contracts').where('id', contractId).first();
  assert.equal(await text(customer, 'contract-no'), contract.contract_no);
  assert.equal(await text(customer, 'contract-amount'), '¥1,095,000.00');
  await customer.getByTestId('contract-version-3').waitFor();
  assert.equal(await customer.getByTestId('contract-version-3').getAttribute('data-kind'), 'seller_sealed');
  assert.notEqual(await text(customer, 'contract-seller-signed'), '尚未签章');
  const verifyCode = await text(customer, 'contract-verify-code');
  assert.match(verifyCode, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  assert.match(await text(customer, 'contract-events'), /摘牌签约[\s\S]*hengda\.admin/);

  // ---- the signed PDF downloads with both signatures ----
  const [download] = await Promise.all([customer.waitForEvent('download'), customer.getByTestId('contract-download').click()]);
  const pdfPath = await download.path();
  assert.ok(pdfPath, 'the download was saved');
  const pdf = readFileSync(pdfPath);
  assert.equal(pdf.subarray(0, 4).toString('latin1'), '%PDF');
  assert.equal(pdf.toString('latin1').match(/\/ByteRange/g)?.length, 2, 'two signatures: the buyer\'s and the seller\'s');
  assert.match(download.suggestedFilename(), new RegExp(`^${contract.contract_no}.*\\.pdf$`));

  // The execution tab reads the ERP's figures: nothing scheduled or shipped yet against 300 t.
  await customer.getByTestId('contract-tab-execution').click();
  await waitForAttr(customer, 'execution-contracted', 'data-kg', '300000');
  await waitForAttr(customer, 'execution-total-shippedKg', 'data-kg', '0');
  assert.match(customer.url(), /\?tab=execution$/, 'the open tab is kept in the address');

  // The English switch reaches the contract page.
  await customer.getByTestId('lang-switch').click();
  await customer.getByTestId('contract-state').getByText('Signed').waitFor();
  assert.equal(await text(customer, 'contract-tab-execution'), 'Execution');
  await customer.getByTestId('lang-switch').click();
  await customer.getByTestId('contract-state').getByText('已签署').waitFor();

  // ---- it appears in "my contracts" ----
  await customer.getByTestId('nav-contracts').first().click();
  await waitForAttr(customer, `contract-row-${contract.contract_no}`, 'data-state', 'signed');

  // ---- and in the staff's list, found by its number, the filter kept in the address ----
  await sales.getByTestId('nav-staff-contracts').first().click();
  await sales.waitForURL(/\/staff\/contracts$/);
  await field(sales, 'contracts-search').fill(contract.contract_no);
  await sales.getByTestId('contracts-submit').click();
  await sales.waitForURL(new RegExp(`/staff/contracts\\?q=${contract.contract_no}$`));
  await waitForAttr(sales, 'contracts-table', 'data-total', '1');
  await sales.reload();
  assert.equal(await field(sales, 'contracts-search').inputValue(), contract.contract_no, 'a reload shows the same list');
  await sales.getByTestId(`contract-row-${contract.contract_no}`).click();
  await sales.waitForURL(new RegExp(`/staff/contracts/${contractId}$`));
  assert.equal(await text(sales, 'contract-customer'), '苏州恒达钢材贸易有限公司');

  // ---- anyone can verify it from the address printed on the contract, without signing in ----
  const visitor = await portal.newPage();
  await visitor.goto(`/verify?contractNo=${encodeURIComponent(contract.contract_no)}&code=${encodeURIComponent(verifyCode)}`);
  await visitor.getByTestId('verify-report').waitFor();
  assert.equal(await visitor.getByTestId('verify-report').getAttribute('data-valid'), 'true');
  assert.equal(await text(visitor, 'verify-verdict'), '合同有效');
  assert.equal(await text(visitor, 'verify-report-contract'), contract.contract_no);
  await visitor.getByTestId('verify-signature-2').waitFor();
  assert.equal(await visitor.getByTestId('user-menu').count(), 0, 'no sign-in needed');

  for (const page of [sales, customer, visitor]) await page.context().close();
});
