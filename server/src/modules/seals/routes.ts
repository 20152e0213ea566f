// Seal governance routes: certificates (manage right: issue, revoke), the log of seal uses (audit right), who holds
// which seal right (administrators), and the CA root for relying parties (public).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RevokeBody, SealCertificate, SealCertificateList, SealRightBody, SealRightList, SealRightSchema, SealUsePage, SealUseQuery } from '../../../../shared/api/contracts.js';
import { IdParams, Ok } from '../../../../shared/api/common.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { Forbidden } from '../../errors.js';
import { contractNumbersById } from '../contracts/service.js';
import * as svc from './service.js';

/** Mill staff reach these routes; the seal right each one needs is checked by the service (manage, use, audit are separate). */
const staff = allow.staff('mill');
const admins = allow.roles(['admin'], 'mill');
const IssueBody = Type.Object({ organisationId: Type.Integer({ minimum: 1 }), purpose: Type.Unsafe<'contract' | 'quality'>({ type: 'string', enum: ['contract', 'quality'] }) }, { additionalProperties: false });
const RightParams = Type.Object({ userId: Type.Integer({ minimum: 1 }), right: SealRightSchema }, { additionalProperties: false });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tx = app.db.transaction.bind(app.db);
  const tags = ['seals'];
  const cfg = app.config.seals;

  app.get(
    '/seals/certificates',
    { config: { access: staff }, schema: { tags, summary: 'Every seal certificate with its state and number of uses (manage or audit right)', response: withErrors({ 200: SealCertificateList }) } },
    async (req) => {
      const p = principalOf(req);
      if (!(await svc.userHasSealRight(app.db, p.userId, 'manage')) && !(await svc.userHasSealRight(app.db, p.userId, 'audit'))) {
        throw new Forbidden('seal.no_right', 'This needs the seal right "manage" or "audit"');
      }
      return svc.listCertificates(app.db);
    },
  );
  app.post(
    '/seals/certificates',
    { config: { access: staff }, schema: { tags, summary: 'Issue a new certificate for an organisation whose previous one was revoked (manage right)', body: IssueBody, response: withErrors({ 201: SealCertificate }) } },
    async (req, reply) => {
      await svc.requireSealRight(app.db, principalOf(req), 'manage');
      return reply.status(201).send(await svc.reissue(app.db, cfg, actorOf(req), req.body.organisationId, req.body.purpose));
    },
  );
  app.post(
    '/seals/certificates/:id/revoke',
    { config: { access: staff }, schema: { tags, summary: 'Revoke a certificate: it signs nothing more, and verification reports it (manage right)', params: IdParams, body: RevokeBody, response: withErrors({ 200: Ok }) } },
    async (req) => {
      await svc.requireSealRight(app.db, principalOf(req), 'manage');
      await tx((trx) => svc.revoke(trx, actorOf(req), req.params.id, req.body.reason));
      return { ok: true as const };
    },
  );
  app.get(
    '/seals/uses',
    { config: { access: staff }, schema: { tags, summary: 'Every use of a seal, newest first (audit right)', querystring: SealUseQuery, response: withErrors({ 200: SealUsePage }) } },
    async (req) => {
      await svc.requireSealRight(app.db, principalOf(req), 'audit');
      return svc.listUses(app.db, req.query, (type, ids) => contractNumbersById(app.db, type, ids));
    },
  );
  app.get('/seals/rights', { config: { access: admins }, schema: { tags, summary: 'Who holds which seal right', response: withErrors({ 200: SealRightList }) } }, () => svc.listRights(app.db));
  app.post(
    '/seals/rights',
    { config: { access: admins }, schema: { tags, summary: 'Give a mill user a seal right', body: SealRightBody, response: withErrors({ 200: Ok }) } },
    async (req) => {
      await tx((trx) => svc.grantRight(trx, actorOf(req), req.body.userId, req.body.right));
      return { ok: true as const };
    },
  );
  app.delete(
    '/seals/rights/:userId/:right',
    { config: { access: admins }, schema: { tags, summary: 'Withdraw a seal right', params: RightParams, response: withErrors({ 200: Ok }) } },
    async (req) => {
      await tx((trx) => svc.withdrawRight(trx, actorOf(req), req.params.userId, req.params.right));
      return { ok: true as const };
    },
  );
  app.get(
    '/seals/root.pem',
    {
      config: { access: allow.public('relying parties import the CA root to check the seals themselves, e.g. with pdfsig') },
      schema: { tags, summary: 'The root certificate of the portal’s CA (PEM)', response: withErrors({ 200: Type.String() }) },
    },
    async (_req, reply) => reply.type('application/x-pem-file').header('content-disposition', 'attachment; filename="portal-ca-root.pem"').send(await svc.rootPem(app.db, cfg)),
  );
};

export default routes;
