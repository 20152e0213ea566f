// Certificate routes (质保书): customers search and read their own, account managers their customers', quality
// staff, sales managers and administrators all; the EN 10168 JSON as a download; quality staff withdraw.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CertificateDetail, CertificateListQuery, CertificatePage, En10168Document, WithdrawBody } from '../../../../shared/api/certificates.js';
import { IdParams } from '../../../../shared/api/common.js';
import { CUSTOMER_ROLES, STAFF_ROLES } from '../../../../shared/roles.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { EXPORTS_PER_USER } from '../../plugins/rate-limit.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import printRoutes from './print-routes.js';
import * as svc from './service.js';

/** Every customer user and every staff role reads, scoped to the customers they reach. */
const readers = allow.roles([...CUSTOMER_ROLES, ...STAFF_ROLES], 'organisation');
const quality = allow.roles(['quality_staff'], 'mill');

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['certificates'];

  app.get(
    '/certificates',
    {
      config: { access: readers },
      schema: { tags, summary: 'Search certificates by number, contract, delivery, heat/batch/coil/bundle number, grade, spec and issue date', querystring: CertificateListQuery, response: withErrors({ 200: CertificatePage }) },
    },
    (req) => svc.listCertificates(app.db, principalOf(req), req.query),
  );

  app.get(
    '/certificates/:id',
    { config: { access: readers }, schema: { tags, summary: 'The certificate as issued: header, batches, identifiers and every result', params: IdParams, response: withErrors({ 200: CertificateDetail }) } },
    (req) => svc.getCertificate(app.db, principalOf(req), req.params.id),
  );

  app.get(
    '/certificates/:id/en10168.json',
    { config: { access: readers, rateLimit: EXPORTS_PER_USER }, schema: { tags, summary: 'The certificate as EN 10168 JSON (groups A, B, C, D, Z), as a download', params: IdParams, response: withErrors({ 200: En10168Document }) } },
    async (req, reply) => {
      const { certificateNo, document } = await svc.en10168(app.db, principalOf(req), req.params.id);
      reply.header('content-disposition', `attachment; filename="${certificateNo}.en10168.json"`);
      return document;
    },
  );

  app.post(
    '/certificates/:id/withdraw',
    { config: { access: quality }, schema: { tags, summary: 'Withdraw a certificate with a reason (quality staff)', params: IdParams, body: WithdrawBody, response: withErrors({ 200: CertificateDetail }) } },
    (req) => app.db.transaction((trx) => svc.withdraw(trx, principalOf(req), actorOf(req), req.params.id, req.body.reason)),
  );

  await app.register(printRoutes);
};

export default routes;
