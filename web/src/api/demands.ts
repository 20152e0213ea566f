// Endpoints of customer demands (需求提报): the list, submission, one demand with its thread, and the thread's actions.
import type { CreateDemandBody, Demand, DemandActionBody, DemandListQuery, DemandPage } from '@shared/api/allocation';
import { http } from './client';

export const demandsApi = {
  list: (query: DemandListQuery, signal?: AbortSignal) => http.get<DemandPage>('/demands', query, signal),
  create: (body: CreateDemandBody) => http.post<Demand>('/demands', body),
  get: (id: number, signal?: AbortSignal) => http.get<Demand>(`/demands/${id}`, undefined, signal),
  act: (id: number, body: DemandActionBody) => http.post<Demand>(`/demands/${id}/actions`, body),
};
