// Which roles a user may be given from each users screen, mirroring the server's user.role_not_allowed rule.
import { CUSTOMER_ROLES, ROLES, STAFF_ROLES, isCustomerRole, type Role } from '@shared/roles';
import type { Organisation } from '@shared/index';

// 'all': a mill administrator over every organisation; 'organisation': a customer admin's own one.
export type UsersScope = 'all' | 'organisation';

export function assignableRoles(scope: UsersScope, organisationKind?: Organisation['kind']): readonly Role[] {
  if (scope === 'organisation') return CUSTOMER_ROLES;
  if (organisationKind === 'mill') return STAFF_ROLES;
  if (organisationKind === 'customer') return CUSTOMER_ROLES;
  return ROLES;
}

// Roles stay within their family: customer roles for customer organisations, staff roles for the mill.
export function rolesForExistingUser(scope: UsersScope, role: Role): readonly Role[] {
  if (scope === 'organisation') return CUSTOMER_ROLES;
  return isCustomerRole(role) ? CUSTOMER_ROLES : STAFF_ROLES;
}
