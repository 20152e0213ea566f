// Business queries and management reports (业务信息查询, issue 8): the query string and the answer of every route.
// Weights are integer kilograms and money integer fen (DESIGN.md §3); the CSV form of a report (format=csv) carries
// exactly the same rows and totals, in tonnes with 3 decimals and yuan with 2, headers in the caller's language.
import { Type, type Static, type TSchema } from 'typebox';
import { VARIETIES } from '../erp/payloads.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Day = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'YYYY-MM-DD (China time)' });
const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });
const Kg = Type.Integer({ description: 'kilograms' });
const Fen = Type.Integer({ description: 'fen (0.01 yuan)' });
/** basis points: 10000 = 100 % */
const Bp = Type.Integer({ description: 'basis points, 10000 = 100 %' });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Id = Type.Integer({ minimum: 1 });

export const VarietySchema = Type.Unsafe<(typeof VARIETIES)[number]>({ type: 'string', enum: [...VARIETIES] });
export const REPORT_FORMATS = ['json', 'csv'] as const;
export const REPORT_LANGS = ['zh-CN', 'en'] as const;
export type ReportLang = (typeof REPORT_LANGS)[number];

/** Every report: format=csv answers text/csv (UTF-8 with BOM) with the same rows and totals; lang picks the CSV headers. */
const Output = {
  format: Type.Optional(Type.Unsafe<(typeof REPORT_FORMATS)[number]>({ type: 'string', enum: [...REPORT_FORMATS], default: 'json' })),
  lang: Type.Optional(Type.Unsafe<ReportLang>({ type: 'string', enum: [...REPORT_LANGS], default: 'zh-CN' })),
};
/** The paged tables' CSV holds every row of the filter (all pages), with the same totals. */
const Paging = {
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
};

export const ReportCustomer = Type.Object({ id: Nullable(Type.Integer()), code: Type.String(), name: Nullable(Type.String()) });
export type ReportCustomer = Static<typeof ReportCustomer>;

// ---------------------------------------------------------------- customers' queries

/** A customer sees its own organisation; staff pass customerId (an account manager only one of their customers). */
const CustomerScope = { customerId: Type.Optional(Id) };

export const FUND_ENTRY_TYPES = ['receipt', 'invoice'] as const;
export type FundEntryType = (typeof FUND_ENTRY_TYPES)[number];

export const FundsQuery = Type.Object(
  {
    ...CustomerScope,
    /** entry date from, inclusive; default: the first day of the current year */
    from: Type.Optional(Day),
    /** entry date to, inclusive; default: today */
    to: Type.Optional(Day),
    /** only receipts or only invoices (the running balance still counts both) */
    type: Type.Optional(Type.Unsafe<FundEntryType>({ type: 'string', enum: [...FUND_ENTRY_TYPES] })),
    ...Paging,
    ...Output,
  },
  { additionalProperties: false },
);
export type FundsQuery = Static<typeof FundsQuery>;

/** One receipt (credit) or invoice (debit, tax included, cancelled invoices left out), in date then document order. */
export const FundEntry = Type.Object({
  date: Day,
  type: Type.Unsafe<FundEntryType>({ type: 'string', enum: [...FUND_ENTRY_TYPES] }),
  docNo: Type.String(),
  contractNo: Nullable(Type.String()),
  /** invoice total: what the customer owes more */
  debitFen: Fen,
  /** receipt: what the customer paid */
  creditFen: Fen,
  /** balance after this entry; positive: the customer owes, negative: paid in advance (the ERP's sign) */
  balanceFen: Fen,
});
export type FundEntry = Static<typeof FundEntry>;

export const FundLedger = Type.Object({
  customer: ReportCustomer,
  from: Day,
  to: Day,
  /** balance of every entry before `from` */
  openingBalanceFen: Fen,
  /** balance after every entry up to `to` */
  closingBalanceFen: Fen,
  /** sums over the filtered entries of the period (all pages) */
  totals: Type.Object({ debitFen: Fen, creditFen: Fen, receipts: Type.Integer(), invoices: Type.Integer() }),
  /** the balance of all synced receipts and invoices to date, beside the ERP's own balance */
  reconciliation: Type.Object({
    ledgerBalanceFen: Fen,
    /** null when the ERP has sent no balance for the customer */
    erpBalanceFen: Nullable(Fen),
    erpAsOf: Nullable(Type.String()),
    /** ledger − ERP; shown, never hidden; null without an ERP balance */
    differenceFen: Nullable(Fen),
  }),
  items: Type.Array(FundEntry),
  total: Type.Integer(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
});
export type FundLedger = Static<typeof FundLedger>;

export const CreditQuery = Type.Object({ ...CustomerScope, ...Output }, { additionalProperties: false });
export type CreditQuery = Static<typeof CreditQuery>;

export const CreditMonth = Type.Object({
  month: Month,
  invoicedFen: Fen,
  receivedFen: Fen,
  /** ledger balance at the end of the month: the credit in use */
  usedFen: Fen,
  /** used ÷ the current limit; 0 without a limit */
  usedBp: Bp,
});
export type CreditMonth = Static<typeof CreditMonth>;

export const CreditView = Type.Object({
  customer: ReportCustomer,
  /** from the ERP's customer balance */
  limitFen: Fen,
  /** what the customer owes now (positive balance) */
  usedFen: Fen,
  /** limit − used, never below 0 */
  availableFen: Fen,
  overdueFen: Fen,
  overdueDays: Type.Integer(),
  asOf: Nullable(Type.String()),
  /** the last 12 months, oldest first, the current month last */
  months: Type.Array(CreditMonth),
});
export type CreditView = Static<typeof CreditView>;

export const CONTRACT_PROGRESS_STATES = ['open', 'done'] as const;

export const ContractProgressQuery = Type.Object(
  {
    ...CustomerScope,
    /** prefix of the contract number */
    contractNo: Type.Optional(Text(64)),
    /** contract (order) date from, inclusive */
    from: Type.Optional(Day),
    /** contract (order) date to, inclusive */
    to: Type.Optional(Day),
    /** open: shipped below contracted; done: shipped reached contracted */
    state: Type.Optional(Type.Unsafe<(typeof CONTRACT_PROGRESS_STATES)[number]>({ type: 'string', enum: [...CONTRACT_PROGRESS_STATES] })),
    ...Paging,
    ...Output,
  },
  { additionalProperties: false },
);
export type ContractProgressQuery = Static<typeof ContractProgressQuery>;

/** Execution figures of one contract; every figure is also in the totals. */
const progressProps = {
  contractedKg: Kg,
  contractedFen: Fen,
  scheduledKg: Kg,
  shippedKg: Kg,
  /** shipped tonnage valued at the contract's average price */
  shippedFen: Fen,
  /** invoiced amount (not cancelled), converted to tonnage at the contract's average price */
  settledKg: Kg,
  settledFen: Fen,
};
export const ProgressFigures = Type.Object(progressProps);
export type ProgressFigures = Static<typeof ProgressFigures>;

export const ContractProgressRow = Type.Object({
  /** the contract number, or the sales order number when the ERP order carries none */
  contractNo: Type.String(),
  customer: ReportCustomer,
  /** the earliest live sales order's date; null when the ERP has no live order for it (only shipments or invoices) */
  date: Nullable(Day),
  /** shipped ÷ contracted, capped at 10000 */
  doneBp: Bp,
  ...progressProps,
});
export type ContractProgressRow = Static<typeof ContractProgressRow>;

export const ContractProgress = Type.Object({
  items: Type.Array(ContractProgressRow),
  total: Type.Integer(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  /** over every contract of the filter, not only the page */
  totals: Type.Object({ ...progressProps, contracts: Type.Integer(), doneBp: Bp }),
});
export type ContractProgress = Static<typeof ContractProgress>;

// ---------------------------------------------------------------- management reports

/** A period of whole months; default: the current year to the current month. */
const Period = {
  from: Type.Optional(Month),
  to: Type.Optional(Month),
};
/** Narrowing shared by the management reports, so that the same filter gives figures that agree across them. */
const Narrow = {
  variety: Type.Optional(VarietySchema),
  /** customer class id (customers module) */
  classId: Type.Optional(Id),
};

export const ManagersQuery = Type.Object(
  {
    ...Period,
    ...Narrow,
    /** drill down: one manager's customers; 0 means the customers without a manager */
    managerId: Type.Optional(Type.Integer({ minimum: 0 })),
    /** drill down further: one customer's contracts (with or without managerId) */
    customerId: Type.Optional(Id),
    ...Output,
  },
  { additionalProperties: false },
);
export type ManagersQuery = Static<typeof ManagersQuery>;

export const MANAGER_REPORT_LEVELS = ['managers', 'customers', 'contracts'] as const;

/**
 * One row of the progress-by-responsible-person table. In the period: contracts signed and contracted tonnage by
 * order date, scheduled by planned start, shipped by delivery date, settled by invoice date. Open: contracted − shipped
 * (to date) of the contracts signed in the period, not below 0; overdue: those contracts older than the delivery term
 * (order month + 1 ended) with open tonnage.
 */
export const ManagerRow = Type.Object({
  /** managers level: the manager's user id, null for the 未分配 / unassigned row */
  managerId: Nullable(Type.Integer()),
  managerName: Nullable(Type.String()),
  /** customers and contracts levels */
  customer: Nullable(ReportCustomer),
  /** contracts level */
  contractNo: Nullable(Type.String()),
  contractsSigned: Type.Integer(),
  contractedKg: Kg,
  contractedFen: Fen,
  scheduledKg: Kg,
  shippedKg: Kg,
  settledFen: Fen,
  openKg: Kg,
  overdueContracts: Type.Integer(),
  overdueKg: Kg,
});
export type ManagerRow = Static<typeof ManagerRow>;

const ManagerTotals = Type.Omit(ManagerRow, ['managerId', 'managerName', 'customer', 'contractNo']);

export const ManagersReport = Type.Object({
  level: Type.Unsafe<(typeof MANAGER_REPORT_LEVELS)[number]>({ type: 'string', enum: [...MANAGER_REPORT_LEVELS] }),
  from: Month,
  to: Month,
  rows: Type.Array(ManagerRow),
  totals: ManagerTotals,
});
export type ManagersReport = Static<typeof ManagersReport>;

export const RegionalFlowQuery = Type.Object(
  {
    ...Period,
    ...Narrow,
    /** only one destination province: its cities */
    province: Type.Optional(Text(30)),
    ...Output,
  },
  { additionalProperties: false },
);
export type RegionalFlowQuery = Static<typeof RegionalFlowQuery>;

/** Shipped tonnage to one destination; previous: the same number of months just before the period. */
export const FlowRow = Type.Object({
  province: Type.String(),
  /** null on a province's subtotal row */
  city: Nullable(Type.String()),
  shippedKg: Kg,
  previousKg: Kg,
  /** shippedKg − previousKg */
  changeKg: Kg,
  /** change ÷ previous; null when there was nothing before */
  changeBp: Nullable(Bp),
  /** share of the period's total */
  shareBp: Bp,
});
export type FlowRow = Static<typeof FlowRow>;

/** One edge of the flow diagram: from the mill's variety to a destination province. */
export const FlowLink = Type.Object({ variety: VarietySchema, province: Type.String(), shippedKg: Kg });

export const RegionalFlowReport = Type.Object({
  from: Month,
  to: Month,
  previousFrom: Month,
  previousTo: Month,
  /** provinces ranked by shipped tonnage (the ranked bars) */
  provinces: Type.Array(FlowRow),
  /** cities ranked by shipped tonnage within their province order */
  cities: Type.Array(FlowRow),
  /** variety → province (the flow diagram) */
  links: Type.Array(FlowLink),
  totals: Type.Object({ shippedKg: Kg, previousKg: Kg, changeKg: Kg, changeBp: Nullable(Bp) }),
});
export type RegionalFlowReport = Static<typeof RegionalFlowReport>;

export const OverviewQuery = Type.Object({ ...Period, ...Narrow, ...Output }, { additionalProperties: false });
export type OverviewQuery = Static<typeof OverviewQuery>;

export const OVERVIEW_DIMENSIONS = ['variety', 'class', 'month'] as const;

/** Contracted by order date, shipped by delivery date, in the period; shipped amount valued at each contract's average price. */
export const OverviewRow = Type.Object({
  /** variety code, class code (or 'none'), or YYYY-MM */
  key: Type.String(),
  /** a label for classes (in Chinese); null where the web labels the key itself */
  label: Nullable(Type.String()),
  contractedKg: Kg,
  contractedFen: Fen,
  shippedKg: Kg,
  shippedFen: Fen,
});
export type OverviewRow = Static<typeof OverviewRow>;

export const OverviewReport = Type.Object({
  from: Month,
  to: Month,
  byVariety: Type.Array(OverviewRow),
  byClass: Type.Array(OverviewRow),
  byMonth: Type.Array(OverviewRow),
  totals: Type.Object({ contractedKg: Kg, contractedFen: Fen, shippedKg: Kg, shippedFen: Fen }),
  /** allocation module: tonnage offered to customers in plans of the period vs what they answered (accepted) */
  allocation: Type.Object({ offeredKg: Kg, answeredKg: Kg, answeredBp: Bp, allocations: Type.Integer(), answered: Type.Integer() }),
});
export type OverviewReport = Static<typeof OverviewReport>;
