// Sign-in rules: rate limits, lockout, sessions with rotating refresh tokens and reuse detection, sign-out, password change.
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Me } from '../../../../shared/api/auth.js';
import type { Config } from '../../config.js';
import { audit, type Actor } from '../../plugins/audit.js';
import type { Principal } from '../../plugins/access.js';
import { Forbidden, Invalid, Locked, TooManyRequests, Unauthorized } from '../../errors.js';
import { nowDb, toDbTime } from '../../db/knex.js';
import { getMe } from '../users/service.js';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import * as store from './store.js';

export interface AuthDeps {
  db: Knex;
  config: Config;
  signAccess: (claims: { sub: string; sid: number; tv: number; role: string }) => string;
}

export interface Session {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpires: Date;
  user: Me;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function secondsUntil(dbTime: string, now: Date): number {
  const t = new Date(dbTime.replace(' ', 'T') + 'Z').getTime();
  return Math.max(1, Math.ceil((t - now.getTime()) / 1000));
}

/** Refuses the attempt when this address or this account made too many in the window (attempt already counted). */
async function checkRateLimits(db: Knex, cfg: Config['login'], username: string, ip: string, now: Date): Promise<void> {
  const since = toDbTime(new Date(now.getTime() - cfg.windowSeconds * 1000));
  const retry = (oldest: string | null) =>
    oldest ? secondsUntil(toDbTime(new Date(new Date(oldest.replace(' ', 'T') + 'Z').getTime() + cfg.windowSeconds * 1000)), now) : cfg.windowSeconds;
  const byIp = await store.countAttempts(db, 'ip', ip, since);
  if (byIp.n > cfg.perAddressPerWindow) {
    throw new TooManyRequests('auth.rate_limited', 'Too many sign-in attempts from this address, wait and retry', retry(byIp.oldest));
  }
  const byUser = await store.countAttempts(db, 'username', username, since);
  if (byUser.n > cfg.perAccountPerWindow) {
    throw new TooManyRequests('auth.rate_limited', 'Too many sign-in attempts for this account, wait and retry', retry(byUser.oldest));
  }
}

async function openSession(trx: Knex.Transaction, deps: AuthDeps, userId: number, tokenVersion: number, role: string, actor: Actor, userAgent: string | null): Promise<Omit<Session, 'user'>> {
  const now = new Date();
  const sessionId = await store.insertSession(trx, { user_id: userId, ip: actor.ip, user_agent: userAgent?.slice(0, 255) ?? null, created_at: toDbTime(now) });
  const refresh = await issueRefreshToken(trx, deps.config, sessionId, now);
  return { ...refresh, accessToken: deps.signAccess({ sub: String(userId), sid: sessionId, tv: tokenVersion, role }), expiresIn: deps.config.jwt.accessTtlSeconds };
}

async function issueRefreshToken(trx: Knex.Transaction, config: Config, sessionId: number, now: Date) {
  const refreshToken = randomBytes(32).toString('base64url');
  const refreshExpires = new Date(now.getTime() + config.refresh.ttlSeconds * 1000);
  await store.insertRefreshToken(trx, { session_id: sessionId, token_hash: hashToken(refreshToken), expires_at: toDbTime(refreshExpires), created_at: toDbTime(now) });
  return { refreshToken, refreshExpires };
}

/**
 * Signs a user in. The password check (argon2, ~40 ms) runs outside any transaction so it never holds a
 * database connection; the writes that follow each run in one short transaction with their audit row.
 */
export async function signIn(deps: AuthDeps, actor: Actor, input: { username: string; password: string; userAgent: string | null }): Promise<Session> {
  const { db, config } = deps;
  const now = new Date();
  const ip = actor.ip ?? 'unknown';
  const username = input.username.trim().toLowerCase();
  // Count this attempt first, so a burst of parallel attempts cannot all slip under the limit.
  const attemptId = await store.recordAttempt(db, { username, ip, success: false, created_at: toDbTime(now) });
  await checkRateLimits(db, config.login, username, ip, now);

  const cred = await store.findCredentials(db, username);
  if (!cred) {
    await verifyPassword(await dummyHash(config.passwordHash), input.password);
    await audit(db, actor, { action: 'auth.login_failed', entity: 'user', details: { reason: 'unknown_user' } }, { username });
    throw new Unauthorized('auth.invalid_credentials', 'Wrong username or password');
  }
  if (cred.locked_until && cred.locked_until > toDbTime(now)) {
    throw new Locked('auth.locked', 'This account is locked after repeated failed sign-ins', { retryAfterSeconds: secondsUntil(cred.locked_until, now) });
  }
  const ok = await verifyPassword(cred.password_hash, input.password);
  if (!ok) {
    await db.transaction(async (trx) => {
      const failed = await store.incrementFailedLogins(trx, cred.id);
      const lock = failed >= config.login.maxFailures;
      if (lock) {
        await store.updateUserAuth(trx, cred.id, { failed_logins: 0, locked_until: toDbTime(new Date(now.getTime() + config.login.lockSeconds * 1000)) });
      }
      await audit(trx, actor, {
        action: lock ? 'auth.locked' : 'auth.login_failed',
        entity: 'user',
        entityId: cred.id,
        details: { reason: 'wrong_password', failed },
      }, { userId: cred.id, username, organisationId: cred.organisation_id });
    });
    throw new Unauthorized('auth.invalid_credentials', 'Wrong username or password');
  }
  if (!cred.active || !cred.organisation_active) {
    await audit(db, actor, { action: 'auth.login_failed', entity: 'user', entityId: cred.id, details: { reason: 'disabled' } }, { userId: cred.id, username });
    throw new Forbidden('auth.disabled', 'This account is disabled');
  }
  const rehash = needsRehash(cred.password_hash, config.passwordHash) ? await hashPassword(input.password, config.passwordHash) : null;
  const me = await getMe(db, cred.id);
  const session = await db.transaction(async (trx) => {
    await store.updateUserAuth(trx, cred.id, { failed_logins: 0, locked_until: null, last_login_at: toDbTime(now), ...(rehash ? { password_hash: rehash } : {}) });
    const s = await openSession(trx, deps, cred.id, cred.token_version, me.role, actor, input.userAgent);
    await audit(trx, actor, { action: 'auth.login', entity: 'user', entityId: cred.id }, { userId: cred.id, username, organisationId: cred.organisation_id });
    return s;
  });
  await store.markAttemptSucceeded(db, attemptId);
  return { ...session, user: me };
}

/**
 * Rotates a refresh token. A token used a second time means it was stolen or replayed: the whole session
 * (every token of its chain) is revoked, and the caller must sign in again.
 */
export async function refresh(deps: AuthDeps, actor: Actor, token: string | undefined): Promise<Session> {
  const { db, config } = deps;
  if (!token) throw new Unauthorized('auth.refresh_invalid', 'No session, sign in first');
  const now = new Date();
  const row = await store.findRefreshToken(db, hashToken(token));
  if (!row) throw new Unauthorized('auth.refresh_invalid', 'This session is not valid, sign in again');
  if (row.session_revoked_at) throw new Unauthorized('auth.session_revoked', 'This session has ended, sign in again');
  const reused = async () => {
    await db.transaction(async (trx) => {
      await store.revokeSession(trx, row.session_id, 'refresh_reuse', toDbTime(now));
      await audit(trx, actor, { action: 'auth.refresh_reuse', entity: 'session', entityId: row.session_id }, { userId: row.user_id });
    });
    return new Unauthorized('auth.refresh_reused', 'This session was used from elsewhere and has been ended, sign in again');
  };
  if (row.used_at) throw await reused();
  if (row.expires_at <= toDbTime(now)) throw new Unauthorized('auth.refresh_invalid', 'This session has expired, sign in again');

  const cred = await store.findCredentialsById(db, row.user_id);
  const result = await db.transaction(async (trx) => {
    if (!(await store.markRefreshTokenUsed(trx, row.id, toDbTime(now)))) return 'reused' as const;
    if (!cred || !cred.active || !cred.organisation_active) {
      await store.revokeSession(trx, row.session_id, 'disabled', toDbTime(now));
      return 'disabled' as const;
    }
    return issueRefreshToken(trx, config, row.session_id, now);
  });
  if (result === 'reused') throw await reused();
  if (result === 'disabled') throw new Unauthorized('auth.disabled', 'This account is disabled');
  const me = await getMe(db, row.user_id);
  return {
    ...result,
    accessToken: deps.signAccess({ sub: String(row.user_id), sid: row.session_id, tv: cred!.token_version, role: me.role }),
    expiresIn: config.jwt.accessTtlSeconds,
    user: me,
  };
}

/** Ends the session the refresh cookie belongs to; its access tokens stop working on the next request. */
export async function signOut(db: Knex, actor: Actor, token: string | undefined): Promise<void> {
  const row = token ? await store.findRefreshToken(db, hashToken(token)) : undefined;
  await db.transaction(async (trx) => {
    if (row) await store.revokeSession(trx, row.session_id, 'sign_out', nowDb());
    await audit(trx, actor, { action: 'auth.logout', entity: 'session', entityId: row?.session_id ?? null }, { userId: actor.userId ?? row?.user_id ?? null });
  });
}

/** Changes the caller's own password (a temporary one becomes their own); every other session of theirs ends, this one stays. */
export async function changePassword(deps: AuthDeps, p: Principal, actor: Actor, current: string, next: string): Promise<void> {
  const { db, config } = deps;
  const cred = await store.findCredentialsById(db, p.userId);
  if (!cred || !(await verifyPassword(cred.password_hash, current))) {
    throw new Invalid('password.wrong_current', 'The current password is wrong');
  }
  if (current === next) throw new Invalid('password.unchanged', 'The new password must differ from the current one');
  const hash = await hashPassword(next, config.passwordHash);
  await db.transaction(async (trx) => {
    const now = nowDb();
    await store.updateUserAuth(trx, p.userId, { password_hash: hash, must_change_password: false, updated_at: now });
    await store.revokeUserSessions(trx, p.userId, 'password_changed', now, p.sessionId);
    await audit(trx, actor, { action: 'user.password_change', entity: 'user', entityId: p.userId, details: { wasTemporary: p.mustChangePassword } });
  });
}

/** Housekeeping for the scheduler: old sign-in attempts and expired refresh tokens. */
export async function purgeExpired(db: Knex, now = new Date()): Promise<{ attempts: number; tokens: number }> {
  const dayAgo = toDbTime(new Date(now.getTime() - 24 * 3600 * 1000));
  return { attempts: await store.deleteAttemptsBefore(db, dayAgo), tokens: await store.deleteExpiredRefreshTokens(db, toDbTime(now)) };
}
