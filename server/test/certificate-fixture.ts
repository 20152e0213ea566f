// A ten-heat rebar certificate, the size the issue's benchmark names, printed by the renderer's tests and its benchmark.
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
