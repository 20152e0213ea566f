// Code lists, access and arithmetic of the Allocation pages. shared/api/allocation.ts defines the lists, but that
// module loads TypeBox, which the web bundle does not ship; the checks below fail the type check when these copies
// drift. Amounts are integer fen computed in BigInt exactly as the server does (DESIGN.md §3: no floats).
import type { Role } from '@shared/roles';
import type {
  ALLOCATION_STATES as SHARED_ALLOCATION_STATES,
  ANSWER_DECISIONS as SHARED_DECISIONS,
  CREDIT_STATES as SHARED_CREDIT_STATES,
  INTENT_STATES as SHARED_INTENT_STATES,
  PLAN_KINDS as SHARED_PLAN_KINDS,
  PLAN_STATES as SHARED_PLAN_STATES,
} from '@shared/api/allocation';
import type { APPROVAL_STATES as SHARED_APPROVAL_STATES } from '@shared/api/approvals';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export const PLAN_KINDS = ['annual', 'monthly'] as const;
export const PLAN_STATES = ['draft', 'published', 'closed'] as const;
export const ALLOCATION_STATES = ['draft', 'offered', 'approving', 'returned', 'approved', 'declined', 'rejected', 'expired'] as const;
export const ANSWER_DECISIONS = ['accept', 'partial', 'decline'] as const;
export const CREDIT_STATES = ['ok', 'reduced', 'blocked'] as const;
export const INTENT_STATES = ['open', 'listed', 'contracted', 'cancelled'] as const;
export const APPROVAL_STATES = ['pending', 'approved', 'rejected', 'returned', 'cancelled'] as const;

export type PlanKind = (typeof PLAN_KINDS)[number];
export type PlanState = (typeof PLAN_STATES)[number];
export type AllocationState = (typeof ALLOCATION_STATES)[number];
export type AnswerDecision = (typeof ANSWER_DECISIONS)[number];
export type CreditState = (typeof CREDIT_STATES)[number];
export type IntentState = (typeof INTENT_STATES)[number];
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export type CodeListsMatchShared = [
  Assert<Same<PlanKind, (typeof SHARED_PLAN_KINDS)[number]>>,
  Assert<Same<PlanState, (typeof SHARED_PLAN_STATES)[number]>>,
  Assert<Same<AllocationState, (typeof SHARED_ALLOCATION_STATES)[number]>>,
  Assert<Same<AnswerDecision, (typeof SHARED_DECISIONS)[number]>>,
  Assert<Same<CreditState, (typeof SHARED_CREDIT_STATES)[number]>>,
  Assert<Same<IntentState, (typeof SHARED_INTENT_STATES)[number]>>,
  Assert<Same<ApprovalState, (typeof SHARED_APPROVAL_STATES)[number]>>,
];

// Who may do what, as the server's access rules in server/src/modules/allocation/routes.ts say (the server decides;
// the pages only hide what it would refuse).
export const PLAN_READ_ROLES: readonly Role[] = ['sales_manager', 'account_manager', 'admin'];
export const PLAN_EDIT_ROLES: readonly Role[] = ['sales_manager'];
export const INTENT_READ_ROLES: readonly Role[] = ['customer_user', 'customer_admin', 'account_manager', 'sales_manager', 'admin'];

type TagType = 'success' | 'primary' | 'warning' | 'danger' | 'info';

export function planStateTag(state: PlanState): TagType {
  return state === 'published' ? 'success' : state === 'closed' ? 'info' : 'warning';
}

export function allocationStateTag(state: AllocationState): TagType {
  switch (state) {
    case 'offered':
      return 'primary';
    case 'approving':
    case 'returned':
      return 'warning';
    case 'approved':
      return 'success';
    case 'rejected':
      return 'danger';
    default:
      return 'info';
  }
}

export function creditStateTag(state: CreditState): TagType {
  return state === 'ok' ? 'success' : state === 'reduced' ? 'warning' : 'danger';
}

export function intentStateTag(state: IntentState): TagType {
  return state === 'contracted' ? 'success' : state === 'cancelled' ? 'info' : state === 'listed' ? 'primary' : 'warning';
}

export function approvalStateTag(state: ApprovalState): TagType {
  return state === 'approved' ? 'success' : state === 'rejected' ? 'danger' : state === 'pending' ? 'primary' : state === 'returned' ? 'warning' : 'info';
}

/** States whose answer amount already counts in the customer's portal pending (server: pendingAnswerFen). */
export const PENDING_STATES: readonly AllocationState[] = ['approving', 'returned'];


/** A plan line's product in words: variety name, then grade and spec when the line has them. */
export function productText(line: { variety: string; grade: string; spec: string }, varietyName: (v: string) => string): string {
  return [varietyName(line.variety), line.grade, line.spec].filter((part) => part !== '').join(' ');
}

/** The time left until a deadline, in days, hours and minutes; null once it has passed. */
export function timeLeft(deadline: string | null, now: number): { days: number; hours: number; minutes: number } | null {
  if (!deadline) return null;
  const ms = new Date(deadline).getTime() - now;
  if (!(ms > 0)) return null;
  const minutes = Math.floor(ms / 60_000);
  return { days: Math.floor(minutes / 1440), hours: Math.floor((minutes % 1440) / 60), minutes: minutes % 60 };
}

/** A China-time wall clock "YYYY-MM-DD HH:mm" (what the deadline picker shows) as an ISO instant; China has no DST. */
export function chinaWallTimeToIso(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00+08:00`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An instant as the China-time wall clock "YYYY-MM-DD HH:mm" for the deadline picker. */
export function isoToChinaWallTime(date: Date): string {
  const china = new Date(date.getTime() + 8 * 3600_000);
  return china.toISOString().slice(0, 16).replace('T', ' ');
}
