// Notifications: the SMS outbox. Modules queue messages in their own transaction (app.sms.send); a deliverer,
// scheduled and callable on demand, hands pending messages to the configured SmsProvider, each exactly once.
import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import type { Knex } from 'knex';
import { dialectOf, isDuplicateKey, toDbTime } from '../db/knex.js';
import { createSmsProvider, type SmsProvider } from './sms-provider.js';
import { checkParams, redactParams, render, type TemplateKey } from '../modules/notifications/templates.js';

/** SMS templates are the notification templates (zh-CN and en texts, parameters, secrets) in one file. */
export type SmsTemplate = TemplateKey;

export interface SmsInput {
  /** the caller's name for this message, e.g. `phone_verify:42`: sending again with it adds nothing */
  idempotencyKey: string;
  phone: string;
  template: SmsTemplate;
  params: Record<string, string>;
}

export interface SmsDeliverySettings {
  maxAttempts: number;
  /** how long a claimed message is reserved for the deliverer that claimed it */
  claimSeconds: number;
  batchSize: number;
}

export interface DeliveryResult {
  sent: number;
  retrying: number;
  failed: number;
}

export interface SmsOutbox {
  send(trx: Knex.Transaction, input: SmsInput): Promise<{ id: number; created: boolean }>;
  deliverNow(): Promise<DeliveryResult>;
}

declare module 'fastify' {
  interface FastifyInstance {
    sms: SmsOutbox;
  }
}

/** Queues one message in the caller's transaction; a message with the same idempotency key is kept, not doubled. */
export async function enqueueSms(trx: Knex.Transaction, input: SmsInput): Promise<{ id: number; created: boolean }> {
  checkParams(input.template, input.params);
  if (!/^1[3-9][0-9]{9}$/.test(input.phone)) throw new Error('SMS phone must be a mainland China mobile number');
  if (!input.idempotencyKey || input.idempotencyKey.length > 128) throw new Error('SMS idempotency key must be 1-128 characters');
  const now = toDbTime(new Date());
  try {
    const [id] = await trx('sms_messages').insert({
      idempotency_key: input.idempotencyKey,
      phone: input.phone,
      template: input.template,
      params: JSON.stringify(input.params),
      state: 'pending',
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
    });
    return { id: Number(id), created: true };
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  // A locking read sees the row another transaction committed after this one's snapshot (MySQL repeatable read).
  const row = await trx('sms_messages')
    .where('idempotency_key', input.idempotencyKey)
    .modify((q) => {
      if (dialectOf(trx) === 'mysql') q.forShare();
    })
    .first('id');
  return { id: Number(row.id), created: false };
}

function redact(template: string, paramsJson: string): string {
  return JSON.stringify(redactParams(template, JSON.parse(paramsJson) as Record<string, string>));
}

// Retries come quickly: a verification code lives 5 minutes.
const backoffMs = (attempts: number) => Math.min(5 * 60_000, 5000 * 2 ** Math.max(0, attempts - 1));

/**
 * Sends what is due. Each message is first claimed with a conditional update (its attempt count acts as a
 * version), so two deliverers, in one process or several, never both send it. A deliverer that dies after its
 * claim leaves the message to be retried when the claim runs out; the retry carries the same idempotency key and
 * the attempt number, and every provider hands a key to the handset at most once, so a crash neither loses nor doubles it.
 */
export async function deliverSms(
  db: Knex,
  provider: SmsProvider,
  settings: SmsDeliverySettings,
  log?: FastifyBaseLogger,
): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, retrying: 0, failed: 0 };
  const now = new Date();
  const due = await db('sms_messages')
    .where('state', 'pending')
    .where('next_attempt_at', '<=', toDbTime(now))
    .orderBy('id')
    .limit(settings.batchSize)
    .select('id', 'idempotency_key', 'phone', 'template', 'params', 'attempts');
  for (const m of due) {
    const attempts = Number(m.attempts) + 1;
    const claimed = await db('sms_messages')
      .where({ id: m.id, state: 'pending', attempts: m.attempts })
      .where('next_attempt_at', '<=', toDbTime(new Date()))
      .update({ attempts, next_attempt_at: toDbTime(new Date(Date.now() + settings.claimSeconds * 1000)) });
    if (claimed !== 1) continue;
    try {
      const params = JSON.parse(m.params) as Record<string, string>;
      // SMS go out in Chinese: the mill's gateway templates are registered in Chinese under its sign name.
      const text = render(m.template, params, 'zh-CN').body;
      const { providerId, status } = await provider.send({ idempotencyKey: m.idempotency_key, phone: m.phone, template: m.template, text, params, attempt: attempts });
      await db('sms_messages')
        .where({ id: m.id, attempts })
        .update({ state: 'sent', provider_id: providerId, provider_status: status ?? null, sent_at: toDbTime(new Date()), last_error: null, params: redact(m.template, m.params) });
      result.sent++;
    } catch (err) {
      const final = attempts >= settings.maxAttempts;
      const message = String((err as Error)?.message ?? err).slice(0, 1000);
      await db('sms_messages')
        .where({ id: m.id, attempts })
        .update({
          state: final ? 'failed' : 'pending',
          last_error: message,
          next_attempt_at: toDbTime(new Date(Date.now() + backoffMs(attempts))),
          ...(final ? { params: redact(m.template, m.params) } : {}),
        });
      if (final) result.failed++;
      else result.retrying++;
      // Never the parameters: they may hold a code.
      log?.warn({ smsId: m.id, template: m.template, attempts, provider: provider.name, error: message }, final ? 'SMS failed for good' : 'SMS delivery failed, will retry');
    }
  }
  return result;
}

export default fp<{ provider?: SmsProvider }>(
  async (app, opts) => {
    const provider = opts.provider ?? createSmsProvider(app.config.sms);
    const settings: SmsDeliverySettings = { maxAttempts: app.config.sms.maxAttempts, claimSeconds: 60, batchSize: 100 };
    if (app.config.env === 'production' && provider.name === 'log') {
      app.log.warn({ file: app.config.sms.logFile }, 'SMS_PROVIDER=log: text messages are written to a file, not sent');
    }
    app.decorate('sms', {
      send: enqueueSms,
      deliverNow: () => deliverSms(app.db, provider, settings, app.log),
    } satisfies SmsOutbox);
    if (app.config.sms.deliver) {
      app.scheduler.add({ name: 'sms.deliver', schedule: app.config.sms.schedule, run: () => app.sms.deliverNow() });
    }
  },
  { name: 'notifications', dependencies: ['config', 'db', 'scheduler'] },
);
