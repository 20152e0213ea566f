// Issue 10, hostile input: every registered route is called with values derived from its own JSON schema and with
// hostile variants of each field (wrong types, huge strings and numbers, negative quantities, unicode, SQL and HTML
// fragments, path traversal, duplicate keys), signed in as staff and as a customer, and without or with a bad token.
// Whatever the input: never a 5xx, never a stack trace, always the error shape, never our markup echoed as HTML.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, makeWorld, type TestApp } from '../test/helpers.js';
import type { RouteEntry } from './app.js';
import { validValue, type Schema } from '../test/schema-values.js';

let t: TestApp;
let world: Awaited<ReturnType<typeof makeWorld>>;
before(async () => {
  const base = (await import('../test/helpers.js')).testConfig();
  // Hundreds of requests per user: the sign-in limits are not what this test is about.
  t = await createTestApp({ login: { ...base.login, perAccountPerWindow: 1_000_000, perAddressPerWindow: 1_000_000, maxFailures: 1_000_000 } });
  world = await makeWorld(t.db);
});
after(() => t.close());

const HOSTILE: unknown[] = [
  null,
  true,
  12345,
  -1,
  -99999999,
  1e308,
  2 ** 63,
  0.1,
  'x'.repeat(70_000),
  '',
  ' ',
  '\u0000',
  '𠀀😀\u202e\u200b測試',
  "' OR 1=1 --",
  '1; DROP TABLE users; --',
  '<script>alert("x")</script><img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%00',
  '${7*7}{{7*7}}',
  [],
  [1, 'a', null],
  {},
  { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } },
];
const PARAM_HOSTILE = ['0', '-1', '99999999999999999999999', '1e3', 'abc', '%00', '..%2f..%2fetc%2fpasswd', "1' OR '1'='1", '<b>x</b>', '😀'];

interface Call {
  method: string;
  url: string;
  query?: Record<string, unknown>;
  payload?: unknown;
  headers?: Record<string, string>;
  label: string;
}

function fillUrl(url: string, params: Record<string, unknown>): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, (_, k: string) => encodeURIComponent(String(params[k] ?? '1')));
}

/** The valid request of a route and a hostile variant per field of its params, query and body. */
function callsFor(r: RouteEntry): Call[] {
  const s = (r.schema ?? {}) as Schema;
  const params = (validValue(s.params) ?? {}) as Record<string, unknown>;
  const query = (s.querystring ? validValue(s.querystring) : undefined) as Record<string, unknown> | undefined;
  const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(r.method);
  const body = hasBody ? (s.body ? validValue(s.body) : {}) : undefined;
  const base: Call = { method: r.method, url: fillUrl(r.url, params), query, payload: body, label: 'valid' };
  const calls: Call[] = [base];
  for (const k of Object.keys((s.params?.properties ?? {}) as object)) {
    for (const v of PARAM_HOSTILE) calls.push({ ...base, url: fillUrl(r.url, { ...params, [k]: v }), label: `param ${k}=${v}` });
  }
  for (const k of Object.keys((s.querystring?.properties ?? {}) as object)) {
    for (const v of HOSTILE) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) continue; // a query string has no objects
      calls.push({ ...base, query: { ...query, [k]: Array.isArray(v) ? v.map(String) : String(v) }, label: `query ${k}` });
    }
  }
  if (hasBody && body && typeof body === 'object' && !Array.isArray(body)) {
    for (const k of Object.keys(body)) for (const v of HOSTILE) calls.push({ ...base, payload: { ...body, [k]: v }, label: `body ${k}` });
    calls.push({ ...base, payload: { ...body, extra_field: '<script>1</script>' }, label: 'body extra field' });
  }
  if (hasBody) {
    const text = JSON.stringify(body ?? {});
    // Duplicate keys: JSON.parse keeps the last; the server must still answer in its normal way.
    calls.push({ ...base, payload: text.replace(/^\{/, '{"a":1,"a":"<b>2</b>",').replace(',}', '}'), headers: { 'content-type': 'application/json' }, label: 'duplicate keys' });
    calls.push({ ...base, payload: '{"unterminated": ', headers: { 'content-type': 'application/json' }, label: 'broken JSON' });
    calls.push({ ...base, payload: '<xml/>', headers: { 'content-type': 'application/xml' }, label: 'wrong content type' });
  }
  return calls;
}

/** The first broken rule of an answer, or null. */
function problemOf(c: Call, res: LightMyRequestResponse, who: string): string | null {
  try {
    check(c, res, who);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  }
}

function check(c: Call, res: LightMyRequestResponse, who: string) {
  const value = c.label.startsWith('body ') ? JSON.stringify((c.payload as Record<string, unknown>)[c.label.slice(5)])?.slice(0, 40) : c.label.startsWith('query ') ? JSON.stringify(c.query?.[c.label.slice(6)])?.slice(0, 40) : '';
  const where = `${who} ${c.method} ${c.url} (${c.label}${value ? ` = ${value}` : ''})`;
  assert.ok(res.statusCode < 500 || res.statusCode === 503, `${where}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  assert.notEqual(res.statusCode, 503, `${where}: 503 without an outage: ${res.body.slice(0, 300)}`);
  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode >= 400 && type.includes('json')) {
    const body = res.json() as { error?: { code?: unknown; message?: unknown } };
    assert.equal(typeof body.error?.code, 'string', `${where}: error without a code: ${res.body.slice(0, 200)}`);
    assert.equal(typeof body.error?.message, 'string', `${where}: error without a message`);
  }
  assert.doesNotMatch(res.body.slice(0, 20_000), /\n\s+at .+\(.+:\d+:\d+\)|node_modules\//, `${where}: a stack trace leaked`);
  if (type.includes('html')) assert.doesNotMatch(res.body, /<script>alert\("x"\)|onerror=alert|<b>x<\/b>|<b>2<\/b>/, `${where}: our markup came back as HTML`);
}

/** Routes this test leaves alone, each for a reason. */
const SKIP = new Set<string>([
  // Signing out or changing one's password would end the session the following calls run under; both are
  // covered by the auth tests with bad input.
  'POST /api/auth/logout',
  'POST /api/me/password',
]);

const apiRoutes = () =>
  t.app.routeTable.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD' && !SKIP.has(`${r.method} ${r.url}`) && !r.url.startsWith('/api/docs'));

async function tokenOf(username: string): Promise<string> {
  return (await t.signIn(username)).token;
}

for (const who of ['admin', 'customer'] as const) {
  test(`every route, called by ${who === 'admin' ? 'an administrator' : 'a customer user'} with hostile variants of each field, answers without a 5xx or a stack trace`, async () => {
    const user = who === 'admin' ? world.admin : world.adminA;
    let token = await tokenOf(user.username);
    let calls = 0;
    const problems = new Map<string, string>();
    for (const r of apiRoutes()) {
      for (const c of callsFor(r)) {
        let res = await t.as(token, { method: c.method as never, url: c.url, query: c.query as never, payload: c.payload as never, headers: c.headers });
        if (res.statusCode === 401) {
          // A route under test may have ended the session (e.g. revoking sessions): sign in again and repeat.
          token = await tokenOf(user.username);
          res = await t.as(token, { method: c.method as never, url: c.url, query: c.query as never, payload: c.payload as never, headers: c.headers });
        }
        const p = problemOf(c, res, who);
        // One line per route and field is enough to find the fault.
        if (p && !problems.has(`${r.method} ${r.url} ${c.label}`)) problems.set(`${r.method} ${r.url} ${c.label}`, p);
        calls++;
      }
    }
    assert.deepEqual([...problems.values()], []);
    assert.ok(calls > 1000, `only ${calls} calls made`);
  });
}

test('every route that needs a sign-in refuses a missing, expired, forged or malformed token with 401 in the error shape', async () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: String(world.admin.id), sid: 1, tv: 0, role: 'admin' };
  const expired = t.app.jwt.sign({ ...claims, iat: now - 7200, exp: now - 3600 } as never);
  // Well-formed and otherwise valid, but signed with a key that is not the portal's.
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ ...claims, iat: now, exp: now + 600, iss: t.config.jwt.issuer, aud: t.config.jwt.audience })}`;
  const forged = `${unsigned}.${createHmac('sha256', 'another-secret-of-at-least-32-characters!').update(unsigned).digest('base64url')}`;
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  const bad = [undefined, `Bearer ${expired}`, `Bearer ${forged}`, `Bearer ${none}`, 'Bearer not.a.token', 'Basic YWRtaW46YWRtaW4=', 'Bearer ' + 'A'.repeat(10_000)];
  let checked = 0;
  for (const r of t.app.routeTable) {
    const access = r.config.access as { public?: true } | undefined;
    if (!r.url.startsWith('/api/') || !access || access.public || r.method === 'HEAD') continue;
    for (const authorization of bad) {
      const res = await t.app.inject({ method: r.method as never, url: fillUrl(r.url, {}), headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, 401, `${r.method} ${r.url} with ${authorization?.slice(0, 20) ?? 'no token'}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.equal(typeof res.json().error.code, 'string');
      checked++;
    }
  }
  assert.ok(checked > 500, `only ${checked} checks`);
});
