// Allocation routes: sales managers' plans, grid, proposal and publication; customers' allocations and answers;
// intent contracts for both sides (account managers: their own customers).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
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
} from '../../../../shared/api/allocation.js';
import { IdParams } from '../../../../shared/api/common.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { getIntent, listIntents } from './intents.js';
import * as svc from './service.js';

/** Plans and allocations are the sales managers' (DESIGN.md §5); account managers and admins read them. */
const planners = allow.roles(['sales_manager'], 'mill');
const planReaders = allow.roles(['sales_manager', 'account_manager', 'admin'], 'mill');
/** Customers their own organisation, account managers their customers, sales managers and admins all. */
const scoped = allow.roles(['customer_user', 'customer_admin', 'account_manager', 'sales_manager', 'admin'], 'organisation');
const answerers = allow.roles(['customer_user', 'customer_admin'], 'organisation');

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tx = app.db.transaction.bind(app.db);
  const tags = ['allocation'];

  app.get('/plans', { config: { access: planReaders }, schema: { tags, summary: 'Resource plans, newest period first', querystring: PlanListQuery, response: withErrors({ 200: PlanList }) } }, (req) =>
    svc.listPlans(app.db, req.query),
  );
  app.post(
    '/plans',
    { config: { access: planners }, schema: { tags, summary: 'Create an annual or monthly resource plan', body: CreatePlanBody, response: withErrors({ 201: Plan }) } },
    async (req, reply) => reply.status(201).send(await tx((trx) => svc.createPlan(trx, actorOf(req), req.body))),
  );
  app.get('/plans/:id', { config: { access: planReaders }, schema: { tags, summary: 'One plan with its lines and the ERP supply beside them', params: IdParams, response: withErrors({ 200: Plan }) } }, (req) =>
    svc.getPlan(app.db, req.params.id),
  );
  app.put(
    '/plans/:id',
    { config: { access: planners }, schema: { tags, summary: 'Change a plan (lines never below what is allocated)', params: IdParams, body: UpdatePlanBody, response: withErrors({ 200: Plan }) } },
    (req) => tx((trx) => svc.updatePlan(trx, actorOf(req), req.params.id, req.body)),
  );
  app.post('/plans/:id/close', { config: { access: planners }, schema: { tags, summary: 'Close a plan: no more rounds', params: IdParams, response: withErrors({ 200: Plan }) } }, (req) =>
    tx((trx) => svc.closePlan(trx, actorOf(req), req.params.id)),
  );
  app.get(
    '/plans/:id/allocations',
    { config: { access: planReaders }, schema: { tags, summary: 'The allocation grid: customers, offers of every round, drafts of the next', params: IdParams, response: withErrors({ 200: AllocationGrid }) } },
    (req) => svc.grid(app.db, req.params.id, principalOf(req)),
  );
  app.put(
    '/plans/:id/allocations',
    {
      config: { access: planners },
      schema: { tags, summary: 'Set draft offers of the next round; over-allocation is refused', params: IdParams, body: GridEditBody, response: withErrors({ 200: AllocationGrid }) },
    },
    (req) => tx((trx) => svc.editGrid(trx, actorOf(req), req.params.id, req.body)),
  );
  app.post(
    '/plans/:id/proposal',
    { config: { access: planners }, schema: { tags, summary: "Replace the next round's drafts with the computed proposal", params: IdParams, response: withErrors({ 200: AllocationGrid }) } },
    (req) => tx((trx) => svc.propose(trx, actorOf(req), req.params.id)),
  );
  app.post(
    '/plans/:id/publish',
    { config: { access: planners }, schema: { tags, summary: 'Publish the next round and notify the customers', params: IdParams, body: PublishBody, response: withErrors({ 200: PublishResult }) } },
    (req) => tx((trx) => svc.publish(trx, actorOf(req), req.params.id, req.body.answerDeadline)),
  );

  app.get(
    '/allocations',
    {
      config: { access: scoped, audit: false },
      schema: { tags, summary: "A customer's allocations of a month with its funds for answering", querystring: MyAllocationsQuery, response: withErrors({ 200: MyAllocations }) },
    },
    (req) => svc.myAllocations(app.db, principalOf(req), req.query),
  );
  app.get('/allocations/:id', { config: { access: scoped }, schema: { tags, summary: 'One allocation with every answer version', params: IdParams, response: withErrors({ 200: AllocationView }) } }, (req) =>
    svc.getAllocation(app.db, principalOf(req), req.params.id),
  );
  app.post(
    '/allocations/:id/answer',
    { config: { access: answerers }, schema: { tags, summary: 'Accept, accept part of, or decline an allocation, with a quote', params: IdParams, body: AnswerBody, response: withErrors({ 200: AllocationView }) } },
    (req) => tx((trx) => svc.answer(trx, principalOf(req), actorOf(req), req.params.id, req.body)),
  );

  app.get('/intent-contracts', { config: { access: scoped }, schema: { tags, summary: 'Intent contracts', querystring: IntentListQuery, response: withErrors({ 200: IntentPage }) } }, (req) =>
    listIntents(app.db, principalOf(req), req.query),
  );
  app.get('/intent-contracts/:id', { config: { access: scoped }, schema: { tags, summary: 'One intent contract with its lines', params: IdParams, response: withErrors({ 200: IntentContract }) } }, (req) =>
    getIntent(app.db, principalOf(req), req.params.id),
  );
};

export default routes;
