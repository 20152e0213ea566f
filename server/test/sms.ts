// Test-only helpers for the SMS outbox: what a phone would have received, read from sms_messages (no API gives codes).
import type { Knex } from 'knex';

/** The newest verification code queued for a phone; undefined when none is (still) readable. */
export async function lastPhoneCode(db: Knex, phone: string, template = 'phone_verify'): Promise<string | undefined> {
  const row = await db('sms_messages').where({ phone, template }).orderBy('id', 'desc').first('params');
  const code = row ? (JSON.parse(row.params) as { code?: string }).code : undefined;
  return code && /^[0-9]{6}$/.test(code) ? code : undefined;
}
