// ERP sync behaviour: idempotency, ordering and stale versions, deletes, waiting for parents, every quarantine
// reason, retry and dismiss, the outbox, the lease, and the HTTP batch path with its HMAC.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeWorld, type TestApp } from '../../../test/helpers.js';
import { customer, deliveryNote, invoice, material, receipt, salesOrder, writeStaging } from '../../../test/erp-fixtures.js';
import { runSync, syncUntilIdle } from './engine.js';
import { acquireLease, fence, LeaseLost } from './lease.js';
import { enqueueOutbox } from './outbox.js';
import { signBody } from './ingest.js';
import { toDbTime } from '../../db/knex.js';

const ERP_KEY = 'erp-test-key-0123456789abcdef0123456789';

let t: TestApp;
let adminToken: string;
let customerToken: string;
before(async () => {
  t = await createTestApp({ erpKeys: { erp1: ERP_KEY } } as never);
  const w = await makeWorld(t.db);
  adminToken = (await t.signIn(w.admin.username)).token;
  customerToken = (await t.signIn(w.userA.username)).token;
});
after(async () => t?.close());

const deps = () => ({ db: t.db, staging: t.stores.staging, config: t.config });
const sync = () => runSync(deps(), { trigger: 'script', holder: 'test' });
const record = (iface: string, key: string) => t.db('erp_records').where({ interface: iface, doc_key: key }).first();
let n = 0;
const uid = (p: string) => `${p}${Date.now().toString(36)}${++n}`;

describe('applying staging rows', () => {
  test('masters and documents are applied, and running the sync again applies nothing twice', async () => {
    const c = uid('C');
    const m = uid('M');
    const so = uid('SO');
    await writeStaging(t.stores.staging, [
      { iface: 'sales_order', key: so, seq: 3, payload: salesOrder(so, c, m) },
      { iface: 'customer', key: c, seq: 1, payload: customer(c) },
      { iface: 'material', key: m, seq: 2, payload: material(m) },
    ]);
    const first = await sync();
    assert.equal(first.status, 'done');
    const r = await record('sales_order', so);
    assert.equal(r.customer_code, c);
    assert.equal(Number(r.weight_kg), 32_000);
    assert.equal(Number(r.amount_fen), 12_160_000);
    const before = await t.db('erp_records').count({ n: '*' }).first();
    const again = await sync();
    assert.equal(again.applied, 0);
    assert.deepEqual(await t.db('erp_records').count({ n: '*' }).first(), before);
    // The ERP sees what became of its rows.
    const states = await t.stores.staging('erp_in_sales_order').where('doc_key', so).pluck('state');
    assert.deepEqual(states, ['applied']);
  });

  test('an older sequence arriving late never overwrites newer data; deletes leave a tombstone', async () => {
    const c = uid('C');
    await writeStaging(t.stores.staging, [
      { iface: 'customer', key: c, seq: 10, payload: customer(c, '新名称') },
      { iface: 'customer', key: c, seq: 5, payload: customer(c, '旧名称') },
    ]);
    const r1 = await sync();
    assert.ok(r1.stale >= 1);
    assert.equal(JSON.parse((await record('customer', c)).payload).name, '新名称');
    const inv = uid('INV');
    await writeStaging(t.stores.staging, [
      { iface: 'invoice', key: inv, seq: 20, payload: invoice(inv, c) },
      { iface: 'invoice', key: inv, seq: 21, op: 'delete' },
      { iface: 'invoice', key: inv, seq: 19, payload: invoice(inv, c, 1) },
    ]);
    await sync();
    const r = await record('invoice', inv);
    assert.equal(Boolean(r.deleted), true);
    assert.equal(Number(r.seq), 21);
    assert.equal(r.payload, null);
  });

  test('a document whose parent has not arrived waits, and is applied by itself when the parent arrives', async () => {
    const c = uid('C');
    const m = uid('M');
    const so = uid('SO');
    const dn = uid('DN');
    await writeStaging(t.stores.staging, [
      { iface: 'customer', key: c, seq: 1, payload: customer(c) },
      { iface: 'material', key: m, seq: 1, payload: material(m) },
      { iface: 'delivery_note', key: dn, seq: 5, payload: deliveryNote(dn, so, c, m) },
    ]);
    const r1 = await sync();
    assert.equal(r1.waiting, 1);
    assert.equal(await record('delivery_note', dn), undefined);
    assert.equal((await t.db('erp_waiting').where({ doc_key: dn }).first()).parent_interface, 'sales_order');
    assert.deepEqual(await t.db('erp_quarantine').where({ doc_key: dn }), [], 'waiting is not an error');

    await writeStaging(t.stores.staging, [{ iface: 'sales_order', key: so, seq: 4, payload: salesOrder(so, c, m) }]);
    const r2 = await sync();
    assert.equal(r2.released, 1);
    assert.equal(Number((await record('delivery_note', dn)).seq), 5);
    assert.deepEqual(await t.db('erp_waiting').where({ doc_key: dn }), []);
  });
});

describe('quarantine', () => {
  test('every reason is recorded with its message and path, keeps the raw payload, and does not block the rows behind it', async () => {
    const c = uid('C');
    await writeStaging(t.stores.staging, [{ iface: 'customer', key: c, seq: 1, payload: customer(c) }]);
    await sync();
    const bad = {
      json: uid('R'),
      schema: uid('R'),
      rule: uid('INV'),
      envelope: uid('R'),
      keyMismatch: uid('R'),
      good: uid('R'),
    };
    const wrongRule = { ...invoice(bad.rule, c), totalFen: 1 };
    await writeStaging(t.stores.staging, [
      { iface: 'customer_receipt', key: bad.json, seq: 1, payload: '{"receiptNo": "x",' },
      { iface: 'customer_receipt', key: bad.schema, seq: 1, payload: { ...receipt(bad.schema, c), amountFen: '12.5' } },
      { iface: 'invoice', key: bad.rule, seq: 1, payload: wrongRule },
      { iface: 'customer_receipt', key: bad.envelope, seq: 1, op: 'merge' as never, payload: receipt(bad.envelope, c) },
      { iface: 'customer_receipt', key: bad.keyMismatch, seq: 1, payload: receipt('OTHER', c) },
      { iface: 'customer_receipt', key: bad.good, seq: 1, payload: receipt(bad.good, c) },
    ]);
    const r = await sync();
    assert.equal(r.quarantined, 5);
    const q = async (key: string) => t.db('erp_quarantine').where({ doc_key: key }).first();
    assert.equal((await q(bad.json)).reason, 'payload.invalid_json');
    assert.equal((await q(bad.json)).payload, '{"receiptNo": "x",', 'raw payload kept as received');
    const schema = await q(bad.schema);
    assert.equal(schema.reason, 'payload.schema');
    assert.equal(schema.path, '/amountFen');
    const rule = await q(bad.rule);
    assert.equal(rule.reason, 'payload.rule');
    assert.equal(rule.path, '/totalFen');
    assert.equal((await q(bad.envelope)).reason, 'envelope.invalid');
    assert.equal((await q(bad.keyMismatch)).reason, 'envelope.invalid');
    assert.ok(await record('customer_receipt', bad.good), 'the good row behind the bad ones is applied');
    const st = await t.stores.staging('erp_in_customer_receipt').where('doc_key', bad.json).first();
    assert.equal(st.state, 'quarantined');
    assert.match(st.state_detail, /payload\.invalid_json/);

    // Quarantined rows are not picked again automatically.
    const again = await sync();
    assert.equal(again.quarantined, 0);
  });

  test('a parent that never arrives quarantines the document as parent.missing; retry applies it once the master arrived', async () => {
    const c = uid('C');
    const rc = uid('RC');
    await writeStaging(t.stores.staging, [{ iface: 'customer_receipt', key: rc, seq: 1, payload: receipt(rc, c) }]);
    await sync();
    assert.equal((await t.db('erp_waiting').where({ doc_key: rc })).length, 1);
    // Age the wait past the limit.
    await t.db('erp_waiting').where({ doc_key: rc }).update({ since: toDbTime(new Date(Date.now() - (t.config.sync.parentWaitSeconds + 60) * 1000)) });
    await sync();
    const q = await t.db('erp_quarantine').where({ doc_key: rc }).first();
    assert.equal(q.reason, 'parent.missing');
    assert.equal(q.path, '/customerCode');
    assert.equal((await t.db('erp_waiting').where({ doc_key: rc })).length, 0);

    // Retrying before the customer exists keeps it open, with the attempt counted.
    const retry1 = await t.as(adminToken, { method: 'POST', url: `/api/erp/quarantine/${q.id}/retry` });
    assert.equal(retry1.statusCode, 200, retry1.body);
    assert.equal(retry1.json().state, 'open');
    assert.equal(retry1.json().attempts, 1);

    await writeStaging(t.stores.staging, [{ iface: 'customer', key: c, seq: 1, payload: customer(c) }]);
    await sync();
    const retry2 = await t.as(adminToken, { method: 'POST', url: `/api/erp/quarantine/${q.id}/retry` });
    assert.equal(retry2.json().state, 'resolved');
    assert.ok(await record('customer_receipt', rc));
    const audited = await t.db('audit_log').where({ action: 'erp.quarantine_retry', entity_id: String(q.id) });
    assert.equal(audited.length, 2);
  });

  test('an administrator dismisses a row with a reason, which is kept and audited; others cannot', async () => {
    const key = uid('R');
    await writeStaging(t.stores.staging, [{ iface: 'customer_receipt', key, seq: 1, payload: 'not json' }]);
    await sync();
    const q = await t.db('erp_quarantine').where({ doc_key: key }).first();
    const denied = await t.as(customerToken, { method: 'POST', url: `/api/erp/quarantine/${q.id}/dismiss`, payload: { reason: '重复数据' } });
    assert.equal(denied.statusCode, 403);
    const empty = await t.as(adminToken, { method: 'POST', url: `/api/erp/quarantine/${q.id}/dismiss`, payload: {} });
    assert.equal(empty.statusCode, 400);
    const blank = await t.as(adminToken, { method: 'POST', url: `/api/erp/quarantine/${q.id}/dismiss`, payload: { reason: '    ' } });
    assert.equal(blank.statusCode, 400, 'a reason of spaces is no reason');
    const ok = await t.as(adminToken, { method: 'POST', url: `/api/erp/quarantine/${q.id}/dismiss`, payload: { reason: 'ERP 已作废此单据' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().state, 'dismissed');
    assert.equal(ok.json().dismissReason, 'ERP 已作废此单据');
    assert.equal((await t.db('audit_log').where({ action: 'erp.quarantine_dismiss', entity_id: String(q.id) })).length, 1);
    const twice = await t.as(adminToken, { method: 'POST', url: `/api/erp/quarantine/${q.id}/dismiss`, payload: { reason: 'again' } });
    assert.equal(twice.statusCode, 409);
    const list = await t.as(adminToken, { method: 'GET', url: `/api/erp/quarantine?state=dismissed&docKey=${key}` });
    assert.equal(list.json().total, 1);
  });
});

describe('outbox', () => {
  test('an entry is delivered exactly once to the outbound table and the ERP acknowledgement comes back', async () => {
    const key = uid('HT');
    const id = await t.db.transaction((trx) => enqueueOutbox(trx, 'contract', key, { contractNo: key, totalWeightKg: 1000 }));
    const r1 = await sync();
    assert.ok(r1.delivered >= 1);
    // A delivery retried after a crash between the staging insert and the portal update inserts nothing new.
    await t.db('outbox').where({ id }).update({ delivered_at: null });
    await sync();
    const out = await t.stores.staging('erp_out_contract').where({ portal_outbox_id: id });
    assert.equal(out.length, 1);
    assert.equal(JSON.parse(out[0].payload).contractNo, key);

    await t.stores.staging('erp_out_contract').where({ portal_outbox_id: id }).update({ ack_state: 'accepted', erp_doc_no: 'SO202611-0001', acked_at: toDbTime(new Date()) });
    const r2 = await sync();
    assert.ok(r2.acknowledged >= 1);
    const row = await t.db('outbox').where({ id }).first();
    assert.equal(row.ack_state, 'accepted');
    assert.equal(row.erp_doc_no, 'SO202611-0001');
    const page = await t.as(adminToken, { method: 'GET', url: '/api/erp/outbox?kind=contract&state=accepted' });
    assert.ok(page.json().items.some((i: { docKey: string }) => i.docKey === key));
  });

  test('a rejection carries the reason back', async () => {
    const key = uid('XQ');
    const id = await enqueueOutbox(t.db, 'demand', key, { demandNo: key });
    await sync();
    await t.stores.staging('erp_out_demand').where({ portal_outbox_id: id }).update({ ack_state: 'rejected', reject_reason: '品种不在本月计划内', acked_at: toDbTime(new Date()) });
    await sync();
    const row = await t.db('outbox').where({ id }).first();
    assert.equal(row.ack_state, 'rejected');
    assert.equal(row.reject_reason, '品种不在本月计划内');
  });
});

describe('lease', () => {
  test('one holder at a time; a new holder gets a higher token and the old one is fenced off', async () => {
    const name = uid('lease');
    const a = await acquireLease(t.db, name, 'A', 60);
    assert.ok(a);
    assert.equal(await acquireLease(t.db, name, 'B', 60), null, 'B cannot take a live lease');
    await t.db('sync_leases').where({ name }).update({ expires_at: toDbTime(new Date(Date.now() - 1000)) });
    const b = await acquireLease(t.db, name, 'B', 60);
    assert.ok(b && b.token === a!.token + 1);
    await assert.rejects(fence(t.db, a!, 60), LeaseLost);
    await fence(t.db, b!, 60);
  });

  test('a run while another process holds the sync lease is skipped, not doubled', async () => {
    await t.db('sync_leases').where({ name: 'erp-sync' }).delete();
    const other = await acquireLease(t.db, 'erp-sync', 'other-process', 60);
    assert.ok(other);
    const r = await sync();
    assert.equal(r.status, 'skipped');
    assert.equal(r.reason, 'lease_held');
    await t.db('sync_leases').where({ name: 'erp-sync' }).delete();
  });

  test('a scheduled tick already run by any process is skipped', async () => {
    const tick = uid('tick');
    const r1 = await runSync(deps(), { trigger: 'schedule', holder: 'p1', tick });
    const r2 = await runSync(deps(), { trigger: 'schedule', holder: 'p2', tick });
    assert.equal(r1.status, 'done');
    assert.equal(r2.status, 'skipped');
    assert.equal(r2.reason, 'tick_done');
  });
});

describe('administration and freshness', () => {
  test('status shows watermark, lag and totals per interface; only administrators see it', async () => {
    await syncUntilIdle(deps(), { trigger: 'script', holder: 'test' });
    const res = await t.as(adminToken, { method: 'GET', url: '/api/erp/status' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.interfaces.length, 10);
    const cust = body.interfaces.find((i: { interface: string }) => i.interface === 'customer');
    assert.equal(cust.lagRows, 0);
    assert.ok(cust.watermark > 0 && cust.appliedTotal > 0);
    assert.equal((await t.as(customerToken, { method: 'GET', url: '/api/erp/status' })).statusCode, 403);
    assert.equal((await t.as(customerToken, { method: 'POST', url: '/api/erp/sync' })).statusCode, 403);
  });

  test('an administrator runs the sync on demand (audited)', async () => {
    const res = await t.as(adminToken, { method: 'POST', url: '/api/erp/sync' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'done');
    assert.ok((await t.db('audit_log').where({ action: 'erp.sync_run' })).length >= 1);
  });

  test('an administrator looks up one synced document as the portal holds it, tombstones included; others cannot', async () => {
    const c = uid('C');
    const inv = uid('INV');
    await writeStaging(t.stores.staging, [
      { iface: 'customer', key: c, seq: 3, payload: customer(c, '查询客户') },
      { iface: 'invoice', key: inv, seq: 4, payload: invoice(inv, c) },
      { iface: 'invoice', key: inv, seq: 5, op: 'delete' },
    ]);
    await syncUntilIdle(deps(), { trigger: 'script', holder: 'test' });
    const res = await t.as(adminToken, { method: 'GET', url: `/api/erp/records/customer/${c}` });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.docKey, c);
    assert.equal(body.seq, 3);
    assert.equal(body.deleted, false);
    assert.equal(body.payload.name, '查询客户');
    const gone = (await t.as(adminToken, { method: 'GET', url: `/api/erp/records/invoice/${inv}` })).json();
    assert.deepEqual([gone.deleted, gone.seq, gone.payload], [true, 5, null]);
    const missing = await t.as(adminToken, { method: 'GET', url: '/api/erp/records/customer/NO-SUCH' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'erp.record_not_found');
    assert.equal((await t.as(adminToken, { method: 'GET', url: `/api/erp/records/contract/${c}` })).statusCode, 400);
    assert.equal((await t.as(customerToken, { method: 'GET', url: `/api/erp/records/customer/${c}` })).statusCode, 403);
  });

  test('freshness gives the data-as-of time of the interfaces a page uses, to any signed-in user', async () => {
    const res = await t.as(customerToken, { method: 'GET', url: '/api/erp/freshness?interfaces=delivery_note,invoice' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.ok(body.asOf);
    assert.equal(body.interfaces.length, 2);
    const bad = await t.as(customerToken, { method: 'GET', url: '/api/erp/freshness?interfaces=x;drop' });
    assert.equal(bad.statusCode, 400);
  });

  test('reconciliation agrees with the staging store, and reports a difference when the portal loses a record', async () => {
    await syncUntilIdle(deps(), { trigger: 'script', holder: 'test' });
    const ok = await t.as(adminToken, { method: 'GET', url: '/api/erp/reconciliation' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().differences, 0, JSON.stringify(ok.json().lines.filter((l: { matches: boolean }) => !l.matches)));
    // A date range narrows the dated documents; master data (no business date) is always compared.
    const ranged = (await t.as(adminToken, { method: 'GET', url: '/api/erp/reconciliation?from=2000-01-01&to=2000-01-02' })).json();
    assert.ok(ranged.lines.some((l: { interface: string; group: string }) => l.interface === 'customer' && l.group === 'none'), JSON.stringify(ranged.lines));
    assert.ok(!ranged.lines.some((l: { group: string }) => /^\d{4}-/.test(l.group) && l.group > '2000-01-02'));
    const victim = await t.db('erp_records').where({ interface: 'delivery_note', deleted: false }).first();
    await t.db('erp_records').where({ interface: 'delivery_note', doc_key: victim.doc_key }).delete();
    const diff = (await t.as(adminToken, { method: 'GET', url: '/api/erp/reconciliation' })).json();
    assert.ok(diff.differences >= 1);
    assert.ok(diff.lines.some((l: { interface: string; group: string; matches: boolean }) => l.interface === 'delivery_note' && !l.matches && l.group.startsWith('contract:')));
    await t.db('erp_records').insert(victim);
  });
});

describe('HTTP batches', () => {
  const post = (iface: string, body: unknown, opts: { key?: string; keyId?: string; ts?: number; raw?: string } = {}) => {
    const raw = opts.raw ?? JSON.stringify(body);
    const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
    return t.app.inject({
      method: 'POST',
      url: `/api/erp/batches/${iface}`,
      headers: {
        'content-type': 'application/json',
        'x-erp-key-id': opts.keyId ?? 'erp1',
        'x-erp-timestamp': ts,
        'x-erp-signature': signBody(opts.key ?? ERP_KEY, ts, raw),
      },
      payload: raw,
    });
  };

  test('a signed batch is stored once; the same batch again is a duplicate; another body under the same id is refused', async () => {
    const c = uid('C');
    const batch = { batchId: uid('B'), rows: [{ key: c, seq: 1, op: 'upsert', payload: customer(c) }] };
    const r1 = await post('customer', batch);
    assert.equal(r1.statusCode, 200, r1.body);
    assert.deepEqual({ ...(r1.json() as object), invalid: undefined }, { batchId: batch.batchId, interface: 'customer', accepted: 1, duplicate: false, invalid: undefined });
    const r2 = await post('customer', batch);
    assert.equal(r2.statusCode, 200);
    assert.equal(r2.json().duplicate, true);
    assert.equal((await t.stores.staging('erp_in_customer').where({ doc_key: c })).length, 1);
    const r3 = await post('customer', { ...batch, rows: [{ ...batch.rows[0]!, seq: 2 }] });
    assert.equal(r3.statusCode, 409);
    assert.equal(r3.json().error.code, 'erp.batch_conflict');
    await sync();
    assert.ok(await record('customer', c));
  });

  test('bad signatures, unknown keys, missing headers and replays outside the time window are refused with 401', async () => {
    const batch = { batchId: uid('B'), rows: [{ key: 'C1', seq: 1, op: 'upsert', payload: customer('C1') }] };
    const wrongKey = await post('customer', batch, { key: 'another-key-0123456789abcdef0123456789' });
    assert.equal(wrongKey.statusCode, 401);
    assert.equal(wrongKey.json().error.code, 'erp.signature_invalid');
    assert.equal((await post('customer', batch, { keyId: 'nobody' })).json().error.code, 'erp.key_unknown');
    const old = await post('customer', batch, { ts: Math.floor(Date.now() / 1000) - 3600 });
    assert.equal(old.statusCode, 401);
    assert.equal(old.json().error.code, 'erp.timestamp_out_of_window');
    const none = await t.app.inject({ method: 'POST', url: '/api/erp/batches/customer', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(batch) });
    assert.equal(none.statusCode, 401);
    // A body changed after signing fails, even by one byte.
    const raw = JSON.stringify(batch);
    const ts = String(Math.floor(Date.now() / 1000));
    const tampered = await t.app.inject({
      method: 'POST',
      url: '/api/erp/batches/customer',
      headers: { 'content-type': 'application/json', 'x-erp-key-id': 'erp1', 'x-erp-timestamp': ts, 'x-erp-signature': signBody(ERP_KEY, ts, raw) },
      payload: raw.replace('"seq":1', '"seq":2'),
    });
    assert.equal(tampered.statusCode, 401);
    assert.equal((await t.stores.staging('erp_http_batches').where({ batch_id: batch.batchId })).length, 0);
  });

  test('a signed batch with bad rows is stored and reported; the sync quarantines those rows like direct writes', async () => {
    const c = uid('C');
    const batch = {
      batchId: uid('B'),
      rows: [
        { key: c, seq: 1, op: 'upsert', payload: { ...customer(c), active: 'yes' } },
        { key: uid('C'), seq: 1, op: 'upsert', payload: customer('MISMATCH') },
      ],
    };
    const r = await post('customer', batch);
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().invalid.map((i: { index: number }) => i.index).sort(), [0, 1]);
    const before = Number((await t.db('erp_quarantine').count({ n: '*' }).first())!.n);
    await sync();
    const after = Number((await t.db('erp_quarantine').count({ n: '*' }).first())!.n);
    assert.equal(after - before, 2);
    // Envelope errors are refused at the door with the usual 400.
    const env = await post('customer', { batchId: uid('B'), rows: [{ key: 'x', seq: 0, op: 'upsert' }] });
    assert.equal(env.statusCode, 400);
    assert.equal(env.json().error.code, 'request.invalid');
    const iface = await post('nonsense', { batchId: uid('B'), rows: [{ key: 'x', seq: 1, op: 'delete' }] });
    assert.equal(iface.statusCode, 400);
  });
});
