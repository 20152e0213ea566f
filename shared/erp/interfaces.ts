// The ten inbound ERP interfaces and three outbound ones: names, staging tables, apply order and parents.
// Masters come first in APPLY_ORDER so that documents find their customers and materials (DESIGN.md §2).

export const INBOUND_INTERFACES = [
  'customer',
  'material',
  'sales_order',
  'production_order',
  'inventory',
  'delivery_note',
  'invoice',
  'customer_receipt',
  'customer_balance',
  'quality_certificate',
] as const;
export type InboundInterface = (typeof INBOUND_INTERFACES)[number];

/** Masters before documents; a document's parents always come earlier in this order. */
export const APPLY_ORDER: readonly InboundInterface[] = INBOUND_INTERFACES;

export const OUTBOUND_KINDS = ['contract', 'demand', 'customer_profile'] as const;
export type OutboundKind = (typeof OUTBOUND_KINDS)[number];

export const inboundTable = (i: InboundInterface) => `erp_in_${i}`;
export const outboundTable = (k: OutboundKind) => `erp_out_${k}`;

export const INTERFACE_LABELS: Record<InboundInterface, { zh: string; en: string }> = {
  customer: { zh: '客户主数据', en: 'Customer master' },
  material: { zh: '物料主数据', en: 'Material master' },
  sales_order: { zh: '销售订单', en: 'Sales orders' },
  production_order: { zh: '生产订单', en: 'Production orders' },
  inventory: { zh: '库存', en: 'Inventory' },
  delivery_note: { zh: '发货单', en: 'Delivery notes' },
  invoice: { zh: '发票', en: 'Invoices' },
  customer_receipt: { zh: '客户收款', en: 'Customer receipts' },
  customer_balance: { zh: '客户余额', en: 'Customer balances' },
  quality_certificate: { zh: '质保书', en: 'Quality certificates' },
};

export const OUTBOUND_LABELS: Record<OutboundKind, { zh: string; en: string }> = {
  contract: { zh: '正式合同', en: 'Formal contracts' },
  demand: { zh: '客户需求', en: 'Customer demands' },
  customer_profile: { zh: '客户资料变更', en: 'Customer profile changes' },
};

export const STAGING_OPS = ['upsert', 'delete'] as const;
export type StagingOp = (typeof STAGING_OPS)[number];

/** Processing state of an inbound staging row, written back by the sync for the ERP side to see. */
export const STAGING_STATES = ['new', 'applied', 'stale', 'waiting', 'quarantined'] as const;
export type StagingState = (typeof STAGING_STATES)[number];

/** The ERP's answer to an outbound row. */
export const ACK_STATES = ['pending', 'accepted', 'rejected'] as const;
export type AckState = (typeof ACK_STATES)[number];
