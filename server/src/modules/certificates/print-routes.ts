// Routes of authorised remote printing (issue 7): print rights (quality staff), printing a sealed copy (customer
// users with the print right; quality staff print office copies), the stored copy's PDF, the print log, share links
// for a customer's buyers, and — without sign-in, rate-limited per address — the shared certificate and the public
// verification of a copy by its code and, optionally, its PDF.
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CertificateCopy,
  CertificateShare,
  CertificateShareList,
  CopyNoParams,
  CopyVerification,
  CustomerIdParams,
  PrintLogPage,
  PrintLogQuery,
  PrintRights,
  PrintRightsBody,
  SharedCertificate,
  ShareBody,
  ShareTokenParams,
  VerifyCodeParams,
} from '../../../../shared/api/certificates.js';
import { IdParams, PageQuery } from '../../../../shared/api/common.js';
import { CUSTOMER_ROLES, STAFF_ROLES } from '../../../../shared/roles.js';
import { Invalid } from '../../errors.js';
import { withErrors } from '../../http.js';
import { allow } from '../../plugins/access.js';
import { actorOf } from '../../plugins/audit.js';
import { principalOf } from '../../plugins/auth.js';
import * as svc from './printing.js';
import { EXPORTS_PER_USER, type RouteRateLimit } from '../../plugins/rate-limit.js';

const Binary = Type.Unsafe<Buffer>({ type: 'string', description: 'binary file' });
/** 10 MB: a ten-heat sealed copy is well under 1 MB. */
const PDF_LIMIT = 10 * 1024 * 1024;

const readers = allow.roles([...CUSTOMER_ROLES, ...STAFF_ROLES], 'organisation');
const printers = allow.roles([...CUSTOMER_ROLES, 'quality_staff'], 'organisation');
const rightsEditors = allow.roles(['quality_staff', 'admin'], 'mill');
/** The public routes: CERTIFICATE_PUBLIC_PER_MINUTE per client address, counted across instances. */
const perAddress: RouteRateLimit = { limit: 'certificate-public', per: 'address' };

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['certificates'];
  const deps = () => app.certificatePrinting;
  const cfg = () => app.config;

  app.get(
    '/certificate-print-rights/:customerId',
    { config: { access: readers }, schema: { tags, summary: 'A customer’s print rights (the configured default when quality staff decided nothing)', params: CustomerIdParams, response: withErrors({ 200: PrintRights }) } },
    (req) => svc.getPrintRights(app.db, cfg(), principalOf(req), req.params.customerId),
  );

  app.put(
    '/certificate-print-rights/:customerId',
    { config: { access: rightsEditors }, schema: { tags, summary: 'Allow or refuse a customer printing, and its copies per certificate (quality staff)', params: CustomerIdParams, body: PrintRightsBody, response: withErrors({ 200: PrintRights }) } },
    (req) => app.db.transaction((trx) => svc.setPrintRights(trx, cfg(), actorOf(req), req.params.customerId, req.body)),
  );

  app.post(
    '/certificates/:id/prints',
    { config: { access: printers }, schema: { tags, summary: 'Print a sealed, numbered copy (customers within their copies; quality staff office copies)', params: IdParams, response: withErrors({ 201: CertificateCopy }) } },
    async (req, reply) => {
      const { copy } = await svc.printCopy(deps(), { kind: 'user', principal: principalOf(req), actor: actorOf(req) }, req.params.id);
      return reply.code(201).send(copy);
    },
  );

  app.get(
    '/certificates/:id/prints',
    { config: { access: readers }, schema: { tags, summary: 'The print log of a certificate (a customer sees its own copies)', params: IdParams, querystring: Type.Object(PageQuery, { additionalProperties: false }), response: withErrors({ 200: PrintLogPage }) } },
    (req) => svc.printLog(app.db, principalOf(req), { ...req.query, certificateId: req.params.id }),
  );

  app.get(
    '/certificate-prints',
    { config: { access: allow.staff('organisation') }, schema: { tags, summary: 'The print log across certificates, per customer (staff by scope)', querystring: PrintLogQuery, response: withErrors({ 200: PrintLogPage }) } },
    (req) => svc.printLog(app.db, principalOf(req), req.query),
  );

  app.get(
    '/certificate-copies/:copyNo/pdf',
    { config: { access: readers, rateLimit: EXPORTS_PER_USER }, schema: { tags, summary: 'A printed copy’s sealed PDF as stored', params: CopyNoParams, response: withErrors({ 200: Binary }) } },
    async (req, reply) => {
      const c = await svc.copyPdf(app.db, principalOf(req), req.params.copyNo);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${encodeURIComponent(c.copyNo)}.pdf"`)
        .header('x-content-sha256', c.sha256)
        .header('cache-control', 'private, no-cache')
        .send(c.pdf);
    },
  );

  app.post(
    '/certificates/:id/shares',
    { config: { access: allow.roles(CUSTOMER_ROLES, 'organisation') }, schema: { tags, summary: 'Pass the certificate to a buyer: a share link with an expiry and a copy limit', params: IdParams, body: ShareBody, response: withErrors({ 201: CertificateShare }) } },
    async (req, reply) => reply.code(201).send(await app.db.transaction((trx) => svc.createShare(trx, cfg(), principalOf(req), actorOf(req), req.params.id, req.body))),
  );

  app.get(
    '/certificates/:id/shares',
    { config: { access: readers }, schema: { tags, summary: 'The certificate’s share links (a customer sees its own)', params: IdParams, response: withErrors({ 200: CertificateShareList }) } },
    (req) => svc.listShares(app.db, cfg(), principalOf(req), req.params.id),
  );

  app.post(
    '/certificate-shares/:id/revoke',
    { config: { access: allow.roles([...CUSTOMER_ROLES, 'quality_staff'], 'organisation') }, schema: { tags, summary: 'Revoke a share link at once', params: IdParams, response: withErrors({ 200: CertificateShare }) } },
    (req) => app.db.transaction((trx) => svc.revokeShare(trx, cfg(), principalOf(req), actorOf(req), req.params.id)),
  );

  // ---- public ----

  await app.register(async (scope) => {
    const open = scope.withTypeProvider<TypeBoxTypeProvider>();
    open.addContentTypeParser('application/pdf', { parseAs: 'buffer', bodyLimit: PDF_LIMIT }, (_req, body, done) => done(null, body));

    open.get(
      '/shared-certificates/:token',
      { config: { access: allow.public('a customer’s buyer opens the share link it was given, without an account (issue 7)'), rateLimit: perAddress }, schema: { tags, summary: 'The shared certificate’s summary (no prices)', params: ShareTokenParams, response: withErrors({ 200: SharedCertificate }) } },
      (req) => svc.sharedCertificate(app.db, req.params.token),
    );

    open.post(
      '/shared-certificates/:token/prints',
      { config: { access: allow.public('a buyer prints the copies its share link allows, naming the buyer (issue 7)'), rateLimit: perAddress }, schema: { tags, summary: 'Print a copy through a share link (the PDF)', params: ShareTokenParams, response: withErrors({ 200: Binary }) } },
      async (req, reply) => {
        const { copy, pdf } = await svc.printCopy(deps(), { kind: 'share', token: req.params.token, actor: actorOf(req) }, null);
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${encodeURIComponent(copy.copyNo)}.pdf"`)
          .header('x-copy-no', copy.copyNo)
          .header('x-verify-code', copy.verifyCode)
          .header('cache-control', 'no-store')
          .send(pdf);
      },
    );

    open.get(
      '/certificate-verify/:code',
      { config: { access: allow.public('the QR code and short code on every printed copy lead anyone to its verification (issue 7)'), audit: false, rateLimit: perAddress }, schema: { tags, summary: 'Verify a printed copy by its code', params: VerifyCodeParams, response: withErrors({ 200: CopyVerification }) } },
      (req) => svc.verifyCopy(app.db, req.params.code),
    );

    open.post(
      '/certificate-verify/:code',
      {
        config: { access: allow.public('the holder of a copy may also check its PDF’s seal and bytes (issue 7)'), audit: false, rateLimit: perAddress },
        bodyLimit: PDF_LIMIT,
        schema: { tags, summary: 'Verify a printed copy by its code and its PDF (raw body, application/pdf)', params: VerifyCodeParams, response: withErrors({ 200: CopyVerification }) },
      },
      async (req) => {
        const body = req.body as unknown;
        if (!Buffer.isBuffer(body) || body.length === 0) throw new Invalid('verify.no_pdf', 'Send the PDF itself as the request body with Content-Type application/pdf');
        if (body.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Invalid('verify.not_pdf', 'This file is not a PDF');
        return svc.verifyCopy(app.db, req.params.code, body);
      },
    );
  });
};

export default routes;
