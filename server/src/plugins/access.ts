// Access rules: every route declares who may call it in its options; undeclared routes are denied.
import type { Knex } from 'knex';
import { ROLES, STAFF_ROLES, type Role } from '../../../shared/roles.js';

/**
 * Scope says which records a caller reaches once the role check passed; it is applied in the store query.
 * - self: only the caller's own user record
 * - organisation: customers their own organisation, account managers their assigned customers, other staff all
 * - mill: mill-wide data, staff only
 */
export type Scope = 'self' | 'organisation' | 'mill';

export type Access = { public: true; reason: string } | { roles: readonly Role[]; scope: Scope };

export const allow = {
  /** Reachable without signing in; the reason is for the reviewer. */
  public: (reason: string): Access => ({ public: true, reason }),
  signedIn: (scope: Scope = 'self'): Access => ({ roles: ROLES, scope }),
  staff: (scope: Scope = 'mill'): Access => ({ roles: STAFF_ROLES, scope }),
  roles: (roles: readonly Role[], scope: Scope): Access => ({ roles, scope }),
};

export interface Principal {
  userId: number;
  username: string;
  displayName: string;
  role: Role;
  organisationId: number;
  organisationKind: 'mill' | 'customer';
  sessionId: number;
  canAnswer: boolean;
  canSign: boolean;
  canPrint: boolean;
  /** on a temporary password: only the routes marked allowOnTemporaryPassword answer */
  mustChangePassword: boolean;
}

export function isCustomer(p: Principal): boolean {
  return p.organisationKind === 'customer';
}

/**
 * Restricts a query on a customer-organisation column to what the caller may see:
 * a customer user its own organisation, an account manager the customers assigned to them, other staff everything.
 */
export function scopeToCustomers<T extends Knex.QueryBuilder>(qb: T, p: Principal, column: string): T {
  if (isCustomer(p)) return qb.where(column, p.organisationId) as T;
  if (p.role === 'account_manager') {
    return qb.whereIn(column, (sub: Knex.QueryBuilder) =>
      sub.select('id').from('organisations').where('account_manager_id', p.userId),
    ) as T;
  }
  return qb;
}
