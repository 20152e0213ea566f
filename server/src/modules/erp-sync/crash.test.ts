// Crash safety of the sync: a 100,000-row sync (CRASH_ROWS) is killed with SIGKILL at random moments
// (CRASH_KILLS times, 50 in CI). After every kill the portal DB must equal what the staging rows up to each
// watermark imply (the watermark never ahead of the data, nothing half-applied); at the end it must equal
// the expected result computed independently from the generated rows: nothing lost, nothing duplicated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Knex } from 'knex';
import { APPLY_ORDER, inboundTable, type InboundInterface } from '../../../../shared/erp/interfaces.js';
import { repoRoot } from '../../config.js';
import { toDbTime } from '../../db/knex.js';
import { migrateLatest } from '../../db/migrate.js';
import { createStores } from '../../../test/helpers.js';
import { rebuildProjection } from '../reports/projection.js';
import { customer, invoice, material, receipt, salesOrder, deliveryNote } from '../../../test/erp-fixtures.js';

const ROWS = Number(process.env.CRASH_ROWS ?? 100_000);
const KILLS = Number(process.env.CRASH_KILLS ?? (process.env.CI === 'true' ? 50 : 10));
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

interface Gen {
  iface: InboundInterface;
  key: string;
  seq: number;
  op: 'upsert' | 'delete';
  payload: string | null;
  valid: boolean;
  parents: Array<[InboundInterface, string]>;
  late?: boolean; // written to staging only after half of the kills
}

/** A deterministic mixed stream: masters, orders, deliveries, invoices, receipts, updates, stale repeats, deletes, bad rows, orphans. */
function generate(total: number): Gen[] {
  let x = 42;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T,>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
  let seq = 0;
  const out: Gen[] = [];
  const history = new Map<string, Gen[]>();
  const push = (g: Omit<Gen, 'seq'> & { seq?: number }) => {
    const row = { ...g, seq: g.seq ?? ++seq } as Gen;
    out.push(row);
    const k = `${row.iface}:${row.key}`;
    if (!history.has(k)) history.set(k, []);
    history.get(k)!.push(row);
    return row;
  };
  const customers = Array.from({ length: 400 }, (_, i) => `C${String(i).padStart(5, '0')}`);
  const materials = Array.from({ length: 60 }, (_, i) => `M${String(i).padStart(4, '0')}`);
  for (const c of customers) push({ iface: 'customer', key: c, op: 'upsert', payload: JSON.stringify(customer(c)), valid: true, parents: [] });
  for (const m of materials) push({ iface: 'material', key: m, op: 'upsert', payload: JSON.stringify(material(m)), valid: true, parents: [] });
  const orders: Array<{ no: string; c: string; m: string }> = [];
  const invoices: string[] = [];
  let n = 0;
  while (out.length < total) {
    const r = rnd();
    n++;
    if (r < 0.25) {
      const o = { no: `SO${n}`, c: pick(customers), m: pick(materials) };
      orders.push(o);
      push({ iface: 'sales_order', key: o.no, op: 'upsert', payload: JSON.stringify(salesOrder(o.no, o.c, o.m, 1000 * (10 + Math.floor(rnd() * 50)))), valid: true, parents: [['customer', o.c], ['material', o.m]] });
    } else if (r < 0.5 && orders.length) {
      const o = pick(orders);
      const dn = `DN${n}`;
      push({ iface: 'delivery_note', key: dn, op: 'upsert', payload: JSON.stringify(deliveryNote(dn, o.no, o.c, o.m, 1000 + Math.floor(rnd() * 30000))), valid: true, parents: [['customer', o.c], ['sales_order', o.no], ['material', o.m]] });
    } else if (r < 0.5) {
      continue;
    } else if (r < 0.65) {
      const inv = `INV${n}`;
      invoices.push(inv);
      push({ iface: 'invoice', key: inv, op: 'upsert', payload: JSON.stringify(invoice(inv, pick(customers), 100 * Math.floor(rnd() * 1e6))), valid: true, parents: [] });
      out[out.length - 1]!.parents = [['customer', JSON.parse(out[out.length - 1]!.payload!).customerCode]];
    } else if (r < 0.8) {
      const rc = `RC${n}`;
      const c = pick(customers);
      push({ iface: 'customer_receipt', key: rc, op: 'upsert', payload: JSON.stringify(receipt(rc, c, 100 * Math.floor(rnd() * 1e6))), valid: true, parents: [['customer', c]] });
    } else if (r < 0.86 && orders.length) {
      // An update of an order with a higher sequence.
      const o = pick(orders);
      push({ iface: 'sales_order', key: o.no, op: 'upsert', payload: JSON.stringify(salesOrder(o.no, o.c, o.m, 1000 * (10 + Math.floor(rnd() * 50)))), valid: true, parents: [['customer', o.c], ['material', o.m]] });
    } else if (r < 0.9) {
      // A stale repeat: an earlier version of some document sent again with its old sequence.
      const hs = [...history.values()];
      const h = pick(hs);
      const old = h[0]!;
      push({ ...old, seq: old.seq });
    } else if (r < 0.93 && invoices.length) {
      push({ iface: 'invoice', key: pick(invoices), op: 'delete', payload: null, valid: true, parents: [] });
    } else if (r < 0.94) {
      const kind = Math.floor(rnd() * 3);
      const key = `BAD${n}`;
      const c = pick(customers);
      if (kind === 0) push({ iface: 'customer_receipt', key, op: 'upsert', payload: '{"receiptNo":"' + key + '",', valid: false, parents: [] });
      else if (kind === 1) push({ iface: 'customer_receipt', key, op: 'upsert', payload: JSON.stringify({ ...receipt(key, c), amountFen: '1.5' }), valid: false, parents: [] });
      else push({ iface: 'invoice', key, op: 'upsert', payload: JSON.stringify({ ...invoice(key, c), totalFen: 1 }), valid: false, parents: [] });
    } else if (r < 0.945) {
      // An orphan whose customer never arrives: it waits (and would be quarantined after the wait limit).
      const key = `ORPH${n}`;
      push({ iface: 'customer_receipt', key, op: 'upsert', payload: JSON.stringify(receipt(key, 'CX-NEVER')), valid: true, parents: [['customer', 'CX-NEVER']] });
    } else if (r < 0.95) {
      // A delivery whose order is written to staging later, during the kills: it waits, then is released.
      const c = pick(customers);
      const m = pick(materials);
      const so = `LATE${n}`;
      const dn = `DNL${n}`;
      push({ iface: 'delivery_note', key: dn, op: 'upsert', payload: JSON.stringify(deliveryNote(dn, so, c, m)), valid: true, parents: [['customer', c], ['sales_order', so], ['material', m]] });
      push({ iface: 'sales_order', key: so, op: 'upsert', payload: JSON.stringify(salesOrder(so, c, m)), valid: true, parents: [['customer', c], ['material', m]], late: true });
    }
  }
  return out;
}

type State = Map<string, string>; // key -> "seq|hash-or-deleted"

/** The expected portal content, per interface, from the generated rows alone. */
function expected(rows: Gen[]): Map<InboundInterface, State> {
  const result = new Map<InboundInterface, State>();
  const exists = (iface: InboundInterface, key: string) => {
    const v = result.get(iface)?.get(key);
    return v !== undefined && !v.endsWith('|deleted');
  };
  for (const iface of APPLY_ORDER) {
    const best = new Map<string, Gen>();
    for (const r of rows) {
      if (r.iface !== iface || !r.valid) continue;
      if (r.op === 'upsert' && !r.parents.every(([pi, pk]) => exists(pi, pk))) continue;
      const have = best.get(r.key);
      if (!have || r.seq > have.seq) best.set(r.key, r);
    }
    const state: State = new Map();
    for (const [k, r] of best) state.set(k, `${r.seq}|${r.op === 'delete' ? 'deleted' : sha(r.payload!)}`);
    result.set(iface, state);
  }
  return result;
}

async function portalState(db: Knex, iface: InboundInterface): Promise<State> {
  const rows = await db('erp_records').select('doc_key', 'seq', 'deleted', 'payload_hash').where('interface', iface);
  return new Map(rows.map((r) => [String(r.doc_key), `${Number(r.seq)}|${r.deleted ? 'deleted' : r.payload_hash}`]));
}

function digest(s: State): string {
  const h = createHash('sha256');
  for (const k of [...s.keys()].sort()) h.update(`${k}=${s.get(k)}\n`);
  return `${s.size}:${h.digest('hex').slice(0, 16)}`;
}

/** After any kill: the portal holds exactly what the staging rows up to the watermark imply. */
async function checkWatermarks(db: Knex, staging: Knex): Promise<number> {
  let accounted = 0;
  for (const iface of APPLY_ORDER) {
    const W = Number((await db('sync_state').where('interface', iface).first())?.watermark ?? 0);
    const excluded = new Set<number>([
      ...(await db('erp_waiting').where('interface', iface).pluck('staging_id')).map(Number),
      ...(await db('erp_quarantine').where('interface', iface).pluck('staging_id')).map(Number),
    ]);
    const best = new Map<string, { seq: number; v: string }>();
    const rows = await staging(inboundTable(iface)).select('id', 'doc_key', 'seq', 'op', 'payload').where('id', '<=', W);
    for (const r of rows) {
      if (excluded.has(Number(r.id))) continue;
      const have = best.get(r.doc_key);
      if (!have || Number(r.seq) > have.seq) best.set(r.doc_key, { seq: Number(r.seq), v: `${Number(r.seq)}|${r.op === 'delete' ? 'deleted' : sha(String(r.payload))}` });
    }
    const want: State = new Map([...best].map(([k, b]) => [k, b.v]));
    const have = await portalState(db, iface);
    assert.equal(digest(have), digest(want), `${iface}: portal differs from the staging rows up to watermark ${W}`);
    accounted += rows.length;
  }
  return accounted;
}

async function writeRows(staging: Knex, rows: Gen[]) {
  const now = toDbTime(new Date());
  for (const iface of APPLY_ORDER) {
    const mine = rows.filter((r) => r.iface === iface).map((r) => ({ doc_key: r.key, seq: r.seq, op: r.op, payload: r.payload, received_at: now, state: 'new' }));
    for (let i = 0; i < mine.length; i += 500) await staging(inboundTable(iface)).insert(mine.slice(i, i + 500));
  }
}

/** Summary rows with a figure, as the sync kept them and as a recomputation from erp_records gives them (issue 8). */
async function assertSummariesMatchRebuild(db: Knex) {
  const measures = ['contracted_kg', 'contracted_fen', 'scheduled_kg', 'shipped_kg', 'shipped_fen', 'settled_fen'];
  const snap = async () => {
    const norm = (rows: Record<string, unknown>[]) =>
      rows
        .filter((r) => measures.some((k) => r[k] !== undefined && Number(r[k]) !== 0))
        .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, measures.includes(k) ? Number(v) : v]))))
        .sort();
    return { monthly: norm(await db('report_customer_months').select('*')), regions: norm(await db('report_region_months').select('*')), contracts: norm(await db('report_contracts').select('*')) };
  };
  const kept = await snap();
  await rebuildProjection(db);
  assert.deepEqual(await snap(), kept, 'report summaries drifted from their documents');
}

test(`a ${ROWS}-row sync killed ${KILLS} times with SIGKILL loses nothing and duplicates nothing`, { timeout: 40 * 60_000 }, async () => {
  const stores = await createStores();
  try {
    await migrateLatest(stores.db, 'portal');
    await migrateLatest(stores.staging, 'staging');
    const rows = generate(ROWS);
    await writeRows(stores.staging, rows.filter((r) => !r.late));

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      DATA_DIR: path.dirname(stores.portalTarget.sqliteFile || path.join(repoRoot, '.tmp', 'x')),
      SYNC_LEASE_SECONDS: '1',
      SYNC_BATCH_SIZE: '1000',
      SYNC_GAP_GRACE_MS: '0',
      ERP_PARENT_WAIT_SECONDS: String(30 * 24 * 3600),
    };
    if (stores.portalTarget.url) env.DATABASE_URL = stores.portalTarget.url;
    if (stores.stagingTarget.url) env.STAGING_DATABASE_URL = stores.stagingTarget.url;
    const runSyncProcess = (killAfterMs: number | null) =>
      new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/sync.ts', '--until-idle', '--wait-ms', '30000'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        child.on('exit', (code, signal) => {
          if (timer) clearTimeout(timer);
          resolve({ code, signal, out });
        });
      });

    let x = 7;
    const rnd = () => ((x = (x * 48271) % 2147483647) / 2147483647);
    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      if (i === Math.floor(KILLS / 2)) await writeRows(stores.staging, rows.filter((r) => r.late));
      // tsx needs ~0.7 s to start; kills land anywhere from start-up to deep inside a batch.
      const r = await runSyncProcess(500 + Math.floor(rnd() * 2500));
      if (r.signal === 'SIGKILL') killed++;
      else assert.equal(r.code, 0, r.out);
      await checkWatermarks(stores.db, stores.staging);
    }
    if (KILLS === 0) await writeRows(stores.staging, rows.filter((r) => r.late));
    const last = await runSyncProcess(null);
    assert.equal(last.code, 0, last.out);
    await checkWatermarks(stores.db, stores.staging);

    // Against the independent expectation.
    const want = expected(rows);
    for (const iface of APPLY_ORDER) {
      assert.equal(digest(await portalState(stores.db, iface)), digest(want.get(iface)!), `${iface} differs from the expected result`);
    }
    const bad = rows.filter((r) => !r.valid).length;
    assert.equal(Number((await stores.db('erp_quarantine').count({ n: '*' }).first())!.n), bad, 'every bad row quarantined exactly once');
    const orphans = rows.filter((r) => r.key.startsWith('ORPH')).length;
    assert.equal(Number((await stores.db('erp_waiting').count({ n: '*' }).first())!.n), orphans, 'only the true orphans still wait');
    for (const iface of APPLY_ORDER) {
      const max = Number((await stores.staging(inboundTable(iface)).max('id as m').first())?.m ?? 0);
      assert.equal(Number((await stores.db('sync_state').where('interface', iface).first()).watermark), max, `${iface} caught up`);
    }
    // The reports' summaries moved with their documents through every kill: they equal a recomputation.
    await assertSummariesMatchRebuild(stores.db);
    // Re-running applies nothing.
    const again = await runSyncProcess(null);
    assert.match(again.out, /"applied":0/);
    console.log(`# ${ROWS} rows, ${killed} of ${KILLS} runs killed mid-way`);
  } finally {
    await stores.cleanup();
  }
});
