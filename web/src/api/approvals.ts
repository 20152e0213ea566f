// Endpoints of the approval engine: administrators' rules, the staff queue, one approval, decisions, the route preview.
import type { Approval, ApprovalQueue, ApprovalRule, CreateRuleBody, DecisionBody, PreviewBody, RoutePreview, RuleList, UpdateRuleBody } from '@shared/index';
import { http } from './client';

export const approvalRulesApi = {
  list: (signal?: AbortSignal) => http.get<RuleList>('/approval-rules', undefined, signal),
  create: (body: CreateRuleBody) => http.post<ApprovalRule>('/approval-rules', body),
  update: (id: number, body: UpdateRuleBody) => http.put<ApprovalRule>(`/approval-rules/${id}`, body),
  setActive: (id: number, active: boolean) => http.post<ApprovalRule>(`/approval-rules/${id}/${active ? 'activate' : 'deactivate'}`),
};

export const approvalsApi = {
  queue: (signal?: AbortSignal) => http.get<ApprovalQueue>('/approvals/queue', undefined, signal),
  get: (id: number, signal?: AbortSignal) => http.get<Approval>(`/approvals/${id}`, undefined, signal),
  decide: (id: number, body: DecisionBody) => http.post<Approval>(`/approvals/${id}/decisions`, body),
  preview: (body: PreviewBody) => http.post<RoutePreview>('/approvals/preview', body),
};
