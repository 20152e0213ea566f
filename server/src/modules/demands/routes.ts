// Demand routes (需求提报): customers submit and both sides negotiate in one thread; account managers reach their own
// customers' demands, sales managers and administrators all; quality staff have no part in it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateDemandBody, Demand, DemandActionBody, DemandListQuery, DemandPage } from '../../../../shared/api/allocation.js';
import { IdParams } from '../../../../shared/api/common.js';
import { CUSTOMER_ROLES } from '../../../../shared/roles.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import * as svc from './service.js';

/** Who takes part: every customer user reads (acting needs the answer right, checked by the service), mill sales staff. */
const parties = allow.roles([...CUSTOMER_ROLES, 'account_manager', 'sales_manager', 'admin'], 'organisation');
const customers = allow.roles(CUSTOMER_ROLES, 'organisation');

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tx = app.db.transaction.bind(app.db);
  const tags = ['demands'];

  app.get(
    '/demands',
    { config: { access: parties }, schema: { tags, summary: 'Demands, newest first: a customer its own, an account manager their customers’', querystring: DemandListQuery, response: withErrors({ 200: DemandPage }) } },
    (req) => svc.listDemands(app.db, principalOf(req), req.query),
  );

  app.post(
    '/demands',
    { config: { access: customers }, schema: { tags, summary: 'Submit a demand (the customer’s own proposal)', body: CreateDemandBody, response: withErrors({ 201: Demand }) } },
    async (req, reply) => reply.status(201).send(await tx((trx) => svc.createDemand(trx, principalOf(req), actorOf(req), req.body))),
  );

  app.get(
    '/demands/:id',
    { config: { access: parties }, schema: { tags, summary: 'One demand with its negotiation thread and its approval', params: IdParams, response: withErrors({ 200: Demand }) } },
    (req) => svc.getDemand(app.db, principalOf(req), req.params.id),
  );

  app.post(
    '/demands/:id/actions',
    {
      config: { access: parties },
      schema: { tags, summary: 'Counter, accept, message or withdraw', params: IdParams, body: DemandActionBody, response: withErrors({ 200: Demand }) },
    },
    (req) => tx((trx) => svc.act(trx, principalOf(req), actorOf(req), req.params.id, req.body)),
  );
};

export default routes;
