// Quality certificates: materialised from ERP documents through the real sync (values kept as sent, limits from the
// certificate or the standard, in/out of specification exactly), re-sync and deletion, every search filter, the
// detail and EN 10168 JSON against hand-written expectations, withdrawal, and the access matrix.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeOrganisation, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';
import { customer, deliveryNote, material, salesOrder, writeStaging } from '../../../test/erp-fixtures.js';
import { certificatePayload } from '../../../test/certificate-fixture.js';
import type { CertificateDetail, CertificatePage } from '../../../../shared/api/certificates.js';
import { compareDecimal, inSpec } from './decimal.js';
import { certificateForPrint, certificatesOfContract, materialiseCertificates } from './service.js';
import { requirementFor } from './requirements.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
const tokens: Record<string, string> = {};
let codeA = '';
let codeB = '';
let seq = 100;

const get = (who: string, url: string) => t.as(tokens[who], { method: 'GET', url });
const errCode = (res: { json(): { error: { code: string } } }) => res.json().error.code;

/** A two-batch HRB400E certificate of customer A: the first batch carries every kind of detail. */
const certificate = (no: string, o: Record<string, unknown> = {}) => certificatePayload(no, codeA, o);

async function sync() {
  const r = await t.app.erpSync.runNow('manual', 5000);
  assert.equal(r.status, 'done', JSON.stringify(r));
  // The listeners run after the sync and a failure there is only logged: run the materialiser again, nothing is left.
  const again = await materialiseCertificates(t.db);
  assert.deepEqual([again.upserted, again.withdrawn], [0, 0]);
}

async function send(rows: { key: string; payload?: unknown; op?: 'upsert' | 'delete' }[]) {
  await writeStaging(t.stores.staging, rows.map((r) => ({ iface: 'quality_certificate' as const, key: r.key, seq: ++seq, op: r.op, payload: r.payload })));
  await sync();
}

async function idOf(no: string): Promise<number> {
  const r = await t.db('certificates').where('certificate_no', no).first('id');
  assert.ok(r, `certificate ${no} not materialised`);
  return Number(r.id);
}

async function search(who: string, query: string): Promise<string[]> {
  const res = await get(who, `/api/certificates?${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as CertificatePage).items.map((i) => i.certificateNo).sort();
}

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
  const otherManager = await makeUser(t.db, { organisationId: w.mill, role: 'account_manager' });
  for (const [k, u] of Object.entries({ ...w, otherManager })) if (typeof u === 'object') tokens[k] = (await t.signIn(u.username)).token;
  codeA = (await t.db('organisations').where('id', w.customerA).first('code')).code;
  codeB = (await t.db('organisations').where('id', w.customerB).first('code')).code;
  await writeStaging(t.stores.staging, [
    { iface: 'customer', key: codeA, seq: 1, payload: customer(codeA, '甲建工集团') },
    { iface: 'customer', key: codeB, seq: 1, payload: { ...customer(codeB, '乙钢构公司'), creditCode: '91320505MA1N2B3C5X' } },
    { iface: 'material', key: 'RB-HRB400E-25', seq: 1, payload: material('RB-HRB400E-25') },
    { iface: 'sales_order', key: 'SO-A1', seq: 1, payload: salesOrder('SO-A1', codeA, 'RB-HRB400E-25') },
    { iface: 'delivery_note', key: 'FH-A1', seq: 1, payload: deliveryNote('FH-A1', 'SO-A1', codeA, 'RB-HRB400E-25') },
  ]);
  await send([
    { key: 'ZB-A-0001', payload: certificate('ZB-A-0001') },
    {
      key: 'ZB-A-0002',
      payload: certificate('ZB-A-0002', {
        issueDate: '2026-11-20',
        contractNo: 'HT-A2',
        deliveryNo: undefined,
        salesOrderNo: undefined,
        documentType: undefined,
        standard: 'GB/T 1499.1-2017',
        productName: '热轧光圆钢筋',
        batches: [
          {
            heatNo: '26B00077',
            batchNo: '26B00077-01',
            grade: 'HPB300',
            spec: 'Φ8',
            pieces: 12,
            weightKg: 25_200,
            coilNos: ['26B00077-01-003'],
            chemistry: { C: '0.18', Si: '0.20', Mn: '0.45', P: '0.020', S: '0.015' },
            mechanical: { yieldMpa: '355', tensileMpa: '470', elongationPct: '31.0', agtPct: '14.0', bend: '合格' },
            result: '合格',
          },
        ],
      }),
    },
    { key: 'ZB-B-0001', payload: { ...certificate('ZB-B-0001', { customerCode: codeB, contractNo: 'HT-B1', deliveryNo: undefined, salesOrderNo: undefined, issueDate: '2026-10-30' }) } },
  ]);
});

after(() => t.close());

describe('exact decimals', () => {
  test('decimal strings compare by value with scaled integers, not floats', () => {
    assert.equal(compareDecimal('0.0050', '0.005'), 0);
    assert.equal(compareDecimal('0.1', '0.09999999999999999999'), 1);
    assert.equal(compareDecimal('1.60', '1.61'), -1);
    assert.throws(() => compareDecimal('1e3', '1'), RangeError);
  });

  test('an operator bounds the measurement: "< v" meets a max at or above v and fails a min at or above v', () => {
    assert.equal(inSpec('0.25', null, null, '0.25'), true);
    assert.equal(inSpec('0.26', '=', null, '0.25'), false);
    assert.equal(inSpec('0.005', '<', null, '0.045'), true);
    assert.equal(inSpec('0.050', '<', null, '0.045'), null);
    assert.equal(inSpec('400', '<', '400', null), false);
    assert.equal(inSpec('400', '≤', '400', null), null);
    assert.equal(inSpec('1.30', '>', null, '1.30'), false);
    assert.equal(inSpec('1.30', '≥', null, '1.30'), null);
    assert.equal(inSpec('540', '≥', '540', null), true);
    assert.equal(inSpec('0.5', null, null, null), null);
  });

  test('the standard is found among the several a certificate cites', () => {
    assert.equal(requirementFor('GB/T 3274-2017, GB/T 700-2006', 'Q235B')?.standard, 'GB/T 700');
    assert.equal(requirementFor('GB/T 1499.2-2018', 'Q235B'), null);
    assert.equal(requirementFor('GB/T 1499.2-2018', 'HRB400E')?.yieldSymbol, 'ReL');
  });
});

describe('materialisation', () => {
  test('the certificate is stored as data with every value exactly as the ERP sent it', async () => {
    const id = await idOf('ZB-A-0001');
    const res = await get('userA', `/api/certificates/${id}`);
    assert.equal(res.statusCode, 200, res.body);
    const c = res.json() as CertificateDetail;
    const { syncedAt, ...header } = c;
    assert.ok(syncedAt);
    const m = (symbol: string, value: string, unit: string | null, min: string | null, max: string | null, inSpecified: boolean | null, extra = {}) => ({
      group: 'mechanical', symbol, kind: 'measured', value, operator: null, unit, min, max, limitSource: min || max ? 'standard' : null, method: null, inSpec: inSpecified, ...extra,
    });
    const ch = (symbol: string, value: string, max: string | null, inSpecified: boolean | null) => ({
      group: 'chemical', symbol, kind: 'measured', value, operator: null, unit: '%', min: null, max, limitSource: max ? 'standard' : null, method: null, inSpec: inSpecified,
    });
    assert.deepEqual(header.batches[0], {
      position: 1,
      heatNo: '26A01234',
      batchNo: '26A01234-01',
      coilNos: [],
      bundleNos: ['B0001', 'B0002'],
      grade: 'HRB400E',
      spec: 'Φ25×12000',
      pieces: 540,
      weightKg: 24_989,
      // The ERP sent no verdict; ReL°/ReL 1.31 above the certificate's own 1.30 makes the batch 不合格.
      result: '不合格',
      resultSource: 'derived',
      results: [
        ch('C', '0.25', '0.25', true),
        ch('Si', '0.45', '0.80', true),
        ch('Mn', '1.42', '1.60', true),
        ch('P', '0.028', '0.045', true),
        { ...ch('S', '0.0050', '0.045', true), operator: '<', method: 'GB/T 4336-2016' },
        ch('Ceq', '0.48', '0.54', true),
        ch('V', '0.035', null, null),
        m('ReL', '455', 'MPa', '400', null, true),
        m('Rm', '610', 'MPa', '540', null, true),
        m('A', '22.5', '%', '16', null, true),
        m('Agt', '12.0', '%', '9.0', null, true),
        m('Rm°/ReL°', '1.34', null, '1.25', null, true),
        { group: 'other', symbol: 'ReL°/ReL', kind: 'measured', value: '1.31', operator: null, unit: null, min: null, max: '1.30', limitSource: 'certificate', method: null, inSpec: false },
        { group: 'other', symbol: '弯曲', kind: 'verdict', value: '合格', operator: null, unit: null, min: null, max: null, limitSource: null, method: null, inSpec: true },
        { group: 'other', symbol: '反向弯曲', kind: 'verdict', value: '合格', operator: null, unit: null, min: null, max: null, limitSource: null, method: 'YB/T 5126-2003', inSpec: true },
      ],
    });
    const second = header.batches[1];
    assert.deepEqual(
      second.results.filter((r) => r.inSpec === false).map((r) => `${r.symbol} ${r.value} > ${r.max}`),
      ['Mn 1.61 > 1.60'],
    );
    // Rm°/ReL° exactly at its minimum 1.25 is in specification.
    assert.equal(second.results.find((r) => r.symbol === 'Rm°/ReL°')?.inSpec, true);
    assert.equal(second.result, '不合格');
    const { batches, ...rest } = header;
    assert.equal(batches.length, 2);
    assert.deepEqual(rest, {
      id,
      certificateNo: 'ZB-A-0001',
      documentType: '3.1',
      issueDate: '2026-11-05',
      standard: 'GB/T 1499.2-2018',
      productName: '热轧带肋钢筋',
      customer: { id: w.customerA, code: codeA, name: '甲建工集团' },
      contractNo: 'HTSO-A1',
      deliveryNo: 'FH-A1',
      salesOrderNo: 'SO-A1',
      vehicleNo: '苏E12345',
      inspector: '赵敏',
      pieces: 640,
      weightKg: 29_617,
      result: '不合格',
      withdrawal: null,
    });
  });

  test('the value is also stored as a DECIMAL beside its text, and identifiers as their own rows', async () => {
    const id = await idOf('ZB-A-0001');
    const s = await t.db('certificate_results').where({ certificate_id: id, symbol: 'S' }).first('value', 'value_text', 'operator');
    assert.equal(s.value_text, '0.0050');
    assert.equal(s.operator, '<');
    assert.equal(compareDecimal(String(s.value), '0.005'), 0);
    const ids = await t.db('certificate_identifiers').where('certificate_id', id).orderBy('id').select('kind', 'value');
    assert.deepEqual(
      ids.map((r) => `${r.kind}:${r.value}`),
      ['heat:26A01234', 'batch:26A01234-01', 'bundle:B0001', 'bundle:B0002', 'heat:26A01240', 'batch:26A01240-02'],
    );
  });

  test('a certificate without a document type is a 质量证明书, and the mill’s own verdict is kept', async () => {
    const c = (await get('userA', `/api/certificates/${await idOf('ZB-A-0002')}`)).json() as CertificateDetail;
    assert.equal(c.documentType, 'zh_quality_certificate');
    assert.deepEqual([c.batches[0].result, c.batches[0].resultSource, c.batches[0].coilNos], ['合格', 'erp', ['26B00077-01-003']]);
    // HPB300 under GB/T 1499.1: Agt 14.0 against its minimum 10.0.
    assert.deepEqual(c.batches[0].results.find((r) => r.symbol === 'Agt'), {
      group: 'mechanical', symbol: 'Agt', kind: 'measured', value: '14.0', operator: null, unit: '%', min: '10.0', max: null, limitSource: 'standard', method: null, inSpec: true,
    });
  });

  test('a re-sent certificate replaces its batches, identifiers and results; the same payload again changes nothing', async () => {
    const next = certificate('ZB-A-0003');
    await send([{ key: 'ZB-A-0003', payload: next }]);
    const id = await idOf('ZB-A-0003');
    const corrected = certificate('ZB-A-0003', { batches: [{ ...next.batches[1], heatNo: '26A09999', batchNo: '26A09999-01', chemistry: { ...next.batches[1].chemistry, Mn: '1.55' } }] });
    await send([{ key: 'ZB-A-0003', payload: corrected }]);
    assert.equal(await idOf('ZB-A-0003'), id);
    const c = (await get('salesManager', `/api/certificates/${id}`)).json() as CertificateDetail;
    assert.deepEqual(c.batches.map((b) => [b.heatNo, b.result]), [['26A09999', '合格']]);
    assert.deepEqual(await search('salesManager', 'heatNo=26A01234&certificateNo=ZB-A-0003'), []);
    assert.deepEqual(await search('salesManager', 'heatNo=26A09999'), ['ZB-A-0003']);
    const rows = Number((await t.db('certificate_results').where('certificate_id', id).count({ n: '*' }).first())!.n);
    assert.equal(rows, c.batches[0].results.length);
    const before = await t.db('certificate_results').where('certificate_id', id).orderBy('id').pluck('id');
    await send([{ key: 'ZB-A-0003', payload: corrected }]);
    const again = await materialiseCertificates(t.db);
    assert.deepEqual([again.upserted, again.withdrawn, again.unchanged > 0], [0, 0, true]);
    assert.deepEqual(await t.db('certificate_results').where('certificate_id', id).orderBy('id').pluck('id'), before, 'the rows were not rewritten');
  });

  test('a certificate the ERP deletes is withdrawn by the ERP, and sent again it is back', async () => {
    await send([{ key: 'ZB-A-0004', payload: certificate('ZB-A-0004') }]);
    const id = await idOf('ZB-A-0004');
    await send([{ key: 'ZB-A-0004', op: 'delete' }]);
    const gone = (await get('userA', `/api/certificates/${id}`)).json() as CertificateDetail;
    assert.equal(gone.withdrawal?.by, 'erp');
    assert.match(gone.withdrawal!.reason, /ERP/);
    assert.deepEqual(await search('userA', 'withdrawn=true'), ['ZB-A-0004']);
    await send([{ key: 'ZB-A-0004', payload: certificate('ZB-A-0004') }]);
    assert.equal(((await get('userA', `/api/certificates/${id}`)).json() as CertificateDetail).withdrawal, null);
  });
});

describe('search', () => {
  test('each filter narrows the list', async () => {
    assert.deepEqual(await search('quality', 'certificateNo=ZB-A-000'), ['ZB-A-0001', 'ZB-A-0002', 'ZB-A-0003', 'ZB-A-0004']);
    assert.deepEqual(await search('quality', 'contractNo=HT-A2'), ['ZB-A-0002']);
    assert.deepEqual(await search('quality', 'deliveryNo=FH-A1&certificateNo=ZB-A-0001'), ['ZB-A-0001']);
    assert.deepEqual(await search('quality', 'heatNo=26B00077'), ['ZB-A-0002']);
    assert.deepEqual(await search('quality', 'heatNo=26B00077-01-003'), ['ZB-A-0002'], 'a coil number');
    assert.deepEqual(await search('quality', 'heatNo=B0002&certificateNo=ZB-B'), ['ZB-B-0001'], 'a bundle number');
    assert.deepEqual(await search('quality', 'grade=HPB300'), ['ZB-A-0002']);
    assert.deepEqual(await search('quality', 'spec=Φ8'), ['ZB-A-0002']);
    assert.deepEqual(await search('quality', 'from=2026-11-06'), ['ZB-A-0002']);
    assert.deepEqual(await search('quality', 'to=2026-10-30'), ['ZB-B-0001']);
    assert.deepEqual(await search('quality', 'from=2026-10-30&to=2026-10-30'), ['ZB-B-0001']);
    assert.deepEqual(await search('quality', `customerId=${w.customerB}`), ['ZB-B-0001']);
    assert.deepEqual(await search('quality', 'withdrawn=false&certificateNo=ZB-B'), ['ZB-B-0001']);
  });

  test('the list is paged, newest first, with each certificate’s grades, heats and totals', async () => {
    const res = await get('quality', '/api/certificates?pageSize=2&page=1');
    const p = res.json() as CertificatePage;
    assert.equal(p.total, 5);
    assert.deepEqual(p.items.map((i) => i.certificateNo), ['ZB-A-0002', 'ZB-A-0004']);
    const two = (await get('quality', '/api/certificates?pageSize=2&page=3')).json() as CertificatePage;
    assert.deepEqual(two.items.map((i) => i.certificateNo), ['ZB-B-0001']);
    const one = (await get('quality', '/api/certificates?certificateNo=ZB-A-0001')).json() as CertificatePage;
    assert.deepEqual(
      { ...one.items[0], id: 0 },
      {
        id: 0,
        certificateNo: 'ZB-A-0001',
        documentType: '3.1',
        issueDate: '2026-11-05',
        standard: 'GB/T 1499.2-2018',
        productName: '热轧带肋钢筋',
        customer: { id: w.customerA, code: codeA, name: '甲建工集团' },
        contractNo: 'HTSO-A1',
        deliveryNo: 'FH-A1',
        vehicleNo: '苏E12345',
        grades: ['HRB400E'],
        specs: ['Φ25×12000'],
        heatNos: ['26A01234', '26A01240'],
        pieces: 640,
        weightKg: 29_617,
        result: '不合格',
        withdrawal: null,
      },
    );
  });

  test('a bad filter is refused', async () => {
    assert.equal((await get('quality', '/api/certificates?from=2026-13-01')).statusCode, 400);
    assert.equal((await get('quality', '/api/certificates?colour=red')).statusCode, 400);
  });

  test('a contract’s certificates, as the contract page links them, by the caller’s access', async () => {
    const principal = (username: string, role: string, organisationId: number, kind: 'mill' | 'customer') =>
      ({ userId: 0, username, displayName: username, role, organisationId, organisationKind: kind, sessionId: 0, canAnswer: false, canSign: false, canPrint: false, mustChangePassword: false }) as never;
    const mine = await certificatesOfContract(t.db, principal('a', 'customer_user', w.customerA, 'customer'), 'HTSO-A1');
    assert.deepEqual(mine.map((c) => c.certificateNo).sort(), ['ZB-A-0001', 'ZB-A-0003', 'ZB-A-0004']);
    assert.deepEqual(await certificatesOfContract(t.db, principal('b', 'customer_user', w.customerB, 'customer'), 'HTSO-A1'), []);
  });
});

describe('EN 10168 JSON', () => {
  test('the certificate maps to the groups A, B, C, D and Z, served as a download', async () => {
    const id = await idOf('ZB-A-0001');
    const res = await get('userA', `/api/certificates/${id}/en10168.json`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-disposition'], 'attachment; filename="ZB-A-0001.en10168.json"');
    const doc = res.json();
    assert.deepEqual(doc.CommercialTransaction, {
      A01: '测试钢铁',
      A02: 'Inspection certificate EN 10204 3.1',
      A03: 'ZB-A-0001',
      A06: { Name: '甲建工集团', Code: codeA },
      A07: 'HTSO-A1',
      A08: 'SO-A1',
      A98: 'FH-A1',
      A10: { Key: 'VehicleNo', Value: '苏E12345' },
    });
    assert.deepEqual(doc.ProductDescription, { B01: '热轧带肋钢筋' });
    const item = doc.Items[0];
    assert.deepEqual(item.ProductDescription, {
      B02: { SteelDesignation: 'HRB400E', ProductNorm: 'GB/T 1499.2-2018' },
      B07: { Heat: '26A01234', Batch: '26A01234-01', Coils: [], Bundles: ['B0001', 'B0002'] },
      B08: 540,
      B09: 'Φ25×12000',
      B13: { Value: '24989', Unit: 'kg' },
    });
    assert.equal(item.Inspection.C00, '26A01234');
    assert.deepEqual(item.Inspection.C11, { Property: 'ReL', Value: '455', Unit: 'MPa', Minimum: '400', InSpec: true });
    assert.deepEqual(item.Inspection.C12, { Property: 'Rm', Value: '610', Unit: 'MPa', Minimum: '540', InSpec: true });
    assert.deepEqual(item.Inspection.C13, { Property: 'A', Value: '22.5', Unit: '%', Minimum: '16', InSpec: true });
    assert.deepEqual(item.Inspection.C16, { Property: 'Agt', Value: '12.0', Unit: '%', Minimum: '9.0', InSpec: true });
    assert.deepEqual(item.Inspection.C17, { Property: 'Rm°/ReL°', Value: '1.34', Minimum: '1.25', InSpec: true });
    assert.deepEqual(item.Inspection.C71, { Property: 'C', Value: '0.25', Unit: '%', Maximum: '0.25', InSpec: true });
    assert.deepEqual(item.Inspection.C75, { Property: 'S', Value: '0.0050', Operator: '<', Unit: '%', Maximum: '0.045', Method: 'GB/T 4336-2016', InSpec: true });
    assert.deepEqual(item.Inspection.C77, { Property: 'V', Value: '0.035', Unit: '%', InSpec: null });
    assert.equal(item.Inspection.C78, undefined);
    assert.deepEqual(item.OtherTests, {
      D50: { Property: 'ReL°/ReL', Value: '1.31', Maximum: '1.30', InSpec: false },
      D51: { Property: '弯曲', Value: '合格', InSpec: true },
      D52: { Property: '反向弯曲', Value: '合格', Method: 'YB/T 5126-2003', InSpec: true },
    });
    assert.equal(item.Result, '不合格');
    assert.deepEqual(doc.Validation, {
      Z01: 'Not every batch complies with GB/T 1499.2-2018: see each item\'s result. 部分批次不符合 GB/T 1499.2-2018，见各批检验结论。',
      Z02: '2026-11-05',
      Z03: { Name: '赵敏' },
    });
    assert.equal(doc.Withdrawal, null);
  });

  test('what the printed certificate shows comes in one call', async () => {
    const p = await certificateForPrint(t.db, await idOf('ZB-A-0002'));
    assert.deepEqual(p.mill?.name, '测试钢铁');
    assert.deepEqual(p.title, { zh: '质量证明书', en: 'Quality certificate (质量证明书)' });
    assert.match(p.statement, /comply with GB\/T 1499\.1-2017/);
    assert.equal(p.certificate.batches[0].results.find((r) => r.symbol === 'S')?.value, '0.015');
  });
});

describe('withdrawal', () => {
  test('quality staff withdraw a certificate with a reason, once, and it is audited', async () => {
    const id = await idOf('ZB-A-0003');
    const res = await t.as(tokens.quality, { method: 'POST', url: `/api/certificates/${id}/withdraw`, payload: { reason: 'ERP 更正了炉号' } });
    assert.equal(res.statusCode, 200, res.body);
    const c = res.json() as CertificateDetail;
    assert.deepEqual([c.withdrawal?.by, c.withdrawal?.reason], [w.quality.username, 'ERP 更正了炉号']);
    const again = await t.as(tokens.quality, { method: 'POST', url: `/api/certificates/${id}/withdraw`, payload: { reason: 'twice' } });
    assert.equal(again.statusCode, 409);
    assert.equal(errCode(again), 'certificate.already_withdrawn');
    assert.ok(await t.db('audit_log').where({ action: 'certificate.withdraw', entity_id: String(id) }).first());
    assert.equal(((await get('userA', `/api/certificates/${id}`)).json() as CertificateDetail).withdrawal?.reason, 'ERP 更正了炉号');
  });

  test('a withdrawal by quality staff survives the ERP sending the certificate again', async () => {
    const id = await idOf('ZB-A-0003');
    await send([{ key: 'ZB-A-0003', payload: certificate('ZB-A-0003', { vehicleNo: '苏E99999' }) }]);
    const c = (await get('quality', `/api/certificates/${id}`)).json() as CertificateDetail;
    assert.deepEqual([c.vehicleNo, c.withdrawal?.by], ['苏E99999', w.quality.username]);
  });

  test('only quality staff withdraw, and a reason is needed', async () => {
    const id = await idOf('ZB-A-0001');
    for (const who of ['userA', 'adminA', 'salesManager', 'accountManager', 'admin']) {
      const res = await t.as(tokens[who], { method: 'POST', url: `/api/certificates/${id}/withdraw`, payload: { reason: 'x' } });
      assert.equal(res.statusCode, 403, who);
    }
    assert.equal((await t.as(tokens.quality, { method: 'POST', url: `/api/certificates/${id}/withdraw`, payload: { reason: ' ' } })).statusCode, 400);
  });
});

describe('access', () => {
  test('a customer sees its own certificates only; another’s is not found', async () => {
    assert.deepEqual(await search('userB', ''), ['ZB-B-0001']);
    const a = await idOf('ZB-A-0001');
    for (const url of [`/api/certificates/${a}`, `/api/certificates/${a}/en10168.json`]) {
      const res = await get('userB', url);
      assert.equal(res.statusCode, 404, url);
      assert.equal(errCode(res), 'certificate.not_found');
    }
    assert.deepEqual(await search('userA', `customerId=${w.customerB}`), [], 'a customer cannot reach another by the filter');
  });

  test('an account manager sees their customers’ certificates, another account manager none of them', async () => {
    assert.deepEqual(await search('accountManager', ''), ['ZB-A-0001', 'ZB-A-0002', 'ZB-A-0003', 'ZB-A-0004']);
    assert.deepEqual(await search('otherManager', ''), []);
    assert.equal((await get('otherManager', `/api/certificates/${await idOf('ZB-A-0001')}`)).statusCode, 404);
    assert.equal((await get('accountManager', `/api/certificates/${await idOf('ZB-B-0001')}`)).statusCode, 404);
  });

  test('quality staff, sales managers and administrators see all', async () => {
    for (const who of ['quality', 'salesManager', 'admin']) assert.equal((await search(who, '')).length, 5, who);
  });

  test('without signing in nothing is shown', async () => {
    for (const url of ['/api/certificates', `/api/certificates/${await idOf('ZB-A-0001')}`, `/api/certificates/${await idOf('ZB-A-0001')}/en10168.json`]) {
      assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 401, url);
    }
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/certificates/1/withdraw`, payload: { reason: 'x' } })).statusCode, 401);
  });

  test('a certificate of a customer the portal has not matched yet is shown to staff only, and linked once it is', async () => {
    const code = 'C-LATE-1';
    await writeStaging(t.stores.staging, [{ iface: 'customer', key: code, seq: ++seq, payload: { ...customer(code, '丙公司'), creditCode: '91320505MA1N2B3C6Y' } }]);
    await send([{ key: 'ZB-C-0001', payload: certificate('ZB-C-0001', { customerCode: code, contractNo: 'HT-C1', deliveryNo: undefined, salesOrderNo: undefined }) }]);
    const org = await t.db('organisations').where('code', code).first('id');
    assert.ok(org, 'the customers module created the customer from the ERP');
    const c = (await get('quality', `/api/certificates/${await idOf('ZB-C-0001')}`)).json() as CertificateDetail;
    assert.deepEqual(c.customer, { id: Number(org.id), code, name: '丙公司' });
    const late = await makeOrganisation(t.db, { code: 'C-LATE-2' });
    await t.db('certificates').where('certificate_no', 'ZB-C-0001').update({ customer_id: null, customer_code: 'C-LATE-2' });
    assert.equal((await materialiseCertificates(t.db)).linked, 1);
    assert.equal((await t.db('certificates').where('certificate_no', 'ZB-C-0001').first('customer_id')).customer_id, late);
  });
});
