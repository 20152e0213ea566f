// Phone verification: a 6-digit code by SMS proves a user receives messages at their phone, which contract signing
// relies on (DESIGN.md §5: a one-time code goes to the signer's registered phone). Changing the phone undoes it.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { PhoneCodeSent } from '../../../../shared/api/users.js';
import type { Me } from '../../../../shared/api/auth.js';
import type { Principal } from '../../plugins/access.js';
import type { SmsOutbox } from '../../plugins/notifications.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { AppError, Conflict, Invalid, NotFound, TooManyRequests } from '../../errors.js';
import { fromDbTime, toDbTime } from '../../db/knex.js';
import { getMe } from './service.js';
import { maskPhone } from '../notifications/codes.js';
import {
  consumePhoneVerification,
  countPhoneVerifications,
  countPhoneVerificationTry,
  deletePhoneVerificationsBefore,
  findLatestPhoneVerification,
  findUserPhoneForUpdate,
  insertPhoneVerification,
  updateUser,
} from './store.js';

/** A code lives 5 minutes and allows 5 tries; a user gets at most one code a minute and 5 a day (rolling 24 hours). */
export const PHONE_CODE = { ttlSeconds: 5 * 60, maxTries: 5, resendSeconds: 60, perDay: 5 } as const;

export interface PhoneDeps {
  sms: Pick<SmsOutbox, 'send'>;
  /** keys the HMAC of stored codes, so that a copy of the database alone does not give them away */
  secret: string;
}

function codeHash(secret: string, userId: number, phone: string, code: string): string {
  return createHmac('sha256', secret).update(`phone_verify:${userId}:${phone}:${code}`).digest('hex');
}

export { maskPhone };

const secondsUntil = (dbTime: string, plusSeconds: number, now: Date) =>
  Math.max(1, Math.ceil((new Date(fromDbTime(dbTime)!).getTime() + plusSeconds * 1000 - now.getTime()) / 1000));

/** Seconds until the user may be sent another code (0: now). */
async function waitForNextCode(trx: Knex.Transaction, userId: number, now: Date): Promise<number> {
  const minute = await countPhoneVerifications(trx, userId, toDbTime(new Date(now.getTime() - PHONE_CODE.resendSeconds * 1000)));
  if (minute.n >= 1) return secondsUntil(minute.oldest!, PHONE_CODE.resendSeconds, now);
  const day = await countPhoneVerifications(trx, userId, toDbTime(new Date(now.getTime() - 86400 * 1000)));
  if (day.n >= PHONE_CODE.perDay) return secondsUntil(day.oldest!, 86400, now);
  return 0;
}

async function ownPhone(trx: Knex.Transaction, userId: number) {
  const user = await findUserPhoneForUpdate(trx, userId);
  if (!user) throw new NotFound('user.not_found', 'User not found');
  return user;
}

/** Sends a new code to the caller's own phone, through the SMS outbox in this transaction. */
export async function sendPhoneCode(trx: Knex.Transaction, deps: PhoneDeps, p: Principal, actor: Actor, now = new Date()): Promise<PhoneCodeSent> {
  const user = await ownPhone(trx, p.userId);
  if (!user.phone) throw new Conflict('phone.not_set', 'Register a mobile phone first');
  if (user.phone_verified_at) throw new Conflict('phone.already_verified', 'This phone is already verified');
  const wait = await waitForNextCode(trx, p.userId, now);
  if (wait > 0) throw new TooManyRequests('phone.too_many_codes', 'Too many codes requested, wait before asking again', wait);
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(now.getTime() + PHONE_CODE.ttlSeconds * 1000);
  const id = await insertPhoneVerification(trx, {
    user_id: p.userId,
    phone: user.phone,
    code_hash: codeHash(deps.secret, p.userId, user.phone, code),
    expires_at: toDbTime(expiresAt),
    created_at: toDbTime(now),
  });
  await deps.sms.send(trx, { idempotencyKey: `phone_verify:${id}`, phone: user.phone, template: 'phone_verify', params: { code } });
  await audit(trx, actor, { action: 'phone.code_sent', entity: 'user', entityId: p.userId, details: { phone: user.phone, verificationId: id } });
  return { phone: maskPhone(user.phone), expiresAt: expiresAt.toISOString(), resendAfterSeconds: PHONE_CODE.resendSeconds };
}

/**
 * Checks a code against the newest one sent to the caller's current phone. A failure is returned, not thrown, so
 * that the transaction still commits the try it used up (and its audit row); the route throws it after the commit.
 */
export async function verifyPhone(
  trx: Knex.Transaction,
  deps: PhoneDeps,
  p: Principal,
  actor: Actor,
  code: string,
  now = new Date(),
): Promise<AppError | null> {
  const user = await ownPhone(trx, p.userId);
  if (!user.phone) return new Conflict('phone.not_set', 'Register a mobile phone first');
  if (user.phone_verified_at) return new Conflict('phone.already_verified', 'This phone is already verified');
  const v = await findLatestPhoneVerification(trx, p.userId, user.phone);
  if (!v || v.expires_at <= toDbTime(now)) return new Invalid('phone.code_expired', 'The code has expired, ask for a new one');
  if (!(await countPhoneVerificationTry(trx, v.id, PHONE_CODE.maxTries))) {
    return new TooManyRequests('phone.too_many_attempts', 'Too many wrong codes, ask for a new one', Math.max(1, await waitForNextCode(trx, p.userId, now)));
  }
  const expected = Buffer.from(v.code_hash, 'hex');
  const given = Buffer.from(codeHash(deps.secret, p.userId, user.phone, code), 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    const tries = Number(v.attempts) + 1;
    await audit(trx, actor, { action: 'phone.verify_failed', entity: 'user', entityId: p.userId, details: { verificationId: v.id, tries } });
    return new Invalid('phone.code_invalid', 'The code is wrong', { triesLeft: PHONE_CODE.maxTries - tries });
  }
  const at = toDbTime(now);
  if (!(await consumePhoneVerification(trx, v.id, at))) return new Invalid('phone.code_expired', 'The code was already used, ask for a new one');
  await updateUser(trx, p.userId, { phone_verified_at: at, updated_at: at });
  await audit(trx, actor, { action: 'phone.verified', entity: 'user', entityId: p.userId, details: { phone: user.phone, verificationId: v.id } });
  return null;
}

/** The caller changes their own phone: the new number is unverified, and a signing right resting on the old one ends. */
export async function changeMyPhone(trx: Knex.Transaction, p: Principal, actor: Actor, phone: string | null): Promise<Me> {
  const user = await ownPhone(trx, p.userId);
  if (phone === user.phone) {
    await audit(trx, actor, { action: 'user.phone_change', entity: 'user', entityId: p.userId, details: { unchanged: true } });
    return getMe(trx, p.userId);
  }
  const at = toDbTime(new Date());
  await updateUser(trx, p.userId, { phone, phone_verified_at: null, can_sign: false, updated_at: at });
  await audit(trx, actor, {
    action: 'user.phone_change',
    entity: 'user',
    entityId: p.userId,
    details: {
      changed: {
        phone: { from: user.phone, to: phone },
        ...(user.phone_verified_at ? { phoneVerified: { from: true, to: false } } : {}),
        ...(user.can_sign ? { canSign: { from: true, to: false } } : {}),
      },
    },
  });
  return getMe(trx, p.userId);
}

/** Housekeeping: codes older than a week count for nothing (the daily limit looks back 24 hours). */
export async function purgePhoneVerifications(db: Knex, now = new Date()): Promise<number> {
  return deletePhoneVerificationsBefore(db, toDbTime(new Date(now.getTime() - 7 * 86400 * 1000)));
}
