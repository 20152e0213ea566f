// Code lists for the ERP page's filters. shared/api/erp.ts defines them, but that module loads TypeBox, which the
// web bundle does not ship; the checks below fail the type check when these copies drift from shared/.
import type {
  OutboxQuery,
  QUARANTINE_REASONS as SHARED_REASONS,
  QUARANTINE_STATES as SHARED_STATES,
  QuarantineItem,
} from '@shared/index';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export const QUARANTINE_REASONS = ['envelope.invalid', 'payload.invalid_json', 'payload.schema', 'payload.rule', 'parent.missing'] as const;
export const QUARANTINE_STATES = ['open', 'retrying', 'resolved', 'dismissed'] as const;
// The outbox states the server's list filter understands (shared/api/erp.ts, OutboxQuery.state).
export const OUTBOX_STATES = ['undelivered', 'pending', 'accepted', 'rejected'] as const satisfies readonly NonNullable<
  OutboxQuery['state']
>[];

export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];
export type QuarantineState = QuarantineItem['state'];
export type OutboxState = (typeof OUTBOX_STATES)[number];

export type CodeListsMatchShared = [
  Assert<Same<QuarantineReason, (typeof SHARED_REASONS)[number]>>,
  Assert<Same<(typeof QUARANTINE_STATES)[number], (typeof SHARED_STATES)[number]>>,
];

/** Element Plus tag colour of a quarantine state. */
export function quarantineStateTag(state: string): 'danger' | 'warning' | 'success' | 'info' {
  if (state === 'open') return 'danger';
  if (state === 'retrying') return 'warning';
  if (state === 'resolved') return 'success';
  return 'info';
}

/** The state of an outbox entry as the list filter names it. */
export function outboxState(item: { deliveredAt: string | null; ackState: string }): string {
  return item.deliveredAt ? item.ackState : 'undelivered';
}

export function outboxStateTag(state: string): 'danger' | 'warning' | 'success' | 'info' {
  if (state === 'rejected') return 'danger';
  if (state === 'accepted') return 'success';
  if (state === 'pending') return 'warning';
  return 'info';
}
