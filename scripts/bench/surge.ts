// The month-start surge of `npm run bench -- surge` (the Hardening issue's "Load"): BENCH_SURGE_CUSTOMERS customer
// users (default 2,000) each go once through their month (sign in, read and answer their allocations, read and take
// their listing with the one-time code the SMS outbox holds, download the signed contract, print their quality
// certificate) while BENCH_SURGE_STAFF staff (default 50: a fifth sales managers, the rest account managers) approve
// the answers under a two-step rule and run reports, the ten minutes compressed into BENCH_SURGE_SECONDS
// (default 120). The portal serves from a child process on a throwaway MariaDB; its event loop delay p99 is scraped
// from /api/metrics every second. One JSON line per endpoint, then a summary with the targets and the final database
// state checked against what the successful requests asked for.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { loadConfig } from '../../server/src/config.js';
import { createKnex, nowDb } from '../../server/src/db/knex.js';
import { migrateLatest } from '../../server/src/db/migrate.js';
import { creditCodeCheck, DEMO_PASSWORD } from '../../server/src/demo.js';
import { hashPassword } from '../../server/src/modules/auth/passwords.js';
import { certificatePayload } from '../../server/test/certificate-fixture.js';
import { writeStaging } from '../../server/test/erp-fixtures.js';
import { lastPhoneCode } from '../../server/test/sms.js';
import { publishAnswerPlan, seedAllocationCustomers } from './allocation.js';
import { percentile } from './load.js';
import { organisationsFor, stageReportWorld } from './reports.js';
import { timeSync } from './sync.js';
import { BENCH_CA_PASSPHRASE, type Target, type TargetSpec } from './targets.js';

export interface SurgeContext {
  tmp: string;
  jwtSecret: string;
  log(msg: string): void;
  emit(line: Record<string, unknown>): void;
  noise(): () => number | null;
  startTarget(spec: TargetSpec): Promise<Target>;
  withMariadb(fn: (m: { portalUrl: string; stagingUrl: string; undo: (() => Promise<void>)[] }) => Promise<void>): Promise<void>;
}

const int = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return n;
};

/** The targets by kind of endpoint; writes other than signing have none but zero errors. */
type Kind = 'read' | 'report' | 'signing' | 'write';
const TARGETS: Record<Kind, { p95?: number; p99?: number; text: string }> = {
  read: { p95: 100, p99: 250, text: 'p95 <= 100 ms, p99 <= 250 ms, 0 errors' },
  // Issue 8 gives the reports their own p95 (<= 300 ms at 5,000,000 delivery lines).
  report: { p95: 300, text: 'p95 <= 300 ms (issue 8), 0 errors' },
  signing: { p95: 500, text: 'p95 <= 500 ms, 0 errors' },
  write: { text: '0 errors' },
};
const LOOP_P99_MS = 50;
const PERIOD = '2031-03';

const round = (n: number, d = 1) => (Number.isFinite(n) ? Number(n.toFixed(d)) : null);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uscc = (first17: string) => first17 + creditCodeCheck(first17);

interface Stat {
  kind: Kind;
  lat: number[];
  errors: number;
  statuses: Record<string, number>;
}

export async function surgeMariadb(ctx: SurgeContext): Promise<void> {
  const customers = int('BENCH_SURGE_CUSTOMERS', 2000);
  const staffCount = int('BENCH_SURGE_STAFF', 50);
  const seconds = int('BENCH_SURGE_SECONDS', 120);
  const reportLines = int('BENCH_SURGE_REPORT_LINES', 50_000);
  // After the last customer, the staff go on approving until nothing waits or this many seconds passed.
  const drain = int('BENCH_SURGE_DRAIN', 60);
  const managers = Math.max(1, Math.round(staffCount / 5));
  const accountManagers = Math.max(1, staffCount - managers);
  const metricsToken = 'bench-metrics-token';

  const build = await productionBuild(ctx);
  await ctx.withMariadb(async ({ portalUrl, stagingUrl, undo }) => {
    const env = { METRICS_TOKEN: metricsToken };
    const dataDir = `${ctx.tmp}/surge`;
    const portal = await ctx.startTarget({ kind: 'portal', dataDir, jwtSecret: ctx.jwtSecret, databaseUrl: portalUrl, stagingDatabaseUrl: stagingUrl, env, build });
    undo.push(() => portal.stop());
    const db = createKnex({ url: portalUrl, sqliteFile: '' }, { max: 4 });
    const staging = createKnex({ url: stagingUrl, sqliteFile: '' }, { max: 2 });
    undo.push(() => db.destroy());
    undo.push(() => staging.destroy());
    await migrateLatest(staging, 'staging');
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: ctx.jwtSecret, CA_PASSPHRASE: BENCH_CA_PASSPHRASE, DATA_DIR: dataDir, DATABASE_URL: portalUrl, STAGING_DATABASE_URL: stagingUrl, LOG_LEVEL: 'silent', ...env });
    const t0 = performance.now();
    const world = await seed(ctx, db, staging, config, { customers, managers, accountManagers, reportLines });
    ctx.log(`surge: seeded in ${Math.round((performance.now() - t0) / 1000)} s: ${world.customers.length} customers, ${world.offers} offers, ${managers} sales managers, ${accountManagers} account managers`);

    const agent = new Agent({ keepAlive: true, maxSockets: 512 });
    undo.push(async () => agent.destroy());
    const stats = new Map<string, Stat>();
    const call = async (kind: Kind, endpoint: string, method: string, url: string, token: string | null, body?: unknown, want = 200): Promise<{ ok: boolean; status: number; body: Buffer }> => {
      const t = performance.now();
      const r = await send(agent, method, portal.url + url, body, token ? { authorization: `Bearer ${token}` } : {}).catch((err: Error) => ({ status: 0, body: Buffer.from(err.message) }));
      const ms = performance.now() - t;
      const s = stats.get(endpoint) ?? { kind, lat: [], errors: 0, statuses: {} };
      stats.set(endpoint, s);
      s.lat.push(ms);
      const ok = r.status === want;
      if (!ok) {
        s.errors++;
        s.statuses[r.status] = (s.statuses[r.status] ?? 0) + 1;
        if (s.errors <= 3) ctx.log(`surge: ${method} ${url} -> ${r.status} ${r.body.toString('utf8').slice(0, 300)}`);
      }
      return { ok, ...r };
    };
    const json = (b: Buffer) => JSON.parse(b.toString('utf8'));

    // Staff sign in before the surge; customers sign in as part of it.
    const staff = [];
    for (const s of world.staff) {
      const r = await call('write', 'POST /api/auth/login', 'POST', '/api/auth/login', null, { username: s.username, password: DEMO_PASSWORD });
      if (!r.ok) throw new Error(`staff sign-in failed for ${s.username}`);
      staff.push({ ...s, token: json(r.body).accessToken as string });
    }

    // The event loop of the serving process, per one-second interval (the metrics route resets it at each scrape).
    const loop: number[] = [];
    let sampling = true;
    const scrape = async () => {
      const r = await send(agent, 'GET', `${portal.url}/api/metrics`, undefined, { authorization: `Bearer ${metricsToken}` });
      const m = /^ssp_event_loop_delay_p99_seconds\s+(\S+)$/m.exec(r.body.toString('utf8'));
      if (r.status !== 200 || !m) throw new Error(`/api/metrics: ${r.status}`);
      return Number(m[1]) * 1000;
    };
    await scrape();
    const sampler = (async () => {
      while (sampling) {
        await sleep(1000);
        loop.push(await scrape().catch(() => NaN));
      }
    })();

    const cpu0 = cpuSeconds(portal.pid);
    const threads0 = threadSeconds(portal.pid);
    const done = { signed: 0, leftSealing: 0, answers: 0, approvingAnswers: 0, decisions: 0, approvals: 0, codes: 0, takes: 0, pdfs: 0, prints: 0, journeys: 0, journeysFailed: 0 };
    const others = ctx.noise();
    const started = performance.now();
    const spread = (seconds * 1000 * 0.75) / world.customers.length;
    let customersDone = false;
    // Approvals still waiting (read every second), and when the staff stop if they never get to zero.
    let pending = Infinity;
    let deadline = Infinity;

    const journey = async (c: (typeof world.customers)[number], i: number) => {
      await sleep(i * spread);
      const login = await call('write', 'POST /api/auth/login', 'POST', '/api/auth/login', null, { username: c.username, password: DEMO_PASSWORD });
      if (!login.ok) return false;
      const token = json(login.body).accessToken as string;
      if (!(await call('read', 'GET /api/me', 'GET', '/api/me', token)).ok) return false;
      if (!(await call('read', 'GET /api/allocations', 'GET', `/api/allocations?period=${PERIOD}`, token)).ok) return false;
      for (const [k, o] of c.offers.entries()) {
        const n = c.id + k;
        const body =
          n % 5 === 0 ? { decision: 'decline' } : n % 5 === 1 && o.kg > 2000 ? { decision: 'partial', acceptedKg: Math.max(1000, Math.floor(o.kg / 2000) * 1000), quotedPriceFenPerT: 3_980_00 } : { decision: 'accept', remarks: '按计划接受' };
        if (!(await call('write', 'POST /api/allocations/:id/answer', 'POST', `/api/allocations/${o.id}/answer`, token, body)).ok) return false;
        done.answers++;
        if (body.decision !== 'decline') done.approvingAnswers++;
      }
      if (!(await call('read', 'GET /api/listings', 'GET', '/api/listings', token)).ok) return false;
      if (!(await call('read', 'GET /api/listings/:id', 'GET', `/api/listings/${c.listingId}`, token)).ok) return false;
      if (!(await call('write', 'POST /api/listings/:id/code', 'POST', `/api/listings/${c.listingId}/code`, token)).ok) return false;
      done.codes++;
      // The signer's phone: the code as the configured SMS provider's outbox holds it (as the tests read it).
      const code = await lastPhoneCode(db, c.phone, 'signing_code');
      if (!code) throw new Error(`no signing code queued for ${c.phone}`);
      const take = await call('signing', 'POST /api/listings/:id/take', 'POST', `/api/listings/${c.listingId}/take`, token, { code }, 201);
      if (!take.ok) return false;
      done.takes++;
      const contract = json(take.body) as { id: number; state: string };
      // 201 with 'sealing': the contract exists but a seal failed; the retry job (not running here) would finish it.
      if (contract.state === 'signed') done.signed++;
      else done.leftSealing++;
      const contractId = contract.id;
      if (!(await call('read', 'GET /api/contracts/:id/pdf', 'GET', `/api/contracts/${contractId}/pdf`, token)).ok) return false;
      done.pdfs++;
      if (!(await call('read', 'GET /api/certificates', 'GET', '/api/certificates', token)).ok) return false;
      if (!(await call('signing', 'POST /api/certificates/:id/prints', 'POST', `/api/certificates/${c.certificateId}/prints`, token, undefined, 201)).ok) return false;
      done.prints++;
      return true;
    };
    const customerRun = Promise.all(
      world.customers.map((c, i) =>
        journey(c, i).then(
          (ok) => (ok ? done.journeys++ : done.journeysFailed++),
          (err) => {
            done.journeysFailed++;
            ctx.log(`surge: journey of ${c.username} failed: ${String(err)}`);
          },
        ),
      ),
    ).then(() => {
      customersDone = true;
      deadline = performance.now() + drain * 1000;
      ctx.log(`surge: customers done after ${Math.round((performance.now() - started) / 1000)} s`);
    });

    // Staff: each polls its approval queue, approves its share (account managers their customers' first step, sales
    // managers the second step of the approvals whose id falls to them), and runs a report every third round.
    const months: string[] = [];
    for (let d = new Date(); months.length < 24; d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1))) months.push(d.toISOString().slice(0, 7));
    const watcher = (async () => {
      while (!(customersDone && pending === 0) && performance.now() < deadline) {
        await sleep(1000);
        pending = Number((await db('approvals').where({ state: 'pending', subject_type: 'allocation_answer' }).count({ n: '*' }).first())?.n ?? 0);
      }
    })();
    const staffRun = Promise.all(
      staff.map(async (s, k) => {
        await sleep((k * 1000) / staff.length);
        for (let round = 0; !(customersDone && pending === 0) && performance.now() < deadline; round++) {
          const q = await call('read', 'GET /api/approvals/queue', 'GET', '/api/approvals/queue', s.token);
          const items: { id: number; currentStep: number }[] = q.ok ? json(q.body).items : [];
          const mine = items.filter((a) => (s.role === 'account_manager' ? a.currentStep === 0 : a.currentStep === 1 && a.id % managers === s.index)).slice(0, 10);
          for (const a of mine) {
            const r = await call('write', 'POST /api/approvals/:id/decisions', 'POST', `/api/approvals/${a.id}/decisions`, s.token, { action: 'approve' });
            if (r.ok) {
              done.decisions++;
              if (json(r.body).state === 'approved') done.approvals++;
            }
          }
          if (round % 3 === k % 3) {
            const to = months[round % 4];
            const from = months[(round % 4) + [1, 3, 12][round % 3] - 1];
            const which = ['overview', 'managers', 'regional-flow'][(round + k) % 3];
            await call('report', `GET /api/reports/${which}`, 'GET', `/api/reports/${which}?from=${from}&to=${to}`, s.token);
          }
          await sleep(mine.length ? 200 : 2000);
        }
      }),
    );
    await customerRun;
    await Promise.all([staffRun, watcher]);
    const wall = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    const otherCores = others();
    const serverCpu = cpuSeconds(portal.pid) - cpu0;
    const serverThreads = threadCpuSince(portal.pid, threads0);

    // ---- figures ----
    const lines = [...stats.entries()].map(([endpoint, s]) => {
      const t = TARGETS[s.kind];
      const p95 = percentile(s.lat, 95);
      const p99 = percentile(s.lat, 99);
      const ok = s.errors === 0 && (t.p95 === undefined || p95 <= t.p95) && (t.p99 === undefined || p99 <= t.p99);
      return {
        figure: 'surge',
        endpoint,
        kind: s.kind,
        requests: s.lat.length,
        rate: round(s.lat.length / wall, 2),
        p50: round(percentile(s.lat, 50)),
        p95: round(p95),
        p99: round(p99),
        max: round(Math.max(...s.lat)),
        errors: s.errors,
        ...(s.errors ? { statuses: s.statuses } : {}),
        target: t.text,
        ok,
      };
    });
    for (const l of lines) ctx.emit(l);

    const finalState = await checkFinalState(db, world, done);
    const loopSamples = loop.filter(Number.isFinite);
    const loopMax = loopSamples.length ? Math.max(...loopSamples) : NaN;
    const byKind = (k: Kind) => lines.filter((l) => l.kind === k);
    const all = (k: Kind) => byKind(k).every((l) => l.ok);
    const targets = {
      zero_errors: lines.every((l) => l.errors === 0) && done.journeysFailed === 0 && done.leftSealing === 0,
      reads: all('read'),
      reports: all('report'),
      signing: all('signing'),
      event_loop_p99: loopMax <= LOOP_P99_MS,
      final_state: finalState.ok,
    };
    ctx.emit({
      figure: 'surge',
      endpoint: 'summary',
      ok: Object.values(targets).every(Boolean),
      targets,
      customers: world.customers.length,
      staff: staff.length,
      seconds_asked: seconds,
      seconds: round(wall),
      requests: lines.reduce((a, l) => a + l.requests, 0),
      rate: round(lines.reduce((a, l) => a + l.requests, 0) / wall, 1),
      errors: lines.reduce((a, l) => a + l.errors, 0),
      approvals_still_pending: pending,
      journeys: { completed: done.journeys, failed: done.journeysFailed, takes_left_sealing: done.leftSealing },
      // What the surge costs the serving process (main thread, PDF workers, argon2 threads): the cores it needs.
      server_cpu: { seconds: round(serverCpu), per_journey_ms: round((serverCpu * 1000) / Math.max(1, done.journeys)), cores_busy: round(serverCpu / wall, 2), by_thread_seconds: serverThreads },
      event_loop_delay_p99_ms: { max: round(loopMax), median: round(percentile(loopSamples, 50)), intervals: loopSamples.length, interval_s: 1, target: `max of per-second p99 <= ${LOOP_P99_MS} ms`, measured_in: 'the serving process (/api/metrics)' },
      final_state: finalState,
      other_processes_cpu_cores: otherCores,
    });
  });
}

// ---- seeding --------------------------------------------------------------------------------------------------

interface World {
  planId: number;
  offers: number;
  customers: { id: number; username: string; phone: string; offers: { id: number; kg: number }[]; listingId: number; certificateId: number }[];
  staff: { username: string; role: 'sales_manager' | 'account_manager'; index: number }[];
}

async function seed(ctx: SurgeContext, db: Knex, staging: Knex, config: ReturnType<typeof loadConfig>, o: { customers: number; managers: number; accountManagers: number; reportLines: number }): Promise<World> {
  const now = nowDb();
  const hash = await hashPassword(DEMO_PASSWORD, config.passwordHash);
  const mill = Number((await db('organisations').where('kind', 'mill').first('id')).id);

  // Report data: a small ERP world through the real sync, so that the staff's reports read something.
  const reportCustomers = Math.max(50, Math.round(o.reportLines / 250));
  await organisationsFor(db, reportCustomers);
  await stageReportWorld(staging, { customers: reportCustomers, contracts: Math.round(o.reportLines / 25), deliveryLines: o.reportLines, invoices: Math.round(o.reportLines / 2.5), today: new Date(), log: ctx.log });

  // The customers, each with one user who answers, signs and prints (a real password hash: they sign in).
  const seeded = await seedAllocationCustomers(db, o.customers, { prefix: 'S' });
  const orgs: { id: number; code: string }[] = await db('organisations').whereIn('id', seeded.customerIds).select('id', 'code');
  // Credit for everything they accept (the allocation figure's mix has some over their limit, whose approvals the
  // credit check would refuse) and two contracted varieties each, so that every customer answers two offers.
  await db('customer_profiles').whereIn('organisation_id', seeded.customerIds).update({ credit_limit_fen: 1_000_000_000_000, used_fen: 0, overdue_days: 0 });
  await db('customer_varieties').whereIn('organisation_id', seeded.customerIds).whereNotIn('variety', ['rebar', 'hot_rolled_coil']).delete();
  // A certificate per customer through staging and the sync, its customer master first.
  await writeStaging(
    staging,
    orgs.flatMap((org) => [
      { iface: 'customer', key: org.code, seq: 1, payload: { code: org.code, name: `分配测试客户 ${org.code}`, creditCode: uscc(`91320500MA${String(org.id).padStart(7, '0')}`), province: '江苏省', city: '苏州市', address: '江苏省苏州市相城区元和街道', contacts: [], active: true } },
      { iface: 'quality_certificate', key: `ZS${org.code}`, seq: 1, payload: certificatePayload(`ZS${org.code}`, org.code, { contractNo: undefined, deliveryNo: undefined, salesOrderNo: undefined }) },
    ]),
  );
  const sync = await timeSync(db, staging, config);
  ctx.log(`surge: synced ${sync.consumed} staging rows in ${Math.round(sync.ms / 1000)} s (quarantined ${sync.quarantined})`);
  // What the app's after-sync hooks do: match the ERP customer master, then turn certificate payloads into certificates.
  const { matchErpCustomers } = await import('../../server/src/modules/customers/matching.js');
  const { materialiseCertificates } = await import('../../server/src/modules/certificates/service.js');
  await matchErpCustomers(db);
  await materialiseCertificates(db);
  const certs = new Map<string, number>((await db('certificates').where('certificate_no', 'like', 'ZSS%').select('id', 'certificate_no')).map((c: { id: number; certificate_no: string }) => [c.certificate_no.slice(2), Number(c.id)]));

  // Staff: a fifth sales managers, the rest account managers sharing the customers.
  const staff: World['staff'] = [];
  const rows = [];
  for (let i = 0; i < o.managers; i++) staff.push({ username: `surge.sm${i}`, role: 'sales_manager', index: i });
  for (let i = 0; i < o.accountManagers; i++) staff.push({ username: `surge.am${i}`, role: 'account_manager', index: i });
  for (const s of staff) rows.push({ organisation_id: mill, username: s.username, display_name: s.username, role: s.role, phone: null, password_hash: hash, active: true, can_answer: false, can_sign: false, can_print: false, must_change_password: false, created_at: now, updated_at: now });
  await db('users').insert(rows);
  const amIds = (await db('users').where('username', 'like', 'surge.am%').orderBy('id').pluck('id')).map(Number);

  const customers: World['customers'] = [];
  for (let i = 0; i < orgs.length; i += 500) {
    const part = orgs.slice(i, i + 500);
    for (const [k, org] of part.entries()) {
      await db('organisations').where('id', org.id).update({ credit_code: uscc(`91320500MA${String(org.id).padStart(7, '0')}`), address: '江苏省苏州市相城区元和街道', account_manager_id: amIds[(i + k) % amIds.length] });
    }
    await db('contract_party_details').insert(part.map((org) => ({ organisation_id: org.id, legal_representative: '王五', bank_name: '招商银行苏州分行', bank_account: `1219 0888 ${String(org.id).padStart(8, '0')}`, phone: '0512-55550000', updated_by: 'bench', updated_at: now })));
    await db('certificate_print_rights').insert(part.map((org) => ({ customer_id: org.id, allowed: true, copies_per_certificate: 2, updated_by: 'bench', updated_at: now })));
    await db('users').insert(
      part.map((org) => ({
        organisation_id: org.id,
        username: `surge${org.id}`,
        display_name: `签约人 ${org.id}`,
        role: 'customer_user',
        phone: `139${String(org.id).padStart(8, '0')}`,
        phone_verified_at: now,
        can_answer: true,
        can_sign: true,
        can_print: true,
        must_change_password: false,
        password_hash: hash,
        active: true,
        created_at: now,
        updated_at: now,
      })),
    );
  }

  // A customer answering at a month's start has signed before: its contract seal exists. BENCH_SURGE_FIRST_SEALS=1
  // leaves them to be issued by the first take instead (an RSA key generated per customer during the surge).
  if (process.env.BENCH_SURGE_FIRST_SEALS !== '1') {
    const { certificateFor } = await import('../../server/src/modules/seals/service.js');
    const t1 = performance.now();
    await certificateFor(db, config.seals, orgs[0].id, 'contract'); // the root first, alone
    let n = 1;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (n < orgs.length) await certificateFor(db, config.seals, orgs[n++].id, 'contract');
      }),
    );
    ctx.log(`surge: ${orgs.length} customer seal certificates issued in ${Math.round((performance.now() - t1) / 1000)} s`);
  }

  // The approval rule every answer takes: the customer's account manager, then any sales manager.
  const approvals = await import('../../server/src/modules/approvals/service.js');
  const { systemActor } = await import('../../server/src/plugins/audit.js');
  await db.transaction((trx) =>
    approvals.createRule(trx, systemActor('bench'), {
      name: '月初分配响应（基准）',
      priority: 1,
      conditions: {},
      steps: [
        { approvers: { roles: ['account_manager'] }, mode: 'any' },
        { approvers: { roles: ['sales_manager'] }, mode: 'any' },
      ],
    }),
  );

  const { planId, offers } = await publishAnswerPlan(db, PERIOD, seeded.customerIds);

  // A listing per customer: an open intent contract listed by the demo sales manager (who holds the seal's use right).
  const contracts = await import('../../server/src/modules/contracts/service.js');
  const sm = await db('users').where('username', 'sales.manager').first();
  const principal = { userId: Number(sm.id), username: sm.username, displayName: sm.display_name, role: 'sales_manager' as const, organisationId: mill, organisationKind: 'mill' as const, sessionId: 0, canAnswer: false, canSign: false, canPrint: false, mustChangePassword: false };
  const actor = { userId: Number(sm.id), username: sm.username, organisationId: mill, ip: null, requestId: null, audited: true };
  const listings = new Map<number, number>();
  const t0 = performance.now();
  let next = 0;
  const listOne = async () => {
    const org = orgs[next++];
        const [intentId] = await db('intent_contracts').insert({ contract_no: `YXTS${org.id}`, customer_id: org.id, source_type: 'demand', source_id: 800_000_000 + org.id, approval_id: null, state: 'open', delivery_month: PERIOD, total_kg: 300_000, amount_fen: 109_500_000, payment_terms: 'deferred', payment_days: 30, terms: null, created_at: now });
        await db('intent_contract_lines').insert({ intent_contract_id: Number(intentId), position: 1, variety: 'rebar', grade: 'HRB400E', spec: 'Φ25', kg: 300_000, price_fen_per_t: 3_650_00, amount_fen: 109_500_000 });
        const l = await db.transaction((trx) =>
          contracts.createListing(trx, principal, actor, { intentContractId: Number(intentId), deliveryPlace: '江苏省苏州市相城区 需方仓库', deliveryFrom: '2031-03-01', deliveryTo: '2031-03-31', deliveryMethod: '汽运，供方代办运输', qualityStandard: 'GB/T 1499.2-2018' }),
        );
    listings.set(org.id, l.id);
  };
  // The month's first number alone: concurrent first numbers of a series deadlock on MariaDB (nextNumber's comment).
  await listOne();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < orgs.length) await listOne();
    }),
  );
  ctx.log(`surge: ${listings.size} listings in ${Math.round((performance.now() - t0) / 1000)} s`);
  await db.raw('ANALYZE TABLE allocations, approvals, listings, contracts, certificates, users, organisations');

  return {
    planId,
    offers: [...offers.values()].reduce((a, x) => a + x.length, 0),
    staff,
    customers: orgs.map((org) => {
      const certificateId = certs.get(org.code);
      if (!certificateId) throw new Error(`no certificate for ${org.code}`);
      return { id: org.id, username: `surge${org.id}`, phone: `139${String(org.id).padStart(8, '0')}`, offers: offers.get(org.id) ?? [], listingId: listings.get(org.id)!, certificateId };
    }),
  };
}

// ---- the final state ------------------------------------------------------------------------------------------

async function checkFinalState(db: Knex, world: World, done: { signed: number; answers: number; approvingAnswers: number; decisions: number; approvals: number; codes: number; takes: number; prints: number }) {
  const n = async (q: Knex.QueryBuilder) => Number(((await q) as { n: number | string }[])[0]?.n ?? 0);
  const allocationIds = db('allocations').where('plan_id', world.planId).select('id');
  const approvalIds = db('approvals').where('subject_type', 'allocation_answer').whereIn('subject_id', allocationIds.clone()).select('id');
  const listingIds = world.customers.map((c) => c.listingId);
  const certificateIds = world.customers.map((c) => c.certificateId);
  const unsealed = new Set<string>();
  const inChunks = async (ids: number[], f: (part: number[]) => Promise<number>) => {
    let s = 0;
    for (let i = 0; i < ids.length; i += 1000) s += await f(ids.slice(i, i + 1000));
    return s;
  };
  const db_ = {
    answers: await n(db('allocation_answers').whereIn('allocation_id', allocationIds.clone()).count({ n: '*' })),
    answered_twice: await n(db('allocations').where('plan_id', world.planId).where('answer_version', '>', 1).count({ n: '*' })),
    approvals: await n(db('approvals').where('subject_type', 'allocation_answer').whereIn('subject_id', allocationIds.clone()).count({ n: '*' })),
    approvals_approved: await n(db('approvals').where({ subject_type: 'allocation_answer', state: 'approved' }).whereIn('subject_id', allocationIds.clone()).count({ n: '*' })),
    approval_actions: await n(db('approval_actions').whereIn('approval_id', approvalIds.clone()).count({ n: '*' })),
    intent_contracts_from_answers: await n(db('intent_contracts').where('source_type', 'allocation_answer').whereIn('source_id', allocationIds.clone()).count({ n: '*' })),
    signing_codes_sent: await n(db('sms_messages').where('template', 'signing_code').count({ n: '*' })),
    contracts: await inChunks(listingIds, (p) => n(db('contracts').whereIn('listing_id', p).count({ n: '*' }))),
    contracts_signed: await inChunks(listingIds, (p) => n(db('contracts').whereIn('listing_id', p).where('state', 'signed').count({ n: '*' }))),
    listings_taken: await inChunks(listingIds, (p) => n(db('listings').whereIn('id', p).where('state', 'taken').count({ n: '*' }))),
    prints: await inChunks(certificateIds, (p) => n(db('certificate_copies').whereIn('certificate_id', p).count({ n: '*' }))),
    print_counters_used: await inChunks(certificateIds, (p) => n(db('certificate_print_counters').whereIn('certificate_id', p).sum({ n: 'used' }))),
  };
  const asked = {
    answers: done.answers,
    approvals: done.approvingAnswers,
    approvals_approved: done.approvals,
    approval_actions: done.decisions,
    intent_contracts_from_answers: done.approvals,
    signing_codes_sent: done.codes,
    contracts: done.takes,
    contracts_signed: done.signed,
    listings_taken: done.takes,
    prints: done.prints,
    print_counters_used: done.prints,
    answered_twice: 0,
  };
  const sealErrors = await inChunks(listingIds, async (p) => {
    const rows: { seal_error: string | null }[] = await db('contracts').whereIn('listing_id', p).whereNot('state', 'signed').select('seal_error');
    for (const r of rows) if (r.seal_error) unsealed.add(r.seal_error.slice(0, 200));
    return rows.length;
  });
  const mismatches = Object.entries(asked).filter(([k, v]) => db_[k as keyof typeof db_] !== v).map(([k, v]) => ({ what: k, requests: v, database: db_[k as keyof typeof db_] }));
  return { ok: mismatches.length === 0, requests: asked, database: db_, mismatches, ...(sealErrors ? { unsealed_contracts: sealErrors, seal_errors: [...unsealed] } : {}) };
}

// ---- the server ---------------------------------------------------------------------------------------------

/**
 * The production build (tsc -p tsconfig.build.json, as `npm run build:server` makes dist/) compiled into .tmp/, so
 * that a build another process is making in dist/ is not disturbed; BENCH_SURGE_BUILD=reuse keeps an earlier one.
 */
async function productionBuild(ctx: SurgeContext): Promise<string> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const out = path.join(root, '.tmp', 'bench-build');
  if (process.env.BENCH_SURGE_BUILD === 'reuse' && existsSync(path.join(out, 'server/src/app.js'))) return out;
  const t0 = performance.now();
  ctx.log(`surge: compiling the production build into ${out}`);
  await promisify(execFile)(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root });
  ctx.log(`surge: compiled in ${Math.round((performance.now() - t0) / 1000)} s`);
  return out;
}

/** CPU seconds a process has used, its threads included (/proc/<pid>/stat utime + stime, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  return statSeconds(`/proc/${pid}/stat`);
}

function statSeconds(file: string): number {
  try {
    const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds by thread of a process (main thread, libuv pool running argon2 and keygen, PDF workers), by tid. */
function threadSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.set(`${tid === String(pid) ? 'main' : name}:${tid}`, statSeconds(`/proc/${pid}/task/${tid}/stat`));
    }
  } catch {
    // the process ended
  }
  return out;
}

/** The CPU used since `before`, summed by thread name ('main', 'libuv-worker', worker threads...). */
function threadCpuSince(pid: number, before: Map<string, number>): Record<string, number> {
  const by: Record<string, number> = {};
  for (const [key, sec] of threadSeconds(pid)) {
    const name = key.slice(0, key.lastIndexOf(':'));
    by[name] = Number(((by[name] ?? 0) + sec - (before.get(key) ?? 0)).toFixed(1));
  }
  return by;
}

// ---- HTTP -----------------------------------------------------------------------------------------------------

/** One request on the keep-alive agent (a browser keeps its connection); the body as bytes (PDFs too). */
function send(agent: Agent, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(url, { method, agent, headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
