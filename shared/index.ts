// The API contract shared by server and web.
export * from './roles.js';
export * from './api/common.js';
export * from './api/auth.js';
export * from './api/users.js';
export * from './api/organisations.js';
export * from './api/audit.js';
export * from './api/system.js';
export * from './api/erp.js';
export * from './erp/interfaces.js';
export * from './api/customers.js';
export * from './api/approvals.js';
export * from './api/notifications.js';
