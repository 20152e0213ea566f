// API schemas of the ERP sync: status per interface, runs, quarantine, outbox, reconciliation, freshness, HTTP batches.
import { Type, type Static } from 'typebox';
import { Page, PageQuery, Timestamp } from './common.js';
import { INBOUND_INTERFACES, OUTBOUND_KINDS, type InboundInterface, type OutboundKind } from '../erp/interfaces.js';

export const InterfaceName = Type.Unsafe<InboundInterface>({ type: 'string', enum: [...INBOUND_INTERFACES] });
export const OutboundKindName = Type.Unsafe<OutboundKind>({ type: 'string', enum: [...OUTBOUND_KINDS] });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const InterfaceStatus = Type.Object({
  interface: InterfaceName,
  watermark: Type.Integer({ description: 'highest staging row id accounted for' }),
  lastSeq: Type.Integer(),
  stagingMaxId: Type.Integer(),
  lagRows: Type.Integer(),
  lagSeconds: Type.Integer({ description: 'age of the oldest staging row not yet synced; 0 when caught up' }),
  lastRunAt: Nullable(Timestamp),
  lastSuccessAt: Nullable(Timestamp),
  lastError: Nullable(Type.String()),
  appliedTotal: Type.Integer(),
  staleTotal: Type.Integer(),
  quarantinedTotal: Type.Integer(),
  waiting: Type.Integer(),
  quarantineOpen: Type.Integer(),
});

export const SyncRun = Type.Object({
  id: Type.Integer(),
  trigger: Type.String(),
  holder: Type.String(),
  startedAt: Timestamp,
  finishedAt: Nullable(Timestamp),
  applied: Type.Integer(),
  stale: Type.Integer(),
  waiting: Type.Integer(),
  released: Type.Integer(),
  quarantined: Type.Integer(),
  delivered: Type.Integer(),
  acknowledged: Type.Integer(),
  error: Nullable(Type.String()),
});
export type SyncRun = Static<typeof SyncRun>;

export const OutboxSummary = Type.Object({
  kind: OutboundKindName,
  undelivered: Type.Integer(),
  awaitingAck: Type.Integer(),
  accepted: Type.Integer(),
  rejected: Type.Integer(),
});

export const SyncStatus = Type.Object({
  interfaces: Type.Array(InterfaceStatus),
  runs: Type.Array(SyncRun),
  outbox: Type.Array(OutboxSummary),
  lease: Nullable(Type.Object({ holder: Type.String(), token: Type.Integer(), expiresAt: Timestamp })),
});
export type SyncStatus = Static<typeof SyncStatus>;

export const RunReply = Type.Object({
  status: Type.Union([Type.Literal('done'), Type.Literal('skipped'), Type.Literal('failed')]),
  reason: Type.Optional(Type.String()),
  runId: Type.Optional(Type.Integer()),
  applied: Type.Integer(),
  stale: Type.Integer(),
  waiting: Type.Integer(),
  released: Type.Integer(),
  quarantined: Type.Integer(),
  delivered: Type.Integer(),
  acknowledged: Type.Integer(),
  error: Type.Optional(Type.String()),
});
export type RunReply = Static<typeof RunReply>;

export const QUARANTINE_REASONS = ['envelope.invalid', 'payload.invalid_json', 'payload.schema', 'payload.rule', 'parent.missing'] as const;
export const QUARANTINE_STATES = ['open', 'retrying', 'resolved', 'dismissed'] as const;

export const QuarantineItem = Type.Object({
  id: Type.Integer(),
  interface: InterfaceName,
  stagingId: Type.Integer(),
  docKey: Type.String(),
  seq: Type.Integer(),
  op: Type.String(),
  payload: Nullable(Type.String({ description: 'raw, exactly as received' })),
  reason: Type.String(),
  message: Type.String(),
  path: Nullable(Type.String()),
  state: Type.Unsafe<(typeof QUARANTINE_STATES)[number]>({ type: 'string', enum: [...QUARANTINE_STATES] }),
  attempts: Type.Integer(),
  createdAt: Timestamp,
  resolvedAt: Nullable(Timestamp),
  resolvedBy: Nullable(Type.String()),
  dismissReason: Nullable(Type.String()),
});
export type QuarantineItem = Static<typeof QuarantineItem>;
export const QuarantinePage = Page(QuarantineItem);
export type QuarantinePage = Static<typeof QuarantinePage>;

export const QuarantineQuery = Type.Object(
  {
    ...PageQuery,
    interface: Type.Optional(InterfaceName),
    state: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: [...QUARANTINE_STATES] })),
    reason: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: [...QUARANTINE_REASONS] })),
    docKey: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type QuarantineQuery = Static<typeof QuarantineQuery>;

// At least two characters that are not blank: a reason of spaces is no reason.
export const DismissBody = Type.Object(
  { reason: Type.String({ minLength: 2, maxLength: 500, pattern: '\\S[\\s\\S]*\\S' }) },
  { additionalProperties: false },
);
export type DismissBody = Static<typeof DismissBody>;

export const OutboxItem = Type.Object({
  id: Type.Integer(),
  kind: OutboundKindName,
  docKey: Type.String(),
  createdAt: Timestamp,
  deliveredAt: Nullable(Timestamp),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  ackState: Type.String(),
  erpDocNo: Nullable(Type.String()),
  rejectReason: Nullable(Type.String()),
  ackedAt: Nullable(Timestamp),
});
export const OutboxPage = Page(OutboxItem);
export type OutboxPage = Static<typeof OutboxPage>;
export const OutboxQuery = Type.Object(
  {
    ...PageQuery,
    kind: Type.Optional(OutboundKindName),
    state: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['undelivered', 'pending', 'accepted', 'rejected'] })),
  },
  { additionalProperties: false },
);
export type OutboxQuery = Static<typeof OutboxQuery>;

export const ReconciliationQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
    to: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  },
  { additionalProperties: false },
);
export type ReconciliationQuery = Static<typeof ReconciliationQuery>;

const Totals = Type.Object({ count: Type.Integer(), weightKg: Type.Integer(), amountFen: Type.Integer() });
export const ReconciliationLine = Type.Object({
  interface: InterfaceName,
  group: Type.String({ description: 'a day (YYYY-MM-DD), or a control group such as contract:HT2026001 or customer:C10001' }),
  staging: Totals,
  portal: Totals,
  matches: Type.Boolean(),
});
export const Reconciliation = Type.Object({
  checkedAt: Timestamp,
  differences: Type.Integer(),
  lines: Type.Array(ReconciliationLine),
});
export type Reconciliation = Static<typeof Reconciliation>;

export const FreshnessQuery = Type.Object(
  { interfaces: Type.String({ pattern: '^[a-z_]+(,[a-z_]+)*$', maxLength: 300 }) },
  { additionalProperties: false },
);
export const Freshness = Type.Object({
  asOf: Nullable(Timestamp),
  interfaces: Type.Array(Type.Object({ interface: InterfaceName, asOf: Nullable(Timestamp) })),
});
export type Freshness = Static<typeof Freshness>;

export const BatchParams = Type.Object({ interface: InterfaceName }, { additionalProperties: false });
export const BatchBody = Type.Object(
  {
    batchId: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }),
    rows: Type.Array(
      Type.Object(
        {
          key: Type.String({ minLength: 1, maxLength: 100 }),
          seq: Type.Integer({ minimum: 1 }),
          op: Type.Union([Type.Literal('upsert'), Type.Literal('delete')]),
          payload: Type.Optional(Type.Unknown()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 5000 },
    ),
  },
  { additionalProperties: false },
);
export type BatchBody = Static<typeof BatchBody>;
export const BatchReply = Type.Object({
  batchId: Type.String(),
  interface: InterfaceName,
  accepted: Type.Integer(),
  duplicate: Type.Boolean(),
  invalid: Type.Array(Type.Object({ index: Type.Integer(), path: Type.String(), message: Type.String() }), {
    description: 'rows stored but that the sync will quarantine; reported now for early feedback',
  }),
});
export type BatchReply = Static<typeof BatchReply>;

export const RecordParams = Type.Object(
  { interface: InterfaceName, docKey: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
export type RecordParams = Static<typeof RecordParams>;

/** One ERP document as the portal holds it after sync (a tombstone when the ERP deleted it). */
export const ErpRecord = Type.Object({
  interface: InterfaceName,
  docKey: Type.String(),
  seq: Type.Integer({ description: "the ERP's change sequence of the version held" }),
  stagingId: Type.Integer(),
  deleted: Type.Boolean(),
  payload: Type.Unknown({ description: 'the validated payload; null for a tombstone' }),
  syncedAt: Timestamp,
});
export type ErpRecord = Static<typeof ErpRecord>;
