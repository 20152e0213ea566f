// Customer routes: the staff's customer list, detail, changes, credit and statistics (account managers only their
// own customers), administrators' classes, policies and ERP matching, and a customer's own profile.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AccountManagerList,
  ClassList,
  CreateClassBody,
  CreateExceptionBody,
  CreateGroupBody,
  CreditCheck,
  CreditCheckQuery,
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
} from '../../../../shared/api/customers.js';
import { IdParams, Ok } from '../../../../shared/api/common.js';
import { CUSTOMER_ROLES } from '../../../../shared/roles.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { EXPORTS_PER_USER } from '../../plugins/rate-limit.js';
import { actorOf, audit } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { recomputeCustomers, refreshCredit } from './credit.js';
import { acceptErp, matchErpCustomers } from './matching.js';
import * as svc from './service.js';

const staffScoped = allow.staff('organisation');
const editors = allow.roles(['account_manager', 'sales_manager', 'admin'], 'organisation');
const salesManager = allow.roles(['sales_manager'], 'organisation');
const admin = allow.roles(['admin'], 'mill');
const CodeParams = Type.Object({ code: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,32}$' }) }, { additionalProperties: false });
const ListFilters = Type.Omit(CustomerListQuery, ['page', 'pageSize']);
const Csv = Type.String({ description: 'text/csv, UTF-8 with a byte-order mark for spreadsheets' });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tx = app.db.transaction.bind(app.db);
  const tags = ['customers'];

  app.get('/customers', { config: { access: staffScoped }, schema: { tags, summary: 'List customers', querystring: CustomerListQuery, response: withErrors({ 200: CustomerPage }) } }, (req) =>
    svc.listCustomers(app.db, principalOf(req), req.query),
  );

  app.get(
    '/customers/export.csv',
    { config: { access: staffScoped, rateLimit: EXPORTS_PER_USER }, schema: { tags, summary: 'The filtered customer list as CSV', querystring: ListFilters, response: withErrors({ 200: Csv }) } },
    async (req, reply) => {
      const csv = await svc.exportCustomers(app.db, principalOf(req), req.query);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="customers.csv"').send(csv);
    },
  );

  app.get('/customers/account-managers', { config: { access: allow.staff('mill') }, schema: { tags, summary: 'Account managers and how many customers each has', response: withErrors({ 200: AccountManagerList }) } }, () =>
    svc.accountManagers(app.db),
  );

  app.get('/customers/credit-warnings', { config: { access: staffScoped }, schema: { tags, summary: 'Customers over the warning share of their limit or overdue', response: withErrors({ 200: CreditWarningList }) } }, (req) =>
    svc.creditWarnings(app.db, principalOf(req)),
  );

  app.get('/customers/stats', { config: { access: staffScoped }, schema: { tags, summary: 'Customers and contracted tonnage by class, province, industry, grade; credit record per account manager', response: withErrors({ 200: CustomerStats }) } }, (req) =>
    svc.stats(app.db, principalOf(req)),
  );

  app.get(
    '/customers/stats.csv',
    { config: { access: staffScoped, rateLimit: EXPORTS_PER_USER }, schema: { tags, summary: 'One statistic as CSV', querystring: StatsCsvQuery, response: withErrors({ 200: Csv }) } },
    async (req, reply) => {
      const csv = await svc.statsCsv(app.db, principalOf(req), req.query.dimension);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="customers-by-${req.query.dimension}.csv"`).send(csv);
    },
  );

  app.post(
    '/customers/grades/recompute',
    { config: { access: allow.roles(['sales_manager', 'admin'], 'mill') }, schema: { tags, summary: 'Recompute every credit grade now', response: withErrors({ 200: GradeRunResult }) } },
    async (req) => {
      const result = await recomputeCustomers(app.db);
      await audit(app.db, actorOf(req), { action: 'customer.grades_recomputed', entity: 'customer', details: result });
      return result;
    },
  );

  app.get('/customers/matching', { config: { access: allow.roles(['admin', 'sales_manager'], 'organisation') }, schema: { tags, summary: 'Unmatched portal customers and ERP conflicts', response: withErrors({ 200: MatchReport }) } }, (req) =>
    svc.matchReport(app.db, principalOf(req)),
  );

  app.post('/customers/matching/run', { config: { access: admin }, schema: { tags, summary: 'Match the synced ERP customer master now', response: withErrors({ 200: MatchRunResult }) } }, async (req) => {
    const result = await matchErpCustomers(app.db, actorOf(req));
    await refreshCredit(app.db);
    await audit(app.db, actorOf(req), { action: 'customer.match_run', entity: 'customer', details: result });
    return result;
  });

  app.post(
    '/customers/matching/:code/accept',
    { config: { access: admin }, schema: { tags, summary: "Accept the ERP's values for a conflicting customer", params: CodeParams, response: withErrors({ 200: MatchRunResult }) } },
    async (req) => {
      const result = await tx((trx) => acceptErp(trx, actorOf(req), req.params.code));
      await refreshCredit(app.db, [req.params.code]);
      return result;
    },
  );

  app.get('/customers/:id', { config: { access: staffScoped }, schema: { tags, summary: 'One customer with credit and grading', params: IdParams, response: withErrors({ 200: CustomerDetail }) } }, (req) =>
    svc.getCustomer(app.db, principalOf(req), req.params.id),
  );

  app.patch(
    '/customers/:id',
    { config: { access: editors }, schema: { tags, summary: 'Change portal-owned fields', params: IdParams, body: UpdateCustomerBody, response: withErrors({ 200: CustomerDetail }) } },
    (req) => tx((trx) => svc.updateCustomer(trx, principalOf(req), actorOf(req), req.params.id, req.body)),
  );

  app.put(
    '/customers/:id/grade-override',
    { config: { access: salesManager }, schema: { tags, summary: 'Override the credit grade (null removes it), with a reason', params: IdParams, body: GradeOverrideBody, response: withErrors({ 200: CustomerDetail }) } },
    (req) => tx((trx) => svc.overrideGrade(trx, principalOf(req), actorOf(req), req.params.id, req.body)),
  );

  app.get('/customers/:id/history', { config: { access: staffScoped }, schema: { tags, summary: 'Who changed what, when', params: IdParams, response: withErrors({ 200: HistoryList }) } }, (req) =>
    svc.customerHistory(app.db, principalOf(req), req.params.id),
  );

  app.get(
    '/customers/:id/credit-check',
    { config: { access: staffScoped }, schema: { tags, summary: 'Whether an amount of business on credit is allowed', params: IdParams, querystring: CreditCheckQuery, response: withErrors({ 200: CreditCheck }) } },
    (req) => svc.creditCheck(app.db, principalOf(req), req.params.id, req.query.amountFen),
  );

  app.get('/customers/:id/credit-exceptions', { config: { access: staffScoped }, schema: { tags, summary: 'Credit exceptions granted', params: IdParams, response: withErrors({ 200: CreditExceptionList }) } }, (req) =>
    svc.listExceptions(app.db, principalOf(req), req.params.id),
  );

  app.post(
    '/customers/:id/credit-exceptions',
    { config: { access: salesManager }, schema: { tags, summary: 'Grant a credit exception, with a reason', params: IdParams, body: CreateExceptionBody, response: withErrors({ 201: CreditException }) } },
    async (req, reply) => reply.status(201).send(await tx((trx) => svc.grantException(trx, principalOf(req), actorOf(req), req.params.id, req.body))),
  );

  app.get('/customer-classes', { config: { access: allow.staff('mill') }, schema: { tags, summary: 'Customer classes and their sales policy', response: withErrors({ 200: ClassList }) } }, () => svc.classes(app.db));

  app.post('/customer-classes', { config: { access: admin }, schema: { tags, summary: 'Create a customer class', body: CreateClassBody, response: withErrors({ 201: CustomerClass }) } }, async (req, reply) =>
    reply.status(201).send(await tx((trx) => svc.createClass(trx, actorOf(req), req.body))),
  );

  app.patch(
    '/customer-classes/:id',
    { config: { access: admin }, schema: { tags, summary: 'Change a customer class', params: IdParams, body: UpdateClassBody, response: withErrors({ 200: CustomerClass }) } },
    (req) => tx((trx) => svc.updateClass(trx, actorOf(req), req.params.id, req.body)),
  );

  app.get('/credit-policies', { config: { access: allow.staff('mill') }, schema: { tags, summary: 'Credit policy by grade and the warning share', response: withErrors({ 200: CreditPolicies }) } }, () => svc.policies(app.db));

  app.put('/credit-policies', { config: { access: admin }, schema: { tags, summary: 'Set the credit policies', body: CreditPolicies, response: withErrors({ 200: CreditPolicies }) } }, (req) =>
    tx((trx) => svc.setPolicies(trx, actorOf(req), req.body)),
  );

  const groupEditors = allow.roles(['sales_manager', 'admin'], 'mill');
  app.get('/customer-groups', { config: { access: staffScoped }, schema: { tags, summary: 'Customer groups with unified credit', response: withErrors({ 200: GroupList }) } }, (req) =>
    svc.listGroups(app.db, principalOf(req)),
  );
  app.get('/customer-groups/:id', { config: { access: staffScoped }, schema: { tags, summary: 'One customer group', params: IdParams, response: withErrors({ 200: CustomerGroup }) } }, (req) =>
    svc.getGroup(app.db, principalOf(req), req.params.id),
  );
  app.post('/customer-groups', { config: { access: groupEditors }, schema: { tags, summary: 'Create a group', body: CreateGroupBody, response: withErrors({ 201: CustomerGroup }) } }, async (req, reply) =>
    reply.status(201).send(await tx((trx) => svc.createGroup(trx, principalOf(req), actorOf(req), req.body))),
  );
  app.patch(
    '/customer-groups/:id',
    { config: { access: groupEditors }, schema: { tags, summary: 'Change a group', params: IdParams, body: UpdateGroupBody, response: withErrors({ 200: CustomerGroup }) } },
    (req) => tx((trx) => svc.updateGroup(trx, principalOf(req), actorOf(req), req.params.id, req.body)),
  );
  app.delete('/customer-groups/:id', { config: { access: groupEditors }, schema: { tags, summary: 'Dissolve a group', params: IdParams, response: withErrors({ 200: Ok }) } }, async (req) => {
    await tx((trx) => svc.deleteGroup(trx, actorOf(req), req.params.id));
    return { ok: true as const };
  });

  app.get('/my/customer', { config: { access: allow.roles(CUSTOMER_ROLES, 'organisation') }, schema: { tags, summary: "The signed-in customer's own profile and credit", response: withErrors({ 200: MyCustomerProfile }) } }, (req) =>
    svc.myProfile(app.db, principalOf(req)),
  );
};

export default routes;
