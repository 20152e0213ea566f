// Small factories of valid ERP payloads for the sync tests (field names as in shared/erp/payloads.ts).
import type { Knex } from 'knex';
import { inboundTable, type InboundInterface } from '../../shared/erp/interfaces.js';
import { toDbTime } from '../src/db/knex.js';

export const customer = (code: string, name = `测试客户${code}`) => ({
  code,
  name,
  creditCode: '91320505MA1N2B3C4W',
  province: '江苏省',
  city: '苏州市',
  contacts: [],
  active: true,
});

export const material = (code: string) => ({
  code,
  name: '热轧带肋钢筋',
  variety: 'rebar',
  grade: 'HRB400E',
  spec: 'Φ25×12000',
  standard: 'GB/T 1499.2-2018',
  active: true,
});

export const salesOrder = (orderNo: string, customerCode: string, materialCode: string, quantityKg = 32_000, unitPriceFen = 380_000) => {
  const amountFen = Math.round((quantityKg * unitPriceFen) / 1000);
  return {
    orderNo,
    orderDate: '2026-11-02',
    customerCode,
    contractNo: `HT${orderNo}`,
    status: 'open',
    lines: [{ lineNo: 1, materialCode, grade: 'HRB400E', spec: 'Φ25×12000', quantityKg, unitPriceFen, amountFen }],
    totalWeightKg: quantityKg,
    totalAmountFen: amountFen,
  };
};

export const deliveryNote = (deliveryNo: string, orderNo: string, customerCode: string, materialCode: string, weightKg = 31_250) => ({
  deliveryNo,
  deliveryDate: '2026-11-05',
  customerCode,
  contractNo: `HT${orderNo}`,
  salesOrderNo: orderNo,
  destination: { province: '江苏省', city: '苏州市', address: '高新区金山路 88 号工地' },
  transport: 'truck',
  vehicleNo: '苏E12345',
  lines: [{ lineNo: 1, materialCode, grade: 'HRB400E', spec: 'Φ25×12000', heatNo: '25A10234', pieces: 56, weightKg }],
  totalWeightKg: weightKg,
});

export const invoice = (invoiceNo: string, customerCode: string, amountFen = 1_000_000) => ({
  invoiceNo,
  invoiceDate: '2026-11-06',
  dueDate: '2026-12-06',
  customerCode,
  amountFen,
  taxFen: Math.round(amountFen * 0.13),
  totalFen: amountFen + Math.round(amountFen * 0.13),
  status: 'issued',
});

export const receipt = (receiptNo: string, customerCode: string, amountFen = 500_000) => ({
  receiptNo,
  receiptDate: '2026-11-07',
  customerCode,
  amountFen,
  method: 'bank_transfer',
});

export interface StagingRow {
  iface: InboundInterface;
  key: string;
  seq: number;
  op?: 'upsert' | 'delete';
  payload?: unknown;
}

/** Writes rows into the staging store as the ERP would (payload strings are written as they are). */
export async function writeStaging(staging: Knex, rows: StagingRow[], receivedAt = new Date()): Promise<number[]> {
  const ids: number[] = [];
  for (const r of rows) {
    const payload = r.payload === undefined ? null : typeof r.payload === 'string' ? r.payload : JSON.stringify(r.payload);
    const [id] = await staging(inboundTable(r.iface)).insert({
      doc_key: r.key,
      seq: r.seq,
      op: r.op ?? 'upsert',
      payload,
      received_at: toDbTime(receivedAt),
      state: 'new',
    });
    ids.push(Number(id));
  }
  return ids;
}
