// Customer feedback and complaints (客户反馈 / 质量异议, issue 9): submission, the thread, triage, rating and analysis.
import { Type, type Static, type TSchema } from 'typebox';
import { Page, PageQuery, Timestamp } from './common.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM (China time)' });

/** 质量异议 first: the category the quality department owns. */
export const FEEDBACK_CATEGORIES = ['quality_objection', 'delivery', 'documents', 'service', 'suggestion'] as const;
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];
export const FeedbackCategorySchema = Type.Unsafe<FeedbackCategory>({ type: 'string', enum: [...FEEDBACK_CATEGORIES] });

export const FEEDBACK_STATES = ['new', 'in_progress', 'waiting_for_customer', 'resolved', 'closed'] as const;
export type FeedbackState = (typeof FEEDBACK_STATES)[number];
export const FeedbackStateSchema = Type.Unsafe<FeedbackState>({ type: 'string', enum: [...FEEDBACK_STATES] });

export const FEEDBACK_MESSAGE_KINDS = ['submit', 'reply', 'note', 'state', 'assignment', 'rating'] as const;
export type FeedbackMessageKind = (typeof FEEDBACK_MESSAGE_KINDS)[number];

/** Images and PDF, recognised by their content (magic bytes), never by their name. */
export const ATTACHMENT_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

export const CreateFeedbackBody = Type.Object(
  {
    category: FeedbackCategorySchema,
    subject: Text(200),
    description: Text(4000),
    desiredResolution: Type.Optional(Type.String({ maxLength: 2000 })),
    /** one of the customer's contracts (portal id) */
    contractId: Type.Optional(Type.Integer({ minimum: 1 })),
    /** one of the customer's ERP delivery notes (发货单号) */
    deliveryNo: Type.Optional(Text(32)),
    /** one of the customer's quality certificates (portal id) */
    certificateId: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type CreateFeedbackBody = Static<typeof CreateFeedbackBody>;

export const FeedbackListQuery = Type.Object(
  {
    ...PageQuery,
    state: Type.Optional(FeedbackStateSchema),
    category: Type.Optional(FeedbackCategorySchema),
    /** staff: one customer's items */
    customerId: Type.Optional(Type.Integer({ minimum: 1 })),
    /** past its first-response or resolution due time */
    overdue: Type.Optional(Type.Boolean()),
    /** staff: assigned to the caller */
    assignedToMe: Type.Optional(Type.Boolean()),
    /** open items only (not resolved or closed) */
    open: Type.Optional(Type.Boolean()),
    /** number or subject contains */
    q: Type.Optional(Text(100)),
  },
  { additionalProperties: false },
);
export type FeedbackListQuery = Static<typeof FeedbackListQuery>;

export const FeedbackPerson = Type.Object({ id: Type.Integer(), name: Type.String() });

export const FeedbackSummary = Type.Object({
  id: Type.Integer(),
  feedbackNo: Type.String(),
  customerId: Type.Integer(),
  customerName: Type.String(),
  category: FeedbackCategorySchema,
  subject: Type.String(),
  state: FeedbackStateSchema,
  assignee: Nullable(FeedbackPerson),
  contractId: Nullable(Type.Integer()),
  contractNo: Nullable(Type.String()),
  deliveryNo: Nullable(Type.String()),
  certificateId: Nullable(Type.Integer()),
  certificateNo: Nullable(Type.String()),
  /** product concerned, from the linked delivery, certificate or contract */
  variety: Nullable(Type.String()),
  grade: Nullable(Type.String()),
  createdAt: Timestamp,
  firstResponseDueAt: Timestamp,
  firstRespondedAt: Nullable(Timestamp),
  resolutionDueAt: Timestamp,
  resolvedAt: Nullable(Timestamp),
  closedAt: Nullable(Timestamp),
  /** which due time has passed, computed by the server at the time of the answer */
  overdue: Nullable(Type.Union([Type.Literal('first_response'), Type.Literal('resolution')])),
  rating: Nullable(Type.Integer({ minimum: 1, maximum: 5 })),
});
export type FeedbackSummary = Static<typeof FeedbackSummary>;

export const FeedbackPage = Page(FeedbackSummary);
export type FeedbackPage = Static<typeof FeedbackPage>;

export const FeedbackMessage = Type.Object({
  id: Type.Integer(),
  kind: Type.Unsafe<FeedbackMessageKind>({ type: 'string', enum: [...FEEDBACK_MESSAGE_KINDS] }),
  side: Type.Union([Type.Literal('customer'), Type.Literal('mill')]),
  author: Type.String(),
  text: Nullable(Type.String()),
  /** an internal note: never sent to customers */
  internal: Type.Boolean(),
  fromState: Nullable(FeedbackStateSchema),
  toState: Nullable(FeedbackStateSchema),
  at: Timestamp,
});
export type FeedbackMessage = Static<typeof FeedbackMessage>;

export const FeedbackAttachment = Type.Object({
  id: Type.Integer(),
  /** the uploader's file name, sanitised, for display and download only */
  name: Type.String(),
  contentType: Type.Unsafe<AttachmentType>({ type: 'string', enum: [...ATTACHMENT_TYPES] }),
  size: Type.Integer(),
  side: Type.Union([Type.Literal('customer'), Type.Literal('mill')]),
  internal: Type.Boolean(),
  uploadedBy: Type.String(),
  uploadedAt: Timestamp,
});
export type FeedbackAttachment = Static<typeof FeedbackAttachment>;

export const FeedbackDetail = Type.Object({
  ...FeedbackSummary.properties,
  description: Type.String(),
  desiredResolution: Nullable(Type.String()),
  ratingComment: Nullable(Type.String()),
  ratedAt: Nullable(Timestamp),
  messages: Type.Array(FeedbackMessage),
  attachments: Type.Array(FeedbackAttachment),
  /** the states the caller may move it to now (the transition table, for the caller's side) */
  nextStates: Type.Array(FeedbackStateSchema),
  /** whether the caller may rate it now */
  canRate: Type.Boolean(),
});
export type FeedbackDetail = Static<typeof FeedbackDetail>;

export const FeedbackMessageBody = Type.Object(
  {
    text: Text(4000),
    /** staff only: an internal note the customer does not see */
    internal: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type FeedbackMessageBody = Static<typeof FeedbackMessageBody>;

export const FeedbackTransitionBody = Type.Object(
  { to: FeedbackStateSchema, comment: Type.Optional(Type.String({ maxLength: 4000 })) },
  { additionalProperties: false },
);
export type FeedbackTransitionBody = Static<typeof FeedbackTransitionBody>;

export const FeedbackAssignBody = Type.Object({ assigneeId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
export type FeedbackAssignBody = Static<typeof FeedbackAssignBody>;

export const FeedbackRateBody = Type.Object(
  { rating: Type.Integer({ minimum: 1, maximum: 5 }), comment: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
export type FeedbackRateBody = Static<typeof FeedbackRateBody>;

export const AttachmentUploadQuery = Type.Object(
  {
    /** the file's name on the uploader's machine (display only) */
    name: Text(255),
    /** staff only: visible to mill staff only */
    internal: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AttachmentUploadQuery = Static<typeof AttachmentUploadQuery>;

export const AttachmentParams = Type.Object(
  { id: Type.Integer({ minimum: 1 }), attachmentId: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
export type AttachmentParams = Static<typeof AttachmentParams>;

export const FeedbackAssignees = Type.Object({
  items: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), role: Type.String(), openItems: Type.Integer() })),
});
export type FeedbackAssignees = Static<typeof FeedbackAssignees>;

export const FeedbackTargets = Type.Object({
  items: Type.Array(Type.Object({ category: FeedbackCategorySchema, firstResponseHours: Type.Integer(), resolutionHours: Type.Integer() })),
  maxAttachmentBytes: Type.Integer(),
  attachmentTypes: Type.Array(Type.String()),
});
export type FeedbackTargets = Static<typeof FeedbackTargets>;

export const FeedbackAnalysisQuery = Type.Object(
  {
    /** first month, inclusive (by submission, China time) */
    from: Type.Optional(Month),
    /** last month, inclusive */
    to: Type.Optional(Month),
    category: Type.Optional(FeedbackCategorySchema),
  },
  { additionalProperties: false },
);
export type FeedbackAnalysisQuery = Static<typeof FeedbackAnalysisQuery>;

const Durations = Type.Object({
  /** items with this time measured */
  count: Type.Integer(),
  medianHours: Nullable(Type.Number()),
  p90Hours: Nullable(Type.Number()),
});

export const FeedbackAnalysis = Type.Object({
  total: Type.Integer(),
  volume: Type.Array(Type.Object({ month: Type.String(), category: FeedbackCategorySchema, count: Type.Integer() })),
  byCategory: Type.Array(
    Type.Object({
      category: FeedbackCategorySchema,
      count: Type.Integer(),
      firstResponse: Durations,
      resolution: Durations,
      overdueNow: Type.Integer(),
    }),
  ),
  firstResponse: Durations,
  resolution: Durations,
  satisfaction: Type.Object({
    count: Type.Integer(),
    mean: Nullable(Type.Number()),
    /** ratings 1..5: how many of each */
    distribution: Type.Array(Type.Integer(), { minItems: 5, maxItems: 5 }),
  }),
  topCustomers: Type.Array(Type.Object({ customerId: Type.Integer(), customerName: Type.String(), count: Type.Integer() })),
  topProducts: Type.Array(Type.Object({ variety: Type.String(), grade: Type.String(), count: Type.Integer() })),
});
export type FeedbackAnalysis = Static<typeof FeedbackAnalysis>;
