// Lifts the fields every module queries by out of an ERP payload: customer, contract, order, business date,
// and the control totals (weight in kg, money in fen) that reconciliation compares with the staging store.
import type { InboundInterface } from '../../../../shared/erp/interfaces.js';

export interface Lifted {
  customer_code: string | null;
  contract_no: string | null;
  order_no: string | null;
  doc_date: string | null;
  weight_kg: number | null;
  amount_fen: number | null;
  /** sales order, production order and invoice status */
  doc_status: string | null;
  /** an invoice's due date */
  due_date: string | null;
}

type P = Record<string, any>;
const s = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const n = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
const day = (v: unknown): string | null => (typeof v === 'string' && v.length >= 10 ? v.slice(0, 10) : null);

export function lift(iface: InboundInterface, p: P): Lifted {
  const out: Lifted = {
    customer_code: null,
    contract_no: null,
    order_no: null,
    doc_date: null,
    weight_kg: null,
    amount_fen: null,
    doc_status: null,
    due_date: null,
  };
  switch (iface) {
    case 'customer':
      out.customer_code = s(p.code);
      break;
    case 'material':
      break;
    case 'sales_order':
      Object.assign(out, {
        customer_code: s(p.customerCode),
        contract_no: s(p.contractNo),
        order_no: s(p.orderNo),
        doc_date: day(p.orderDate),
        weight_kg: n(p.totalWeightKg),
        amount_fen: n(p.totalAmountFen),
        doc_status: s(p.status),
      });
      break;
    case 'production_order':
      Object.assign(out, { order_no: s(p.salesOrderNo), doc_date: day(p.plannedStart), weight_kg: n(p.producedKg), doc_status: s(p.status) });
      break;
    case 'inventory':
      Object.assign(out, { doc_date: day(p.asOf), weight_kg: n(p.onHandKg) });
      break;
    case 'delivery_note':
      Object.assign(out, {
        customer_code: s(p.customerCode),
        contract_no: s(p.contractNo),
        order_no: s(p.salesOrderNo),
        doc_date: day(p.deliveryDate),
        weight_kg: n(p.totalWeightKg),
      });
      break;
    case 'invoice':
      Object.assign(out, {
        customer_code: s(p.customerCode),
        contract_no: s(p.contractNo),
        order_no: s(p.salesOrderNo),
        doc_date: day(p.invoiceDate),
        amount_fen: n(p.totalFen),
        doc_status: s(p.status),
        due_date: day(p.dueDate),
      });
      break;
    case 'customer_receipt':
      Object.assign(out, { customer_code: s(p.customerCode), doc_date: day(p.receiptDate), amount_fen: n(p.amountFen) });
      break;
    case 'customer_balance':
      Object.assign(out, { customer_code: s(p.customerCode), doc_date: day(p.asOf), amount_fen: n(p.balanceFen) });
      break;
    case 'quality_certificate': {
      const batches: P[] = Array.isArray(p.batches) ? p.batches : [];
      Object.assign(out, {
        customer_code: s(p.customerCode),
        contract_no: s(p.contractNo),
        order_no: s(p.salesOrderNo),
        doc_date: day(p.issueDate),
        weight_kg: batches.reduce((sum, b) => sum + (n(b.weightKg) ?? 0), 0),
      });
      break;
    }
  }
  return out;
}
