// A ten-heat rebar certificate, the size the issue's benchmark names, printed by the renderer's tests and its benchmark;
// and a two-batch ERP certificate payload that the certificate store and printing tests materialise.
import type { CertificateBatch, CertificateDocument, CertificateResult } from '../src/modules/certificates/document.js';

const r = (symbol: string, valueText: string, o: Partial<CertificateResult> = {}): CertificateResult => ({ symbol, valueText, inSpec: true, ...o });

/** HRB400E to GB/T 1499.2-2024: chemistry maxima, mechanical minima, as a mill's ERP sends them. */
function batch(i: number): CertificateBatch {
  const heatNo = `2B${String(60412 + i * 7).padStart(6, '0')}`;
  return {
    heatNo,
    batchNo: `${heatNo}-0${1 + (i % 3)}`,
    bundleNos: i % 4 === 0 ? [`K${heatNo}01`, `K${heatNo}02`, `K${heatNo}03`] : undefined,
    grade: 'HRB400E',
    spec: i % 2 ? 'Φ25×12000' : 'Φ12×9000',
    pieces: 180 + i * 13,
    weightKg: 30_125 + i * 1_037,
    chemical: [
      r('C', `0.2${i}`, { max: '0.25' }),
      r('Si', '0.48', { max: '0.80' }),
      r('Mn', `1.3${i}`, { max: '1.60' }),
      r('P', i === 3 ? '0.0050' : `0.02${i}`, { max: '0.045' }),
      // Sulphur below the spectrometer's limit of detection is reported as "<0.005", not as a number.
      i % 3 === 0 ? r('S', '0.005', { operator: '<', max: '0.045' }) : r('S', `0.01${i}`, { max: '0.045' }),
      r('V', '0.031', {}),
      r('Ceq', i === 7 ? '0.55' : `0.4${i}`, { max: '0.54', inSpec: i === 7 ? false : true }),
    ],
    mechanical: [
      r('ReL', String(445 + i * 3), { unit: 'MPa', min: '400' }),
      r('Rm', String(610 + i * 4), { unit: 'MPa', min: '540' }),
      r('A', `2${i}.5`, { unit: '%', min: '16' }),
      r('Agt', `1${i}.0`, { unit: '%', min: '9.0' }),
      r('Rm°/ReL°', `1.3${i}`, { min: '1.25' }),
      r('ReL°/ReL', `1.1${i}`, { max: '1.30' }),
    ],
    other: [r('弯曲 Bend', '完好', { inSpec: null }), r('反向弯曲 Rebend', '完好', { inSpec: null }), r('重量偏差', `-2.${i}`, { unit: '%', min: '-4.0', max: '4.0' })],
    result: '合格',
  };
}

export function sampleCertificate(o: { heats?: number } = {}): CertificateDocument {
  return {
    certificateNo: 'ZB20261123001',
    documentType: '3.1',
    issueDate: '2026-11-23',
    standard: 'GB/T 1499.2-2024',
    productName: '热轧带肋钢筋',
    mill: { name: '江南钢铁股份有限公司', address: '江苏省张家港市锦丰镇沙钢大道1号', phone: '0512-58561234' },
    customerName: '上海恒达钢材贸易有限公司',
    contractNo: 'HT2026110007',
    deliveryNo: 'FH20261123-0458',
    vehicleNo: '苏E·7K235',
    inspector: '周建华',
    batches: Array.from({ length: o.heats ?? 10 }, (_, i) => batch(i)),
    copy: {
      copyNo: 'ZB20261123001-C0003',
      n: 2,
      m: 3,
      printedBy: '张伟',
      printedFor: '上海恒达钢材贸易有限公司',
      printedAt: '2026-11-23T06:05:00.000Z',
      verifyCode: 'K7QX-M2PD',
      verifyUrl: 'https://portal.example.com/verify/K7QXM2PD9F3T8W2A',
    },
  };
}

/** An ERP certificate payload: two HRB400E batches, the first carrying every kind of detail (operators, limits, identifiers). */
export function certificatePayload(no: string, customerCode: string, o: Record<string, unknown> = {}) {
  return {
    certificateNo: no,
    issueDate: '2026-11-05',
    standard: 'GB/T 1499.2-2018',
    customerCode,
    contractNo: 'HTSO-A1',
    salesOrderNo: 'SO-A1',
    deliveryNo: 'FH-A1',
    productName: '热轧带肋钢筋',
    documentType: '3.1',
    vehicleNo: '苏E12345',
    inspector: '赵敏',
    batches: [
      {
        heatNo: '26A01234',
        batchNo: '26A01234-01',
        grade: 'HRB400E',
        spec: 'Φ25×12000',
        pieces: 540,
        weightKg: 24_989,
        // C exactly at its maximum (0.25) is in specification; S is printed "< 0.0050".
        chemistry: { C: '0.25', Si: '0.45', Mn: '1.42', P: '0.028', S: '0.005', Ceq: '0.48', V: '0.035' },
        mechanical: { yieldMpa: '455', tensileMpa: '610', elongationPct: '22.5', agtPct: '12.0', tensileToYield: '1.34', bend: '合格' },
        bundleNos: ['B0001', 'B0002'],
        results: [
          { group: 'chemical', symbol: 'S', value: '0.0050', operator: '<', unit: '%', method: 'GB/T 4336-2016' },
          { group: 'other', symbol: 'ReL°/ReL', value: '1.31', max: '1.30' },
        ],
        otherTests: [{ name: '反向弯曲', result: '合格', method: 'YB/T 5126-2003' }],
      },
      {
        heatNo: '26A01240',
        batchNo: '26A01240-02',
        grade: 'HRB400E',
        spec: 'Φ25×12000',
        pieces: 100,
        weightKg: 4_628,
        // Mn above its maximum 1.60: out of specification, and the batch (no verdict sent) is 不合格.
        chemistry: { C: '0.21', Si: '0.50', Mn: '1.61', P: '0.030', S: '0.020', Ceq: '0.50' },
        mechanical: { yieldMpa: '430', tensileMpa: '575', elongationPct: '21.0', agtPct: '11.5', tensileToYield: '1.25', bend: '合格' },
      },
    ],
    ...o,
  };
}
