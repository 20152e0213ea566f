// The HTTP SMS provider against a small local gateway: success, a 500 then a retry, a timeout, and its configuration.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from '../../config.js';
import { deliverSms } from '../../plugins/notifications.js';
import { httpProvider } from '../../plugins/sms-provider.js';
import { createTestApp, makeWorld, type TestApp } from '../../../test/helpers.js';
import { notify } from './service.js';

type Behaviour = 'ok' | 'fail' | 'hang';
/** A gateway that answers per call from a script, remembers every request and dedupes by idempotency key. */
function gateway() {
  const requests: Array<{ auth: string | undefined; idem: string | undefined; body: { idempotencyKey: string; phone: string; template: string; text: string } }> = [];
  const script: Behaviour[] = [];
  const accepted = new Map<string, string>();
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const body = JSON.parse(raw);
      requests.push({ auth: req.headers.authorization, idem: req.headers['idempotency-key'] as string | undefined, body });
      const what = script.shift() ?? 'ok';
      if (what === 'hang') return void hanging.push(res);
      if (what === 'fail') return void res.writeHead(500).end('busy');
      const id = accepted.get(body.idempotencyKey) ?? `gw-${accepted.size + 1}`;
      accepted.set(body.idempotencyKey, id);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messageId: id, status: 'accepted' }));
    });
  });
  return {
    requests,
    script,
    accepted,
    listen: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`))),
    close: () => {
      for (const h of hanging) h.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
const gw = gateway();
let url = '';
const settings = { maxAttempts: 3, claimSeconds: 60, batchSize: 100 };

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
  url = await gw.listen();
});
after(async () => {
  await gw.close();
  await t.close();
});

async function queue(name: string) {
  const key = `test:${process.pid}:${name}`;
  await t.app.sms.deliverNow(); // nothing earlier left pending
  await t.db.transaction((trx) =>
    notify(trx, { kind: 'demand.answered', template: 'demand_answered', params: { demandNo: 'D-1' }, userIds: [w.userA.id], sms: true, idempotencyKey: key }),
  );
  return `${key}:u${w.userA.id}`;
}

test('a message is posted as JSON with the token and recorded with the gateway id and status', async () => {
  const key = await queue('ok');
  const provider = httpProvider({ url, token: 'tok-1', timeoutMs: 2000, retries: 2, backoffMs: 10 });
  assert.deepEqual(await deliverSms(t.db, provider, settings), { sent: 1, retrying: 0, failed: 0 });
  const req = gw.requests.at(-1)!;
  assert.equal(req.auth, 'Bearer tok-1');
  assert.equal(req.idem, key);
  assert.deepEqual(req.body, { idempotencyKey: key, phone: '13800138000', template: 'demand_answered', text: '钢厂已答复贵司需求 D-1，请查看。' });
  const row = await t.db('sms_messages').where('idempotency_key', key).first();
  assert.equal(row.state, 'sent');
  assert.equal(row.provider_id, gw.accepted.get(key));
  assert.equal(row.provider_status, 'accepted');
});

test('a 500 is retried with backoff and the message goes out once', async () => {
  const key = await queue('retry');
  const before = gw.requests.length;
  gw.script.push('fail', 'fail');
  const provider = httpProvider({ url, token: '', timeoutMs: 2000, retries: 2, backoffMs: 10 });
  assert.deepEqual(await deliverSms(t.db, provider, settings), { sent: 1, retrying: 0, failed: 0 });
  assert.equal(gw.requests.length - before, 3, 'two failures, then success');
  assert.ok(gw.requests.slice(before).every((r) => r.body.idempotencyKey === key), 'each try carries the same key');
  const row = await t.db('sms_messages').where('idempotency_key', key).first();
  assert.equal(row.state, 'sent');
  assert.equal(Number(row.attempts), 1);
});

test('a gateway that does not answer times out, and the deliverer tries again later', async () => {
  const key = await queue('timeout');
  gw.script.push('hang');
  const provider = httpProvider({ url, token: '', timeoutMs: 200, retries: 0, backoffMs: 0 });
  const started = Date.now();
  assert.deepEqual(await deliverSms(t.db, provider, settings), { sent: 0, retrying: 1, failed: 0 });
  assert.ok(Date.now() - started < 2000, 'gave up after the timeout');
  const row = await t.db('sms_messages').where('idempotency_key', key).first();
  assert.equal(row.state, 'pending');
  assert.match(row.last_error, /timed out after 200 ms/);
});

test('SMS_PROVIDER=http is configured from the environment, validated once', () => {
  const c = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/x', JWT_SECRET: 'x'.repeat(32), SMS_PROVIDER: 'http', SMS_HTTP_URL: 'https://sms.example.com/send', SMS_HTTP_TOKEN: 'abc', SMS_HTTP_TIMEOUT_MS: '3000' });
  assert.deepEqual(c.sms.http, { url: 'https://sms.example.com/send', token: 'abc', timeoutMs: 3000, retries: 2, backoffMs: 1000 });
  assert.equal(loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/x', JWT_SECRET: 'x'.repeat(32) }).sms.provider, 'log', 'log stays the default');
  assert.throws(() => loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/x', JWT_SECRET: 'x'.repeat(32), SMS_PROVIDER: 'http' }), ConfigError);
  assert.throws(() => loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/x', JWT_SECRET: 'x'.repeat(32), SMS_PROVIDER: 'http', SMS_HTTP_URL: 'ftp://x' }), ConfigError);
});
