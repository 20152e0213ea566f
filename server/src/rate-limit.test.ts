// Rate limits that hold across instances (issue "Hardening"): counted in the portal DB, two apps on one database
// share the allowance; verification by code, CSV exports per user, windows that end; uploads typed by content.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Knex } from 'knex';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createKnex } from './db/knex.js';
import { migrateLatest } from './db/migrate.js';
import { createLimiter, databaseStore, memoryStore, type RateLimitStore } from './rate-limit.js';
import { createStores, makeWorld, testConfig, TEST_PASSWORD, type Stores } from '../test/helpers.js';

const VERIFY_LIMIT = 5;
const EXPORT_LIMIT = 3;

let stores: Stores;
/** A second connection pool to the same portal database, as a second instance has. */
let secondDb: Knex;
let config: Config;
let one: FastifyInstance;
let two: FastifyInstance;
let w: Awaited<ReturnType<typeof makeWorld>>;

function limitsConfig(store: 'database' | 'memory'): Config {
  const base = testConfig();
  return { ...base, rateLimit: { store, verifyPerMinute: VERIFY_LIMIT, exportsPerMinute: EXPORT_LIMIT } };
}

async function signIn(app: FastifyInstance, username: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: TEST_PASSWORD }, remoteAddress: '10.0.0.1' });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().accessToken as string;
}

const as = (app: FastifyInstance, token: string, opts: InjectOptions): Promise<LightMyRequestResponse> =>
  app.inject({ ...opts, headers: { ...(opts.headers ?? {}), authorization: `Bearer ${token}` } });

const verifyByCode = (app: FastifyInstance, ip: string) =>
  app.inject({ method: 'GET', url: '/api/verify/contract?contractNo=HT-NONE&code=ABCD-EFGH', remoteAddress: ip });

function assertLimited(res: LightMyRequestResponse) {
  assert.equal(res.statusCode, 429, res.body);
  const err = res.json().error;
  assert.equal(err.code, 'rate_limited');
  assert.equal(typeof err.message, 'string');
  const wait = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After ${res.headers['retry-after']}`);
  assert.equal(err.details.retryAfterSeconds, wait);
}

/** Ends every window now in progress, as a minute passing would. */
async function aMinutePasses(db: Knex) {
  await db('rate_limit_windows').update({ window_start: db.raw('window_start - 60000') });
}

before(async () => {
  stores = await createStores();
  await migrateLatest(stores.db, 'portal');
  await migrateLatest(stores.staging, 'staging');
  secondDb = createKnex(stores.portalTarget);
  config = limitsConfig('database');
  // One configuration (one JWT secret) for both, as instances behind one load balancer have.
  one = await buildApp({ config, db: stores.db, staging: stores.staging });
  two = await buildApp({ config, db: secondDb, staging: stores.staging });
  await one.ready();
  await two.ready();
  w = await makeWorld(stores.db);
});

after(async () => {
  await one?.close();
  await two?.close();
  await secondDb?.destroy();
  await stores?.cleanup();
});

test('verification by code is limited per address across two instances, then 429 with Retry-After', async () => {
  const ip = '198.51.100.20';
  for (let i = 0; i < VERIFY_LIMIT; i++) {
    const res = await verifyByCode(i % 2 ? two : one, ip);
    assert.equal(res.statusCode, 404, `request ${i + 1}: ${res.body}`);
  }
  assertLimited(await verifyByCode(one, ip));
  assertLimited(await verifyByCode(two, ip));
  assert.equal((await verifyByCode(two, '198.51.100.21')).statusCode, 404, 'another address keeps its own allowance');
});

test('the PDF upload shares the verification allowance, and is refused before its body is read', async () => {
  const ip = '198.51.100.30';
  for (let i = 0; i < VERIFY_LIMIT; i++) assert.equal((await verifyByCode(i % 2 ? one : two, ip)).statusCode, 404);
  const upload = await two.inject({ method: 'POST', url: '/api/verify', headers: { 'content-type': 'application/pdf' }, payload: Buffer.from('%PDF-1.7\n'), remoteAddress: ip });
  assertLimited(upload);
});

test('the window ends: after a minute the same address is answered again', async () => {
  const ip = '198.51.100.40';
  for (let i = 0; i < VERIFY_LIMIT; i++) await verifyByCode(one, ip);
  assertLimited(await verifyByCode(two, ip));
  await aMinutePasses(stores.db);
  assert.equal((await verifyByCode(two, ip)).statusCode, 404);
});

test('public certificate verification and share links count in the database too', async () => {
  const ip = '198.51.100.50';
  const ask = (app: FastifyInstance) => app.inject({ method: 'GET', url: '/api/certificate-verify/ABCD-EFGH-JKMN-PQRS', remoteAddress: ip });
  const per = config.certificates.publicPerMinute;
  for (let i = 0; i < per; i++) assert.equal((await ask(i % 2 ? one : two)).statusCode, 404);
  const share = await one.inject({ method: 'GET', url: '/api/shared-certificates/not-a-real-token-0000000000', remoteAddress: ip });
  assertLimited(share);
  assertLimited(await ask(two));
});

test('CSV exports are limited per user across instances; another user and the JSON report are not affected', async () => {
  const sm = await signIn(one, w.salesManager.username);
  const admin = await signIn(two, w.admin.username);
  const exportCsv = (app: FastifyInstance, token: string) => as(app, token, { method: 'GET', url: '/api/customers/export.csv' });
  for (let i = 0; i < EXPORT_LIMIT; i++) assert.equal((await exportCsv(i % 2 ? two : one, sm)).statusCode, 200);
  assertLimited(await exportCsv(one, sm));
  assertLimited(await as(two, sm, { method: 'GET', url: '/api/reports/overview?format=csv' }));
  assertLimited(await as(one, sm, { method: 'GET', url: '/api/customers/stats.csv?dimension=province' }));
  const json = await as(two, sm, { method: 'GET', url: '/api/reports/overview' });
  assert.equal(json.statusCode, 200, 'the report on screen is not an export');
  assert.equal((await exportCsv(two, admin)).statusCode, 200, 'another user keeps their own allowance');
  await aMinutePasses(stores.db);
  assert.equal((await exportCsv(one, sm)).statusCode, 200, 'the next minute allows exports again');
});

test('a caller refused access is not counted against anyone', async () => {
  const ip = '198.51.100.60';
  for (let i = 0; i < EXPORT_LIMIT + 2; i++) {
    assert.equal((await one.inject({ method: 'GET', url: '/api/customers/export.csv', remoteAddress: ip })).statusCode, 401);
  }
  const rows = await stores.db('rate_limit_windows').where('limit_key', 'like', 'exports:addr:%').count({ n: '*' });
  assert.equal(Number(rows[0].n), 0);
});

test('every public verification or share route and every export or document download declares its limit', () => {
  const routes = one.routeTable.filter((r) => r.url.startsWith('/api/'));
  const limitOf = (r: (typeof routes)[number]) => (r.config as { rateLimit?: { limit: string; per: string; query?: Record<string, string> } }).rateLimit;
  const publicByCode = routes.filter((r) => /^\/api\/(verify|certificate-verify|shared-certificates)/.test(r.url));
  assert.ok(publicByCode.length >= 5);
  for (const r of publicByCode) assert.equal(limitOf(r)?.per, 'address', `${r.method} ${r.url}`);
  const downloads = routes.filter((r) => r.method === 'GET' && /(\.csv|\/pdf|\.pdf|\/evidence|en10168\.json)$/.test(r.url));
  assert.ok(downloads.length >= 7, downloads.map((r) => r.url).join(' '));
  for (const r of downloads) assert.deepEqual([limitOf(r)?.limit, limitOf(r)?.per], ['exports', 'user'], `${r.method} ${r.url}`);
  const reports = routes.filter((r) => /^\/api\/(reports|queries)\//.test(r.url));
  assert.ok(reports.length >= 6);
  for (const r of reports) assert.deepEqual(limitOf(r)?.query, { format: 'csv' }, `${r.method} ${r.url}`);
});

test('the scheduled prune forgets windows over an hour old and keeps the current ones', async () => {
  const now = Date.now();
  await stores.db('rate_limit_windows').insert([
    { limit_key: 'prune:old', window_start: now - 2 * 3600_000, hits: 7 },
    { limit_key: 'prune:current', window_start: now - 30_000, hits: 2 },
  ]);
  await one.scheduler.runNow('rate-limit.prune');
  const left = await stores.db('rate_limit_windows').whereIn('limit_key', ['prune:old', 'prune:current']).pluck('limit_key');
  assert.deepEqual(left, ['prune:current']);
});

test('with the memory store each instance counts alone (one instance only)', async () => {
  const mem = limitsConfig('memory');
  const a = await buildApp({ config: mem, db: stores.db, staging: stores.staging });
  const b = await buildApp({ config: mem, db: secondDb, staging: stores.staging });
  try {
    const ip = '198.51.100.70';
    for (let i = 0; i < VERIFY_LIMIT; i++) assert.equal((await verifyByCode(a, ip)).statusCode, 404);
    assertLimited(await verifyByCode(a, ip));
    assert.equal((await verifyByCode(b, ip)).statusCode, 404, 'the other process has its own count');
  } finally {
    await a.close();
    await b.close();
  }
});

for (const kind of ['database', 'memory'] as const) {
  test(`the ${kind} store counts a key's window from its first request and forgets it once over`, async () => {
    const store: RateLimitStore = kind === 'database' ? databaseStore(stores.db) : memoryStore();
    const limit = createLimiter(store, { name: `unit-${kind}`, perWindow: 2, windowMs: 60_000, message: 'slow down' });
    const t0 = 1_000_000_000_000; // long before the other tests' windows, which prune leaves alone
    await limit('s', t0);
    await limit('s', t0 + 10_000);
    await assert.rejects(limit('s', t0 + 20_000), (err: { statusCode: number; details: { retryAfterSeconds: number } }) => {
      assert.equal(err.statusCode, 429);
      assert.equal(err.details.retryAfterSeconds, 40, 'until the window that began at the first request ends');
      return true;
    });
    await limit('other', t0 + 20_000);
    await limit('s', t0 + 60_000);
    await limit('s', t0 + 61_000);
    await assert.rejects(limit('s', t0 + 62_000));
    assert.equal(await store.hit(`unit-${kind}:s`, t0 + 62_500, 60_000), 4, 'refused requests count too');
    assert.ok((await store.prune(t0 + 30_000)) >= 1, 'the window of "other" began before the cut');
    assert.equal(await store.windowStart(`unit-${kind}:other`), null);
    assert.equal(await store.windowStart(`unit-${kind}:s`), t0 + 60_000);
  });
}

test('the database store counts every request of concurrent callers once', async () => {
  const store = databaseStore(stores.db);
  const other = databaseStore(secondDb);
  const now = Date.now();
  const counts = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? other : store).hit('concurrent:k', now, 60_000)));
  assert.deepEqual([...counts].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
  // Many new keys at once (clients arriving together): each key's requests are counted 1, 2, 3, none lost.
  const keys = Array.from({ length: 60 }, (_, i) => `concurrent:new${i % 20}`);
  const got = await Promise.all(keys.map((k, i) => (i % 2 ? other : store).hit(k, now, 60_000).then((n) => [k, n] as const)));
  const perKey = new Map<string, number[]>();
  for (const [k, n] of got) perKey.set(k, [...(perKey.get(k) ?? []), n].sort());
  for (const [k, ns] of perKey) assert.deepEqual(ns, [1, 2, 3], k);
});

test('uploads are typed by their content, not their name or declared type', async () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const contract = await two.inject({ method: 'POST', url: '/api/verify', headers: { 'content-type': 'application/pdf' }, payload: png, remoteAddress: '198.51.100.80' });
  assert.equal(contract.statusCode, 400);
  assert.equal(contract.json().error.code, 'verify.not_pdf');
  const copy = await one.inject({ method: 'POST', url: '/api/certificate-verify/ABCD-EFGH-JKMN-PQRS', headers: { 'content-type': 'application/pdf' }, payload: png, remoteAddress: '198.51.100.80' });
  assert.equal(copy.statusCode, 400);
  assert.equal(copy.json().error.code, 'verify.not_pdf');

  const user = await signIn(one, w.userA.username);
  const item = await as(one, user, { method: 'POST', url: '/api/feedback', payload: { category: 'documents', subject: '质保书', description: '质保书缺页' } });
  assert.equal(item.statusCode, 201, item.body);
  const html = Buffer.from('<html><script>alert(1)</script></html>');
  for (const [name, type] of [['report.pdf', 'application/pdf'], ['photo.png', 'image/png']]) {
    const res = await as(one, user, { method: 'POST', url: `/api/feedback/${item.json().id}/attachments?name=${name}`, headers: { 'content-type': type }, payload: html });
    assert.equal(res.statusCode, 415, res.body);
    assert.equal(res.json().error.code, 'feedback.attachment_type');
  }
});

test('RATE_LIMIT_STORE is database unless set to memory; anything else is refused at start', () => {
  const base = { NODE_ENV: 'test', DATA_DIR: testConfig().dataDir };
  assert.equal(loadConfig(base).rateLimit.store, 'database');
  assert.equal(loadConfig({ ...base, RATE_LIMIT_STORE: 'memory' }).rateLimit.store, 'memory');
  assert.throws(() => loadConfig({ ...base, RATE_LIMIT_STORE: 'redis' }), (err) => err instanceof ConfigError && /RATE_LIMIT_STORE must be one of database, memory/.test(err.message));
  const sized = loadConfig({ ...base, CONTRACT_VERIFY_PER_MINUTE: '12', EXPORTS_PER_MINUTE: '100' }).rateLimit;
  assert.deepEqual([sized.verifyPerMinute, sized.exportsPerMinute], [12, 100]);
});
