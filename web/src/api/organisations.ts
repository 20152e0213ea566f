// Endpoints of organisations: the mill and its customers (staff only).
import type { Organisation, OrganisationListQuery, OrganisationPage } from '@shared/index';
import { http } from './client';

export const organisationsApi = {
  list: (query: OrganisationListQuery, signal?: AbortSignal) =>
    http.get<OrganisationPage>('/organisations', query, signal),
  get: (id: number) => http.get<Organisation>(`/organisations/${id}`),
};
