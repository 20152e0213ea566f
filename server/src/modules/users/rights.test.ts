// Invitations, password resets and customer rights: what a customer administrator may do to its organisation's users.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeUser, makeWorld, TEST_PASSWORD, type TestApp } from '../../../test/helpers.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
});
after(() => t.close());

const TEMPORARY = /^[A-Za-z2-9]{4}-[A-Za-z2-9]{4}-[A-Za-z2-9]{4}$/;
let n = 0;
const newName = (prefix: string) => `${prefix}.${process.pid}.${++n}`;

async function invite(token: string, payload: Record<string, unknown>) {
  return t.as(token, { method: 'POST', url: '/api/users', payload: { displayName: '新用户', role: 'customer_user', ...payload } });
}

async function auditRows(action: string, entityId: number) {
  return t.db('audit_log').where({ action, entity_id: String(entityId) });
}

describe('invitations', () => {
  test('an invitation without a password returns a temporary password once; it signs in and must be changed before anything else', async () => {
    const admin = await t.signIn(w.adminA.username);
    const username = newName('invitee');
    const res = await invite(admin.token, { organisationId: w.customerA, username, canAnswer: true });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const created = res.json();
    assert.match(created.temporaryPassword, TEMPORARY);
    assert.equal(created.mustChangePassword, true);
    assert.equal(created.canAnswer, true);
    assert.equal(created.phoneVerified, false);

    // Never stored or recorded in plain text, never shown again.
    const row = await t.db('users').where('id', created.id).first('password_hash');
    assert.notEqual(row.password_hash, created.temporaryPassword);
    assert.match(row.password_hash, /^\$argon2id\$/);
    const [audit] = await auditRows('user.create', created.id);
    assert.equal(JSON.parse(audit.details).invited, true);
    assert.doesNotMatch(audit.details, new RegExp(created.temporaryPassword));
    const list = await t.as(admin.token, { method: 'GET', url: `/api/users?q=${username}` });
    assert.equal(list.json().items.length, 1);
    assert.equal('temporaryPassword' in list.json().items[0], false);

    // The temporary password signs in, and Me says it must be changed.
    const s = await t.signIn(username, created.temporaryPassword);
    assert.equal(s.res.json().user.mustChangePassword, true);
    const me = await t.as(s.token, { method: 'GET', url: '/api/me' });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().mustChangePassword, true);
    assert.equal(me.json().canAnswer, true);
    // Everything else waits for the new password.
    const blocked = await t.as(s.token, { method: 'PUT', url: '/api/me/phone', payload: { phone: '13911112222' } });
    assert.equal(blocked.statusCode, 403);
    assert.equal(blocked.json().error.code, 'auth.password_change_required');

    const changed = await t.as(s.token, {
      method: 'PUT',
      url: '/api/me/password',
      payload: { currentPassword: created.temporaryPassword, newPassword: 'Own-choice-7' },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    const after = await t.as(s.token, { method: 'GET', url: '/api/me' });
    assert.equal(after.json().mustChangePassword, false);
    const unblocked = await t.as(s.token, { method: 'PUT', url: '/api/me/phone', payload: { phone: '13911112222' } });
    assert.equal(unblocked.statusCode, 200, unblocked.body);
    const [pwAudit] = await auditRows('user.password_change', created.id);
    assert.equal(JSON.parse(pwAudit.details).wasTemporary, true);
    await t.signIn(username, 'Own-choice-7');
  });

  test('a password chosen by the administrator is temporary too', async () => {
    const admin = await t.signIn(w.admin.username);
    const username = newName('chosen');
    const res = await invite(admin.token, { organisationId: w.customerB, username, password: 'Chosen-pass-1' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal('temporaryPassword' in res.json(), false, 'nothing generated, nothing returned');
    const s = await t.signIn(username, 'Chosen-pass-1');
    assert.equal(s.res.json().user.mustChangePassword, true);
  });

  test('an administrator invites staff into the mill', async () => {
    const admin = await t.signIn(w.admin.username);
    const res = await invite(admin.token, { organisationId: w.mill, username: newName('staff'), role: 'quality_staff' });
    assert.equal(res.statusCode, 201, res.body);
    assert.match(res.json().temporaryPassword, TEMPORARY);
  });

  test('a customer admin cannot invite into another organisation (404, the same as a missing one) nor invite staff (403)', async () => {
    const admin = await t.signIn(w.adminA.username);
    const other = await invite(admin.token, { organisationId: w.customerB, username: newName('x') });
    const missing = await invite(admin.token, { organisationId: 999_999, username: newName('x') });
    assert.equal(other.statusCode, 404);
    assert.deepEqual(other.json(), missing.json(), 'no difference between another organisation and none');
    assert.equal(other.json().error.code, 'organisation.not_found');
    const mill = await invite(admin.token, { organisationId: w.mill, username: newName('x'), role: 'admin' });
    assert.equal(mill.statusCode, 404);
    const staff = await invite(admin.token, { organisationId: w.customerA, username: newName('x'), role: 'sales_manager' });
    assert.equal(staff.statusCode, 403);
    assert.equal(staff.json().error.code, 'user.role_not_allowed');
    assert.equal((await t.db('users').where('username', 'like', 'x.%').count({ c: '*' }))[0].c, 0);
  });
});

describe('password reset', () => {
  test('a reset gives a new temporary password, ends every session of the user, clears a lockout, and is audited', async () => {
    const u = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user' });
    const first = await t.signIn(u.username);
    const second = await t.signIn(u.username);
    await t.db('users').where('id', u.id).update({ locked_until: '2999-01-01 00:00:00.000', failed_logins: 3 });

    const admin = await t.signIn(w.adminA.username);
    const res = await t.as(admin.token, { method: 'POST', url: `/api/users/${u.id}/reset-password` });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const { user, temporaryPassword } = res.json();
    assert.match(temporaryPassword, TEMPORARY);
    assert.equal(user.mustChangePassword, true);
    assert.equal(user.lockedUntil, null);

    for (const s of [first, second]) {
      const me = await t.as(s.token, { method: 'GET', url: '/api/me' });
      assert.equal(me.statusCode, 401);
      assert.equal(me.json().error.code, 'auth.session_revoked');
      const refresh = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: s.cookie } });
      assert.equal(refresh.statusCode, 401);
    }
    const old = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: TEST_PASSWORD } });
    assert.equal(old.statusCode, 401);
    const fresh = await t.signIn(u.username, temporaryPassword);
    assert.equal(fresh.res.json().user.mustChangePassword, true);

    const [audit] = await auditRows('user.password_reset', u.id);
    assert.equal(audit.user_id, w.adminA.id);
    assert.doesNotMatch(audit.details, new RegExp(temporaryPassword));
  });

  test('a customer admin cannot reset a user of another organisation (404, the same as a missing one) nor itself', async () => {
    const victim = await t.signIn(w.userB.username);
    const admin = await t.signIn(w.adminA.username);
    const other = await t.as(admin.token, { method: 'POST', url: `/api/users/${w.userB.id}/reset-password` });
    const missing = await t.as(admin.token, { method: 'POST', url: '/api/users/999999/reset-password' });
    assert.equal(other.statusCode, 404);
    assert.deepEqual(other.json(), missing.json());
    assert.equal((await t.as(victim.token, { method: 'GET', url: '/api/me' })).statusCode, 200, 'their session lives on');
    await t.signIn(w.userB.username, TEST_PASSWORD);
    const self = await t.as(admin.token, { method: 'POST', url: `/api/users/${w.adminA.id}/reset-password` });
    assert.equal(self.statusCode, 409);
    assert.equal(self.json().error.code, 'user.self_change');
  });

  test('customer users and staff other than administrators cannot reset passwords', async () => {
    for (const u of [w.userA, w.salesManager, w.accountManager]) {
      const s = await t.signIn(u.username);
      const res = await t.as(s.token, { method: 'POST', url: `/api/users/${w.userB.id}/reset-password` });
      assert.equal(res.statusCode, 403, u.username);
    }
  });
});

describe('disabling', () => {
  test('disabling a user ends their sessions at once', async () => {
    const u = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user' });
    const s = await t.signIn(u.username);
    const admin = await t.signIn(w.adminA.username);
    const res = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${u.id}`, payload: { active: false } });
    assert.equal(res.statusCode, 200);
    const open = await t.db('auth_sessions').where('user_id', u.id).whereNull('revoked_at');
    assert.equal(open.length, 0);
    assert.equal((await t.as(s.token, { method: 'GET', url: '/api/me' })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: s.cookie } })).statusCode, 401);
  });
});

describe('rights', () => {
  test('the answer right is granted and withdrawn, and the user sees it in Me', async () => {
    const u = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user' });
    const admin = await t.signIn(w.adminA.username);
    const grant = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${u.id}`, payload: { canAnswer: true } });
    assert.equal(grant.statusCode, 200);
    assert.equal(grant.json().canAnswer, true);
    const s = await t.signIn(u.username);
    assert.equal((await t.as(s.token, { method: 'GET', url: '/api/me' })).json().canAnswer, true);
    const withdraw = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${u.id}`, payload: { canAnswer: false } });
    assert.equal(withdraw.json().canAnswer, false);
    const audits = await auditRows('user.update', u.id);
    assert.deepEqual(JSON.parse(audits.at(-1).details).changed.canAnswer, { from: true, to: false });
  });

  test('customer rights are refused on staff users', async () => {
    const admin = await t.signIn(w.admin.username);
    for (const right of ['canAnswer', 'canSign', 'canPrint']) {
      const create = await invite(admin.token, { organisationId: w.mill, username: newName('staff'), role: 'sales_manager', [right]: true });
      assert.equal(create.statusCode, 400, right);
      assert.equal(create.json().error.code, 'user.right_not_applicable');
      const patch = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${w.quality.id}`, payload: { [right]: true } });
      assert.equal(patch.statusCode, 400, right);
      assert.equal(patch.json().error.code, 'user.right_not_applicable');
    }
    const harmless = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${w.quality.id}`, payload: { canAnswer: false } });
    assert.equal(harmless.statusCode, 200);
  });

  test('the signing right needs a verified phone', async () => {
    const admin = await t.signIn(w.adminA.username);
    const create = await invite(admin.token, { organisationId: w.customerA, username: newName('signer'), phone: '13912340001', canSign: true });
    assert.equal(create.statusCode, 409);
    assert.equal(create.json().error.code, 'user.phone_unverified');

    const unverified = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user' });
    const refused = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${unverified.id}`, payload: { canSign: true } });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'user.phone_unverified');
    assert.equal(Boolean((await t.db('users').where('id', unverified.id).first('can_sign')).can_sign), false);

    const verified = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user', phoneVerified: true });
    const granted = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${verified.id}`, payload: { canSign: true } });
    assert.equal(granted.statusCode, 200);
    assert.equal(granted.json().canSign, true);
    // A new number in the same request is not verified.
    const newPhone = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${verified.id}`, payload: { phone: '13912340002', canSign: true } });
    assert.equal(newPhone.statusCode, 409);
    assert.equal(newPhone.json().error.code, 'user.phone_unverified');
  });

  test("an administrator changing a user's phone clears its verification and the signing right, and the audit says so", async () => {
    const signer = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user', canSign: true });
    const admin = await t.signIn(w.adminA.username);
    const same = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${signer.id}`, payload: { phone: '13800138000' } });
    assert.equal(same.json().phoneVerified, true, 'the same number stays verified');
    assert.equal(same.json().canSign, true);
    const res = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${signer.id}`, payload: { phone: '13912340003' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().phone, '13912340003');
    assert.equal(res.json().phoneVerified, false);
    assert.equal(res.json().canSign, false);
    const changed = JSON.parse((await auditRows('user.update', signer.id)).at(-1).details).changed;
    assert.deepEqual(changed.phone, { from: '13800138000', to: '13912340003' });
    assert.deepEqual(changed.phoneVerified, { from: true, to: false });
    assert.deepEqual(changed.canSign, { from: true, to: false });
  });
});

describe('validation', () => {
  const create = (extra: object) => () => ({ organisationId: w.customerA, username: 'valid.name', displayName: 'x', role: 'customer_user', ...extra });
  const users = () => '/api/users';
  const userA = () => `/api/users/${w.userA.id}`;
  const cases: { name: string; method: 'POST' | 'PATCH'; url: () => string; payload: () => object | undefined; path: string }[] = [
    { name: 'canAnswer not a boolean', method: 'POST', url: users, payload: create({ canAnswer: 'often' }), path: '/canAnswer' },
    { name: 'a weak chosen password', method: 'POST', url: users, payload: create({ password: 'short' }), path: '/password' },
    { name: 'a temporaryPassword sent by the client', method: 'POST', url: users, payload: create({ temporaryPassword: 'Abcd-1234-efgh' }), path: '/' },
    { name: 'a bad phone on create', method: 'POST', url: users, payload: create({ phone: '12345' }), path: '/phone' },
    { name: 'canAnswer not a boolean on change', method: 'PATCH', url: userA, payload: () => ({ canAnswer: 'often' }), path: '/canAnswer' },
    { name: 'phoneVerified, which is not writable', method: 'PATCH', url: userA, payload: () => ({ phoneVerified: true }), path: '/' },
    { name: 'mustChangePassword, which is not writable', method: 'PATCH', url: userA, payload: () => ({ mustChangePassword: false }), path: '/' },
    { name: 'a reset of a non-numeric id', method: 'POST', url: () => '/api/users/abc/reset-password', payload: () => undefined, path: '/id' },
  ];
  for (const c of cases) {
    test(`user administration refuses ${c.name} with a 400 naming the field`, async () => {
      const s = await t.signIn(w.adminA.username);
      const payload = c.payload();
      const res = await t.as(s.token, { method: c.method, url: c.url(), ...(payload === undefined ? {} : { payload }) });
      assert.equal(res.statusCode, 400, res.body);
      const e = res.json().error;
      assert.equal(e.code, 'request.invalid');
      assert.ok(e.details.some((d: { path: string }) => d.path === c.path), JSON.stringify(e.details));
    });
  }
});
