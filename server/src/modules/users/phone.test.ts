// Phone verification by SMS code, end to end, and the SMS outbox it goes through (idempotent queueing, one delivery).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestApp, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';
import { lastPhoneCode } from '../../../test/sms.js';
import { toDbTime } from '../../db/knex.js';
import { deliverSms, type SmsInput } from '../../plugins/notifications.js';
import type { SmsProvider } from '../../plugins/sms-provider.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
});
after(() => t.close());

let phones = 0;
const newPhone = () => `139${String(process.pid % 10000).padStart(4, '0')}${String(++phones).padStart(4, '0')}`;

/** A customer user with an unverified phone of their own, signed in. */
async function userWithPhone(extra: Partial<Parameters<typeof makeUser>[1]> = {}) {
  const phone = newPhone();
  const u = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user', phone, ...extra });
  const s = await t.signIn(u.username);
  return { ...u, phone, token: s.token };
}

const sendCode = (token: string) => t.as(token, { method: 'POST', url: '/api/me/phone/verification' });
const verify = (token: string, code: string) => t.as(token, { method: 'POST', url: '/api/me/phone/verify', payload: { code } });
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/** Moves a user's codes into the past, as if the clock had run on. */
async function age(userId: number, seconds: number) {
  const rows = await t.db('phone_verifications').where('user_id', userId).select('id', 'created_at', 'expires_at');
  for (const r of rows) {
    const shift = (v: string) => toDbTime(new Date(new Date(v.replace(' ', 'T') + 'Z').getTime() - seconds * 1000));
    await t.db('phone_verifications').where('id', r.id).update({ created_at: shift(r.created_at), expires_at: shift(r.expires_at) });
  }
}

describe('phone verification', () => {
  test('a signed-in user gets a 6-digit code by SMS and verifies their phone with it', async () => {
    const u = await userWithPhone();
    const res = await sendCode(u.token);
    assert.equal(res.statusCode, 200, res.body);
    const sent = res.json();
    assert.equal(sent.phone, `${u.phone.slice(0, 3)}****${u.phone.slice(-4)}`);
    assert.equal(sent.resendAfterSeconds, 60);
    const ttl = new Date(sent.expiresAt).getTime() - Date.now();
    assert.ok(ttl > 290_000 && ttl <= 300_000, `expires in about 5 minutes (${ttl} ms)`);

    const code = await lastPhoneCode(t.db, u.phone);
    assert.match(code!, /^[0-9]{6}$/);
    assert.doesNotMatch(res.body, new RegExp(code!), 'the API never gives the code');
    const v = await t.db('phone_verifications').where('user_id', u.id).first();
    assert.match(v.code_hash, /^[0-9a-f]{64}$/);
    assert.doesNotMatch(JSON.stringify(v), new RegExp(`"${code}"`), 'only a keyed hash of the code is kept');
    const audit = await t.db('audit_log').where({ action: 'phone.code_sent', entity_id: String(u.id) }).first();
    assert.doesNotMatch(audit.details, new RegExp(code!));

    const ok = await verify(u.token, code!);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().phoneVerified, true);
    assert.ok((await t.db('users').where('id', u.id).first('phone_verified_at')).phone_verified_at);
    assert.ok(await t.db('audit_log').where({ action: 'phone.verified', entity_id: String(u.id) }).first());
    assert.equal((await verify(u.token, code!)).json().error.code, 'phone.already_verified', 'a code works once');

    // Now the customer admin may make them a signer.
    const admin = await t.signIn(w.adminA.username);
    const grant = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${u.id}`, payload: { canSign: true } });
    assert.equal(grant.statusCode, 200, grant.body);
    assert.equal(grant.json().phoneVerified, true);
  });

  test('the deliverer hands the code to the provider once, and the outbox then keeps it redacted', async () => {
    const u = await userWithPhone();
    assert.equal((await sendCode(u.token)).statusCode, 200);
    const code = await lastPhoneCode(t.db, u.phone);
    const first = await t.app.sms.deliverNow();
    assert.ok(first.sent >= 1);
    assert.equal((await t.app.sms.deliverNow()).sent, 0, 'nothing left to send');
    const row = await t.db('sms_messages').where({ phone: u.phone }).first();
    assert.equal(row.state, 'sent');
    assert.match(row.provider_id, /^log-/);
    assert.ok(row.sent_at);
    assert.deepEqual(JSON.parse(row.params), { code: '***' });
    assert.equal(await lastPhoneCode(t.db, u.phone), undefined);
    // The log provider, standing in for the gateway, wrote what the handset would get: one line.
    const lines = readFileSync(t.config.sms.logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.phone === u.phone);
    assert.equal(lines.length, 1);
    assert.equal(lines[0].template, 'phone_verify');
    assert.equal(lines[0].params.code, code);
  });

  test('a wrong code is refused and uses up a try', async () => {
    const u = await userWithPhone();
    await sendCode(u.token);
    const code = (await lastPhoneCode(t.db, u.phone))!;
    const res = await verify(u.token, wrong(code));
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'phone.code_invalid');
    assert.equal(res.json().error.details.triesLeft, 4);
    assert.equal((await t.db('phone_verifications').where('user_id', u.id).first('attempts')).attempts, 1, 'the try is counted although the request failed');
    assert.ok(await t.db('audit_log').where({ action: 'phone.verify_failed', entity_id: String(u.id) }).first());
    assert.equal((await verify(u.token, code)).statusCode, 200, 'the right code still works');
  });

  test('an expired code is refused, even the right one', async () => {
    const u = await userWithPhone();
    await sendCode(u.token);
    const code = (await lastPhoneCode(t.db, u.phone))!;
    await age(u.id, 301);
    const res = await verify(u.token, code);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'phone.code_expired');
    assert.equal((await t.db('users').where('id', u.id).first('phone_verified_at')).phone_verified_at, null);
  });

  test('after five wrong codes even the right one is refused until a new code is sent', async () => {
    const u = await userWithPhone();
    await sendCode(u.token);
    const code = (await lastPhoneCode(t.db, u.phone))!;
    for (let i = 0; i < 5; i++) {
      const r = await verify(u.token, wrong(code));
      assert.equal(r.json().error.code, 'phone.code_invalid', `try ${i + 1}`);
    }
    const sixth = await verify(u.token, code);
    assert.equal(sixth.statusCode, 429);
    assert.equal(sixth.json().error.code, 'phone.too_many_attempts');
    assert.ok(Number(sixth.headers['retry-after']) > 0);
    assert.equal((await t.db('users').where('id', u.id).first('phone_verified_at')).phone_verified_at, null);

    await age(u.id, 61);
    assert.equal((await sendCode(u.token)).statusCode, 200);
    assert.equal((await verify(u.token, (await lastPhoneCode(t.db, u.phone))!)).statusCode, 200);
  });

  test('parallel wrong guesses cannot exceed five tries', async () => {
    const u = await userWithPhone();
    await sendCode(u.token);
    const code = (await lastPhoneCode(t.db, u.phone))!;
    const guesses = Array.from({ length: 8 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'));
    const results = await Promise.all(guesses.map((g) => verify(u.token, g)));
    assert.equal(results.filter((r) => r.json().error?.code === 'phone.code_invalid').length, 5);
    assert.equal(results.filter((r) => r.json().error?.code === 'phone.too_many_attempts').length, 3);
  });

  test('codes are limited to one a minute and five a day, and only the newest one counts', async () => {
    const u = await userWithPhone();
    assert.equal((await sendCode(u.token)).statusCode, 200);
    const firstCode = (await lastPhoneCode(t.db, u.phone))!;
    const again = await sendCode(u.token);
    assert.equal(again.statusCode, 429);
    assert.equal(again.json().error.code, 'phone.too_many_codes');
    const wait = Number(again.headers['retry-after']);
    assert.ok(wait > 0 && wait <= 60, `retry after ${wait}`);

    for (let i = 2; i <= 5; i++) {
      await age(u.id, 61);
      assert.equal((await sendCode(u.token)).statusCode, 200, `code ${i} of the day`);
    }
    await age(u.id, 61);
    const sixth = await sendCode(u.token);
    assert.equal(sixth.statusCode, 429);
    assert.equal(sixth.json().error.code, 'phone.too_many_codes');
    assert.ok(Number(sixth.headers['retry-after']) > 3600, 'the daily limit, not the minute');
    assert.equal(await t.db('sms_messages').where({ phone: u.phone }).count({ n: '*' }).then((r) => Number(r[0].n)), 5);

    const newest = (await lastPhoneCode(t.db, u.phone))!;
    if (newest !== firstCode) {
      assert.equal((await verify(u.token, firstCode)).json().error.code, 'phone.code_invalid', 'a superseded code does not verify');
    }
    assert.equal((await verify(u.token, newest)).statusCode, 200);
  });

  test('two code requests at the same moment send one code', async () => {
    const u = await userWithPhone();
    const [a, b] = await Promise.all([sendCode(u.token), sendCode(u.token)]);
    assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 429]);
    assert.equal(await t.db('sms_messages').where({ phone: u.phone }).count({ n: '*' }).then((r) => Number(r[0].n)), 1);
  });

  test('a user without a phone, or with a verified one, is sent no code', async () => {
    const none = await userWithPhone({ phone: null });
    const res = await sendCode(none.token);
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'phone.not_set');
    const done = await userWithPhone({ phoneVerified: true });
    const again = await sendCode(done.token);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'phone.already_verified');
  });

  test('changing my own phone clears its verification and my signing right, and is audited; a code sent to the old number does not verify the new one', async () => {
    const u = await userWithPhone({ role: 'customer_user' });
    await sendCode(u.token);
    const code = (await lastPhoneCode(t.db, u.phone))!;
    assert.equal((await verify(u.token, code)).statusCode, 200);
    await t.db('users').where('id', u.id).update({ can_sign: true });
    await age(u.id, 61);
    await sendCode(u.token).then((r) => assert.equal(r.json().error.code, 'phone.already_verified'));

    const other = newPhone();
    const res = await t.as(u.token, { method: 'PUT', url: '/api/me/phone', payload: { phone: other } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().phone, other);
    assert.equal(res.json().phoneVerified, false);
    assert.equal(res.json().canSign, false);
    const audit = await t.db('audit_log').where({ action: 'user.phone_change', entity_id: String(u.id) }).first();
    const changed = JSON.parse(audit.details).changed;
    assert.deepEqual(changed.phone, { from: u.phone, to: other });
    assert.deepEqual(changed.phoneVerified, { from: true, to: false });
    assert.deepEqual(changed.canSign, { from: true, to: false });

    // Send one to the old number first, then change: that code belongs to the old number.
    await age(u.id, 61);
    assert.equal((await sendCode(u.token)).statusCode, 200);
    const forOther = (await lastPhoneCode(t.db, other))!;
    const third = newPhone();
    await t.as(u.token, { method: 'PUT', url: '/api/me/phone', payload: { phone: third } });
    const stale = await verify(u.token, forOther);
    assert.equal(stale.statusCode, 400);
    assert.equal(stale.json().error.code, 'phone.code_expired');
  });

  test('the phone routes refuse malformed bodies with a 400 naming the field', async () => {
    const u = await userWithPhone();
    const cases: [string, string, unknown, string][] = [
      ['PUT', '/api/me/phone', { phone: '12345' }, '/phone'],
      ['PUT', '/api/me/phone', {}, '/'],
      ['PUT', '/api/me/phone', { phone: '13912345678', verified: true }, '/'],
      ['POST', '/api/me/phone/verify', { code: '12345' }, '/code'],
      ['POST', '/api/me/phone/verify', { code: '12a456' }, '/code'],
      ['POST', '/api/me/phone/verify', { code: '1234567' }, '/code'],
      ['POST', '/api/me/phone/verify', {}, '/'],
    ];
    for (const [method, url, payload, path] of cases) {
      const res = await t.as(u.token, { method: method as 'PUT', url, payload: payload as object });
      assert.equal(res.statusCode, 400, `${method} ${url} ${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(res.json().error.code, 'request.invalid');
      assert.ok(res.json().error.details.some((d: { path: string }) => d.path === path), `${JSON.stringify(payload)}: ${res.body}`);
    }
  });

  test('the phone routes need a signed-in user', async () => {
    for (const url of ['/api/me/phone/verification', '/api/me/phone/verify']) {
      assert.equal((await t.app.inject({ method: 'POST', url, payload: { code: '123456' } })).statusCode, 401);
    }
  });
});

describe('SMS outbox', () => {
  const message = (key: string, phone = newPhone()): SmsInput => ({ idempotencyKey: key, phone, template: 'phone_verify', params: { code: '123456' } });

  test('sending twice with the same idempotency key makes one message, in one transaction or in two at once', async () => {
    const key = `test:${process.pid}:same`;
    const [a, b] = await t.db.transaction(async (trx) => [await t.app.sms.send(trx, message(key)), await t.app.sms.send(trx, message(key))]);
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.equal(b.id, a.id);
    const key2 = `test:${process.pid}:race`;
    const results = await Promise.all([1, 2, 3].map(() => t.db.transaction((trx) => t.app.sms.send(trx, message(key2)))));
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(new Set(results.map((r) => r.id)).size, 1);
    for (const k of [key, key2]) {
      assert.equal(await t.db('sms_messages').where('idempotency_key', k).count({ n: '*' }).then((r) => Number(r[0].n)), 1);
    }
  });

  test('a message queued in a transaction that rolls back is never sent', async () => {
    const key = `test:${process.pid}:rollback`;
    await assert.rejects(
      t.db.transaction(async (trx) => {
        await t.app.sms.send(trx, message(key));
        throw new Error('the change failed');
      }),
    );
    assert.equal(await t.db('sms_messages').where('idempotency_key', key).first(), undefined);
  });

  test('the deliverer sends each message once even when two run at the same time', async () => {
    await t.app.sms.deliverNow(); // whatever earlier tests left
    const keys = Array.from({ length: 6 }, (_, i) => `test:${process.pid}:once:${i}`);
    await t.db.transaction(async (trx) => {
      for (const k of keys) await t.app.sms.send(trx, message(k));
    });
    const calls: string[] = [];
    const slow: SmsProvider = {
      name: 'recording',
      async send({ phone }) {
        calls.push(phone);
        await sleep(15);
        return { providerId: `rec-${calls.length}` };
      },
    };
    const settings = { maxAttempts: 3, claimSeconds: 60, batchSize: 100 };
    const [a, b] = await Promise.all([deliverSms(t.db, slow, settings), deliverSms(t.db, slow, settings)]);
    assert.equal(a.sent + b.sent, keys.length);
    assert.equal(calls.length, keys.length, 'no message handed over twice');
    assert.equal(new Set(calls).size, keys.length);
    const rows = await t.db('sms_messages').whereIn('idempotency_key', keys);
    assert.ok(rows.every((r) => r.state === 'sent' && Number(r.attempts) === 1));
    assert.equal((await deliverSms(t.db, slow, settings)).sent, 0);
  });

  test('a failing provider is retried later and finally marked failed, the code redacted and never logged', async () => {
    await t.app.sms.deliverNow();
    const key = `test:${process.pid}:failing`;
    await t.db.transaction((trx) => t.app.sms.send(trx, message(key)));
    const logged: unknown[] = [];
    const log = { warn: (obj: unknown) => logged.push(obj) } as unknown as Parameters<typeof deliverSms>[3];
    const broken: SmsProvider = { name: 'broken', send: async () => Promise.reject(new Error('gateway timeout')) };
    const settings = { maxAttempts: 2, claimSeconds: 60, batchSize: 100 };
    assert.deepEqual(await deliverSms(t.db, broken, settings, log), { sent: 0, retrying: 1, failed: 0 });
    let row = await t.db('sms_messages').where('idempotency_key', key).first();
    assert.equal(row.state, 'pending');
    assert.equal(row.last_error, 'gateway timeout');
    assert.ok(row.next_attempt_at > toDbTime(new Date()), 'backs off');
    assert.deepEqual(await deliverSms(t.db, broken, settings, log), { sent: 0, retrying: 0, failed: 0 }, 'not due yet');
    await t.db('sms_messages').where('idempotency_key', key).update({ next_attempt_at: toDbTime(new Date(Date.now() - 1000)) });
    assert.deepEqual(await deliverSms(t.db, broken, settings, log), { sent: 0, retrying: 0, failed: 1 });
    row = await t.db('sms_messages').where('idempotency_key', key).first();
    assert.equal(row.state, 'failed');
    assert.equal(Number(row.attempts), 2);
    assert.deepEqual(JSON.parse(row.params), { code: '***' });
    assert.equal(logged.length, 2);
    assert.doesNotMatch(JSON.stringify(logged), /123456/);
  });

  test('the log provider writes under the data directory by default', () => {
    assert.equal(t.config.sms.provider, 'log');
    assert.ok(t.config.sms.logFile.startsWith(t.config.dataDir));
    assert.ok(existsSync(t.config.sms.logFile));
  });
});
