// One-time codes by SMS bound to a purpose and a subject (e.g. taking listing 17): the willingness check Chinese
// e-contract platforms make before applying a hosted electronic seal (DESIGN.md §5). Only an HMAC of a code is kept.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { SmsOutbox, SmsTemplate } from '../../plugins/notifications.js';
import { AppError, Invalid, TooManyRequests } from '../../errors.js';
import { fromDbTime, toDbTime } from '../../db/knex.js';

/**
 * A code lives 5 minutes and allows 5 tries; a user gets at most one code a minute for one subject (a signer may take
 * several listings in a row) and 30 a day for one purpose.
 */
export const ONE_TIME_CODE = { ttlSeconds: 5 * 60, maxTries: 5, resendSeconds: 60, perDay: 30 } as const;

export interface CodeDeps {
  sms: Pick<SmsOutbox, 'send'>;
  /** keys the HMAC of stored codes, so that a copy of the database alone does not give them away */
  secret: string;
}

export interface CodeSubject {
  userId: number;
  purpose: string;
  subjectId: number;
  phone: string;
}

function codeHash(secret: string, s: CodeSubject, code: string): string {
  return createHmac('sha256', secret).update(`otp:${s.purpose}:${s.subjectId}:${s.userId}:${s.phone}:${code}`).digest('hex');
}

const secondsUntil = (dbTime: string, plusSeconds: number, now: Date) =>
  Math.max(1, Math.ceil((new Date(fromDbTime(dbTime)!).getTime() + plusSeconds * 1000 - now.getTime()) / 1000));

async function countSince(trx: Knex.Transaction, s: CodeSubject, since: Date, sameSubject: boolean): Promise<{ n: number; oldest: string | null }> {
  const row = await trx('one_time_codes')
    .where({ user_id: s.userId, purpose: s.purpose, ...(sameSubject ? { subject_id: s.subjectId } : {}) })
    .where('created_at', '>', toDbTime(since))
    .count({ n: '*' })
    .min({ oldest: 'created_at' })
    .first();
  return { n: Number(row?.n ?? 0), oldest: (row?.oldest as string | null) ?? null };
}

/** Seconds until the user may be sent another code for this purpose (0: now). */
async function waitForNextCode(trx: Knex.Transaction, s: CodeSubject, now: Date): Promise<number> {
  const minute = await countSince(trx, s, new Date(now.getTime() - ONE_TIME_CODE.resendSeconds * 1000), true);
  if (minute.n >= 1) return secondsUntil(minute.oldest!, ONE_TIME_CODE.resendSeconds, now);
  const day = await countSince(trx, s, new Date(now.getTime() - 86400 * 1000), false);
  if (day.n >= ONE_TIME_CODE.perDay) return secondsUntil(day.oldest!, 86400, now);
  return 0;
}

/** Sends a new code through the SMS outbox in this transaction; returns its id and expiry. */
export async function sendCode(
  trx: Knex.Transaction,
  deps: CodeDeps,
  s: CodeSubject,
  sms: { template: SmsTemplate; params: Record<string, string> },
  now = new Date(),
): Promise<{ id: number; expiresAt: Date }> {
  const wait = await waitForNextCode(trx, s, now);
  if (wait > 0) throw new TooManyRequests('code.too_many_codes', 'Too many codes requested, wait before asking again', wait);
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(now.getTime() + ONE_TIME_CODE.ttlSeconds * 1000);
  const [id] = await trx('one_time_codes').insert({
    user_id: s.userId,
    purpose: s.purpose,
    subject_id: s.subjectId,
    phone: s.phone,
    code_hash: codeHash(deps.secret, s, code),
    expires_at: toDbTime(expiresAt),
    created_at: toDbTime(now),
  });
  await deps.sms.send(trx, { idempotencyKey: `otp:${Number(id)}`, phone: s.phone, template: sms.template, params: { ...sms.params, code } });
  return { id: Number(id), expiresAt };
}

export type CodeCheck = { ok: true; codeId: number } | { ok: false; error: AppError; codeId: number | null };

/**
 * Checks a code against the newest one sent for this purpose, subject, user and phone, and uses it up when right.
 * A failure is returned, not thrown, so that the caller's transaction still commits the try it used up; the caller
 * throws it after the commit. A code is good once: a second use finds it consumed.
 */
export async function checkCode(trx: Knex.Transaction, deps: CodeDeps, s: CodeSubject, code: string, now = new Date()): Promise<CodeCheck> {
  const v = await trx('one_time_codes')
    .where({ user_id: s.userId, purpose: s.purpose, subject_id: s.subjectId, phone: s.phone })
    .orderBy('id', 'desc')
    .first();
  if (!v) return { ok: false, codeId: null, error: new Invalid('code.not_sent', 'Ask for a code first') };
  const id = Number(v.id);
  if (v.consumed_at) return { ok: false, codeId: id, error: new Invalid('code.used', 'This code was already used, ask for a new one') };
  if (v.expires_at <= toDbTime(now)) return { ok: false, codeId: id, error: new Invalid('code.expired', 'The code has expired, ask for a new one') };
  // One guarded increment per try, so that concurrent guesses cannot exceed the limit.
  const counted = await trx('one_time_codes').where('id', id).where('attempts', '<', ONE_TIME_CODE.maxTries).increment('attempts', 1);
  if (!counted) {
    return {
      ok: false,
      codeId: id,
      error: new TooManyRequests('code.too_many_attempts', 'Too many wrong codes, ask for a new one', Math.max(1, await waitForNextCode(trx, s, now))),
    };
  }
  const expected = Buffer.from(v.code_hash, 'hex');
  const given = Buffer.from(codeHash(deps.secret, s, code), 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, codeId: id, error: new Invalid('code.invalid', 'The code is wrong', { triesLeft: ONE_TIME_CODE.maxTries - (Number(v.attempts) + 1) }) };
  }
  const consumed = await trx('one_time_codes').where('id', id).whereNull('consumed_at').update({ consumed_at: toDbTime(now) });
  if (!consumed) return { ok: false, codeId: id, error: new Invalid('code.used', 'This code was already used, ask for a new one') };
  return { ok: true, codeId: id };
}

export function maskPhone(phone: string): string {
  return phone.length > 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}
