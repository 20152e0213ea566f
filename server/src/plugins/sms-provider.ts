// SMS gateways behind one small interface; the 'log' provider writes messages to a file instead of sending them.
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';

export interface SmsProvider {
  readonly name: string;
  /**
   * Hands one message to the gateway and resolves with the gateway's id for it. It must settle well within the
   * deliverer's claim (60 s): a call still running after that may be retried by another deliverer.
   */
  send(phone: string, template: string, params: Record<string, string>): Promise<{ providerId: string }>;
}

/**
 * Stands in for a real gateway such as Aliyun SMS (whose AccessKey, sign name and template codes the operator
 * configures once an adapter exists): one JSON line per message in a file under DATA_DIR. The file holds what
 * a handset would receive, verification codes included, so it is as sensitive as the phones themselves.
 */
export function logProvider(file: string): SmsProvider {
  let ready: Promise<unknown> | null = null;
  return {
    name: 'log',
    async send(phone, template, params) {
      ready ??= mkdir(path.dirname(file), { recursive: true });
      await ready;
      const providerId = `log-${randomUUID()}`;
      await appendFile(file, JSON.stringify({ at: new Date().toISOString(), providerId, phone, template, params }) + '\n', { mode: 0o600 });
      return { providerId };
    },
  };
}

export function createSmsProvider(config: Config['sms']): SmsProvider {
  switch (config.provider) {
    case 'log':
      return logProvider(config.logFile);
  }
}
