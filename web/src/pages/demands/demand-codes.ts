// Code lists and rules of the Demands pages, mirrored from shared/api/allocation.ts (the web bundle does not ship
// TypeBox); the type checks below fail when these copies drift from the shared ones.
import type { Role } from '@shared/roles';
import type { Me } from '@shared/index';
import type { DEMAND_STATES as SHARED_STATES, Demand, DemandActionBody, DemandMessage, DemandState, Side } from '@shared/api/allocation';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export const DEMAND_STATES = ['open', 'approving', 'returned', 'approved', 'rejected', 'withdrawn'] as const;
export type CodeListsMatchShared = [Assert<Same<(typeof DEMAND_STATES)[number], (typeof SHARED_STATES)[number]>>];

export type DemandAction = DemandActionBody['action'];

/** Mill staff who negotiate demands; quality staff have no part in them (server/src/modules/demands/routes.ts). */
export const DEMAND_STAFF_ROLES: readonly Role[] = ['account_manager', 'sales_manager', 'admin'];

// Field rules of CreateDemandBody in shared/api/allocation.ts.
export const GRADE_PATTERN = /^[A-Za-z0-9Φφ.+/ -]*$/;
export const SPEC_PATTERN = /^[A-Za-z0-9Φφ.×*+/ -]*$/;
export const GRADE_MAX = 30;
export const SPEC_MAX = 40;
export const REMARKS_MAX = 500;
export const TEXT_MAX = 1000;
export const MAX_KG = 1_000_000_000;
export const MAX_PRICE_FEN_PER_T = 100_000_000;

export function stateTag(state: DemandState): 'primary' | 'warning' | 'info' | 'success' | 'danger' {
  switch (state) {
    case 'open':
      return 'primary';
    case 'approving':
      return 'warning';
    case 'approved':
      return 'success';
    case 'rejected':
      return 'danger';
    default:
      return 'info';
  }
}

/** This month and the next eleven in China (Asia/Shanghai), as YYYY-MM: the delivery months one may propose. */
export function deliveryMonths(now = new Date(), count = 12): string[] {
  const china = new Date(now.getTime() + 8 * 3600_000);
  return Array.from({ length: count }, (_, i) => new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() + i, 1)).toISOString().slice(0, 7));
}

export const sideOf = (me: Me | null): Side => (me && (me.role === 'customer_user' || me.role === 'customer_admin') ? 'customer' : 'mill');

/** Whether the signed-in user may act on demands at all (the server's checkMayAct). */
export function mayAct(me: Me | null): boolean {
  if (!me) return false;
  if (sideOf(me) === 'customer') return me.role === 'customer_admin' || me.canAnswer;
  return DEMAND_STAFF_ROLES.includes(me.role);
}

/** The actions the server's table allows this side in this state (server/src/modules/demands/service.ts ACTIONS). */
export function allowedActions(d: Pick<Demand, 'state' | 'proposedBy' | 'priceFenPerT'>, side: Side): Set<DemandAction> {
  const out = new Set<DemandAction>();
  if (d.state === 'open' || (d.state === 'returned' && side === 'customer')) out.add('counter');
  if (d.state === 'open' && d.proposedBy !== side && d.priceFenPerT !== null) out.add('accept');
  if (d.state === 'open' || d.state === 'approving' || d.state === 'returned') out.add('message');
  if (side === 'customer' && (d.state === 'open' || d.state === 'approving' || d.state === 'returned')) out.add('withdraw');
  return out;
}

/** Whose move it is: the side that did not make the terms while open, the customer after a return. */
export function turnOf(d: Pick<Demand, 'state' | 'proposedBy'>): Side | null {
  if (d.state === 'open') return d.proposedBy === 'customer' ? 'mill' : 'customer';
  if (d.state === 'returned') return 'customer';
  return null;
}

/**
 * The outcome of each approval message of a thread. Approved and rejected end a demand, so every approval message
 * but the last was a return; the last one is the demand's final state when that is approved or rejected.
 */
export function approvalOutcomes(d: Pick<Demand, 'state'> & { messages: DemandMessage[] }): Map<number, 'approved' | 'rejected' | 'returned'> {
  const approvals = d.messages.filter((m) => m.kind === 'approval');
  return new Map(
    approvals.map((m, i) => [
      m.id,
      i === approvals.length - 1 && (d.state === 'approved' || d.state === 'rejected') ? d.state : 'returned',
    ]),
  );
}
