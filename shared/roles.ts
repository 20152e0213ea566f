// Roles of DESIGN.md §5, shared by the server's access rules and the web's menus.
export const CUSTOMER_ROLES = ['customer_user', 'customer_admin'] as const;
export const STAFF_ROLES = ['account_manager', 'sales_manager', 'quality_staff', 'admin'] as const;
export const ROLES = [...CUSTOMER_ROLES, ...STAFF_ROLES] as const;

export type CustomerRole = (typeof CUSTOMER_ROLES)[number];
export type StaffRole = (typeof STAFF_ROLES)[number];
export type Role = (typeof ROLES)[number];

export function isCustomerRole(role: string): role is CustomerRole {
  return (CUSTOMER_ROLES as readonly string[]).includes(role);
}

export function isStaffRole(role: string): role is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(role);
}
