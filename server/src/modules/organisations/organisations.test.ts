// Who sees which organisation: the IDOR pattern every module copies (another customer's record is a 404, never a leak).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeWorld, type TestApp } from '../../../test/helpers.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
});
after(() => t.close());

test('a customer reads its own organisation', async () => {
  const s = await t.signIn(w.userA.username);
  const res = await t.as(s.token, { method: 'GET', url: `/api/organisations/${w.customerA}` });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().id, w.customerA);
});

test("a customer reading another customer's organisation gets 404, the same as for a record that does not exist", async () => {
  const s = await t.signIn(w.userA.username);
  const other = await t.as(s.token, { method: 'GET', url: `/api/organisations/${w.customerB}` });
  const missing = await t.as(s.token, { method: 'GET', url: '/api/organisations/999999' });
  assert.equal(other.statusCode, 404);
  assert.deepEqual(other.json(), missing.json());
});

test('a customer cannot list organisations at all', async () => {
  const s = await t.signIn(w.adminA.username);
  assert.equal((await t.as(s.token, { method: 'GET', url: '/api/organisations' })).statusCode, 403);
});

test('an account manager sees the customers assigned to them and no others', async () => {
  const s = await t.signIn(w.accountManager.username);
  const list = await t.as(s.token, { method: 'GET', url: '/api/organisations?kind=customer' });
  assert.equal(list.statusCode, 200);
  assert.deepEqual(list.json().items.map((o: { id: number }) => o.id), [w.customerA]);
  assert.equal((await t.as(s.token, { method: 'GET', url: `/api/organisations/${w.customerB}` })).statusCode, 404);
});

test('a sales manager sees every customer, paged and searchable', async () => {
  const s = await t.signIn(w.salesManager.username);
  const all = await t.as(s.token, { method: 'GET', url: '/api/organisations?kind=customer&pageSize=1' });
  assert.equal(all.statusCode, 200);
  assert.equal(all.json().total, 2);
  assert.equal(all.json().items.length, 1);
  const found = await t.as(s.token, { method: 'GET', url: '/api/organisations?q=MILL' });
  assert.equal(found.json().items[0].kind, 'mill');
});

test('paging parameters are validated', async () => {
  const s = await t.signIn(w.salesManager.username);
  const res = await t.as(s.token, { method: 'GET', url: '/api/organisations?pageSize=100000' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'request.invalid');
});
