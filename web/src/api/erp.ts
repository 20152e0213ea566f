// Endpoints of the ERP sync: status, run now, quarantine, outbox and reconciliation (administrators);
// freshness ("data as of") for any signed-in user.
import type {
  DismissBody,
  Freshness,
  InboundInterface,
  OutboxPage,
  OutboxQuery,
  QuarantineItem,
  QuarantinePage,
  QuarantineQuery,
  Reconciliation,
  ReconciliationQuery,
  RunReply,
  SyncStatus,
} from '@shared/index';
import { http } from './client';

export const erpApi = {
  status: (signal?: AbortSignal) => http.get<SyncStatus>('/erp/status', undefined, signal),
  syncNow: () => http.post<RunReply>('/erp/sync'),
  quarantine: (query: QuarantineQuery, signal?: AbortSignal) => http.get<QuarantinePage>('/erp/quarantine', query, signal),
  quarantineItem: (id: number, signal?: AbortSignal) => http.get<QuarantineItem>(`/erp/quarantine/${id}`, undefined, signal),
  retry: (id: number) => http.post<QuarantineItem>(`/erp/quarantine/${id}/retry`),
  dismiss: (id: number, body: DismissBody) => http.post<QuarantineItem>(`/erp/quarantine/${id}/dismiss`, body),
  outbox: (query: OutboxQuery, signal?: AbortSignal) => http.get<OutboxPage>('/erp/outbox', query, signal),
  reconciliation: (query: ReconciliationQuery, signal?: AbortSignal) =>
    http.get<Reconciliation>('/erp/reconciliation', query, signal),
  freshness: (interfaces: readonly InboundInterface[], signal?: AbortSignal) =>
    http.get<Freshness>('/erp/freshness', { interfaces: interfaces.join(',') }, signal),
};
