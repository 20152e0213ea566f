// SMS gateways behind one small interface: 'log' writes messages to a file, 'http' posts them to a gateway.
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';

export interface OutgoingSms {
  /** the outbox row's key: the same message handed over again carries the same key */
  idempotencyKey: string;
  phone: string;
  template: string;
  /** the rendered text the handset shows */
  text: string;
  params: Record<string, string>;
  /** 1 on the first try; higher means an earlier try may have reached the gateway before a crash or timeout */
  attempt: number;
}

export interface SmsProvider {
  readonly name: string;
  /**
   * Hands one message to the gateway and resolves with the gateway's id for it and its delivery status. It must
   * settle well within the deliverer's claim (60 s): a call still running after that may be retried by another
   * deliverer. A provider must not deliver a key twice: the log provider looks for it in its file, the HTTP
   * provider sends it to the gateway, which answers a repeat with the first message's id.
   */
  send(message: OutgoingSms): Promise<{ providerId: string; status?: string }>;
}

/**
 * Stands in for a real gateway (development, tests, trials): one JSON line per message in a file under DATA_DIR.
 * The file holds what a handset would receive, verification codes included, so it is as sensitive as the phones.
 */
export function logProvider(file: string): SmsProvider {
  let ready: Promise<unknown> | null = null;
  return {
    name: 'log',
    async send(m) {
      ready ??= mkdir(path.dirname(file), { recursive: true });
      await ready;
      if (m.attempt > 1) {
        // A deliverer may have died after writing the line and before marking the row sent: find that line.
        const earlier = await findLogged(file, m.idempotencyKey);
        if (earlier) return { providerId: earlier, status: 'logged' };
      }
      const providerId = `log-${randomUUID()}`;
      // One short line in one append: a crash leaves it whole or absent.
      const line = JSON.stringify({ at: new Date().toISOString(), providerId, key: m.idempotencyKey, phone: m.phone, template: m.template, text: m.text, params: m.params });
      await appendFile(file, line + '\n', { mode: 0o600 });
      return { providerId, status: 'logged' };
    },
  };
}

async function findLogged(file: string, key: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of content.split('\n')) {
    if (!line.includes(key)) continue;
    try {
      const entry = JSON.parse(line) as { key?: string; providerId?: string };
      if (entry.key === key) return entry.providerId;
    } catch {
      // a torn last line is not a delivery
    }
  }
  return undefined;
}

export class SmsGatewayError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'SmsGatewayError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Posts `{ idempotencyKey, phone, template, text }` as JSON with a bearer token and an Idempotency-Key header;
 * expects 2xx with `{ messageId, status }`. Timeouts, network errors, 429 and 5xx are retried here with doubling
 * waits (then again later by the deliverer's backoff); other 4xx fail the attempt at once.
 */
export function httpProvider(settings: NonNullable<Config['sms']['http']>): SmsProvider {
  async function once(m: OutgoingSms) {
    let res: Response;
    try {
      res = await fetch(settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}),
          'idempotency-key': m.idempotencyKey,
        },
        body: JSON.stringify({ idempotencyKey: m.idempotencyKey, phone: m.phone, template: m.template, text: m.text }),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      throw new SmsGatewayError(e.name === 'TimeoutError' ? `SMS gateway timed out after ${settings.timeoutMs} ms` : `SMS gateway unreachable: ${e.message}`, true);
    }
    const body = await res.text();
    if (!res.ok) throw new SmsGatewayError(`SMS gateway answered ${res.status}: ${body.slice(0, 200)}`, res.status === 429 || res.status >= 500);
    let reply: { messageId?: unknown; status?: unknown };
    try {
      reply = JSON.parse(body);
    } catch {
      throw new SmsGatewayError('SMS gateway answered without JSON', false);
    }
    if (typeof reply.messageId !== 'string' || !reply.messageId) throw new SmsGatewayError('SMS gateway answered without a messageId', false);
    return { providerId: reply.messageId, status: typeof reply.status === 'string' ? reply.status.slice(0, 32) : 'accepted' };
  }
  return {
    name: 'http',
    async send(m) {
      for (let i = 0; ; i++) {
        try {
          return await once(m);
        } catch (err) {
          if (!(err instanceof SmsGatewayError) || !err.retryable || i >= settings.retries) throw err;
          await sleep(settings.backoffMs * 2 ** i);
        }
      }
    },
  };
}

export function createSmsProvider(config: Config['sms']): SmsProvider {
  switch (config.provider) {
    case 'log':
      return logProvider(config.logFile);
    case 'http':
      if (!config.http) throw new Error('SMS_PROVIDER=http needs SMS_HTTP_URL');
      return httpProvider(config.http);
  }
}
