// Endpoint of the audit log (administrators only).
import type { AuditListQuery, AuditPage } from '@shared/index';
import { http } from './client';

export const auditApi = {
  list: (query: AuditListQuery, signal?: AbortSignal) => http.get<AuditPage>('/audit', query, signal),
};
