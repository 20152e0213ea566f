// The app as a whole: every route declares an access rule, errors have one shape, health and readiness answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../test/helpers.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test('every registered route declares an access rule (deny by default)', () => {
  assert.ok(t.app.routeTable.length > 10);
  const undeclared = t.app.routeTable.filter((r) => !r.config.access).map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(undeclared, []);
});

test('every public route says why it is public, and only sign-in, probes, docs, the HMAC-signed ERP batch endpoint, contract verification, the CA root, certificate copy verification and share links, the token-guarded metrics, and the web bundle are public', () => {
  const publicRoutes = t.app.routeTable.filter((r) => r.config.access && 'public' in (r.config.access as object));
  for (const r of publicRoutes) {
    assert.ok((r.config.access as { reason: string }).reason, `${r.method} ${r.url} gives no reason`);
    assert.match(r.url, /^\/api\/(auth\/(login|refresh|logout)|health|ready|docs|erp\/batches\/:interface$|verify$|verify\/contract$|seals\/root\.pem$|shared-certificates\/:token(\/prints)?$|certificate-verify\/:code$|metrics$)|^\/(?!api)/, `${r.method} ${r.url} is public`);
  }
});

test('a route registered without an access rule is refused with 403', async () => {
  const { buildApp } = await import('./app.js');
  const { testConfig } = await import('../test/helpers.js');
  const app = await buildApp({ config: testConfig(), db: t.stores.db, staging: t.stores.staging });
  app.get('/api/forgotten', async () => ({ secret: true }));
  const res = await app.inject({ method: 'GET', url: '/api/forgotten' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().error.code, 'access.undeclared');
  await app.close();
});

test('health answers and readiness checks both stores and their migrations', async () => {
  const h = await t.app.inject({ method: 'GET', url: '/api/health' });
  assert.equal(h.statusCode, 200);
  assert.equal(h.json().status, 'ok');
  const r = await t.app.inject({ method: 'GET', url: '/api/ready' });
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(r.json().checks.portalDb, { ok: true, pendingMigrations: 0 });
  assert.equal(r.json().checks.stagingDb.ok, true);
});

test('an unknown API path is a JSON 404 in the error shape', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/api/no-such-thing' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().error.code, 'not_found');
});

test('malformed JSON is a 400 in the error shape without a stack trace', async () => {
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":' });
  assert.equal(res.statusCode, 400);
  const body = res.json();
  assert.equal(typeof body.error.code, 'string');
  assert.doesNotMatch(res.body, /at .*\.(ts|js):\d+/);
});

test('a wrong parameter type is a 400 naming the parameter, after authentication', async () => {
  const anonymous = await t.app.inject({ method: 'GET', url: '/api/organisations/abc' });
  assert.equal(anonymous.statusCode, 401, 'authentication comes first');
  const { makeOrganisation, makeUser } = await import('../test/helpers.js');
  const org = await makeOrganisation(t.db);
  const u = await makeUser(t.db, { organisationId: org, role: 'customer_user' });
  const s = await t.signIn(u.username);
  const res = await t.as(s.token, { method: 'GET', url: '/api/organisations/abc' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'request.invalid');
  assert.equal(res.json().error.details[0].in, 'params');
  assert.equal(res.json().error.details[0].path, '/id');
});

test('the OpenAPI description lists the routes with their schemas', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/api/docs/json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.ok(doc.openapi.startsWith('3.'));
  assert.ok(doc.paths['/api/auth/login'].post.requestBody);
  assert.ok(doc.paths['/api/users/{id}'].patch);
});

test('a database outage answers 503 service.unavailable, not 500', async () => {
  const { buildApp } = await import('./app.js');
  const { testConfig } = await import('../test/helpers.js');
  const { createKnex } = await import('./db/knex.js');
  const dead = createKnex({ url: 'mysql://root@127.0.0.1:1/nothing', sqliteFile: '' });
  const app = await buildApp({ config: testConfig(), db: dead, staging: dead });
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'a', password: 'b' } });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'service.unavailable');
  const ready = await app.inject({ method: 'GET', url: '/api/ready' });
  assert.equal(ready.statusCode, 503);
  assert.equal(ready.json().status, 'not_ready');
  await app.close();
  await dead.destroy();
});

test('every answer carries the security headers, an error and the API docs included, and the docs UI keeps its own policy', async () => {
  for (const url of ['/api/health', '/api/no-such-route', '/']) {
    const res = await t.app.inject({ method: 'GET', url });
    assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
    assert.equal(res.headers['x-frame-options'], 'DENY', url);
    assert.equal(res.headers['referrer-policy'], 'same-origin', url);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/, url);
    assert.match(csp, /frame-ancestors 'none'/, url);
    assert.equal(res.headers['strict-transport-security'], undefined, 'no HSTS on plain http');
  }
  const docs = await t.app.inject({ method: 'GET', url: '/api/docs/' });
  assert.equal(docs.statusCode, 200);
  assert.doesNotMatch(String(docs.headers['content-security-policy']), /frame-ancestors 'none'/);
});

test('/api/metrics answers 404 until a token is configured, then only to that bearer token, in the Prometheus text format', async () => {
  assert.equal((await t.app.inject({ method: 'GET', url: '/api/metrics' })).statusCode, 404);
  const m = await createTestApp({ metricsToken: 'scrape-token-0123456789' });
  try {
    await m.app.inject({ method: 'GET', url: '/api/health' });
    await m.app.inject({ method: 'GET', url: '/api/no-such-route' });
    assert.equal((await m.app.inject({ method: 'GET', url: '/api/metrics' })).statusCode, 401);
    assert.equal((await m.app.inject({ method: 'GET', url: '/api/metrics', headers: { authorization: 'Bearer scrape-token-012345678X' } })).statusCode, 401);
    const res = await m.app.inject({ method: 'GET', url: '/api/metrics', headers: { authorization: 'Bearer scrape-token-0123456789' } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const body = res.body;
    assert.match(body, /^ssp_http_requests_total\{method="GET",route="\/api\/health",status="200"\} 1$/m);
    assert.match(body, /^ssp_http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    assert.match(body, /^ssp_http_request_duration_seconds_bucket\{method="GET",route="\/api\/health",le="\+Inf"\} 1$/m);
    assert.match(body, /^ssp_sync_lag_seconds\{interface="delivery_note"\} -1$/m, 'never synced');
    assert.match(body, /^ssp_sync_backlog_rows\{interface="customer"\} 0$/m);
    for (const g of ['ssp_erp_outbox_pending', 'ssp_erp_quarantine_open', 'ssp_sms_pending', 'ssp_event_loop_delay_p99_seconds']) assert.match(body, new RegExp(`^${g} [0-9.e-]+$`, 'm'), g);
    // Every sample line is name{labels} value: nothing a Prometheus parser would choke on.
    for (const line of body.trim().split('\n')) if (!line.startsWith('#')) assert.match(line, /^[a-z_][a-z0-9_]*(\{[^}]*\})? -?[0-9.e+-]+$/, line);
  } finally {
    await m.close();
  }
});

test('every answer names its request id, the X-Request-Id of a proxy is kept, and a 500 gives the id without the error', async () => {
  const own = await t.app.inject({ method: 'GET', url: '/api/health' });
  assert.match(String(own.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const relayed = await t.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'lb-4f2a9c1e77' } });
  assert.equal(relayed.headers['x-request-id'], 'lb-4f2a9c1e77');
  const odd = await t.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': '<script>' } });
  assert.match(String(odd.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'a value that is not an id is replaced');
  const { buildApp } = await import('./app.js');
  const { testConfig } = await import('../test/helpers.js');
  const app = await buildApp({ config: testConfig(), db: t.stores.db, staging: t.stores.staging });
  app.get('/api/broken', { config: { access: { public: true, reason: 'test' } } }, async () => {
    throw new Error('secret detail of the failure');
  });
  try {
    const res = await app.inject({ method: 'GET', url: '/api/broken', headers: { 'x-request-id': 'lb-0000000042' } });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error: { code: 'internal', message: 'Internal server error', details: { requestId: 'lb-0000000042' } } });
    assert.doesNotMatch(res.body, /secret detail/);
  } finally {
    await app.close();
  }
});
