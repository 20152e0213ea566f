// Sign-in, tokens and sessions: the attacks and mistakes the Foundation issue lists, on SQLite and MariaDB.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, createSign } from 'node:crypto';
import { createTestApp, makeWorld, makeUser, TEST_PASSWORD, type TestApp } from '../../../test/helpers.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { loadConfig } from '../../config.js';

const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');

function hs256(header: object, payload: object, secret: string | Buffer): string {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
let withLimits: TestApp | undefined;
let limitedWorld: Awaited<ReturnType<typeof makeWorld>> | undefined;

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
});
after(async () => {
  await t.close();
  await withLimits?.close();
});

/** A second app with the production sign-in limits and its own users. */
async function limited() {
  if (!withLimits) {
    const defaults = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) }).login;
    withLimits = await createTestApp({ login: defaults });
    limitedWorld = await makeWorld(withLimits.db);
  }
  return { ...withLimits, w: limitedWorld! };
}

function claimsFor(token: string) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

describe('passwords', () => {
  test('passwords are hashed with argon2id at the OWASP minimum by default', async () => {
    const cfg = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) });
    assert.deepEqual(cfg.passwordHash, { memoryKiB: 19456, timeCost: 2, parallelism: 1 });
    const h = await hashPassword('Secret-123', cfg.passwordHash);
    assert.match(h, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.equal(await verifyPassword(h, 'Secret-123'), true);
    assert.equal(await verifyPassword(h, 'Secret-124'), false);
  });
});

describe('sign-in', () => {
  test('a good password signs in and returns the user, an access token and an httpOnly SameSite refresh cookie', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: w.userA.username, password: TEST_PASSWORD } });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.user.username, w.userA.username);
    assert.equal(body.user.organisation.id, w.customerA);
    assert.equal(body.expiresIn, 900);
    const claims = claimsFor(body.accessToken);
    assert.equal(claims.exp - claims.iat, 900, 'access token lives about 15 minutes');
    assert.equal(claims.iss, 'steel-sales-portal');
    const cookie = res.cookies.find((c) => c.name === 'ssp_refresh');
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/api/auth');
    const stored = await t.db('refresh_tokens').select('token_hash');
    assert.ok(stored.every((r) => r.token_hash !== cookie.value), 'refresh tokens are stored hashed');
    const audit = await t.db('audit_log').where({ action: 'auth.login', user_id: w.userA.id }).first();
    assert.ok(audit, 'sign-in is audited');
    assert.ok(audit.ip);
    // One sign-in is one attempt for the rate limits, marked successful.
    const attempts = await t.db('login_attempts').where({ username: w.userA.username.toLowerCase() });
    assert.equal(attempts.length, 1);
    assert.equal(Boolean(attempts[0].success), true);
  });

  test('a wrong password or unknown user gets the same 401 answer', async () => {
    const wrong = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: w.userB.username, password: 'nope-123' }, remoteAddress: '10.1.0.1' });
    const unknown = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody-here', password: 'nope-123' }, remoteAddress: '10.1.0.1' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    assert.deepEqual(wrong.json(), unknown.json());
    assert.equal(wrong.json().error.code, 'auth.invalid_credentials');
  });

  test('a malformed sign-in body is a 400 with the field path', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'x' } });
    assert.equal(res.statusCode, 400);
    const e = res.json().error;
    assert.equal(e.code, 'request.invalid');
    assert.ok(Array.isArray(e.details) && e.details.length > 0);
    const extra = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'x', password: 'y', admin: true } });
    assert.equal(extra.statusCode, 400, 'unknown fields are refused, not silently dropped');
  });

  test('an account is locked after repeated failures, even for the right password, and an admin can unlock it', async () => {
    const victim = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user' });
    for (let i = 0; i < t.config.login.maxFailures; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: victim.username, password: 'wrong-pass-1' }, remoteAddress: `10.2.0.${i}` });
      assert.equal(r.statusCode, 401);
    }
    const locked = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: victim.username, password: TEST_PASSWORD }, remoteAddress: '10.2.1.1' });
    assert.equal(locked.statusCode, 423);
    assert.equal(locked.json().error.code, 'auth.locked');
    assert.ok(locked.json().error.details.retryAfterSeconds > 0);
    assert.ok(await t.db('audit_log').where({ action: 'auth.locked', user_id: victim.id }).first());

    const admin = await t.signIn(w.admin.username);
    const unlock = await t.as(admin.token, { method: 'PATCH', url: `/api/users/${victim.id}`, payload: { unlock: true } });
    assert.equal(unlock.statusCode, 200);
    await t.signIn(victim.username, TEST_PASSWORD, '10.2.1.2');
  });

  test('too many attempts for one account within a minute are refused with 429 and Retry-After', async () => {
    const l = await limited();
    const target = await makeUser(l.db, { organisationId: l.w.customerB, role: 'customer_user' });
    const limit = l.config.login.perAccountPerWindow;
    let last;
    // Alternate right and wrong passwords from many addresses, so neither lockout nor the address limit triggers first.
    for (let i = 0; i <= limit; i++) {
      last = await l.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: target.username, password: i % 2 ? 'wrong-pass-1' : TEST_PASSWORD },
        remoteAddress: `10.3.${i}.1`,
      });
    }
    assert.equal(last!.statusCode, 429);
    assert.equal(last!.json().error.code, 'auth.rate_limited');
    assert.ok(Number(last!.headers['retry-after']) > 0);
  });

  test('too many attempts from one address are refused with 429 whatever the account', async () => {
    const l = await limited();
    const limit = l.config.login.perAddressPerWindow;
    const results = [];
    for (let i = 0; i <= limit; i++) {
      results.push(
        await l.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: `spray${i}`, password: 'pw-123456' }, remoteAddress: '10.4.4.4' }),
      );
    }
    assert.equal(results.at(-1)!.statusCode, 429);
    assert.equal(results.at(-2)!.statusCode, 401, 'the limit is exact');
    // Another address is not affected.
    await l.signIn(l.w.userB.username, TEST_PASSWORD, '10.4.4.5');
  });

  test('a disabled user cannot sign in', async () => {
    const u = await makeUser(t.db, { organisationId: w.customerB, role: 'customer_user', active: false });
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: TEST_PASSWORD }, remoteAddress: '10.5.0.1' });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'auth.disabled');
  });
});

describe('refresh tokens', () => {
  test('refresh rotates the cookie and the old one can no longer be used', async () => {
    const s = await t.signIn(w.userA.username);
    const r1 = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: s.cookie } });
    assert.equal(r1.statusCode, 200);
    const next = r1.cookies.find((c) => c.name === 'ssp_refresh')!;
    assert.notEqual(`ssp_refresh=${next.value}`, s.cookie);
    const me = await t.as(r1.json().accessToken, { method: 'GET', url: '/api/me' });
    assert.equal(me.statusCode, 200);
    const r2 = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: `ssp_refresh=${next.value}` } });
    assert.equal(r2.statusCode, 200);
  });

  test('reusing a rotated refresh token revokes the whole chain, including the newest token and its access tokens', async () => {
    const s = await t.signIn(w.userA.username);
    const r1 = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: s.cookie } });
    const newest = `ssp_refresh=${r1.cookies.find((c) => c.name === 'ssp_refresh')!.value}`;
    const access = r1.json().accessToken;
    const replay = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: s.cookie } });
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'auth.refresh_reused');
    const after = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: newest } });
    assert.equal(after.statusCode, 401, 'the legitimate newest token dies with the chain');
    const me = await t.as(access, { method: 'GET', url: '/api/me' });
    assert.equal(me.statusCode, 401);
    assert.equal(me.json().error.code, 'auth.session_revoked');
    assert.ok(await t.db('audit_log').where({ action: 'auth.refresh_reuse' }).first());
  });

  test('two refreshes racing with the same token yield at most one new session token', async () => {
    const s = await t.signIn(w.userB.username);
    const [a, b] = await Promise.all([
      t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: s.cookie } }),
      t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: s.cookie } }),
    ]);
    assert.equal([a, b].filter((r) => r.statusCode === 200).length <= 1, true);
  });

  test('an unknown or missing refresh cookie is a 401', async () => {
    const none = await t.app.inject({ method: 'POST', url: '/api/auth/refresh' });
    assert.equal(none.statusCode, 401);
    const bad = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: 'ssp_refresh=forged' } });
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.json().error.code, 'auth.refresh_invalid');
  });

  test('sign-out revokes the session: its access token and refresh cookie stop working', async () => {
    const s = await t.signIn(w.userA.username);
    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: s.cookie } });
    assert.equal(out.statusCode, 200);
    assert.equal((await t.as(s.token, { method: 'GET', url: '/api/me' })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: s.cookie } })).statusCode, 401);
  });
});

describe('access tokens', () => {
  test('no token, a garbage token, or a token in the wrong scheme is a 401', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/me' })).json().error.code, 'auth.unauthenticated');
    assert.equal((await t.as('garbage', { method: 'GET', url: '/api/me' })).json().error.code, 'auth.token_invalid');
    const s = await t.signIn(w.userA.username);
    const basic = await t.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Basic ${s.token}` } });
    assert.equal(basic.statusCode, 401);
  });

  async function forge(mutate: (claims: Record<string, unknown>) => Record<string, unknown>, secret = t.config.jwt.secret, header: object = { alg: 'HS256', typ: 'JWT' }) {
    const s = await t.signIn(w.userA.username);
    const claims = mutate(claimsFor(s.token));
    return hs256(header, claims, secret);
  }
  const now = () => Math.floor(Date.now() / 1000);

  test('a correctly signed control token works (so the forged cases below fail for their own reason)', async () => {
    const token = await forge((c) => c);
    assert.equal((await t.as(token, { method: 'GET', url: '/api/me' })).statusCode, 200);
  });

  test('an expired token is refused with auth.token_expired', async () => {
    const token = await forge((c) => ({ ...c, iat: now() - 2000, exp: now() - 60 }));
    const res = await t.as(token, { method: 'GET', url: '/api/me' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'auth.token_expired');
  });

  test('a token whose nbf is in the future is refused', async () => {
    const token = await forge((c) => ({ ...c, nbf: now() + 600 }));
    assert.equal((await t.as(token, { method: 'GET', url: '/api/me' })).statusCode, 401);
  });

  test('a token with the wrong issuer or audience is refused', async () => {
    assert.equal((await t.as(await forge((c) => ({ ...c, iss: 'someone-else' })), { method: 'GET', url: '/api/me' })).statusCode, 401);
    assert.equal((await t.as(await forge((c) => ({ ...c, aud: 'other-api' })), { method: 'GET', url: '/api/me' })).statusCode, 401);
  });

  test('a token signed with another key is refused', async () => {
    const token = await forge((c) => c, 'another-secret-that-is-long-enough-1234567890');
    assert.equal((await t.as(token, { method: 'GET', url: '/api/me' })).json().error.code, 'auth.token_invalid');
  });

  test('an alg:none token is refused', async () => {
    const s = await t.signIn(w.userA.username);
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsFor(s.token))}.`;
    assert.equal((await t.as(token, { method: 'GET', url: '/api/me' })).statusCode, 401);
  });

  test('HS/RS confusion: an RS256 token, and an HS256 token keyed with a public key, are refused', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const s = await t.signIn(w.userA.username);
    const body = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claimsFor(s.token))}`;
    const sig = createSign('RSA-SHA256').update(body).sign(privateKey).toString('base64url');
    assert.equal((await t.as(`${body}.${sig}`, { method: 'GET', url: '/api/me' })).statusCode, 401);
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const confused = hs256({ alg: 'HS256', typ: 'JWT' }, claimsFor(s.token), pem);
    assert.equal((await t.as(confused, { method: 'GET', url: '/api/me' })).statusCode, 401);
  });

  test("a disabled user's unexpired token is refused on the next request", async () => {
    const u = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user' });
    const s = await t.signIn(u.username);
    assert.equal((await t.as(s.token, { method: 'GET', url: '/api/me' })).statusCode, 200);
    const admin = await t.signIn(w.admin.username);
    assert.equal((await t.as(admin.token, { method: 'PATCH', url: `/api/users/${u.id}`, payload: { active: false } })).statusCode, 200);
    const res = await t.as(s.token, { method: 'GET', url: '/api/me' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'auth.disabled');
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: s.cookie } })).statusCode, 401);
  });

  test("a demoted user's unexpired token carries the old role but the new role applies", async () => {
    const u = await makeUser(t.db, { organisationId: w.mill, role: 'admin' });
    const s = await t.signIn(u.username);
    assert.equal((await t.as(s.token, { method: 'GET', url: '/api/audit' })).statusCode, 200);
    const admin = await t.signIn(w.admin.username);
    await t.as(admin.token, { method: 'PATCH', url: `/api/users/${u.id}`, payload: { role: 'quality_staff' } });
    const res = await t.as(s.token, { method: 'GET', url: '/api/audit' });
    assert.equal(res.statusCode, 403);
    assert.equal(claimsFor(s.token).role, 'admin');
  });

  test('a customer user calling a staff route gets 403', async () => {
    const s = await t.signIn(w.userA.username);
    for (const url of ['/api/organisations', '/api/audit', '/api/users']) {
      const res = await t.as(s.token, { method: 'GET', url });
      assert.equal(res.statusCode, 403, url);
      assert.equal(res.json().error.code, 'access.forbidden');
    }
  });

  test('an unauthenticated caller gets 401 before the body is even validated', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/users', payload: { nonsense: true } });
    assert.equal(res.statusCode, 401);
  });
});

describe('password change', () => {
  test('changing my password needs the current one, keeps this session and ends the others', async () => {
    const u = await makeUser(t.db, { organisationId: w.customerB, role: 'customer_user' });
    const here = await t.signIn(u.username, TEST_PASSWORD, '10.6.0.1');
    const elsewhere = await t.signIn(u.username, TEST_PASSWORD, '10.6.0.2');
    const wrong = await t.as(here.token, { method: 'PUT', url: '/api/me/password', payload: { currentPassword: 'bad-pass-1', newPassword: 'New-pass-2026' } });
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().error.code, 'password.wrong_current');
    const weak = await t.as(here.token, { method: 'PUT', url: '/api/me/password', payload: { currentPassword: TEST_PASSWORD, newPassword: 'short' } });
    assert.equal(weak.statusCode, 400);
    const ok = await t.as(here.token, { method: 'PUT', url: '/api/me/password', payload: { currentPassword: TEST_PASSWORD, newPassword: 'New-pass-2026' } });
    assert.equal(ok.statusCode, 200);
    assert.equal((await t.as(here.token, { method: 'GET', url: '/api/me' })).statusCode, 200);
    assert.equal((await t.as(elsewhere.token, { method: 'GET', url: '/api/me' })).statusCode, 401);
    await t.signIn(u.username, 'New-pass-2026', '10.6.0.3');
    assert.ok(await t.db('audit_log').where({ action: 'user.password_change', user_id: u.id }).first());
  });
});
