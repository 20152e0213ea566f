// Endpoints of the Customers module: classes, the customer list and profile, credit, grading, warnings,
// statistics, ERP matching, groups, credit policies, and the customer's own profile.
import type {
  AccountManagerList,
  ClassList,
  CreateClassBody,
  CreateExceptionBody,
  CreateGroupBody,
  CreditCheck,
  CreditException,
  CreditExceptionList,
  CreditPolicies,
  CreditWarningList,
  CustomerClass,
  CustomerDetail,
  CustomerGroup,
  CustomerListQuery,
  CustomerPage,
  CustomerStats,
  GradeOverrideBody,
  GradeRunResult,
  GroupList,
  HistoryList,
  MatchReport,
  MatchRunResult,
  MyCustomerProfile,
  StatsCsvQuery,
  UpdateClassBody,
  UpdateCustomerBody,
  UpdateGroupBody,
} from '@shared/index';
import { download, http } from './client';

/** The list filters without paging: what the CSV export takes. */
export type CustomerExportQuery = Omit<CustomerListQuery, 'page' | 'pageSize'>;

export const customerClassesApi = {
  list: (signal?: AbortSignal) => http.get<ClassList>('/customer-classes', undefined, signal),
  create: (body: CreateClassBody) => http.post<CustomerClass>('/customer-classes', body),
  update: (id: number, body: UpdateClassBody) => http.patch<CustomerClass>(`/customer-classes/${id}`, body),
};

export const customersApi = {
  list: (query: CustomerListQuery, signal?: AbortSignal) => http.get<CustomerPage>('/customers', query, signal),
  exportCsv: (query: CustomerExportQuery) => download('/customers/export.csv', query),
  accountManagers: (signal?: AbortSignal) => http.get<AccountManagerList>('/customers/account-managers', undefined, signal),
  get: (id: number, signal?: AbortSignal) => http.get<CustomerDetail>(`/customers/${id}`, undefined, signal),
  update: (id: number, body: UpdateCustomerBody) => http.patch<CustomerDetail>(`/customers/${id}`, body),
  overrideGrade: (id: number, body: GradeOverrideBody) => http.put<CustomerDetail>(`/customers/${id}/grade-override`, body),
  history: (id: number, signal?: AbortSignal) => http.get<HistoryList>(`/customers/${id}/history`, undefined, signal),
  creditCheck: (id: number, amountFen: number, signal?: AbortSignal) =>
    http.get<CreditCheck>(`/customers/${id}/credit-check`, { amountFen }, signal),
  exceptions: (id: number, signal?: AbortSignal) =>
    http.get<CreditExceptionList>(`/customers/${id}/credit-exceptions`, undefined, signal),
  grantException: (id: number, body: CreateExceptionBody) =>
    http.post<CreditException>(`/customers/${id}/credit-exceptions`, body),
  recomputeGrades: () => http.post<GradeRunResult>('/customers/grades/recompute'),
  warnings: (signal?: AbortSignal) => http.get<CreditWarningList>('/customers/credit-warnings', undefined, signal),
  stats: (signal?: AbortSignal) => http.get<CustomerStats>('/customers/stats', undefined, signal),
  statsCsv: (query: StatsCsvQuery) => download('/customers/stats.csv', query),
  matching: (signal?: AbortSignal) => http.get<MatchReport>('/customers/matching', undefined, signal),
  runMatching: () => http.post<MatchRunResult>('/customers/matching/run'),
  acceptErp: (code: string) => http.post<MatchRunResult>(`/customers/matching/${encodeURIComponent(code)}/accept`),
};

export const customerGroupsApi = {
  list: (signal?: AbortSignal) => http.get<GroupList>('/customer-groups', undefined, signal),
  create: (body: CreateGroupBody) => http.post<CustomerGroup>('/customer-groups', body),
  update: (id: number, body: UpdateGroupBody) => http.patch<CustomerGroup>(`/customer-groups/${id}`, body),
  remove: (id: number) => http.delete<{ ok: true }>(`/customer-groups/${id}`),
};

export const creditPoliciesApi = {
  get: (signal?: AbortSignal) => http.get<CreditPolicies>('/credit-policies', undefined, signal),
  save: (body: CreditPolicies) => http.put<CreditPolicies>('/credit-policies', body),
};

export const myCustomerApi = {
  get: (signal?: AbortSignal) => http.get<MyCustomerProfile>('/my/customer', undefined, signal),
};
