// User administration: administrators manage everyone; a customer admin only its own organisation's customer users.
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

test('an administrator creates a customer user, the change is audited, and the user can sign in', async () => {
  const s = await t.signIn(w.admin.username);
  const res = await t.as(s.token, {
    method: 'POST',
    url: '/api/users',
    payload: { organisationId: w.customerA, username: 'New.Buyer', displayName: '新采购员', role: 'customer_user', phone: '13912345678', canPrint: true, password: 'Buyer-pass-1' },
  });
  assert.equal(res.statusCode, 201, res.body);
  const u = res.json();
  assert.equal(u.username, 'new.buyer');
  assert.equal(u.canPrint, true);
  assert.equal('passwordHash' in u || 'password_hash' in u, false, 'no hash leaks');
  const row = await t.db('audit_log').where({ action: 'user.create', entity_id: String(u.id) }).first();
  assert.ok(row);
  assert.equal(row.user_id, w.admin.id);
  assert.doesNotMatch(row.details, /Buyer-pass-1/);
  await t.signIn('new.buyer', 'Buyer-pass-1');
});

test('a taken username is a 409', async () => {
  const s = await t.signIn(w.admin.username);
  const res = await t.as(s.token, {
    method: 'POST',
    url: '/api/users',
    payload: { organisationId: w.customerA, username: w.userA.username, displayName: 'x', role: 'customer_user', password: 'Buyer-pass-1' },
  });
  assert.equal(res.statusCode, 409);
  assert.equal(res.json().error.code, 'user.username_taken');
});

test('a staff role cannot be given to a customer organisation', async () => {
  const s = await t.signIn(w.admin.username);
  const res = await t.as(s.token, {
    method: 'POST',
    url: '/api/users',
    payload: { organisationId: w.customerA, username: 'sneaky', displayName: 'x', role: 'admin', password: 'Buyer-pass-1' },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'user.role_not_allowed');
});

test('a customer admin lists only its own organisation, and never sees another one through a filter', async () => {
  const s = await t.signIn(w.adminA.username);
  const own = await t.as(s.token, { method: 'GET', url: '/api/users' });
  assert.equal(own.statusCode, 200);
  assert.ok(own.json().items.length >= 2);
  assert.ok(own.json().items.every((u: { organisationId: number }) => u.organisationId === w.customerA));
  const other = await t.as(s.token, { method: 'GET', url: `/api/users?organisationId=${w.customerB}` });
  assert.equal(other.json().total, 0);
});

test("a customer admin cannot change another customer's user nor create users elsewhere (404, as if absent) nor with staff roles (403)", async () => {
  const s = await t.signIn(w.adminA.username);
  const patch = await t.as(s.token, { method: 'PATCH', url: `/api/users/${w.userB.id}`, payload: { active: false } });
  assert.equal(patch.statusCode, 404);
  const elsewhere = await t.as(s.token, {
    method: 'POST',
    url: '/api/users',
    payload: { organisationId: w.customerB, username: 'plant', displayName: 'x', role: 'customer_user', password: 'Buyer-pass-1' },
  });
  assert.equal(elsewhere.statusCode, 404);
  assert.equal(elsewhere.json().error.code, 'organisation.not_found');
  const staff = await t.as(s.token, {
    method: 'POST',
    url: '/api/users',
    payload: { organisationId: w.customerA, username: 'plant2', displayName: 'x', role: 'sales_manager', password: 'Buyer-pass-1' },
  });
  assert.equal(staff.statusCode, 403);
  const still = await t.db('users').where('id', w.userB.id).first('active');
  assert.equal(Boolean(still.active), true);
});

test('a customer admin grants the signing right to its own user whose phone is verified', async () => {
  await t.db('users').where('id', w.userA.id).update({ phone_verified_at: '2026-11-20 08:00:00.000' });
  const s = await t.signIn(w.adminA.username);
  const res = await t.as(s.token, { method: 'PATCH', url: `/api/users/${w.userA.id}`, payload: { canSign: true } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().canSign, true);
  const audit = await t.db('audit_log').where({ action: 'user.update', entity_id: String(w.userA.id) }).first();
  assert.deepEqual(JSON.parse(audit.details).changed.canSign, { from: false, to: true });
});

test('nobody can disable themselves or change their own role', async () => {
  const s = await t.signIn(w.adminB.username);
  const res = await t.as(s.token, { method: 'PATCH', url: `/api/users/${w.adminB.id}`, payload: { active: false } });
  assert.equal(res.statusCode, 409);
});

test('an empty change is refused', async () => {
  const s = await t.signIn(w.admin.username);
  const res = await t.as(s.token, { method: 'PATCH', url: `/api/users/${w.userA.id}`, payload: {} });
  assert.equal(res.statusCode, 400);
});

test('customer users and other staff cannot manage users', async () => {
  for (const u of [w.userA, w.salesManager, w.quality, w.accountManager]) {
    const s = await t.signIn(u.username);
    assert.equal((await t.as(s.token, { method: 'GET', url: '/api/users' })).statusCode, 403, u.username);
  }
});

test('the audit log is for administrators, newest first, filterable', async () => {
  const s = await t.signIn(w.admin.username);
  const res = await t.as(s.token, { method: 'GET', url: '/api/audit?action=auth.login&pageSize=5' });
  assert.equal(res.statusCode, 200);
  const items = res.json().items;
  assert.ok(items.length > 0);
  assert.ok(items.every((i: { action: string }) => i.action === 'auth.login'));
  assert.ok(items[0].id > items.at(-1).id);
});
