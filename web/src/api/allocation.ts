// Endpoints of the Allocation module: resource plans and their grid (staff), a customer's allocations and answers,
// and intent contracts (both sides).
import type {
  AllocationGrid,
  AllocationView,
  AnswerBody,
  CreatePlanBody,
  GridEditBody,
  IntentContract,
  IntentListQuery,
  IntentPage,
  MyAllocations,
  MyAllocationsQuery,
  Plan,
  PlanList,
  PlanListQuery,
  PublishBody,
  PublishResult,
  UpdatePlanBody,
} from '@shared/api/allocation';
import { http } from './client';

export const plansApi = {
  list: (query: PlanListQuery, signal?: AbortSignal) => http.get<PlanList>('/plans', query, signal),
  create: (body: CreatePlanBody) => http.post<Plan>('/plans', body),
  get: (id: number, signal?: AbortSignal) => http.get<Plan>(`/plans/${id}`, undefined, signal),
  update: (id: number, body: UpdatePlanBody) => http.put<Plan>(`/plans/${id}`, body),
  close: (id: number) => http.post<Plan>(`/plans/${id}/close`),
  grid: (id: number, signal?: AbortSignal) => http.get<AllocationGrid>(`/plans/${id}/allocations`, undefined, signal),
  editGrid: (id: number, body: GridEditBody) => http.put<AllocationGrid>(`/plans/${id}/allocations`, body),
  propose: (id: number) => http.post<AllocationGrid>(`/plans/${id}/proposal`),
  publish: (id: number, body: PublishBody) => http.post<PublishResult>(`/plans/${id}/publish`, body),
};

export const allocationsApi = {
  mine: (query: MyAllocationsQuery, signal?: AbortSignal) => http.get<MyAllocations>('/allocations', query, signal),
  get: (id: number, signal?: AbortSignal) => http.get<AllocationView>(`/allocations/${id}`, undefined, signal),
  answer: (id: number, body: AnswerBody) => http.post<AllocationView>(`/allocations/${id}/answer`, body),
};

export const intentContractsApi = {
  list: (query: IntentListQuery, signal?: AbortSignal) => http.get<IntentPage>('/intent-contracts', query, signal),
  get: (id: number, signal?: AbortSignal) => http.get<IntentContract>(`/intent-contracts/${id}`, undefined, signal),
};
