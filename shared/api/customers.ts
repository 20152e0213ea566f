// Customers (客户信息管理): classes and their sales policies, the customer profile matched to the ERP master,
// contracted varieties, credit (limit, used, available, overdue), the credit grade, groups, policies and exceptions.
// Money is integer fen, tonnage integer kilograms (DESIGN.md §3).
import { Type, type Static } from 'typebox';
import { PageQuery, Page, Timestamp } from './common.js';
import { VARIETIES } from '../erp/payloads.js';

export { VARIETIES };

const Nullable = <T extends ReturnType<typeof Type.String | typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);
const Fen = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'fen (0.01 yuan)' });
const SignedFen = Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description: 'fen, may be negative' });
const Kg = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'kilograms' });
/** A reason for an audited decision: at least one character that is not blank. */
export const Reason = Type.String({ minLength: 2, maxLength: 500, pattern: '\\S' });

export const CREDIT_GRADES = ['AAA', 'AA', 'A', 'B', 'C'] as const;
export type CreditGrade = (typeof CREDIT_GRADES)[number];
export const CreditGradeSchema = Type.Unsafe<CreditGrade>({ type: 'string', enum: [...CREDIT_GRADES] });

export const MATCH_STATES = ['matched', 'unmatched', 'conflict'] as const;
export type MatchState = (typeof MATCH_STATES)[number];
export const MatchStateSchema = Type.Unsafe<MatchState>({ type: 'string', enum: [...MATCH_STATES] });

export const VarietySchema = Type.Unsafe<(typeof VARIETIES)[number]>({ type: 'string', enum: [...VARIETIES] });

export const PAYMENT_TERMS = ['prepay', 'cash_on_delivery', 'deferred'] as const;
export type PaymentTerms = (typeof PAYMENT_TERMS)[number];
export const PaymentTermsSchema = Type.Unsafe<PaymentTerms>({ type: 'string', enum: [...PAYMENT_TERMS] });

// ---- classes and their sales policy ----

export const CustomerClass = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  nameZh: Type.String(),
  nameEn: Type.String(),
  /** 1 is served first when the month's tonnage is allocated */
  allocationPriority: Type.Integer(),
  /** added to the list price per tonne, fen; negative is a discount */
  priceAdjustFenPerT: SignedFen,
  paymentTerms: PaymentTermsSchema,
  /** days of credit for deferred payment, 0 otherwise */
  paymentDays: Type.Integer(),
  depositRequired: Type.Boolean(),
  /** deposit as a percentage of the contract value, when required */
  depositPct: Type.Integer(),
  /** internal approval levels an allocation answer of this class needs (the Allocation module's rules) */
  approvalLevels: Type.Integer(),
  active: Type.Boolean(),
  customerCount: Type.Integer(),
});
export type CustomerClass = Static<typeof CustomerClass>;

const classFields = {
  nameZh: Type.String({ minLength: 1, maxLength: 32 }),
  nameEn: Type.String({ minLength: 1, maxLength: 64 }),
  allocationPriority: Type.Integer({ minimum: 1, maximum: 99 }),
  priceAdjustFenPerT: Type.Integer({ minimum: -100_000_00, maximum: 100_000_00 }),
  paymentTerms: PaymentTermsSchema,
  paymentDays: Type.Integer({ minimum: 0, maximum: 365 }),
  depositRequired: Type.Boolean(),
  depositPct: Type.Integer({ minimum: 0, maximum: 100 }),
  approvalLevels: Type.Integer({ minimum: 1, maximum: 5 }),
};
export const CreateClassBody = Type.Object(
  { code: Type.String({ pattern: '^[a-z][a-z0-9_]{1,31}$' }), ...classFields },
  { additionalProperties: false },
);
export type CreateClassBody = Static<typeof CreateClassBody>;
export const UpdateClassBody = Type.Partial(Type.Object({ ...classFields, active: Type.Boolean() }), {
  additionalProperties: false,
  minProperties: 1,
});
export type UpdateClassBody = Static<typeof UpdateClassBody>;
export const ClassList = Type.Object({ items: Type.Array(CustomerClass) });
export type ClassList = Static<typeof ClassList>;

// ---- the customer ----

export const Contact = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 60 }),
  phone: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 30 }), Type.Null()])),
  title: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 60 }), Type.Null()])),
  email: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 120 }), Type.Null()])),
});
export type Contact = Static<typeof Contact>;

export const ContractedVariety = Type.Object({
  variety: VarietySchema,
  /** default monthly tonnage, kilograms */
  monthlyKg: Kg,
});
export type ContractedVariety = Static<typeof ContractedVariety>;

export const CustomerSummary = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  shortName: Nullable(Type.String()),
  province: Nullable(Type.String()),
  city: Nullable(Type.String()),
  industry: Nullable(Type.String()),
  active: Type.Boolean(),
  classId: Nullable(Type.Integer()),
  classCode: Nullable(Type.String()),
  accountManagerId: Nullable(Type.Integer()),
  accountManagerName: Nullable(Type.String()),
  /** the effective grade: the override when there is one, else the computed grade; null before the first grading */
  grade: Type.Union([CreditGradeSchema, Type.Null()]),
  gradeOverridden: Type.Boolean(),
  groupId: Nullable(Type.Integer()),
  groupName: Nullable(Type.String()),
  matchState: MatchStateSchema,
  monthlyKg: Kg,
  creditLimitFen: Fen,
  usedFen: Fen,
  /** may be negative when the customer is over its limit */
  availableFen: SignedFen,
  overdueFen: Fen,
  overdueDays: Type.Integer(),
});
export type CustomerSummary = Static<typeof CustomerSummary>;

export const CUSTOMER_SORTS = ['code', 'name', 'province', 'grade', 'usedFen', 'overdueDays', 'monthlyKg'] as const;
export type CustomerSort = (typeof CUSTOMER_SORTS)[number];

export const CustomerListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ maxLength: 64, description: 'code, name, short name or credit code' })),
    classId: Type.Optional(Type.Integer({ minimum: 1 })),
    province: Type.Optional(Type.String({ minLength: 1, maxLength: 30 })),
    city: Type.Optional(Type.String({ minLength: 1, maxLength: 30 })),
    industry: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
    accountManagerId: Type.Optional(Type.Integer({ minimum: 1 })),
    grade: Type.Optional(CreditGradeSchema),
    active: Type.Optional(Type.Boolean()),
    matchState: Type.Optional(MatchStateSchema),
    groupId: Type.Optional(Type.Integer({ minimum: 1 })),
    sort: Type.Optional(Type.Unsafe<CustomerSort>({ type: 'string', enum: [...CUSTOMER_SORTS] })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  },
  { additionalProperties: false },
);
export type CustomerListQuery = Static<typeof CustomerListQuery>;
export const CustomerPage = Page(CustomerSummary);
export type CustomerPage = Static<typeof CustomerPage>;

export const CreditPolicy = Type.Object({
  grade: CreditGradeSchema,
  /** contracts must be paid in full before they take effect */
  prepaymentRequired: Type.Boolean(),
  /** longest payment term allowed, days; 0 means no deferred payment */
  deferredDays: Type.Integer({ minimum: 0, maximum: 365 }),
  /** new contracts stop while the customer is overdue by more than this many days; null: never */
  stopWhenOverdueDays: Type.Union([Type.Integer({ minimum: 0, maximum: 3650 }), Type.Null()]),
});
export type CreditPolicy = Static<typeof CreditPolicy>;

export const CreditPolicies = Type.Object(
  {
    grades: Type.Array(CreditPolicy, { minItems: 5, maxItems: 5 }),
    /** a customer is on the warning list when its exposure reaches this share of its limit */
    warningSharePct: Type.Integer({ minimum: 1, maximum: 100 }),
  },
  { additionalProperties: false },
);
export type CreditPolicies = Static<typeof CreditPolicies>;

export const GroupCredit = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  limitFen: Fen,
  usedFen: Fen,
  availableFen: SignedFen,
  grade: Type.Union([CreditGradeSchema, Type.Null()]),
});
export type GroupCredit = Static<typeof GroupCredit>;

export const CreditView = Type.Object({
  /** the ERP's limit for this customer (客户余额) */
  limitFen: Fen,
  /** the ERP's balance: positive the customer owes, negative paid in advance */
  balanceFen: SignedFen,
  advanceFen: Fen,
  /** open sales orders not yet invoiced */
  openOrderFen: Fen,
  /** max(0, balance + open orders not invoiced): open, unsettled value less advance receipts */
  usedFen: Fen,
  /** what the customer may still use: the group's available when it belongs to a group with unified credit */
  availableFen: SignedFen,
  overdueFen: Fen,
  overdueDays: Type.Integer(),
  /** when the ERP's balance was taken; null when the ERP sent none yet */
  asOf: Nullable(Timestamp),
  group: Type.Union([GroupCredit, Type.Null()]),
  policy: Type.Union([CreditPolicy, Type.Null()]),
  warning: Type.Boolean(),
  warningReasons: Type.Array(Type.Union([Type.Literal('exposure'), Type.Literal('overdue'), Type.Literal('group_exposure')])),
});
export type CreditView = Static<typeof CreditView>;

/**
 * One factor of the documented score (server/src/modules/customers/grading.ts): its points and the measured inputs
 * they came from, as integers, so that each language words them itself. Inputs per factor:
 * punctuality {onTimeFen, dueFen} · overdue {days, fen, heavy (1 when above half the limit)} · tenure {months, -1 without
 * any document} · volume {tonnes} · trend {last6Kg, prev6Kg} · fulfilment {closedKg, finishedKg}.
 */
export const GradeFactor = Type.Object({
  factor: Type.Union([
    Type.Literal('punctuality'),
    Type.Literal('overdue'),
    Type.Literal('tenure'),
    Type.Literal('volume'),
    Type.Literal('trend'),
    Type.Literal('fulfilment'),
  ]),
  points: Type.Integer(),
  max: Type.Integer(),
  inputs: Type.Record(Type.String(), Type.Integer()),
});
export type GradeFactor = Static<typeof GradeFactor>;

export const Grading = Type.Object({
  score: Nullable(Type.Integer()),
  computedGrade: Type.Union([CreditGradeSchema, Type.Null()]),
  computedAt: Nullable(Timestamp),
  factors: Type.Array(GradeFactor),
  override: Type.Union([
    Type.Object({ grade: CreditGradeSchema, reason: Type.String(), by: Type.String(), at: Timestamp }),
    Type.Null(),
  ]),
});
export type Grading = Static<typeof Grading>;

export const MatchConflict = Type.Object({
  kind: Type.Union([Type.Literal('credit_code_changed'), Type.Literal('credit_code_duplicate')]),
  message: Type.String(),
  /** the ERP's values that were not applied */
  erp: Type.Record(Type.String(), Type.Unknown()),
  /** for a duplicate: the portal customer already holding the credit code */
  otherCustomerId: Nullable(Type.Integer()),
  otherCustomerCode: Nullable(Type.String()),
});
export type MatchConflict = Static<typeof MatchConflict>;

export const CustomerDetail = Type.Object({
    ...CustomerSummary.properties,
    creditCode: Nullable(Type.String()),
    address: Nullable(Type.String()),
    erpClass: Nullable(Type.String()),
    /** contacts the ERP keeps (read-only here) */
    erpContacts: Type.Array(Contact),
    /** contacts kept in the portal */
    contacts: Type.Array(Contact),
    varieties: Type.Array(ContractedVariety),
    customerClass: Type.Union([CustomerClass, Type.Null()]),
    accountManager: Type.Union([Type.Object({ id: Type.Integer(), name: Type.String(), phone: Nullable(Type.String()) }), Type.Null()]),
    erp: Type.Object({ syncedAt: Nullable(Timestamp), conflict: Type.Union([MatchConflict, Type.Null()]) }),
    credit: CreditView,
    grading: Grading,
});
export type CustomerDetail = Static<typeof CustomerDetail>;

/** Portal-owned fields; ERP-owned ones (name, credit code, region, address, active) are not accepted here. */
export const UpdateCustomerBody = Type.Object(
  {
    classId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    industry: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 60 }), Type.Null()])),
    accountManagerId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    varieties: Type.Optional(Type.Array(ContractedVariety, { maxItems: 6 })),
    contacts: Type.Optional(Type.Array(Contact, { maxItems: 20 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateCustomerBody = Static<typeof UpdateCustomerBody>;

export const GradeOverrideBody = Type.Object(
  { grade: Type.Union([CreditGradeSchema, Type.Null()], { description: 'null removes the override' }), reason: Reason },
  { additionalProperties: false },
);
export type GradeOverrideBody = Static<typeof GradeOverrideBody>;

export const HistoryEntry = Type.Object({
  id: Type.Integer(),
  at: Timestamp,
  username: Nullable(Type.String()),
  action: Type.String(),
  /** field: [before, after] */
  changes: Type.Record(Type.String(), Type.Array(Type.Unknown(), { minItems: 2, maxItems: 2 })),
  reason: Nullable(Type.String()),
});
export type HistoryEntry = Static<typeof HistoryEntry>;
export const HistoryList = Type.Object({ items: Type.Array(HistoryEntry) });
export type HistoryList = Static<typeof HistoryList>;

// ---- ERP matching ----

export const MatchReport = Type.Object({
  /** portal customers the ERP's customer master does not know */
  unmatched: Type.Array(Type.Object({ id: Type.Integer(), code: Type.String(), name: Type.String() })),
  conflicts: Type.Array(
    Type.Object({ code: Type.String(), customerId: Nullable(Type.Integer()), since: Timestamp, ...MatchConflict.properties }),
  ),
  matched: Type.Integer(),
});
export type MatchReport = Static<typeof MatchReport>;
export const MatchRunResult = Type.Object({ created: Type.Integer(), updated: Type.Integer(), conflicts: Type.Integer(), unchanged: Type.Integer() });
export type MatchRunResult = Static<typeof MatchRunResult>;

// ---- groups (集团客户, 统一授信) ----

export const CustomerGroup = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('control'), Type.Literal('guarantee')]),
  limitFen: Fen,
  usedFen: Fen,
  availableFen: SignedFen,
  grade: Type.Union([CreditGradeSchema, Type.Null()]),
  members: Type.Array(Type.Object({ id: Type.Integer(), code: Type.String(), name: Type.String(), usedFen: Fen, grade: Type.Union([CreditGradeSchema, Type.Null()]) })),
});
export type CustomerGroup = Static<typeof CustomerGroup>;
export const GroupList = Type.Object({ items: Type.Array(CustomerGroup) });
export type GroupList = Static<typeof GroupList>;
const groupFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  kind: Type.Union([Type.Literal('control'), Type.Literal('guarantee')]),
  limitFen: Fen,
  memberIds: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 200, uniqueItems: true }),
};
export const CreateGroupBody = Type.Object(groupFields, { additionalProperties: false });
export type CreateGroupBody = Static<typeof CreateGroupBody>;
export const UpdateGroupBody = Type.Partial(Type.Object(groupFields), { additionalProperties: false, minProperties: 1 });
export type UpdateGroupBody = Static<typeof UpdateGroupBody>;

// ---- credit check and exceptions ----

export const CreditCheckQuery = Type.Object({ amountFen: Fen }, { additionalProperties: false });
export type CreditCheckQuery = Static<typeof CreditCheckQuery>;
export const CREDIT_BLOCKS = ['credit.exceeded', 'credit.group_exceeded', 'credit.overdue_stop', 'credit.prepayment_required', 'credit.no_limit'] as const;
export const CreditCheck = Type.Object({
  allowed: Type.Boolean(),
  /** what blocks the amount; empty when allowed */
  blocks: Type.Array(Type.Object({ code: Type.Unsafe<(typeof CREDIT_BLOCKS)[number]>({ type: 'string', enum: [...CREDIT_BLOCKS] }), message: Type.String() })),
  availableFen: SignedFen,
  /** an open exception that covers the amount, when the blocks are waived by it */
  exceptionId: Nullable(Type.Integer()),
});
export type CreditCheck = Static<typeof CreditCheck>;

export const CreditException = Type.Object({
  id: Type.Integer(),
  customerId: Type.Integer(),
  amountFen: Fen,
  reason: Type.String(),
  grantedBy: Type.String(),
  grantedAt: Timestamp,
  validUntil: Timestamp,
  usedAt: Nullable(Timestamp),
  usedFor: Nullable(Type.String()),
});
export type CreditException = Static<typeof CreditException>;
export const CreditExceptionList = Type.Object({ items: Type.Array(CreditException) });
export type CreditExceptionList = Static<typeof CreditExceptionList>;
export const CreateExceptionBody = Type.Object(
  { amountFen: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), reason: Reason, validDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, default: 7 })) },
  { additionalProperties: false },
);
export type CreateExceptionBody = Static<typeof CreateExceptionBody>;

// ---- warnings and statistics ----

export const CreditWarning = Type.Object({
    ...CustomerSummary.properties,
    /** exposure as a whole percentage of the limit; null without a limit */
    usedPct: Nullable(Type.Integer()),
    reasons: Type.Array(Type.Union([Type.Literal('exposure'), Type.Literal('overdue'), Type.Literal('group_exposure')])),
});
export type CreditWarning = Static<typeof CreditWarning>;
export const CreditWarningList = Type.Object({ items: Type.Array(CreditWarning), warningSharePct: Type.Integer() });
export type CreditWarningList = Static<typeof CreditWarningList>;

export const STAT_DIMENSIONS = ['class', 'province', 'industry', 'grade'] as const;
export type StatDimension = (typeof STAT_DIMENSIONS)[number];
export const StatRow = Type.Object({
  /** class code, province, industry or grade; null for customers without one */
  key: Nullable(Type.String()),
  customers: Type.Integer(),
  monthlyKg: Kg,
});
export type StatRow = Static<typeof StatRow>;
export const ManagerCreditRow = Type.Object({
  accountManagerId: Nullable(Type.Integer()),
  accountManagerName: Nullable(Type.String()),
  customers: Type.Integer(),
  overdueCustomers: Type.Integer(),
  overdueFen: Fen,
  maxOverdueDays: Type.Integer(),
  exceptions: Type.Integer(),
  exceptionFen: Fen,
});
export type ManagerCreditRow = Static<typeof ManagerCreditRow>;
export const CustomerStats = Type.Object({
  total: Type.Integer(),
  monthlyKg: Kg,
  byClass: Type.Array(StatRow),
  byProvince: Type.Array(StatRow),
  byIndustry: Type.Array(StatRow),
  byGrade: Type.Array(StatRow),
  byAccountManager: Type.Array(ManagerCreditRow),
});
export type CustomerStats = Static<typeof CustomerStats>;
export const StatsCsvQuery = Type.Object(
  { dimension: Type.Unsafe<StatDimension | 'account_manager'>({ type: 'string', enum: [...STAT_DIMENSIONS, 'account_manager'] }) },
  { additionalProperties: false },
);
export type StatsCsvQuery = Static<typeof StatsCsvQuery>;

export const GradeRunResult = Type.Object({ graded: Type.Integer(), changed: Type.Integer(), ms: Type.Integer() });
export type GradeRunResult = Static<typeof GradeRunResult>;

export const AccountManagerList = Type.Object({
  items: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), customers: Type.Integer() })),
});
export type AccountManagerList = Static<typeof AccountManagerList>;

// ---- the customer's own profile ----

export const MyCustomerProfile = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  shortName: Nullable(Type.String()),
  creditCode: Nullable(Type.String()),
  province: Nullable(Type.String()),
  city: Nullable(Type.String()),
  address: Nullable(Type.String()),
  industry: Nullable(Type.String()),
  className: Type.Union([Type.Object({ zh: Type.String(), en: Type.String() }), Type.Null()]),
  erpContacts: Type.Array(Contact),
  contacts: Type.Array(Contact),
  varieties: Type.Array(ContractedVariety),
  accountManager: Type.Union([Type.Object({ name: Type.String(), phone: Nullable(Type.String()) }), Type.Null()]),
  credit: Type.Object({
    limitFen: Fen,
    usedFen: Fen,
    availableFen: SignedFen,
    overdueFen: Fen,
    overdueDays: Type.Integer(),
    asOf: Nullable(Timestamp),
    /** set when the customer's credit is the group's unified credit */
    groupName: Nullable(Type.String()),
  }),
});
export type MyCustomerProfile = Static<typeof MyCustomerProfile>;

