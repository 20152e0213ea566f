// Approval routes: administrators' rules, the staff's queue and decisions, the record and the route preview for both sides.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  Approval,
  ApprovalQueue,
  ApprovalRule,
  CreateRuleBody,
  DecisionBody,
  PreviewBody,
  RoutePreview,
  RuleList,
  UpdateRuleBody,
} from '../../../../shared/api/approvals.js';
import { IdParams } from '../../../../shared/api/common.js';
import { allow, isCustomer } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { Invalid } from '../../errors.js';
import * as svc from './service.js';

const admin = allow.roles(['admin'], 'mill');
const ruleReaders = allow.roles(['admin', 'sales_manager'], 'mill');

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tx = app.db.transaction.bind(app.db);
  const tags = ['approvals'];

  app.get('/approval-rules', { config: { access: ruleReaders }, schema: { tags, summary: 'Approval rules with every version, in the order they are tried', response: withErrors({ 200: RuleList }) } }, () =>
    svc.listRules(app.db),
  );

  app.post(
    '/approval-rules',
    { config: { access: admin }, schema: { tags, summary: 'Create an approval rule (version 1)', body: CreateRuleBody, response: withErrors({ 201: ApprovalRule }) } },
    async (req, reply) => reply.status(201).send(await tx((trx) => svc.createRule(trx, actorOf(req), req.body))),
  );

  app.put(
    '/approval-rules/:id',
    { config: { access: admin }, schema: { tags, summary: 'Change a rule; new conditions or steps become a new version', params: IdParams, body: UpdateRuleBody, response: withErrors({ 200: ApprovalRule }) } },
    (req) => tx((trx) => svc.updateRule(trx, actorOf(req), req.params.id, req.body)),
  );

  app.post(
    '/approval-rules/:id/deactivate',
    { config: { access: admin }, schema: { tags, summary: 'Switch a rule off (not the default)', params: IdParams, response: withErrors({ 200: ApprovalRule }) } },
    (req) => tx((trx) => svc.setRuleActive(trx, actorOf(req), req.params.id, false)),
  );

  app.post(
    '/approval-rules/:id/activate',
    { config: { access: admin }, schema: { tags, summary: 'Switch a rule on again', params: IdParams, response: withErrors({ 200: ApprovalRule }) } },
    (req) => tx((trx) => svc.setRuleActive(trx, actorOf(req), req.params.id, true)),
  );

  app.get('/approvals/queue', { config: { access: allow.staff('mill') }, schema: { tags, summary: 'Pending approvals I may act on now', response: withErrors({ 200: ApprovalQueue }) } }, (req) =>
    svc.queue(app.db, principalOf(req)),
  );

  app.post(
    '/approvals/preview',
    {
      // Reads only: nothing to audit.
      config: { access: allow.signedIn('organisation'), audit: false },
      schema: { tags, summary: 'The route an answer or demand with these figures would take', body: PreviewBody, response: withErrors({ 200: RoutePreview }) },
    },
    async (req) => {
      const p = principalOf(req);
      const customerId = isCustomer(p) ? p.organisationId : req.body.customerId;
      if (!customerId) throw new Invalid('approval.customer_required', 'Name the customer');
      const known = await svc.customerFacts(app.db, p, customerId);
      return svc.previewRoute(app.db, { ...known, tonnageKg: req.body.tonnageKg, amountFen: req.body.amountFen, priceDeviationBp: req.body.priceDeviationBp, variety: req.body.variety }, customerId);
    },
  );

  app.get(
    '/approvals/:id',
    { config: { access: allow.signedIn('organisation') }, schema: { tags, summary: 'One approval with its rule, steps and every action', params: IdParams, response: withErrors({ 200: Approval }) } },
    (req) => svc.getApproval(app.db, principalOf(req), req.params.id),
  );

  app.post(
    '/approvals/:id/decisions',
    { config: { access: allow.staff('mill') }, schema: { tags, summary: 'Approve, reject or return the current step', params: IdParams, body: DecisionBody, response: withErrors({ 200: Approval }) } },
    (req) => tx((trx) => svc.decide(trx, principalOf(req), actorOf(req), req.params.id, req.body)),
  );
};

export default routes;
