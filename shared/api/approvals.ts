// Approval engine (审核流转): rules with conditions and step chains, versions, approvals and their actions, the route preview.
// Money is integer fen, tonnage integer kilograms, price deviation signed integer basis points (DESIGN.md §3: no floats).
import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';
import { CreditGradeSchema, VarietySchema } from './customers.js';

const StaffRoleSchema = Type.Unsafe<'account_manager' | 'sales_manager' | 'quality_staff' | 'admin'>({
  type: 'string',
  enum: ['account_manager', 'sales_manager', 'quality_staff', 'admin'],
});

export const SUBJECT_TYPES = ['allocation_answer', 'demand'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];
export const SubjectTypeSchema = Type.Unsafe<SubjectType>({ type: 'string', enum: [...SUBJECT_TYPES] });

export const APPROVAL_STATES = ['pending', 'approved', 'rejected', 'returned', 'cancelled'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];
export const ApprovalStateSchema = Type.Unsafe<ApprovalState>({ type: 'string', enum: [...APPROVAL_STATES] });

export const DECISIONS = ['approve', 'reject', 'return'] as const;
export type Decision = (typeof DECISIONS)[number];
export const DecisionSchema = Type.Unsafe<Decision>({ type: 'string', enum: [...DECISIONS] });

export const STEP_MODES = ['any', 'all'] as const;
export type StepMode = (typeof STEP_MODES)[number];

/** The most steps a chain may have; longer chains are a configuration mistake, not a policy. */
export const MAX_STEPS = 10;

const MAX_KG = 1_000_000_000_000;
const MAX_FEN = Number.MAX_SAFE_INTEGER;
/** ±1,000,000 bp = ±10,000 %: far outside any real price, small enough never to overflow. */
const MAX_BP = 1_000_000;

const range = (max: number, min: number, unit: string) =>
  Type.Object(
    {
      min: Type.Optional(Type.Integer({ minimum: min, maximum: max, description: `${unit}, inclusive` })),
      max: Type.Optional(Type.Integer({ minimum: min, maximum: max, description: `${unit}, inclusive` })),
    },
    { additionalProperties: false, minProperties: 1 },
  );

/**
 * What a rule asks of a subject. Every condition present must hold (and); an "in" list matches when the fact is one
 * of its values; a range includes both ends. An absent condition matches everything.
 */
export const RuleConditions = Type.Object(
  {
    customerClasses: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{1,31}$' }), { minItems: 1, maxItems: 50, uniqueItems: true })),
    creditGrades: Type.Optional(Type.Array(CreditGradeSchema, { minItems: 1, uniqueItems: true })),
    tonnageKg: Type.Optional(range(MAX_KG, 0, 'kilograms')),
    amountFen: Type.Optional(range(MAX_FEN, 0, 'fen')),
    priceDeviationBp: Type.Optional(range(MAX_BP, -MAX_BP, 'basis points of the base price, negative below it')),
    varieties: Type.Optional(Type.Array(VarietySchema, { minItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type RuleConditions = Static<typeof RuleConditions>;

/**
 * One level of the chain. `any`: one approval by any eligible approver completes the step. `all`: every named user
 * must approve, and for every listed role one user holding that role must approve (one person's approval counts for
 * their own name and for their role).
 */
export const RuleStep = Type.Object(
  {
    approvers: Type.Object(
      {
        roles: Type.Optional(Type.Array(StaffRoleSchema, { maxItems: 4, uniqueItems: true })),
        userIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 20, uniqueItems: true })),
      },
      { additionalProperties: false },
    ),
    mode: Type.Unsafe<StepMode>({ type: 'string', enum: [...STEP_MODES] }),
  },
  { additionalProperties: false },
);
export type RuleStep = Static<typeof RuleStep>;

const Steps = Type.Array(RuleStep, { minItems: 1, maxItems: MAX_STEPS });
const RuleName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Priority = Type.Integer({ minimum: 1, maximum: 9999, description: 'smaller is tried first' });

export const CreateRuleBody = Type.Object(
  { name: RuleName, priority: Priority, conditions: RuleConditions, steps: Steps },
  { additionalProperties: false },
);
export type CreateRuleBody = Static<typeof CreateRuleBody>;

/** Name and priority change the rule in place; conditions or steps write a new version. */
export const UpdateRuleBody = Type.Partial(Type.Object({ name: RuleName, priority: Priority, conditions: RuleConditions, steps: Steps }), {
  additionalProperties: false,
  minProperties: 1,
});
export type UpdateRuleBody = Static<typeof UpdateRuleBody>;

export const RuleVersion = Type.Object({
  version: Type.Integer(),
  conditions: RuleConditions,
  steps: Type.Array(RuleStep),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});
export type RuleVersion = Static<typeof RuleVersion>;

export const ApprovalRule = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  priority: Type.Integer(),
  active: Type.Boolean(),
  isDefault: Type.Boolean(),
  currentVersion: Type.Integer(),
  /** newest first; the first is the current one */
  versions: Type.Array(RuleVersion),
});
export type ApprovalRule = Static<typeof ApprovalRule>;
export const RuleList = Type.Object({ items: Type.Array(ApprovalRule) });
export type RuleList = Static<typeof RuleList>;

/** What the engine decides on; the subject's module computes them when it submits. */
export const ApprovalFacts = Type.Object(
  {
    customerClass: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
    creditGrade: Type.Union([CreditGradeSchema, Type.Null()]),
    tonnageKg: Type.Integer({ minimum: 0, maximum: MAX_KG }),
    amountFen: Type.Integer({ minimum: 0, maximum: MAX_FEN }),
    /** (quoted − base) × 10000 / base, rounded toward zero; 0 when there is no base price */
    priceDeviationBp: Type.Integer({ minimum: -MAX_BP, maximum: MAX_BP }),
    variety: Type.Union([VarietySchema, Type.Null()]),
  },
  { additionalProperties: false },
);
export type ApprovalFacts = Static<typeof ApprovalFacts>;

/** Preview from the portal: the customer's class and grade are looked up, the caller gives the rest. */
export const PreviewBody = Type.Object(
  {
    customerId: Type.Optional(Type.Integer({ minimum: 1, description: "staff: the customer; customers: ignored, always their own" })),
    tonnageKg: Type.Integer({ minimum: 0, maximum: MAX_KG }),
    amountFen: Type.Integer({ minimum: 0, maximum: MAX_FEN }),
    priceDeviationBp: Type.Integer({ minimum: -MAX_BP, maximum: MAX_BP }),
    variety: Type.Union([VarietySchema, Type.Null()]),
  },
  { additionalProperties: false },
);
export type PreviewBody = Static<typeof PreviewBody>;

const Person = Type.Object({ id: Type.Integer(), username: Type.String(), displayName: Type.String(), role: Type.String() });
export type Person = Static<typeof Person>;

export const ResolvedStep = Type.Object({
  index: Type.Integer({ description: '0-based' }),
  mode: Type.Unsafe<StepMode>({ type: 'string', enum: [...STEP_MODES] }),
  roles: Type.Array(Type.String()),
  userIds: Type.Array(Type.Integer()),
  /** everyone who may act on the step now */
  approvers: Type.Array(Person),
});
export type ResolvedStep = Static<typeof ResolvedStep>;

export const RoutePreview = Type.Object({
  rule: Type.Object({ id: Type.Integer(), name: Type.String(), version: Type.Integer(), isDefault: Type.Boolean() }),
  steps: Type.Array(ResolvedStep),
});
export type RoutePreview = Static<typeof RoutePreview>;

export const ApprovalAction = Type.Object({
  step: Type.Integer(),
  userId: Type.Integer(),
  username: Type.String(),
  action: DecisionSchema,
  comment: Type.Union([Type.String(), Type.Null()]),
  at: Timestamp,
});
export type ApprovalAction = Static<typeof ApprovalAction>;

export const Approval = Type.Object({
  id: Type.Integer(),
  subjectType: SubjectTypeSchema,
  subjectId: Type.Integer(),
  round: Type.Integer(),
  customerId: Type.Integer(),
  customerName: Type.String(),
  state: ApprovalStateSchema,
  currentStep: Type.Integer({ description: '0-based; equals the number of steps once approved' }),
  rule: Type.Object({ id: Type.Integer(), name: Type.String(), version: Type.Integer() }),
  steps: Type.Array(ResolvedStep),
  /** the facts as submitted; staff only (they carry the internal credit grade) */
  facts: Type.Optional(ApprovalFacts),
  actions: Type.Array(ApprovalAction),
  /** whether the caller may act on the current step now */
  canDecide: Type.Boolean(),
  createdAt: Timestamp,
  decidedAt: Type.Union([Timestamp, Type.Null()]),
});
export type Approval = Static<typeof Approval>;

export const ApprovalQueue = Type.Object({ items: Type.Array(Approval) });
export type ApprovalQueue = Static<typeof ApprovalQueue>;

export const DecisionBody = Type.Object(
  {
    action: DecisionSchema,
    comment: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type DecisionBody = Static<typeof DecisionBody>;
