// Endpoints of the business queries (customers: fund ledger, credit, contract progress) and the management reports
// (progress by account manager, regional flow, sales overview). Each answers JSON, or CSV of the same rows with format=csv.
import type {
  ContractProgress,
  ContractProgressQuery,
  CreditQuery,
  CreditView,
  FundLedger,
  FundsQuery,
  ManagersQuery,
  ManagersReport,
  OverviewQuery,
  OverviewReport,
  RegionalFlowQuery,
  RegionalFlowReport,
} from '@shared/api/reports';
import { http } from './client';

/** The address of each report: the JSON answer, and its CSV with format=csv (utils/download.ts downloadCsv). */
export const REPORT_PATHS = {
  funds: '/queries/funds',
  credit: '/queries/credit',
  contractProgress: '/queries/contract-progress',
  managers: '/reports/managers',
  regionalFlow: '/reports/regional-flow',
  overview: '/reports/overview',
} as const;

type Json<Q> = Omit<Q, 'format' | 'lang'>;

export const reportsApi = {
  funds: (query: Json<FundsQuery>, signal?: AbortSignal) => http.get<FundLedger>(REPORT_PATHS.funds, query, signal),
  credit: (query: Json<CreditQuery>, signal?: AbortSignal) => http.get<CreditView>(REPORT_PATHS.credit, query, signal),
  contractProgress: (query: Json<ContractProgressQuery>, signal?: AbortSignal) =>
    http.get<ContractProgress>(REPORT_PATHS.contractProgress, query, signal),
  managers: (query: Json<ManagersQuery>, signal?: AbortSignal) => http.get<ManagersReport>(REPORT_PATHS.managers, query, signal),
  regionalFlow: (query: Json<RegionalFlowQuery>, signal?: AbortSignal) =>
    http.get<RegionalFlowReport>(REPORT_PATHS.regionalFlow, query, signal),
  overview: (query: Json<OverviewQuery>, signal?: AbortSignal) => http.get<OverviewReport>(REPORT_PATHS.overview, query, signal),
};
