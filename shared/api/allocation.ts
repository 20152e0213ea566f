// Resource allocation (资源分配): plans and lines, the allocation grid, customers' answers with their versions,
// customer demands (需求提报) and their negotiation thread, and intent contracts (意向合同).
// Tonnage is integer kilograms, money integer fen, prices integer fen per tonne (DESIGN.md §3: no floats).
import { Type, type Static } from 'typebox';
import { Page, PageQuery, Timestamp } from './common.js';
import { CreditGradeSchema, PaymentTermsSchema, VarietySchema } from './customers.js';

const Nullable = <T extends ReturnType<typeof Type.String | typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);
/** Up to 1,000,000 t on one line: far above any month of any mill. */
const MAX_KG = 1_000_000_000;
const Kg = Type.Integer({ minimum: 0, maximum: MAX_KG, description: 'kilograms' });
const PositiveKg = Type.Integer({ minimum: 1, maximum: MAX_KG, description: 'kilograms' });
/** Up to 1,000,000 yuan per tonne. */
const PriceFenPerT = Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'fen per tonne' });
const Fen = Type.Integer({ description: 'fen (0.01 yuan)' });
const Grade = Type.String({ maxLength: 30, pattern: '^[A-Za-z0-9Φφ.+/ -]*$', description: 'steel grade, e.g. HRB400E; empty: the whole variety' });
const Spec = Type.String({ maxLength: 40, pattern: '^[A-Za-z0-9Φφ.×*+/ -]*$', description: 'size, e.g. Φ25; empty: every size' });
const Remarks = Type.String({ maxLength: 500 });
export const Month = Type.String({ pattern: '^20[0-9]{2}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });
const Year = Type.String({ pattern: '^20[0-9]{2}$', description: 'YYYY' });

// ---- plans ----

export const PLAN_KINDS = ['annual', 'monthly'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];
export const PlanKindSchema = Type.Unsafe<PlanKind>({ type: 'string', enum: [...PLAN_KINDS] });

export const PLAN_STATES = ['draft', 'published', 'closed'] as const;
export type PlanState = (typeof PLAN_STATES)[number];
export const PlanStateSchema = Type.Unsafe<PlanState>({ type: 'string', enum: [...PLAN_STATES] });

export const PlanLineInput = Type.Object(
  {
    /** an existing line to change; absent: a new line */
    id: Type.Optional(Type.Integer({ minimum: 1 })),
    variety: VarietySchema,
    grade: Type.Optional(Grade),
    spec: Type.Optional(Spec),
    plannedKg: Kg,
    /** allocations are whole multiples of this; default 1,000 kg (whole tonnes) */
    lotKg: Type.Optional(PositiveKg),
    basePriceFenPerT: PriceFenPerT,
  },
  { additionalProperties: false },
);
export type PlanLineInput = Static<typeof PlanLineInput>;

export const CreatePlanBody = Type.Object(
  {
    kind: PlanKindSchema,
    /** YYYY for an annual plan, YYYY-MM for a monthly one */
    period: Type.Union([Year, Month]),
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
    lines: Type.Array(PlanLineInput, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false },
);
export type CreatePlanBody = Static<typeof CreatePlanBody>;

/** Lines given replace the plan's lines: a line left out is removed (only while nothing is allocated on it). */
export const UpdatePlanBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' })),
    lines: Type.Optional(Type.Array(PlanLineInput, { minItems: 1, maxItems: 200 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdatePlanBody = Static<typeof UpdatePlanBody>;

export const PlanLine = Type.Object({
  id: Type.Integer(),
  position: Type.Integer(),
  variety: VarietySchema,
  grade: Type.String(),
  spec: Type.String(),
  plannedKg: Kg,
  lotKg: Kg,
  basePriceFenPerT: Type.Integer(),
  /** held by live allocations (offers open, answers accepted) */
  allocatedKg: Kg,
  remainingKg: Kg,
  /** ERP data beside the plan: available stock and open production of the line's variety (and grade/spec) */
  erp: Type.Object({ inventoryKg: Kg, productionKg: Kg }),
  /** for a monthly plan: the annual plan's tonnage for this line and what the year's monthly plans plan of it */
  annual: Type.Union([Type.Object({ plannedKg: Kg, monthlyPlannedKg: Kg }), Type.Null()]),
});
export type PlanLine = Static<typeof PlanLine>;

export const Plan = Type.Object({
  id: Type.Integer(),
  kind: PlanKindSchema,
  period: Type.String(),
  name: Type.String(),
  state: PlanStateSchema,
  /** the last published round; 0 before the first publication */
  round: Type.Integer(),
  answerDeadline: Type.Union([Timestamp, Type.Null()]),
  publishedAt: Type.Union([Timestamp, Type.Null()]),
  lines: Type.Array(PlanLine),
  plannedKg: Kg,
  allocatedKg: Kg,
  createdAt: Timestamp,
});
export type Plan = Static<typeof Plan>;

export const PlanSummary = Type.Omit(Plan, ['lines']);
export type PlanSummary = Static<typeof PlanSummary>;

export const PlanListQuery = Type.Object(
  { kind: Type.Optional(PlanKindSchema), state: Type.Optional(PlanStateSchema), year: Type.Optional(Year) },
  { additionalProperties: false },
);
export type PlanListQuery = Static<typeof PlanListQuery>;
export const PlanList = Type.Object({ items: Type.Array(PlanSummary) });
export type PlanList = Static<typeof PlanList>;

// ---- allocations ----

/**
 * draft: proposed, not yet published · offered: published, waiting for the answer · approving: answered, in
 * approval · returned: sent back to the customer for change · approved: became an intent contract · declined:
 * the customer declined · rejected: the mill rejected the answer · expired: not answered by the deadline.
 */
export const ALLOCATION_STATES = ['draft', 'offered', 'approving', 'returned', 'approved', 'declined', 'rejected', 'expired'] as const;
export type AllocationState = (typeof ALLOCATION_STATES)[number];
export const AllocationStateSchema = Type.Unsafe<AllocationState>({ type: 'string', enum: [...ALLOCATION_STATES] });

export const ANSWER_DECISIONS = ['accept', 'partial', 'decline'] as const;
export type AnswerDecision = (typeof ANSWER_DECISIONS)[number];
export const AnswerDecisionSchema = Type.Unsafe<AnswerDecision>({ type: 'string', enum: [...ANSWER_DECISIONS] });

export const CREDIT_STATES = ['ok', 'reduced', 'blocked'] as const;
export type CreditStateName = (typeof CREDIT_STATES)[number];

export const Allocation = Type.Object({
  id: Type.Integer(),
  planId: Type.Integer(),
  planLineId: Type.Integer(),
  customerId: Type.Integer(),
  round: Type.Integer(),
  state: AllocationStateSchema,
  offeredKg: Kg,
  heldKg: Kg,
  decision: Type.Union([AnswerDecisionSchema, Type.Null()]),
  acceptedKg: Nullable(Type.Integer()),
  quotedPriceFenPerT: Nullable(Type.Integer()),
  remarks: Nullable(Type.String()),
  answerVersion: Type.Integer({ description: 'how many answers were submitted; 0: none yet' }),
  answeredAt: Type.Union([Timestamp, Type.Null()]),
  deadline: Type.Union([Timestamp, Type.Null()]),
  approvalId: Nullable(Type.Integer()),
  intentContractId: Nullable(Type.Integer()),
  /** changes with every write; give it back as expectedVersion to be refused if someone changed it meanwhile */
  rowVersion: Type.Integer(),
});
export type Allocation = Static<typeof Allocation>;

export const GridCustomer = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  classCode: Nullable(Type.String()),
  priority: Type.Integer(),
  grade: Type.Union([CreditGradeSchema, Type.Null()]),
  credit: Type.Unsafe<CreditStateName>({ type: 'string', enum: [...CREDIT_STATES] }),
  /** contracted monthly kilograms by variety */
  wants: Type.Record(Type.String(), Type.Integer()),
});
export type GridCustomer = Static<typeof GridCustomer>;

export const AllocationGrid = Type.Object({
  plan: Plan,
  /** the round the grid's drafts belong to (the next one to publish) */
  draftRound: Type.Integer(),
  customers: Type.Array(GridCustomer),
  items: Type.Array(Allocation),
});
export type AllocationGrid = Static<typeof AllocationGrid>;

export const GridEdit = Type.Object(
  {
    planLineId: Type.Integer({ minimum: 1 }),
    customerId: Type.Integer({ minimum: 1 }),
    /** the draft offer; 0 removes it */
    offeredKg: Kg,
  },
  { additionalProperties: false },
);
export type GridEdit = Static<typeof GridEdit>;

export const GridEditBody = Type.Object({ items: Type.Array(GridEdit, { minItems: 1, maxItems: 5000 }) }, { additionalProperties: false });
export type GridEditBody = Static<typeof GridEditBody>;

export const PublishBody = Type.Object(
  { answerDeadline: Type.String({ format: 'date-time', description: 'answers are refused after this instant' }) },
  { additionalProperties: false },
);
export type PublishBody = Static<typeof PublishBody>;

export const PublishResult = Type.Object({ plan: Plan, published: Type.Integer(), customersNotified: Type.Integer() });
export type PublishResult = Static<typeof PublishResult>;

export const AnswerBody = Type.Object(
  {
    decision: AnswerDecisionSchema,
    /** required for partial: more than 0, less than the offer, whole lots */
    acceptedKg: Type.Optional(Kg),
    quotedPriceFenPerT: Type.Optional(PriceFenPerT),
    remarks: Type.Optional(Remarks),
    /** the rowVersion the customer saw; refused with allocation.stale when it changed */
    expectedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type AnswerBody = Static<typeof AnswerBody>;

export const AnswerVersion = Type.Object({
  version: Type.Integer(),
  decision: AnswerDecisionSchema,
  acceptedKg: Kg,
  quotedPriceFenPerT: Nullable(Type.Integer()),
  remarks: Nullable(Type.String()),
  username: Type.String(),
  at: Timestamp,
});
export type AnswerVersion = Static<typeof AnswerVersion>;

/** One allocation as the customer (and staff) see it: the plan line, the price, the answer history. */
export const AllocationView = Type.Object({
    ...Allocation.properties,
    customerName: Type.String(),
    period: Type.String(),
    planName: Type.String(),
    variety: VarietySchema,
    grade: Type.String(),
    spec: Type.String(),
    lotKg: Kg,
    basePriceFenPerT: Type.Integer(),
    /** the base price adjusted by the customer's class policy */
    customerPriceFenPerT: Type.Integer(),
    /** the amount of the current answer at its price (quoted, else the customer's price) */
    amountFen: Fen,
    answerable: Type.Boolean({ description: 'the caller may answer it now (state, deadline, right to answer)' }),
    versions: Type.Array(AnswerVersion),
});
export type AllocationView = Static<typeof AllocationView>;

/** The customer's money for answering: what is left to cover new business. */
export const AnswerFunds = Type.Object({
  limitFen: Fen,
  /** the ERP's exposure: balance plus open orders */
  erpUsedFen: Fen,
  /** answers and demands waiting for approval and intent contracts not yet in the ERP */
  portalPendingFen: Fen,
  /** limit − ERP exposure − portal pending (the group's when credit is unified) */
  availableFen: Fen,
  asOf: Type.Union([Timestamp, Type.Null()]),
});
export type AnswerFunds = Static<typeof AnswerFunds>;

export const MyAllocationsQuery = Type.Object(
  { period: Type.Optional(Month), customerId: Type.Optional(Type.Integer({ minimum: 1, description: 'staff: the customer' })) },
  { additionalProperties: false },
);
export type MyAllocationsQuery = Static<typeof MyAllocationsQuery>;

export const MyAllocations = Type.Object({
  items: Type.Array(AllocationView),
  funds: AnswerFunds,
  /** periods with published allocations for this customer, newest first */
  periods: Type.Array(Type.String()),
});
export type MyAllocations = Static<typeof MyAllocations>;

// ---- demands ----

/**
 * open: proposed by one side, the other answers · approving: both agreed, in approval · returned: the mill's
 * approval sent it back, the customer proposes again · approved: became an intent contract · rejected · withdrawn.
 */
export const DEMAND_STATES = ['open', 'approving', 'returned', 'approved', 'rejected', 'withdrawn'] as const;
export type DemandState = (typeof DEMAND_STATES)[number];
export const DemandStateSchema = Type.Unsafe<DemandState>({ type: 'string', enum: [...DEMAND_STATES] });

export const SIDES = ['customer', 'mill'] as const;
export type Side = (typeof SIDES)[number];
export const SideSchema = Type.Unsafe<Side>({ type: 'string', enum: [...SIDES] });

export const DEMAND_MESSAGE_KINDS = ['submit', 'counter', 'accept', 'message', 'withdraw', 'approval'] as const;
export type DemandMessageKind = (typeof DEMAND_MESSAGE_KINDS)[number];

export const CreateDemandBody = Type.Object(
  {
    variety: VarietySchema,
    grade: Type.Optional(Grade),
    spec: Type.Optional(Spec),
    kg: PositiveKg,
    deliveryMonth: Month,
    priceFenPerT: Type.Optional(PriceFenPerT),
    remarks: Type.Optional(Remarks),
  },
  { additionalProperties: false },
);
export type CreateDemandBody = Static<typeof CreateDemandBody>;

/** counter: new terms (kg, month, price) · accept: agree to the other side's last terms · message: words only. */
export const DemandActionBody = Type.Object(
  {
    action: Type.Unsafe<'counter' | 'accept' | 'message' | 'withdraw'>({ type: 'string', enum: ['counter', 'accept', 'message', 'withdraw'] }),
    kg: Type.Optional(PositiveKg),
    deliveryMonth: Type.Optional(Month),
    priceFenPerT: Type.Optional(PriceFenPerT),
    text: Type.Optional(Type.String({ maxLength: 1000 })),
    /** the rowVersion the caller saw; refused with demand.stale when the other side acted meanwhile */
    expectedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type DemandActionBody = Static<typeof DemandActionBody>;

export const DemandMessage = Type.Object({
  id: Type.Integer(),
  side: SideSchema,
  kind: Type.Unsafe<DemandMessageKind>({ type: 'string', enum: [...DEMAND_MESSAGE_KINDS] }),
  kg: Nullable(Type.Integer()),
  deliveryMonth: Nullable(Type.String()),
  priceFenPerT: Nullable(Type.Integer()),
  text: Nullable(Type.String()),
  username: Type.String(),
  at: Timestamp,
});
export type DemandMessage = Static<typeof DemandMessage>;

export const Demand = Type.Object({
  id: Type.Integer(),
  demandNo: Type.String(),
  customerId: Type.Integer(),
  customerName: Type.String(),
  state: DemandStateSchema,
  variety: VarietySchema,
  grade: Type.String(),
  spec: Type.String(),
  kg: Kg,
  deliveryMonth: Type.String(),
  priceFenPerT: Nullable(Type.Integer()),
  /** who made the terms on the table; the other side may accept them */
  proposedBy: SideSchema,
  approvalId: Nullable(Type.Integer()),
  intentContractId: Nullable(Type.Integer()),
  rowVersion: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  messages: Type.Array(DemandMessage),
});
export type Demand = Static<typeof Demand>;

export const DemandListQuery = Type.Object(
  { ...PageQuery, state: Type.Optional(DemandStateSchema), customerId: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);
export type DemandListQuery = Static<typeof DemandListQuery>;
export const DemandPage = Page(Type.Omit(Demand, ['messages']));
export type DemandPage = Static<typeof DemandPage>;

// ---- intent contracts ----

export const INTENT_STATES = ['open', 'listed', 'contracted', 'cancelled'] as const;
export type IntentState = (typeof INTENT_STATES)[number];
export const IntentStateSchema = Type.Unsafe<IntentState>({ type: 'string', enum: [...INTENT_STATES] });

export const IntentLine = Type.Object({
  position: Type.Integer(),
  variety: VarietySchema,
  grade: Type.String(),
  spec: Type.String(),
  kg: Kg,
  priceFenPerT: Type.Integer(),
  amountFen: Fen,
});
export type IntentLine = Static<typeof IntentLine>;

export const IntentContract = Type.Object({
  id: Type.Integer(),
  contractNo: Type.String(),
  customerId: Type.Integer(),
  customerName: Type.String(),
  sourceType: Type.Unsafe<'allocation_answer' | 'demand'>({ type: 'string', enum: ['allocation_answer', 'demand'] }),
  sourceId: Type.Integer(),
  approvalId: Nullable(Type.Integer()),
  state: IntentStateSchema,
  deliveryMonth: Type.String(),
  totalKg: Kg,
  amountFen: Fen,
  paymentTerms: PaymentTermsSchema,
  paymentDays: Type.Integer(),
  terms: Nullable(Type.String()),
  createdAt: Timestamp,
  lines: Type.Array(IntentLine),
});
export type IntentContract = Static<typeof IntentContract>;

export const IntentListQuery = Type.Object(
  { ...PageQuery, state: Type.Optional(IntentStateSchema), customerId: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);
export type IntentListQuery = Static<typeof IntentListQuery>;
export const IntentPage = Page(Type.Omit(IntentContract, ['lines']));
export type IntentPage = Static<typeof IntentPage>;
