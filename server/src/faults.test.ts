// Faults under load (the Hardening issue): contract sealing killed with SIGKILL FAULT_SEAL_KILLS times (20 in CI) never
// leaves a half-signed contract; a MariaDB restart under load answers 503 service.unavailable meanwhile, recovers by
// itself and leaves no request half-applied; a burst of bad staging rows is quarantined while the good rows behind
// them are applied. The sync and SMS crash tests (erp-sync/crash.test.ts, notifications/crash.test.ts) and the
// SIGTERM drain under 200 requests/s (main.test.ts) cover the issue's other faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { buildApp } from './app.js';
import { repoRoot } from './config.js';
import { createKnex, nowDb, toDbTime } from './db/knex.js';
import { creditCodeCheck } from './demo.js';
import { systemActor } from './plugins/audit.js';
import type { Principal } from './plugins/access.js';
import * as contracts from './modules/contracts/service.js';
import { createTestApp, makeUser, makeWorld, TEST_DB, TEST_PASSWORD, testConfig } from '../test/helpers.js';
import { lastPhoneCode } from '../test/sms.js';
import { customer, material, receipt, salesOrder } from '../test/erp-fixtures.js';
import { inboundTable, type InboundInterface } from '../../shared/erp/interfaces.js';

const CI = process.env.CI === 'true';
// Each sealing run costs a process start (1-2 s, more on a busy machine): the issue's 20 in CI, fewer locally.
const SEAL_KILLS = Number(process.env.FAULT_SEAL_KILLS ?? (CI ? 20 : 6));
const BAD_ROWS = Number(process.env.FAULT_BAD_ROWS ?? 2000);
const here = path.dirname(fileURLToPath(import.meta.url));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uscc = (first17: string) => first17 + creditCodeCheck(first17);

/** A seeded random number generator: a failing run can be repeated. */
function seeded(seed: number) {
  let x = seed;
  return () => (x = (x * 48271) % 2147483647) / 2147483647;
}

// ---- 1. SIGKILL during contract sealing ----

/** The mill and one customer with complete party details, and a sales manager holding the seal's use right. */
async function contractWorld(app: FastifyInstance, db: Knex) {
  const w = await makeWorld(db);
  await db('organisations').where('id', w.mill).update({ name: '江南钢铁股份有限公司', credit_code: uscc('91320000134789012'), address: '江苏省无锡市钢城大道1号' });
  await db('organisations').where('id', w.customerA).update({ name: '上海恒达钢材贸易有限公司', credit_code: uscc('91320505MA1MH4K21'), address: '上海市浦东新区张江路88号' });
  for (const [id, bank] of [[w.mill, '中国建设银行无锡分行'], [w.customerA, '招商银行上海分行']] as const) {
    await db('contract_party_details').insert({ organisation_id: id, legal_representative: '王五', bank_name: bank, bank_account: '1219 0888 8810 001', phone: '021-55550000', updated_by: 'test', updated_at: nowDb() });
  }
  const login = async (username: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: TEST_PASSWORD } });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().accessToken as string;
  };
  const admin = await login(w.admin.username);
  const res = await app.inject({ method: 'POST', url: '/api/seals/rights', headers: { authorization: `Bearer ${admin}` }, payload: { userId: w.salesManager.id, right: 'use' } });
  assert.equal(res.statusCode, 200, res.body);
  return { w, sales: await login(w.salesManager.username), login };
}

let intentSeq = 0;
/**
 * A contract in 'sealing' at version 0, exactly as a take leaves it: the listing is published and taken with the
 * one-time code through the real service, but without the route's immediate sealing, which the child process does.
 */
async function takenContract(app: FastifyInstance, db: Knex, cw: Awaited<ReturnType<typeof contractWorld>>): Promise<number> {
  const kg = 100_000 + 1000 * (++intentSeq % 50);
  const [intentId] = await db('intent_contracts').insert({
    contract_no: `YXTF${process.pid}${intentSeq}`,
    customer_id: cw.w.customerA,
    source_type: 'demand',
    source_id: 800_000 + intentSeq,
    approval_id: null,
    state: 'open',
    delivery_month: '2026-12',
    total_kg: kg,
    amount_fen: Math.round((kg * 3_650_00) / 1000),
    payment_terms: 'deferred',
    payment_days: 30,
    terms: null,
    created_at: nowDb(),
  });
  await db('intent_contract_lines').insert({ intent_contract_id: Number(intentId), position: 1, variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', kg, price_fen_per_t: 3_650_00, amount_fen: Math.round((kg * 3_650_00) / 1000) });
  const listing = await app.inject({
    method: 'POST',
    url: '/api/listings',
    headers: { authorization: `Bearer ${cw.sales}` },
    payload: { intentContractId: Number(intentId), deliveryPlace: '上海市宝山区 需方仓库', deliveryFrom: '2026-12-01', deliveryTo: '2026-12-31', deliveryMethod: '汽运', qualityStandard: 'GB/T 1499.2-2018' },
  });
  assert.equal(listing.statusCode, 201, listing.body);
  const listingId = listing.json().id as number;
  // A signer of their own per contract: a user may be sent only so many codes a day.
  const phone = `137${String(process.pid % 10_000).padStart(4, '0')}${String(intentSeq).padStart(4, '0')}`;
  const signer = await makeUser(db, { organisationId: cw.w.customerA, role: 'customer_user', canSign: true, phone });
  const sent = await app.inject({ method: 'POST', url: `/api/listings/${listingId}/code`, headers: { authorization: `Bearer ${await cw.login(signer.username)}` } });
  assert.equal(sent.statusCode, 200, sent.body);
  const code = await lastPhoneCode(db, phone, 'signing_code');
  const principal: Principal = {
    userId: signer.id,
    username: signer.username,
    displayName: signer.username,
    role: 'customer_user',
    organisationId: cw.w.customerA,
    organisationKind: 'customer',
    sessionId: 0,
    canAnswer: false,
    canSign: true,
    canPrint: false,
    mustChangePassword: false,
  };
  const outcome = await db.transaction((trx) =>
    contracts.takeListing(trx, app.contracts, principal, { ...systemActor('faults'), userId: signer.id }, { ip: '10.0.0.1', userAgent: 'faults' }, listingId, code!),
  );
  assert.ok('contractId' in outcome, JSON.stringify(outcome));
  return outcome.contractId;
}

/** A contract's stored state checked against its stored PDF versions, seal uses and outbox row; returns the state. */
async function checkContract(db: Knex, id: number, verified: Set<string>): Promise<{ state: string; version: number }> {
  const c = await db('contracts').where('id', id).first();
  const docs = await db('contract_documents').where('contract_id', id).orderBy('version').select('version', 'kind', 'sha256', 'pdf');
  const label = `contract ${id} (${c.contract_no}, state ${c.state}, version ${c.version})`;
  // Versions 1..version exist, nothing beyond: a version is stored together with the contract's move to it, or not at all.
  assert.deepEqual(docs.map((d) => Number(d.version)), Array.from({ length: c.version }, (_, i) => i + 1), `${label}: stored versions`);
  assert.deepEqual(docs.map((d) => d.kind), ['rendered', 'buyer_sealed', 'seller_sealed'].slice(0, c.version), `${label}: kinds`);
  for (const d of docs) assert.equal(sha256(Buffer.from(d.pdf)), d.sha256, `${label}: version ${d.version} bytes match their hash`);
  assert.equal(c.state, c.version === 3 ? 'signed' : 'sealing', `${label}: signed exactly when the mill's seal is stored`);
  if (c.version > 0) assert.equal(c.sha256, docs[docs.length - 1]!.sha256, `${label}: the contract points at its newest bytes`);
  // Each seal's use is logged with the document it made, in the same transaction.
  const uses = await db('seal_uses').where({ subject_type: 'contract', subject_id: id }).pluck('document_sha256');
  assert.deepEqual(uses.sort(), docs.filter((d) => d.version >= 2).map((d) => d.sha256).sort(), `${label}: seal uses`);
  assert.equal(c.outbox_id !== null, c.state === 'signed', `${label}: the ERP outbox row comes with the signature`);
  for (const d of docs.filter((x) => x.version >= 2 && !verified.has(x.sha256))) {
    const report = await contracts.verifyDocument(db, Buffer.from(d.pdf));
    assert.equal(report.signatures.length, d.version - 1, `${label}: version ${d.version} carries ${d.version - 1} signatures`);
    assert.ok(report.signatures.every((s) => s.intact && s.trusted), `${label}: version ${d.version} signatures intact and trusted: ${JSON.stringify(report)}`);
    assert.equal(report.valid, true, `${label}: version ${d.version} verifies`);
    verified.add(d.sha256);
  }
  return { state: c.state, version: Number(c.version) };
}

test(`contract sealing killed ${SEAL_KILLS} times with SIGKILL never leaves a half-signed contract`, { timeout: 10 * 60_000 }, async () => {
  const t = await createTestApp();
  try {
    const cw = await contractWorld(t.app, t.db);
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', DATA_DIR: t.config.dataDir };
    const target = JSON.stringify(t.stores.portalTarget);
    /** Runs the sealing child; `kill` says after how many completed seals (and how long after) to SIGKILL it. */
    const runChild = (kill: { afterSeals: number; ms: number } | null) =>
      new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'faults-seal-child.ts'), target], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let timer: NodeJS.Timeout | undefined;
        child.stdout.on('data', (d) => {
          out += d;
          const seals = (out.match(/^sealed /gm) ?? []).length;
          if (kill && !timer && out.includes('ready') && seals >= kill.afterSeals) timer = setTimeout(() => child.kill('SIGKILL'), kill.ms);
        });
        child.stderr.on('data', (d) => (out += d));
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, out });
        });
      });

    const ids: number[] = [];
    const verified = new Set<string>();
    const rnd = seeded(17);
    let killed = 0;
    let sealedBeforeKills = 0;
    const started = Date.now();
    let runs = 0;
    while (killed < SEAL_KILLS) {
      // A run that sealed its whole queue before the kill came does not count: SEAL_KILLS runs die mid-way.
      assert.ok(runs < SEAL_KILLS * 2, `only ${killed} of ${runs} sealing runs were killed before they finished`);
      const i = runs++;
      // Keep a queue of contracts to seal longer than a run lives, so that every kill lands among the seals.
      const waiting = Number((await t.db('contracts').where('state', 'sealing').count({ n: '*' }).first())!.n);
      for (let k = waiting; k < 8; k++) ids.push(await takenContract(t.app, t.db, cw));
      // A seal takes 0.1-0.3 s once the child is warm, its first one a second or more (fonts, certificates): the kill
      // comes during the first to fourth seal of the run, at any moment of it: rendering, signing or a commit.
      const afterSeals = i % 4;
      const r = await runChild({ afterSeals, ms: Math.floor(rnd() * (afterSeals === 0 ? 2000 : 400)) });
      if (r.signal === 'SIGKILL') {
        killed++;
        sealedBeforeKills += (r.out.match(/^sealed /gm) ?? []).length;
      } else assert.equal(r.code, 0, r.out);
      for (const id of ids) await checkContract(t.db, id, verified);
    }
    const last = await runChild(null);
    assert.equal(last.code, 0, last.out);
    const states = [];
    for (const id of ids) states.push(await checkContract(t.db, id, verified));
    assert.ok(states.every((s) => s.state === 'signed' && s.version === 3), 'every contract is completed by the run after the kills');
    const buyerSeals = Number((await t.db('contract_events').where('event', 'buyer_sealed').count({ n: '*' }).first())!.n);
    assert.equal(buyerSeals, ids.length, 'each buyer seal recorded once');
    console.log(`# ${ids.length} contracts (${sealedBeforeKills} completed by runs later killed), ${killed} of ${runs} sealing runs killed mid-way, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await t.close();
  }
});

// ---- 2. MariaDB restarted under load ----

interface MariadbServer {
  url: string;
  halt(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

interface Outcome {
  kind: 'write' | 'read';
  subject: string | null;
  status: number | 'no answer';
  code: string | null;
  message: string | null;
  startedAt: number;
  ms: number;
}

test(
  'a MariaDB restart under load: 503 service.unavailable while it is down, recovery without a portal restart, no request half-applied',
  { skip: TEST_DB !== 'mariadb' && 'needs a MariaDB server of its own to restart (runs in the MariaDB pass)', timeout: 5 * 60_000 },
  async () => {
    const lib = (await import(new URL('../../scripts/lib/mariadb.mjs', import.meta.url).href)) as { startMariadb(o?: object): Promise<MariadbServer> };
    // Its own server: the test runner's is shared by the other test files and must never be restarted.
    const server = await lib.startMariadb();
    let app: FastifyInstance | undefined;
    try {
      const admin = createKnex({ url: `${server.url}/mysql`, sqliteFile: '' }, { max: 1 });
      await admin.raw('create database portal character set utf8mb4 collate utf8mb4_unicode_ci');
      await admin.raw('create database staging character set utf8mb4 collate utf8mb4_unicode_ci');
      await admin.destroy();
      // The app opens its own pools from the URLs, with the production pool settings.
      app = await buildApp({ config: testConfig({ databaseUrl: `${server.url}/portal`, stagingDatabaseUrl: `${server.url}/staging` }), migrate: true });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const db = app.db;
      const w = await makeWorld(db);
      const users = [w.userA, w.adminA, w.userB, w.adminB];
      const tokens: string[] = [];
      for (const u of users) {
        const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u.username, password: TEST_PASSWORD }) });
        assert.equal(res.status, 200);
        tokens.push(((await res.json()) as { accessToken: string }).accessToken);
      }

      const outcomes: Outcome[] = [];
      let n = 0;
      let running = true;
      const worker = async (token: string) => {
        while (running) {
          const kind = n % 2 === 0 ? 'write' : 'read';
          const subject = kind === 'write' ? `故障测试 ${++n}` : (n++, null);
          const startedAt = Date.now();
          const init: RequestInit = { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, signal: AbortSignal.timeout(20_000) };
          const res = await (kind === 'write'
            ? fetch(`${base}/api/feedback`, { ...init, method: 'POST', body: JSON.stringify({ category: 'service', subject, description: '数据库重启期间提交的反馈' }) })
            : fetch(`${base}/api/feedback?pageSize=5`, init)
          ).then(
            async (r) => {
              const body = (await r.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
              return { status: r.status as Outcome['status'], code: body?.error?.code ?? null, message: body?.error?.message ?? null };
            },
            () => ({ status: 'no answer' as const, code: null, message: null }),
          );
          outcomes.push({ kind, subject, ...res, startedAt, ms: Date.now() - startedAt });
          if (res.status !== 200 && res.status !== 201) await sleep(50);
        }
      };
      const load = tokens.flatMap((tk) => [worker(tk), worker(tk)]);

      await sleep(2000);
      const haltedAt = Date.now();
      await server.halt();
      const downAt = Date.now();
      await sleep(4000);
      const resumeAt = Date.now();
      await server.resume();
      const upAt = Date.now();
      // Recovered when every kind of request succeeds again; the portal process is not restarted.
      let recoveredAt = 0;
      while (Date.now() - upAt < 30_000) {
        await sleep(100);
        const recent = outcomes.filter((o) => o.startedAt > upAt);
        const ok = (k: Outcome['kind']) => recent.some((o) => o.kind === k && (o.status === 200 || o.status === 201));
        if (ok('write') && ok('read')) {
          recoveredAt = Math.min(...recent.filter((o) => o.status === 200 || o.status === 201).map((o) => o.startedAt + o.ms));
          break;
        }
      }
      await sleep(1500);
      running = false;
      await Promise.all(load);

      const ok = (o: Outcome) => o.status === 200 || o.status === 201;
      const during = outcomes.filter((o) => o.startedAt >= downAt && o.startedAt + o.ms <= resumeAt);
      const failed = outcomes.filter((o) => !ok(o));
      const summary = `${outcomes.length} requests: ${outcomes.filter(ok).length} ok, ${failed.length} failed (${[...new Set(failed.map((o) => `${o.status} ${o.code}`))].join(', ')}); ${during.length} while the database was down`;
      assert.ok(recoveredAt > 0, `the API did not recover within 30 s of the restart: ${summary}`);
      assert.ok(during.length > 20, `load kept running while the database was down: ${summary}`);
      // While it is down: 503 with the stable code and a message saying to retry; never a 500, never a hang.
      for (const o of failed) {
        assert.equal(o.status, 503, `${o.kind} got ${o.status} ${o.code}: ${summary}`);
        assert.equal(o.code, 'service.unavailable');
        assert.match(o.message ?? '', /temporarily unavailable/);
      }
      assert.ok(during.every((o) => !ok(o)), 'nothing succeeds while the database is down');
      const slowest = Math.max(...during.map((o) => o.ms));
      assert.ok(slowest < 3000, `answers while the database is down take ${slowest} ms`);
      assert.ok(recoveredAt - upAt < 5000, `recovered ${recoveredAt - upAt} ms after the database came back`);

      // No request half-applied: each acknowledged write is stored with its audit row, each refused one not at all.
      const stored = await db('feedback_items').where('subject', 'like', '故障测试 %').select('id', 'subject');
      const bySubject = new Map(stored.map((r) => [r.subject as string, Number(r.id)]));
      assert.equal(bySubject.size, stored.length, 'no write stored twice');
      const writes = outcomes.filter((o) => o.kind === 'write');
      for (const o of writes) {
        if (ok(o)) assert.ok(bySubject.has(o.subject!), `acknowledged write "${o.subject}" is stored`);
        else assert.ok(!bySubject.has(o.subject!), `refused write "${o.subject}" (${o.status}) left nothing behind`);
      }
      const audited = Number((await db('audit_log').where({ action: 'feedback.submitted' }).count({ n: '*' }).first())!.n);
      assert.equal(audited, stored.length, 'every stored item has its audit row, and no audit row without its item');
      const messages = Number((await db('feedback_messages').whereIn('feedback_id', [...bySubject.values()]).count({ n: '*' }).first())!.n);
      assert.equal(messages, stored.length, 'every stored item has its opening message');
      console.log(`# ${summary}; halt took ${downAt - haltedAt} ms, start ${upAt - resumeAt} ms, recovered ${recoveredAt - upAt} ms after, slowest answer while down ${slowest} ms`);
    } finally {
      await app?.close().catch(() => {});
      await server.stop();
    }
  },
);

// ---- 3. A burst of bad rows in the staging store ----

test(`a burst of ${BAD_ROWS} bad staging rows under API load is quarantined with reasons, the good rows behind them applied`, { timeout: 5 * 60_000 }, async () => {
  const t = await createTestApp();
  try {
    const w = await makeWorld(t.db);
    const token = (await t.signIn(w.userA.username)).token;
    const customers = Array.from({ length: 10 }, (_, i) => `CF${i}`);
    const now = toDbTime(new Date());
    const insert = async (iface: InboundInterface, rows: Array<{ doc_key: string; seq: number; payload: string }>) => {
      const ids: number[] = [];
      for (let i = 0; i < rows.length; i += 500) {
        await t.stores.staging(inboundTable(iface)).insert(rows.slice(i, i + 500).map((r) => ({ ...r, op: 'upsert', received_at: now, state: 'new' })));
      }
      // Read back in id order: the ids the sync sees, in the ERP's order.
      for (const r of await t.stores.staging(inboundTable(iface)).orderBy('id').select('id', 'doc_key', 'seq')) ids.push(Number(r.id));
      return ids;
    };
    await insert('customer', customers.map((c, i) => ({ doc_key: c, seq: i + 1, payload: JSON.stringify(customer(c)) })));
    await insert('material', [{ doc_key: 'MF1', seq: 1, payload: JSON.stringify(material('MF1')) }]);

    // The burst: receipts, two bad rows for every good one, of every kind the ERP gets wrong; some bad invoices too.
    const kinds = [
      { reason: 'payload.invalid_json', make: (k: string, c: string) => ({ doc_key: k, payload: JSON.stringify(receipt(k, c)).slice(0, 25) }) },
      { reason: 'payload.schema', make: (k: string, c: string) => ({ doc_key: k, payload: JSON.stringify({ ...receipt(k, c), amountFen: '1.5' }) }) },
      { reason: 'envelope.invalid', make: (k: string, c: string) => ({ doc_key: k, payload: JSON.stringify(receipt(`${k}X`, c)) }) },
      { reason: 'payload.schema', make: (k: string, c: string) => ({ doc_key: k, payload: JSON.stringify({ ...receipt(k, c), receiptDate: '2026-13-45' }) }) },
    ];
    const rows: Array<{ doc_key: string; seq: number; payload: string; bad: string | null }> = [];
    for (let i = 0; i < BAD_ROWS; i++) {
      const kind = kinds[i % kinds.length]!;
      rows.push({ ...kind.make(`RB${i}`, customers[i % customers.length]!), seq: i + 1, bad: kind.reason });
      if (i % 2 === 1) rows.push({ doc_key: `RG${i}`, seq: i + 1, payload: JSON.stringify(receipt(`RG${i}`, customers[i % customers.length]!, 100 * (i + 1))), bad: null });
    }
    const receiptIds = await insert('customer_receipt', rows.map(({ bad: _bad, ...r }) => r));
    const orders = Array.from({ length: 50 }, (_, i) => ({ doc_key: `SOF${i}`, seq: 1, payload: JSON.stringify(salesOrder(`SOF${i}`, customers[i % customers.length]!, 'MF1')) }));
    await insert('sales_order', orders);

    // API load from a customer's session while the sync works through the burst: it keeps answering.
    let syncing = true;
    const statuses = new Map<number, number>();
    let requests = 0;
    let slowest = 0;
    const worker = async () => {
      while (syncing) {
        const i = requests++;
        const t0 = Date.now();
        const res = await (i % 3 === 0
          ? t.as(token, { method: 'POST', url: '/api/feedback', payload: { category: 'service', subject: `同步期间 ${i}`, description: '同步时提交' } })
          : t.as(token, { method: 'GET', url: '/api/feedback?pageSize=5' }));
        slowest = Math.max(slowest, Date.now() - t0);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    const started = Date.now();
    let runs = 0;
    for (;;) {
      const run = await t.app.erpSync.runNow('script', 5000);
      runs++;
      assert.equal(run.status, 'done', JSON.stringify(run));
      if (run.applied + run.released + run.stale + run.quarantined + run.waiting === 0) break;
    }
    const syncMs = Date.now() - started;
    syncing = false;
    await load;
    assert.deepEqual([...statuses.keys()].filter((s) => s >= 300), [], `API answers during the sync: ${JSON.stringify([...statuses])}`);

    // Every bad row is in quarantine, once, with its reason and the raw payload; nothing else is.
    const quarantined = await t.db('erp_quarantine').where('interface', 'customer_receipt').select('staging_id', 'doc_key', 'reason', 'message', 'payload');
    const bad = rows.map((r, i) => ({ ...r, id: receiptIds[i]! })).filter((r) => r.bad);
    assert.equal(quarantined.length, bad.length, 'every bad row quarantined exactly once');
    const byId = new Map(quarantined.map((q) => [Number(q.staging_id), q]));
    for (const r of bad) {
      const q = byId.get(r.id);
      assert.ok(q, `bad row ${r.doc_key} (staging id ${r.id}) is in quarantine`);
      assert.equal(q.reason, r.bad, `${r.doc_key}: reason`);
      assert.ok(String(q.message).length > 0, `${r.doc_key}: a message says what is wrong`);
      assert.equal(q.payload, r.payload, `${r.doc_key}: kept exactly as received`);
    }
    assert.equal(Number((await t.db('erp_quarantine').count({ n: '*' }).first())!.n), bad.length, 'no good row quarantined');
    // Every good row behind them is applied, none dropped, none twice.
    const good = rows.filter((r) => !r.bad);
    const applied = await t.db('erp_records').where('interface', 'customer_receipt').select('doc_key', 'seq');
    assert.deepEqual(applied.map((r) => `${r.doc_key}@${Number(r.seq)}`).sort(), good.map((r) => `${r.doc_key}@${r.seq}`).sort(), 'the good receipts are applied');
    assert.equal(Number((await t.db('erp_records').where('interface', 'sales_order').count({ n: '*' }).first())!.n), orders.length, 'the orders after the burst are applied');
    assert.equal(Number((await t.db('erp_waiting').count({ n: '*' }).first())!.n), 0, 'nothing left waiting');
    const max = Number((await t.stores.staging(inboundTable('customer_receipt')).max({ m: 'id' }).first())!.m);
    assert.equal(Number((await t.db('sync_state').where('interface', 'customer_receipt').first()).watermark), max, 'the watermark passed the whole burst');
    // The ERP side is told what became of each row.
    const marked = (await t.stores.staging(inboundTable('customer_receipt')).select('state').count({ n: '*' }).groupBy('state')) as Array<{ state: string; n: number | string }>;
    assert.deepEqual(Object.fromEntries(marked.map((m) => [m.state, Number(m.n)])), { applied: good.length, quarantined: bad.length });
    console.log(`# ${bad.length} bad and ${good.length + orders.length + customers.length + 1} good rows synced in ${runs} runs, ${syncMs} ms; ${requests} API requests meanwhile: ${JSON.stringify([...statuses])}, slowest ${slowest} ms`);
  } finally {
    await t.close();
  }
});
