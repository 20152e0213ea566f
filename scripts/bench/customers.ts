// Customer benchmark data: N customers with M months of synced history written straight into erp_records (the
// sync's own throughput is a separate figure), as the sync would leave them: one sales order, delivery note,
// invoice and receipt per customer and month, and a current balance, with a seeded mix of late payers,
// cancellations and overdue customers so that grading takes every branch.
import type { Knex } from 'knex';
import { creditCodeCheck } from '../../server/src/demo.js';
import { toDbTime } from '../../server/src/db/knex.js';

const PROVINCES = [
  ['江苏省', '苏州市'],
  ['浙江省', '杭州市'],
  ['安徽省', '合肥市'],
  ['上海市', '上海市'],
  ['山东省', '济南市'],
  ['江西省', '南昌市'],
] as const;
const INDUSTRIES = ['建筑施工', '钢材贸易', '机械制造', '钢结构', '基础设施'];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * 86400_000);

export async function seedCustomerHistory(db: Knex, o: { customers: number; months: number; today: Date }): Promise<{ rows: number; customers: number }> {
  const rand = rng(20261123);
  const now = toDbTime(new Date());
  let stagingId = 0;
  let rows: Record<string, unknown>[] = [];
  let total = 0;
  const flush = async (force = false) => {
    if (rows.length >= 1000 || (force && rows.length)) {
      await db('erp_records').insert(rows);
      total += rows.length;
      rows = [];
    }
  };
  const rec = (iface: string, key: string, payload: unknown, lifted: Record<string, unknown>) =>
    rows.push({
      interface: iface,
      doc_key: key,
      seq: ++stagingId,
      staging_id: stagingId,
      deleted: false,
      payload: JSON.stringify(payload),
      payload_hash: null,
      customer_code: null,
      contract_no: null,
      order_no: null,
      doc_date: null,
      weight_kg: null,
      amount_fen: null,
      doc_status: null,
      due_date: null,
      synced_at: now,
      ...lifted,
    });

  for (let c = 1; c <= o.customers; c++) {
    const code = `B${String(c).padStart(5, '0')}`;
    const first17 = `91${String(320000 + (c % 99999)).padStart(6, '0')}MA${String(c).padStart(7, '0')}`.slice(0, 17);
    const [province, city] = PROVINCES[c % PROVINCES.length];
    rec(
      'customer',
      code,
      {
        code,
        name: `基准客户${code}有限公司`,
        creditCode: first17 + creditCodeCheck(first17),
        province,
        city,
        industry: INDUSTRIES[c % INDUSTRIES.length],
        contacts: [{ name: '采购部', phone: '0512-00000000' }],
        active: true,
      },
      { customer_code: code },
    );
    const latePayer = rand() < 0.2;
    const monthlyKg = 100_000 + Math.floor(rand() * 2_000_000);
    let invoiced = 0;
    let received = 0;
    for (let m = o.months; m >= 1; m--) {
      const d = addDays(o.today, -30 * m + Math.floor(rand() * 10));
      const orderNo = `${code}-SO${m}`;
      const kg = Math.floor(monthlyKg * (0.6 + rand() * 0.8));
      const fen = Math.floor((kg * 390_000) / 1000);
      const status = m <= 1 ? 'open' : rand() < 0.05 ? 'cancelled' : 'closed';
      rec('sales_order', orderNo, { orderNo, status }, { customer_code: code, order_no: orderNo, doc_date: day(d), weight_kg: kg, amount_fen: fen, doc_status: status });
      if (status === 'cancelled') continue;
      rec('delivery_note', `${code}-DN${m}`, { deliveryNo: `${code}-DN${m}` }, { customer_code: code, order_no: orderNo, doc_date: day(addDays(d, 3)), weight_kg: kg });
      if (status === 'open') continue;
      const inv = addDays(d, 5);
      rec('invoice', `${code}-IN${m}`, { invoiceNo: `${code}-IN${m}`, status: 'issued' }, {
        customer_code: code,
        order_no: orderNo,
        doc_date: day(inv),
        due_date: day(addDays(inv, 30)),
        amount_fen: fen,
        doc_status: 'issued',
      });
      invoiced += fen;
      if (m <= 2 && latePayer) continue;
      const paidFen = latePayer && rand() < 0.5 ? Math.floor(fen * 0.7) : fen;
      received += paidFen;
      rec('customer_receipt', `${code}-RC${m}`, { receiptNo: `${code}-RC${m}` }, { customer_code: code, doc_date: day(addDays(inv, latePayer ? 40 : 20)), amount_fen: paidFen });
      await flush();
    }
    const balanceFen = invoiced - received;
    rec(
      'customer_balance',
      code,
      {
        customerCode: code,
        asOf: o.today.toISOString(),
        creditLimitFen: (5 + Math.floor(rand() * 50)) * 1_000_000_00,
        balanceFen,
        advanceFen: Math.max(0, -balanceFen),
        overdueFen: latePayer ? Math.max(0, balanceFen) : 0,
        overdueDays: latePayer ? 10 + Math.floor(rand() * 80) : 0,
      },
      { customer_code: code, doc_date: day(o.today), amount_fen: balanceFen },
    );
    await flush();
  }
  await flush(true);
  return { rows: total, customers: o.customers };
}
