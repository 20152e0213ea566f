// Business query and report routes (issue 8): customers' fund ledger, credit and contract progress, and the mill's
// progress by account manager, regional flow and sales overview; each also as CSV (format=csv) of the same rows.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import {
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
  type ReportLang,
} from '../../../../shared/api/reports.js';
import { CUSTOMER_ROLES } from '../../../../shared/roles.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { EXPORTS_PER_USER, type RouteRateLimit } from '../../plugins/rate-limit.js';
import { withErrors } from '../../http.js';
import * as svc from './service.js';

/** Customers their own organisation; account managers their customers; sales managers and administrators all. */
const customerQueries = allow.roles([...CUSTOMER_ROLES, 'account_manager', 'sales_manager', 'admin'], 'organisation');
/** Mill management: quality staff and customers have no business here. */
const management = allow.roles(['account_manager', 'sales_manager', 'admin'], 'organisation');
/** A report's CSV (all its rows, every page) counts against the user's exports (EXPORTS_PER_MINUTE); the JSON pages do not. */
const csvExport: RouteRateLimit = { ...EXPORTS_PER_USER, query: { format: 'csv' } };

/**
 * Answers the report as JSON, or with format=csv as a CSV download (UTF-8 with a byte-order mark) of the same rows and
 * totals; a string sent as text/csv bypasses the JSON response schema.
 */
function answer<T>(reply: FastifyReply, q: { format?: string; lang?: ReportLang }, name: string, report: T, toCsv: (r: T, lang: ReportLang) => string) {
  if (q.format !== 'csv') return report;
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(toCsv(report, q.lang ?? 'zh-CN'));
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['reports'];

  app.get(
    '/queries/funds',
    { config: { access: customerQueries, rateLimit: csvExport }, schema: { tags, summary: '资金明细: receipts and invoices with the running balance, totals, and the ERP balance beside it', querystring: FundsQuery, response: withErrors({ 200: FundLedger }) } },
    async (req, reply) => answer(reply, req.query, 'funds', await svc.funds(app.db, principalOf(req), req.query), svc.fundsCsv),
  );

  app.get(
    '/queries/credit',
    { config: { access: customerQueries, rateLimit: csvExport }, schema: { tags, summary: '信用额度: limit, used, available, overdue and the last 12 months of usage', querystring: CreditQuery, response: withErrors({ 200: CreditView }) } },
    async (req, reply) => answer(reply, req.query, 'credit', await svc.credit(app.db, principalOf(req), req.query), svc.creditCsv),
  );

  app.get(
    '/queries/contract-progress',
    { config: { access: customerQueries, rateLimit: csvExport }, schema: { tags, summary: 'Contract progress: contracted, scheduled, shipped and settled per contract, with totals', querystring: ContractProgressQuery, response: withErrors({ 200: ContractProgress }) } },
    async (req, reply) => answer(reply, req.query, 'contract-progress', await svc.contractProgress(app.db, principalOf(req), req.query), svc.contractProgressCsv),
  );

  app.get(
    '/reports/managers',
    { config: { access: management, rateLimit: csvExport }, schema: { tags, summary: '责任人合同进度: per account manager, drilling down to customers and contracts', querystring: ManagersQuery, response: withErrors({ 200: ManagersReport }) } },
    async (req, reply) => answer(reply, req.query, 'managers', await svc.managers(app.db, principalOf(req), req.query), svc.managersCsv),
  );

  app.get(
    '/reports/regional-flow',
    { config: { access: management, rateLimit: csvExport }, schema: { tags, summary: '区域流向: shipped tonnage by destination province and city against the previous period', querystring: RegionalFlowQuery, response: withErrors({ 200: RegionalFlowReport }) } },
    async (req, reply) => answer(reply, req.query, 'regional-flow', await svc.regionalFlow(app.db, principalOf(req), req.query), svc.regionalFlowCsv),
  );

  app.get(
    '/reports/overview',
    { config: { access: management, rateLimit: csvExport }, schema: { tags, summary: 'Sales overview: contracted and shipped by variety, class and month; allocation answered vs offered', querystring: OverviewQuery, response: withErrors({ 200: OverviewReport }) } },
    async (req, reply) => answer(reply, req.query, 'overview', await svc.overview(app.db, principalOf(req), req.query), svc.overviewCsv),
  );
};

export default routes;
