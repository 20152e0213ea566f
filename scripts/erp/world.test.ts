// The ERP simulator: the same seed gives the same world; good rows pass the payload contract and never refer to a
// document the stream has not sent yet; --bad-rate spoils about that share of document rows; rows land in the
// staging store as the ERP would write them; follow mode answers outbound contracts and carries them through.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { INBOUND_INTERFACES, inboundTable, type InboundInterface } from '../../shared/erp/interfaces.js';
import { docKeyOf, parentsOf, validatePayload, type QualityCertificatePayload, type SalesOrderPayload } from '../../shared/erp/payloads.js';
import { DEMO_ORGS, creditCodeCheck } from '../../server/src/demo.js';
import { migrateLatest } from '../../server/src/db/migrate.js';
import { toDbTime } from '../../server/src/db/knex.js';
import { createStores, type Stores } from '../../server/test/helpers.js';
import { printedChemistry } from './documents.js';
import { followTick, generateWorld, newFollowState, simulateOnce, stagingRowCount, writeRows, type WorldOptions, type WorldRow } from './world.js';

const NOW = new Date('2026-11-23T02:00:00Z'); // 10:00 in China
const world = (o: Partial<WorldOptions> = {}) => generateWorld({ customers: 12, months: 2, scale: 1, badRate: 0, seed: 7, now: NOW, ...o });
const isMaster = (i: InboundInterface) => i === 'customer' || i === 'material';
const ofIface = <T>(rows: WorldRow[], iface: InboundInterface) => rows.filter((r) => r.iface === iface && r.op === 'upsert' && !r.bad).map((r) => r.payload as T);

/** Fails with the first good row whose parent was not sent (or was deleted) before it. */
function assertParentsFirst(rows: WorldRow[]) {
  const present = new Set<string>();
  for (const r of rows) {
    const k = `${r.iface}\u0000${r.key}`;
    if (r.op === 'delete') {
      present.delete(k);
      continue;
    }
    if (r.bad) continue;
    for (const p of parentsOf(r.iface, r.payload)) {
      assert.ok(present.has(`${p.iface}\u0000${p.key}`), `${r.iface} ${r.key} (seq ${r.seq}) refers to ${p.iface} ${p.key} at ${p.path} before it was sent`);
    }
    present.add(k);
  }
}

describe('the generated world', () => {
  const rows = world();

  test('the same seed gives the same world, another seed another one', () => {
    assert.deepEqual(world(), rows);
    assert.notDeepEqual(world({ seed: 8 }), rows);
  });

  test('the first three customers are the portal demo customers, with their codes, names and credit codes', () => {
    const customers = ofIface<{ code: string; name: string; creditCode: string; province: string; city: string }>(rows, 'customer');
    const demo = DEMO_ORGS.filter((o) => o.kind === 'customer');
    assert.deepEqual(
      customers.slice(0, 3).map((c) => [c.code, c.name, c.creditCode, c.province, c.city]),
      demo.map((o) => [o.code, o.name, o.creditCode, o.province, o.city]),
    );
    assert.deepEqual(customers.slice(0, 3).map((c) => c.code), ['C10001', 'C10002', 'C10003']);
  });

  test('every customer has a valid unified social credit code, a class, and distinct codes', () => {
    const customers = ofIface<{ code: string; creditCode: string; erpClass: string }>(rows, 'customer');
    for (const c of customers) {
      assert.equal(c.creditCode.length, 18);
      assert.equal(c.creditCode[17], creditCodeCheck(c.creditCode.slice(0, 17)), c.code);
      assert.ok(['协议户', '直供户', '战略客户'].includes(c.erpClass));
    }
    assert.equal(new Set(customers.map((c) => c.code)).size, 12);
    assert.equal(new Set(customers.map((c) => c.creditCode)).size, 12);
  });

  test('masters come before documents, and seq increases through the stream from startSeq', () => {
    const lastMaster = rows.map((r) => isMaster(r.iface)).lastIndexOf(true);
    const firstDoc = rows.findIndex((r) => !isMaster(r.iface));
    assert.ok(lastMaster < firstDoc);
    rows.forEach((r, i) => assert.equal(r.seq, i + 1));
    const later = world({ startSeq: 5001 });
    assert.equal(later[0].seq, 5001);
    assert.equal(later[later.length - 1].seq, 5000 + later.length);
  });

  test('every row passes the payload contract and its key is the payload key', () => {
    for (const r of rows) {
      if (r.op === 'delete') {
        assert.equal(r.payload, null);
        continue;
      }
      const v = validatePayload(r.iface, r.payload);
      assert.ok(v.ok, `${r.iface} ${r.key}: ${JSON.stringify(!v.ok && v.errors)}`);
      assert.equal(docKeyOf(r.iface, r.payload), r.key);
    }
  });

  test('parents are always sent before the documents that refer to them', () => {
    assertParentsFirst(rows);
  });

  test('all ten interfaces are present, with later versions of documents and a few deletes', () => {
    for (const i of INBOUND_INTERFACES) assert.ok(rows.some((r) => r.iface === i), i);
    const versions = new Map<string, number>();
    for (const r of rows) if (r.op === 'upsert') versions.set(`${r.iface}:${r.key}`, (versions.get(`${r.iface}:${r.key}`) ?? 0) + 1);
    assert.ok([...versions.entries()].some(([k, n]) => k.startsWith('sales_order:') && n > 1), 'orders get closed');
    assert.ok([...versions.entries()].some(([k, n]) => k.startsWith('production_order:') && n > 1), 'production moves on');
    assert.ok(rows.some((r) => r.op === 'delete'));
  });

  test('business dates lie in the past months, never today or later', () => {
    const dates = rows.flatMap((r) => {
      const p = r.payload as Record<string, string> | null;
      return p ? [p.orderDate, p.deliveryDate, p.invoiceDate, p.receiptDate, p.issueDate].filter(Boolean) : [];
    });
    assert.ok(dates.length > 100);
    for (const d of dates) assert.ok(d >= '2026-10-01' && d <= '2026-11-22', d);
  });

  test('sales orders carry realistic prices and amounts computed from them', () => {
    const orders = ofIface<SalesOrderPayload>(rows, 'sales_order');
    for (const o of orders) {
      for (const l of o.lines) {
        assert.ok(l.unitPriceFen >= 300_000 && l.unitPriceFen <= 550_000, `${o.orderNo}: ${l.unitPriceFen} fen/t`);
        assert.equal(l.amountFen, Math.round((l.quantityKg * l.unitPriceFen) / 1000));
      }
    }
  });

  test('invoices carry 13% VAT', () => {
    for (const i of ofIface<{ amountFen: number; taxFen: number }>(rows, 'invoice')) assert.ok(Math.abs(i.taxFen - i.amountFen * 0.13) <= 1);
  });

  test('trucks carry about 30–35 t, rail wagons about 60 t', () => {
    for (const d of ofIface<{ transport: string; totalWeightKg: number }>(rows, 'delivery_note')) {
      if (d.transport === 'truck') assert.ok(d.totalWeightKg <= 40_000, `truck ${d.totalWeightKg}`);
      if (d.transport === 'rail') assert.ok(d.totalWeightKg <= 65_000, `wagon ${d.totalWeightKg}`);
    }
  });

  test('rebar certificates meet GB/T 1499.2-2018 for HRB400E', () => {
    const batches = ofIface<QualityCertificatePayload>(rows, 'quality_certificate')
      .flatMap((c) => c.batches)
      .filter((b) => b.grade === 'HRB400E');
    assert.ok(batches.length > 0);
    for (const b of batches) {
      const c = b.chemistry;
      const m = b.mechanical;
      assert.ok(Number(c.C) >= 0.18 && Number(c.C) <= 0.25);
      assert.ok(Number(c.P) <= 0.045 && Number(c.S) <= 0.045);
      assert.ok(Number(c.Ceq) <= 0.54);
      assert.ok(Number(m.yieldMpa) >= 400 && Number(m.tensileMpa) >= 540);
      assert.ok(Number(m.tensileMpa) / Number(m.yieldMpa) >= 1.25);
      assert.ok(Number(m.agtPct) >= 9);
    }
  });

  test('certificates name their document type and vehicle, and print sulphur under the method limit as "S < 0.005"', () => {
    const certs = ofIface<QualityCertificatePayload>(rows, 'quality_certificate');
    const types = new Set<string>(certs.map((c) => c.documentType ?? 'absent'));
    for (const t of ['3.1', 'zh_quality_certificate', 'absent']) assert.ok(types.has(t), `no certificate of type ${t}: ${[...types]}`);
    assert.ok(certs.every((c) => c.vehicleNo));
    // This small world happens to have no heat that clean; printedChemistry below shows the rule itself.
    for (const b of certs.flatMap((c) => c.batches)) {
      if (b.results) assert.deepEqual([b.chemistry.S, b.results.map((r) => `${r.symbol} ${r.operator} ${r.value}`)], ['0.005', ['S < 0.005']]);
      else assert.ok(Number(b.chemistry.S) >= 0.005, b.chemistry.S);
    }
  });

  test('a sulphur content under 0.005 is printed "S < 0.005", at 0.005 and above as measured', () => {
    const chem = { C: '0.16', Si: '0.35', Mn: '1.45', P: '0.012', S: '0.004' };
    assert.deepEqual(printedChemistry(chem), {
      chemistry: { ...chem, S: '0.005' },
      results: [{ group: 'chemical', symbol: 'S', value: '0.005', operator: '<', unit: '%', method: 'GB/T 4336-2016' }],
    });
    assert.deepEqual(printedChemistry({ ...chem, S: '0.005' }), { chemistry: { ...chem, S: '0.005' } });
    assert.equal(validatePayload('quality_certificate', { ...ofIface<QualityCertificatePayload>(rows, 'quality_certificate')[0] }).ok, true);
  });

  test('--scale multiplies the documents', () => {
    const docs = (rs: WorldRow[]) => rs.filter((r) => r.iface === 'delivery_note').length;
    const double = world({ scale: 2 });
    const ratio = docs(double) / docs(rows);
    assert.ok(ratio > 1.5 && ratio < 2.6, `ratio ${ratio}`);
  });
});

describe('bad rows', () => {
  const rate = 0.1;
  const rows = world({ customers: 20, months: 3, badRate: rate });

  test('about the requested share of document rows is bad, masters never', () => {
    const docs = rows.filter((r) => !isMaster(r.iface));
    const bad = docs.filter((r) => r.bad).length;
    const share = bad / docs.length;
    assert.ok(share > rate * 0.75 && share < rate * 1.25, `share ${share}`);
    assert.ok(rows.filter((r) => isMaster(r.iface)).every((r) => !r.bad));
    const kinds = new Set(rows.filter((r) => r.bad).map((r) => r.bad));
    assert.deepEqual([...kinds].sort(), ['invalid_json', 'rule', 'schema']);
  });

  test('each bad row fails the way it claims, and every other row is still good', () => {
    for (const r of rows) {
      if (r.op === 'delete') continue;
      if (r.bad === 'invalid_json') {
        assert.equal(typeof r.payload, 'string');
        assert.throws(() => JSON.parse(r.payload as string));
        continue;
      }
      const v = validatePayload(r.iface, r.payload);
      if (!r.bad) assert.ok(v.ok, `${r.iface} ${r.key}`);
      else {
        assert.equal(v.ok, false, `${r.iface} ${r.key} should be bad (${r.bad})`);
        if (!v.ok) assert.equal(v.errors[0].rule === true, r.bad === 'rule', `${r.iface} ${r.key}: ${JSON.stringify(v.errors)}`);
      }
    }
  });

  test('good rows still find their parents earlier in the stream (a spoilt parent is sent again)', () => {
    assertParentsFirst(rows);
  });

  test('the bad rate spoils rows of the same world: the rest is the clean world row for row', () => {
    const clean = world({ customers: 20, months: 3 });
    const seen = new Set<string>();
    const stripped = rows.filter((r, i) => {
      const k = `${r.iface}:${r.key}`;
      const prev = rows[i - 1];
      // The corrected copy the ERP sends right after a spoilt first version of an order or delivery note.
      const resend = !r.bad && prev?.bad && prev.iface === r.iface && prev.key === r.key && !seen.has(k);
      if (!r.bad) seen.add(k);
      return !resend;
    });
    assert.equal(stripped.length, clean.length);
    stripped.forEach((r, i) => {
      assert.equal(`${r.iface}:${r.key}:${r.op}`, `${clean[i].iface}:${clean[i].key}:${clean[i].op}`);
      if (!r.bad) assert.deepEqual(r.payload, clean[i].payload);
    });
  });
});

describe('the staging store', () => {
  let stores: Stores;
  let staging: Knex;
  before(async () => {
    stores = await createStores();
    staging = stores.staging;
    await migrateLatest(staging, 'staging');
  });
  after(async () => stores?.cleanup());

  test('writeRows stores each row as the ERP would: key, seq, op, payload text, batch, receive time, state new', async () => {
    const rows: WorldRow[] = [
      { iface: 'customer', key: 'CW1', seq: 900_001, op: 'upsert', payload: { code: 'CW1' } },
      { iface: 'customer', key: 'CW1', seq: 900_002, op: 'upsert', payload: '{"code":"CW1",' },
      { iface: 'customer', key: 'CW1', seq: 900_003, op: 'delete', payload: null },
    ];
    const before = Date.now();
    assert.equal(await writeRows(staging, rows, 'B-TEST-1'), 3);
    const stored = await staging(inboundTable('customer')).where('doc_key', 'CW1').orderBy('id');
    assert.deepEqual(
      stored.map((r) => [Number(r.seq), r.op, r.payload, r.batch_id, r.state]),
      [
        [900_001, 'upsert', '{"code":"CW1"}', 'B-TEST-1', 'new'],
        [900_002, 'upsert', '{"code":"CW1",', 'B-TEST-1', 'new'],
        [900_003, 'delete', null, 'B-TEST-1', 'new'],
      ],
    );
    const at = Date.parse(String(stored[0].received_at).replace(' ', 'T') + 'Z');
    assert.ok(at >= before - 1000 && at <= Date.now() + 1000);
    await staging(inboundTable('customer')).where('doc_key', 'CW1').delete();
  });

  test('simulateOnce fills an empty store once, with every interface, and leaves a filled store alone', async () => {
    const n = await simulateOnce(staging, { customers: 8, months: 2, seed: 3 });
    assert.ok(n > 500, `${n} rows`);
    assert.equal(await stagingRowCount(staging), n);
    for (const i of INBOUND_INTERFACES) assert.ok(Number((await staging(inboundTable(i)).count({ c: '*' }).first())?.c) > 0, i);
    assert.equal(await simulateOnce(staging, { customers: 8, months: 2, seed: 3 }), 0);
  });

  test('follow mode accepts contracts as sales orders, rejects bad ones with a reason, and carries them through', async () => {
    const now = toDbTime(new Date());
    const maxBefore = Number((await staging(inboundTable('sales_order')).max({ m: 'seq' }).first())?.m);
    const contract = (no: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        contractNo: no,
        customerCode: 'C10001',
        signedAt: new Date().toISOString(),
        lines: [{ materialCode: 'RB-HRB400E-25', grade: 'HRB400E', spec: 'Φ25×12000', quantityKg: 120_000, unitPriceFen: 352_000, amountFen: 42_240_000 }],
        totalWeightKg: 120_000,
        totalAmountFen: 42_240_000,
        ...extra,
      });
    const out = [
      { doc_key: 'JN-HT-2026-0001', payload: contract('JN-HT-2026-0001') },
      { doc_key: 'JN-HT-2026-0002', payload: contract('JN-HT-2026-0002') },
      { doc_key: 'JN-HT-2026-0003', payload: '{"contractNo": "JN-HT-2026-0003", ' },
      { doc_key: 'JN-HT-2026-0004', payload: contract('JN-HT-2026-0004', { customerCode: 'C99999' }) },
      { doc_key: 'JN-HT-2026-0005', payload: contract('JN-HT-2026-0005', { lines: [] }) },
      { doc_key: 'JN-HT-2026-0006', payload: contract('JN-HT-2026-0006', { lines: [{ materialCode: 'RB-HRB400E-25', quantityKg: 1.5, unitPriceFen: 1 }] }) },
    ];
    await staging('erp_out_contract').insert(out.map((o, i) => ({ portal_outbox_id: 100 + i, ...o, created_at: now })));
    await staging('erp_out_demand').insert({ portal_outbox_id: 1, doc_key: 'XQ-1', payload: '{"customerCode":"C10001"}', created_at: now });
    await staging('erp_out_customer_profile').insert({ portal_outbox_id: 1, doc_key: 'C10002', payload: JSON.stringify({ customerCode: 'C10002', address: '浙江省杭州市西湖区文三路200号' }), created_at: now });

    const state = newFollowState({ seed: 11, contractRejectRate: 0, newOrderRate: 0 });
    const first = await followTick(staging, state);
    assert.deepEqual(first.acks.contract, { accepted: 2, rejected: 4 });
    assert.deepEqual(first.acks.demand, { accepted: 1, rejected: 0 });
    assert.deepEqual(first.acks.customer_profile, { accepted: 1, rejected: 0 });

    const acked = await staging('erp_out_contract').orderBy('id');
    assert.ok(acked.every((r) => r.acked_at));
    const accepted = acked.filter((r) => r.ack_state === 'accepted');
    assert.deepEqual(accepted.map((r) => r.doc_key), ['JN-HT-2026-0001', 'JN-HT-2026-0002']);
    for (const r of accepted) assert.match(r.erp_doc_no, /^SO\d{6}\d{4}$/);
    const reasons = acked.filter((r) => r.ack_state === 'rejected').map((r) => r.reject_reason as string);
    assert.match(reasons[0], /not valid JSON/);
    assert.match(reasons[1], /C99999/);
    assert.match(reasons[2], /no lines/);
    assert.match(reasons[3], /quantityKg/);
    const demand = await staging('erp_out_demand').first();
    assert.equal(demand.ack_state, 'accepted');
    assert.match(demand.erp_doc_no, /^XQ\d{10}$/);

    // The accepted contracts are sales orders under the ERP's number, with the portal's contract number.
    for (const r of accepted) {
      const row = await staging(inboundTable('sales_order')).where('doc_key', r.erp_doc_no).first();
      assert.ok(row, `sales order ${r.erp_doc_no}`);
      assert.ok(Number(row.seq) > maxBefore);
      const so = JSON.parse(row.payload) as SalesOrderPayload;
      assert.equal(so.contractNo, r.doc_key);
      assert.equal(so.totalWeightKg, 120_000);
      assert.equal(so.totalAmountFen, 42_240_000);
    }
    const profile = await staging(inboundTable('customer')).where('doc_key', 'C10002').orderBy('seq', 'desc').first();
    assert.equal(JSON.parse(profile.payload).address, '浙江省杭州市西湖区文三路200号');

    // Later ticks: production, deliveries with certificates, an invoice, and the order closed.
    const orderNos = accepted.map((r) => r.erp_doc_no as string);
    const closed = async () => {
      const latest = await Promise.all(orderNos.map((no) => staging(inboundTable('sales_order')).where('doc_key', no).orderBy('seq', 'desc').first()));
      return latest.every((r) => JSON.parse(r.payload).status === 'closed');
    };
    for (let i = 0; i < 20 && !(await closed()); i++) await followTick(staging, state);
    assert.ok(await closed(), 'the contract orders are delivered and closed');
    for (const no of orderNos) {
      const deliveries = await staging(inboundTable('delivery_note')).where('payload', 'like', `%"salesOrderNo":"${no}"%`);
      const kg = deliveries.reduce((s, d) => s + JSON.parse(d.payload).totalWeightKg, 0);
      assert.ok(kg >= 110_000 && kg <= 130_000, `${no}: ${kg} kg delivered`);
      for (const d of deliveries) assert.ok(await staging(inboundTable('quality_certificate')).where('payload', 'like', `%"deliveryNo":"${d.doc_key}"%`).first(), `certificate for ${d.doc_key}`);
      assert.ok(await staging(inboundTable('invoice')).where('payload', 'like', `%"salesOrderNo":"${no}"%`).first(), `invoice for ${no}`);
      const prod = await staging(inboundTable('production_order')).where('payload', 'like', `%"salesOrderNo":"${no}"%`).orderBy('seq', 'desc').first();
      assert.equal(JSON.parse(prod.payload).status, 'finished');
    }

    // A contract already answered is not answered again.
    const again = await followTick(staging, state);
    assert.deepEqual(again.acks.contract, { accepted: 0, rejected: 0 });
  });

  test('everything follow mode wrote is valid, keyed by its payload, in seq order, after its parents', async () => {
    const all: WorldRow[] = [];
    for (const iface of INBOUND_INTERFACES) {
      for (const r of await staging(inboundTable(iface)).select('doc_key', 'seq', 'op', 'payload')) {
        all.push({ iface, key: r.doc_key, seq: Number(r.seq), op: r.op, payload: r.payload === null ? null : JSON.parse(r.payload) });
      }
    }
    all.sort((a, b) => a.seq - b.seq);
    assert.equal(new Set(all.map((r) => r.seq)).size, all.length, 'seq numbers are unique');
    for (const r of all) {
      if (r.op === 'delete') continue;
      const v = validatePayload(r.iface, r.payload);
      assert.ok(v.ok, `${r.iface} ${r.key}: ${JSON.stringify(!v.ok && v.errors)}`);
      assert.equal(docKeyOf(r.iface, r.payload), r.key);
    }
    assertParentsFirst(all);
  });

  test('the ERP rejects roughly one in twenty good contracts for business reasons', async () => {
    const now = toDbTime(new Date());
    const rows = Array.from({ length: 200 }, (_, i) => ({
      portal_outbox_id: 1000 + i,
      doc_key: `JN-HT-2027-${String(i).padStart(4, '0')}`,
      payload: JSON.stringify({ contractNo: `JN-HT-2027-${i}`, customerCode: 'C10003', lines: [{ materialCode: 'PL-Q355B-20x2000', quantityKg: 30_000, unitPriceFen: 390_000 }] }),
      created_at: now,
    }));
    for (let i = 0; i < rows.length; i += 100) await staging('erp_out_contract').insert(rows.slice(i, i + 100));
    const state = newFollowState({ seed: 5, newOrderRate: 0 });
    const a = await followTick(staging, state);
    const b = await followTick(staging, state);
    const accepted = a.acks.contract.accepted + b.acks.contract.accepted;
    const rejected = a.acks.contract.rejected + b.acks.contract.rejected;
    assert.equal(accepted + rejected, 200);
    assert.ok(rejected >= 2 && rejected <= 25, `${rejected} rejected`);
  });
});
