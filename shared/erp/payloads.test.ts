// The ERP payload contract: a valid example of each interface passes, wrong types and unknown fields are schema
// errors with a path, each cross-field rule is reported as a rule, and doc keys and parents come from the payload.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TSchema } from 'typebox';
import { INBOUND_INTERFACES, type InboundInterface } from './interfaces.js';
import { PAYLOAD_SCHEMAS, docKeyOf, parentsOf, validatePayload, type PayloadError } from './payloads.js';

// --- small factories of valid payloads, one per interface ----------------------------------------------------

const customer = () => ({
  code: 'C10001',
  name: '苏州恒达钢材贸易有限公司',
  shortName: '恒达钢材',
  creditCode: '91320505MA1N2B3C4W',
  province: '江苏省',
  city: '苏州市',
  address: '江苏省苏州市高新区金山路88号',
  industry: '钢材贸易',
  erpClass: '协议户',
  contacts: [{ name: '陈志强', phone: '13900000011', title: '总经理' }],
  active: true,
});
const material = () => ({ code: 'RB-HRB400E-25', name: '热轧带肋钢筋', variety: 'rebar', grade: 'HRB400E', spec: 'Φ25×12000', standard: 'GB/T 1499.2-2018', active: true });
const salesOrder = () => ({
  orderNo: 'SO2026110001',
  orderDate: '2026-11-02',
  customerCode: 'C10001',
  contractNo: 'HT-202611-0001',
  status: 'open',
  lines: [
    { lineNo: 1, materialCode: 'RB-HRB400E-25', grade: 'HRB400E', spec: 'Φ25×12000', quantityKg: 300_000, unitPriceFen: 345_000, amountFen: 103_500_000 },
    { lineNo: 2, materialCode: 'RB-HRB400E-20', grade: 'HRB400E', spec: 'Φ20×12000', quantityKg: 120_000, unitPriceFen: 346_000, amountFen: 41_520_000 },
    { lineNo: 3, materialCode: 'RB-HRB400E-25', grade: 'HRB400E', spec: 'Φ25×12000', quantityKg: 50_000, unitPriceFen: 345_000, amountFen: 17_250_000 },
  ],
  totalWeightKg: 470_000,
  totalAmountFen: 162_270_000,
});
const productionOrder = () => ({
  productionNo: 'MO2026110001',
  salesOrderNo: 'SO2026110001',
  materialCode: 'RB-HRB400E-25',
  grade: 'HRB400E',
  spec: 'Φ25×12000',
  workshop: '棒材一车间',
  plannedKg: 300_000,
  producedKg: 120_000,
  status: 'in_production',
  plannedStart: '2026-11-03',
  plannedFinish: '2026-11-08',
});
const inventory = () => ({
  warehouseCode: 'WH01',
  warehouseName: '棒线材成品库',
  materialCode: 'RB-HRB400E-25',
  grade: 'HRB400E',
  spec: 'Φ25×12000',
  onHandKg: 1_250_400,
  availableKg: 980_000,
  asOf: '2026-11-23T08:00:00+08:00',
});
const deliveryNote = () => ({
  deliveryNo: 'FH202611050001',
  deliveryDate: '2026-11-05',
  customerCode: 'C10001',
  contractNo: 'HT-202611-0001',
  salesOrderNo: 'SO2026110001',
  destination: { province: '江苏省', city: '苏州市', address: '苏州市高新区地铁5号线项目工地' },
  transport: 'truck',
  vehicleNo: '苏E12345',
  lines: [
    { lineNo: 1, materialCode: 'RB-HRB400E-25', grade: 'HRB400E', spec: 'Φ25×12000', heatNo: '26A01234', pieces: 540, weightKg: 24_989 },
    { lineNo: 2, materialCode: 'RB-HRB400E-25', grade: 'HRB400E', spec: 'Φ25×12000', heatNo: '26A01237', pieces: 162, weightKg: 7_497 },
  ],
  totalWeightKg: 32_486,
});
const invoice = () => ({
  invoiceNo: '26322000000003100001',
  invoiceDate: '2026-11-30',
  dueDate: '2026-12-30',
  customerCode: 'C10001',
  salesOrderNo: 'SO2026110001',
  amountFen: 9_911_504,
  taxFen: 1_288_496,
  totalFen: 11_200_000,
  status: 'issued',
});
const receipt = () => ({ receiptNo: 'SK202612150001', receiptDate: '2026-12-15', customerCode: 'C10001', amountFen: 11_200_000, method: 'bank_transfer', bankRef: 'ICBC2026121512345678' });
const balance = () => ({
  customerCode: 'C10001',
  asOf: '2026-11-23T00:00:00+08:00',
  creditLimitFen: 1_000_000_000,
  balanceFen: -2_500_000,
  advanceFen: 2_500_000,
  overdueFen: 0,
  overdueDays: 0,
});
const certificate = () => ({
  certificateNo: 'ZB202611050001',
  issueDate: '2026-11-05',
  standard: 'GB/T 1499.2-2018',
  customerCode: 'C10001',
  contractNo: 'HT-202611-0001',
  salesOrderNo: 'SO2026110001',
  deliveryNo: 'FH202611050001',
  productName: '热轧带肋钢筋',
  batches: [
    {
      heatNo: '26A01234',
      batchNo: '26A01234-01',
      grade: 'HRB400E',
      spec: 'Φ25×12000',
      pieces: 540,
      weightKg: 24_989,
      chemistry: { C: '0.22', Si: '0.45', Mn: '1.42', P: '0.028', S: '0.021', Ceq: '0.48', V: '0.035' },
      mechanical: { yieldMpa: '455', tensileMpa: '610', elongationPct: '22.5', agtPct: '12.0', tensileToYield: '1.34', bend: '合格' },
    },
  ],
  inspector: '赵敏',
});

const EXAMPLES: Record<InboundInterface, () => Record<string, any>> = {
  customer,
  material,
  sales_order: salesOrder,
  production_order: productionOrder,
  inventory,
  delivery_note: deliveryNote,
  invoice,
  customer_receipt: receipt,
  customer_balance: balance,
  quality_certificate: certificate,
};

function errorsOf(iface: InboundInterface, payload: unknown): PayloadError[] {
  const v = validatePayload(iface, payload);
  assert.equal(v.ok, false, `${iface} should be refused`);
  return v.ok ? [] : v.errors;
}
const schemaErrorAt = (iface: InboundInterface, payload: unknown, path: string) => {
  const errors = errorsOf(iface, payload);
  const e = errors.find((x) => x.path === path);
  assert.ok(e, `expected a schema error at ${path}, got ${JSON.stringify(errors)}`);
  assert.notEqual(e.rule, true);
  return e;
};
const ruleErrorAt = (iface: InboundInterface, payload: unknown, path: string) => {
  const errors = errorsOf(iface, payload);
  assert.deepEqual(
    errors.map((e) => [e.path, e.rule]),
    [[path, true]],
  );
  return errors[0];
};

describe('valid payloads', () => {
  for (const iface of INBOUND_INTERFACES) {
    test(`a complete ${iface} payload is accepted`, () => {
      assert.deepEqual(validatePayload(iface, EXAMPLES[iface]()), { ok: true });
    });
  }

  test('optional fields may be left out', () => {
    const c = customer();
    delete (c as Partial<typeof c>).shortName;
    delete (c as Partial<typeof c>).address;
    delete (c as Partial<typeof c>).industry;
    delete (c as Partial<typeof c>).erpClass;
    assert.deepEqual(validatePayload('customer', { ...c, contacts: [] }), { ok: true });
    const p = productionOrder();
    delete (p as Partial<typeof p>).salesOrderNo;
    assert.deepEqual(validatePayload('production_order', p), { ok: true });
    const q = certificate();
    delete (q as Partial<typeof q>).deliveryNo;
    assert.deepEqual(validatePayload('quality_certificate', q), { ok: true });
  });

  test('a customer balance may be negative (an advance), other money may not', () => {
    assert.deepEqual(validatePayload('customer_balance', { ...balance(), balanceFen: -9_000_000 }), { ok: true });
    schemaErrorAt('customer_balance', { ...balance(), advanceFen: -1 }, '/advanceFen');
  });
});

describe('schema errors', () => {
  test('a weight sent as tonnes text is refused at its path', () => {
    const so = salesOrder();
    (so.lines[0] as Record<string, unknown>).quantityKg = '300.000';
    const e = schemaErrorAt('sales_order', so, '/lines/0/quantityKg');
    assert.match(e.message, /integer/);
  });

  test('fractional kilograms and fen are refused: integers only', () => {
    schemaErrorAt('delivery_note', { ...deliveryNote(), totalWeightKg: 32_486.5 }, '/totalWeightKg');
    schemaErrorAt('invoice', { ...invoice(), taxFen: 1_288_496.4 }, '/taxFen');
  });

  test('chemistry as a float instead of a decimal string is refused', () => {
    const c = certificate();
    (c.batches[0].chemistry as Record<string, unknown>).C = 0.22;
    schemaErrorAt('quality_certificate', c, '/batches/0/chemistry/C');
    const d = certificate();
    d.batches[0].mechanical.yieldMpa = '455.12345';
    schemaErrorAt('quality_certificate', d, '/batches/0/mechanical/yieldMpa');
  });

  test('an unknown field is refused with its path, at the top and deep inside', () => {
    const top = schemaErrorAt('invoice', { ...invoice(), remark: '加急' }, '/remark');
    assert.match(top.message, /unknown field/);
    const c = certificate();
    (c.batches[0].chemistry as Record<string, unknown>).Mo = '0.01';
    schemaErrorAt('quality_certificate', c, '/batches/0/chemistry/Mo');
  });

  test('a missing required field and a value outside its list are refused', () => {
    const m = material() as Partial<ReturnType<typeof material>>;
    delete m.standard;
    assert.ok(errorsOf('material', m).length > 0);
    schemaErrorAt('delivery_note', { ...deliveryNote(), transport: 'air' }, '/transport');
    schemaErrorAt('customer_receipt', { ...receipt(), method: '现金' }, '/method');
  });

  test('dates must be YYYY-MM-DD calendar dates and timestamps ISO 8601', () => {
    schemaErrorAt('sales_order', { ...salesOrder(), orderDate: '2026/11/02' }, '/orderDate');
    schemaErrorAt('invoice', { ...invoice(), invoiceDate: '2026-02-30', dueDate: '2026-03-30' }, '/invoiceDate');
    schemaErrorAt('inventory', { ...inventory(), asOf: '2026-11-23 08:00' }, '/asOf');
  });

  test('a credit code must have the 18 characters of GB 32100', () => {
    schemaErrorAt('customer', { ...customer(), creditCode: '91320505MA1N2B3C4' }, '/creditCode');
    schemaErrorAt('customer', { ...customer(), creditCode: '91320505MA1N2B3C4I' }, '/creditCode');
  });

  test('something that is not an object is refused', () => {
    for (const v of [null, [], 'text', 42]) assert.equal(validatePayload('customer', v).ok, false);
  });

  test('every object in every schema refuses unknown fields, and every Kg/Fen field is an integer', () => {
    const walk = (s: TSchema & Record<string, any>, at: string) => {
      if (s.type === 'object') {
        assert.equal(s.additionalProperties, false, `${at} allows unknown fields`);
        for (const [k, v] of Object.entries(s.properties ?? {})) {
          if (/(Kg|Fen)$/.test(k)) assert.equal((v as Record<string, unknown>).type, 'integer', `${at}/${k} is not an integer`);
          walk(v as TSchema, `${at}/${k}`);
        }
      }
      if (s.type === 'array') walk(s.items, `${at}/items`);
    };
    for (const iface of INBOUND_INTERFACES) walk(PAYLOAD_SCHEMAS[iface], iface);
  });
});

describe('cross-field rules', () => {
  test("a sales order's total weight must be the sum of its lines", () => {
    const e = ruleErrorAt('sales_order', { ...salesOrder(), totalWeightKg: 471_000 }, '/totalWeightKg');
    assert.match(e.message, /470000/);
  });

  test("a sales order's total amount must be the sum of its lines", () => {
    ruleErrorAt('sales_order', { ...salesOrder(), totalAmountFen: 162_270_001 }, '/totalAmountFen');
  });

  test('line numbers are unique within a document', () => {
    const so = salesOrder();
    so.lines[2].lineNo = 1;
    ruleErrorAt('sales_order', so, '/lines/2/lineNo');
  });

  test("a delivery note's total weight must be the sum of its lines", () => {
    ruleErrorAt('delivery_note', { ...deliveryNote(), totalWeightKg: 32_000 }, '/totalWeightKg');
  });

  test("an invoice's total must be amount plus tax", () => {
    ruleErrorAt('invoice', { ...invoice(), totalFen: 11_200_001 }, '/totalFen');
  });

  test('an invoice cannot fall due before it is issued (the same day is fine)', () => {
    ruleErrorAt('invoice', { ...invoice(), dueDate: '2026-11-29' }, '/dueDate');
    assert.deepEqual(validatePayload('invoice', { ...invoice(), dueDate: '2026-11-30' }), { ok: true });
  });

  test('available stock cannot exceed stock on hand', () => {
    ruleErrorAt('inventory', { ...inventory(), availableKg: 1_250_401 }, '/availableKg');
    assert.deepEqual(validatePayload('inventory', { ...inventory(), availableKg: 1_250_400 }), { ok: true });
  });

  test('a production order cannot finish before it starts', () => {
    ruleErrorAt('production_order', { ...productionOrder(), plannedFinish: '2026-11-02' }, '/plannedFinish');
  });

  test('rules are only checked once the schema holds (no rule noise on a broken payload)', () => {
    const errors = errorsOf('invoice', { ...invoice(), totalFen: '112000.00' });
    assert.ok(errors.every((e) => e.rule !== true));
  });
});

describe('certificate details', () => {
  const detailed = () => {
    const c = certificate();
    const b = c.batches[0];
    b.chemistry.S = '0.005';
    return {
      ...c,
      documentType: '3.1',
      vehicleNo: '苏E12345',
      batches: [
        {
          ...b,
          coilNos: ['26A01234-01-001', '26A01234-01-002'],
          bundleNos: ['B0001'],
          results: [
            { group: 'chemical', symbol: 'S', value: '0.0050', operator: '<', unit: '%', max: '0.045', method: 'GB/T 4336-2016' },
            { group: 'chemical', symbol: 'B', value: '0.0003', unit: '%' },
            { group: 'mechanical', symbol: 'ReL', value: '455', unit: 'MPa', min: '400' },
            { group: 'other', symbol: 'ReL°/ReL', value: '1.12', max: '1.30' },
          ],
          otherTests: [{ name: '反向弯曲', result: '合格', method: 'YB/T 5126-2003' }],
          result: '合格',
        },
      ],
    };
  };

  test('document type, vehicle, coil and bundle numbers, results with operators and limits, other tests and a verdict are accepted', () => {
    assert.deepEqual(validatePayload('quality_certificate', detailed()), { ok: true });
  });

  test('a result value may carry up to 6 decimals, exactly as printed', () => {
    const c = detailed();
    c.batches[0].results[1].value = '0.000125';
    assert.deepEqual(validatePayload('quality_certificate', c), { ok: true });
    c.batches[0].results[1].value = '0.0001255';
    schemaErrorAt('quality_certificate', c, '/batches/0/results/1/value');
  });

  test('an unknown document type, operator or verdict is refused', () => {
    schemaErrorAt('quality_certificate', { ...detailed(), documentType: '3.1.B' }, '/documentType');
    const c = detailed();
    (c.batches[0].results[0] as Record<string, unknown>).operator = '<=';
    schemaErrorAt('quality_certificate', c, '/batches/0/results/0/operator');
    const d = detailed();
    (d.batches[0] as Record<string, unknown>).result = 'OK';
    schemaErrorAt('quality_certificate', d, '/batches/0/result');
  });

  test('a result that repeats a chemistry or mechanical field must carry its value', () => {
    const c = detailed();
    c.batches[0].results[0].value = '0.004';
    const e = ruleErrorAt('quality_certificate', c, '/batches/0/results/0/value');
    assert.match(e.message, /S 0\.004 differs from the value 0\.005/);
    const d = detailed();
    d.batches[0].results[2].value = '456';
    ruleErrorAt('quality_certificate', d, '/batches/0/results/2/value');
  });

  test('a result appears once per group and symbol, and its min is not above its max', () => {
    const c = detailed();
    c.batches[0].results.push({ group: 'chemical', symbol: 'B', value: '0.0003', unit: '%' });
    ruleErrorAt('quality_certificate', c, '/batches/0/results/4/symbol');
    const d = detailed();
    d.batches[0].results[3] = { ...d.batches[0].results[3], min: '1.31' } as never;
    ruleErrorAt('quality_certificate', d, '/batches/0/results/3/min');
  });
});

describe('document keys and parents', () => {
  test('the doc key comes from the payload', () => {
    const expected: Record<InboundInterface, string> = {
      customer: 'C10001',
      material: 'RB-HRB400E-25',
      sales_order: 'SO2026110001',
      production_order: 'MO2026110001',
      inventory: 'WH01:RB-HRB400E-25',
      delivery_note: 'FH202611050001',
      invoice: '26322000000003100001',
      customer_receipt: 'SK202612150001',
      customer_balance: 'C10001',
      quality_certificate: 'ZB202611050001',
    };
    for (const iface of INBOUND_INTERFACES) assert.equal(docKeyOf(iface, EXAMPLES[iface]()), expected[iface], iface);
  });

  test('masters have no parents', () => {
    assert.deepEqual(parentsOf('customer', customer()), []);
    assert.deepEqual(parentsOf('material', material()), []);
  });

  test("a sales order's parents are its customer and each material once, at the first line naming it", () => {
    assert.deepEqual(parentsOf('sales_order', salesOrder()), [
      { iface: 'customer', key: 'C10001', path: '/customerCode' },
      { iface: 'material', key: 'RB-HRB400E-25', path: '/lines/0/materialCode' },
      { iface: 'material', key: 'RB-HRB400E-20', path: '/lines/1/materialCode' },
    ]);
  });

  test('a delivery note waits for its customer, its sales order and its materials', () => {
    assert.deepEqual(parentsOf('delivery_note', deliveryNote()), [
      { iface: 'customer', key: 'C10001', path: '/customerCode' },
      { iface: 'sales_order', key: 'SO2026110001', path: '/salesOrderNo' },
      { iface: 'material', key: 'RB-HRB400E-25', path: '/lines/0/materialCode' },
    ]);
  });

  test('a production order needs its sales order only when it names one', () => {
    assert.deepEqual(parentsOf('production_order', productionOrder()), [
      { iface: 'material', key: 'RB-HRB400E-25', path: '/materialCode' },
      { iface: 'sales_order', key: 'SO2026110001', path: '/salesOrderNo' },
    ]);
    const forStock = productionOrder() as Partial<ReturnType<typeof productionOrder>>;
    delete forStock.salesOrderNo;
    assert.deepEqual(parentsOf('production_order', forStock), [{ iface: 'material', key: 'RB-HRB400E-25', path: '/materialCode' }]);
  });

  test('a certificate needs its delivery note only when it names one', () => {
    assert.deepEqual(parentsOf('quality_certificate', certificate()), [
      { iface: 'customer', key: 'C10001', path: '/customerCode' },
      { iface: 'delivery_note', key: 'FH202611050001', path: '/deliveryNo' },
    ]);
    const c = certificate() as Partial<ReturnType<typeof certificate>>;
    delete c.deliveryNo;
    assert.deepEqual(parentsOf('quality_certificate', c), [{ iface: 'customer', key: 'C10001', path: '/customerCode' }]);
  });

  test('money documents and stock need their customer or material', () => {
    for (const iface of ['invoice', 'customer_receipt', 'customer_balance'] as const) {
      assert.deepEqual(parentsOf(iface, EXAMPLES[iface]()), [{ iface: 'customer', key: 'C10001', path: '/customerCode' }]);
    }
    assert.deepEqual(parentsOf('inventory', inventory()), [{ iface: 'material', key: 'RB-HRB400E-25', path: '/materialCode' }]);
  });
});
