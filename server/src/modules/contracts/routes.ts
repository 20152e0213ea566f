// Contract routes: standard terms and settings (administrators), party details, directed listings (sales managers
// list, customers take with a one-time code), contracts with their PDFs, execution and evidence, public verification.
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  Contract,
  ContractExecution,
  ContractListQuery,
  ContractPage,
  ContractPdfQuery,
  ContractSettings,
  ContractTemplate,
  ContractTemplateList,
  CreateListingBody,
  CreateTemplateBody,
  Listing,
  ListingListQuery,
  ListingPage,
  PartyDetails,
  SigningCodeSent,
  TakeListingBody,
  UpdatePartyDetailsBody,
  VerificationReport,
  VerifyByCodeQuery,
} from '../../../../shared/api/contracts.js';
import { IdParams } from '../../../../shared/api/common.js';
import { CUSTOMER_ROLES } from '../../../../shared/roles.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { Invalid } from '../../errors.js';
import { EXPORTS_PER_USER, type RouteRateLimit } from '../../plugins/rate-limit.js';
import { evidenceBundle } from './evidence.js';
import * as svc from './service.js';

/** Both sides of a contract: customer users their own, account managers their customers', sales managers and admins all. */
const parties = allow.roles([...CUSTOMER_ROLES, 'account_manager', 'sales_manager', 'admin'], 'organisation');
const customers = allow.roles(CUSTOMER_ROLES, 'organisation');
const salesManagers = allow.roles(['sales_manager', 'admin'], 'mill');
const admins = allow.roles(['admin'], 'mill');
const salesStaff = allow.roles(['account_manager', 'sales_manager', 'admin'], 'mill');
const Binary = Type.Unsafe<Buffer>({ type: 'string', description: 'binary file' });
/** A signed contract with a few pages is under 1 MB; 10 MB leaves room for scans some customers attach. */
const PDF_LIMIT = 10 * 1024 * 1024;
/** Public verification: CONTRACT_VERIFY_PER_MINUTE per client address, counted across instances (guessing codes, PDF checks). */
const verifyPerAddress: RouteRateLimit = { limit: 'contract-verify', per: 'address' };

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tx = app.db.transaction.bind(app.db);
  const deps = () => app.contracts;
  const ctx = (req: { ip: string; headers: Record<string, unknown> }) => ({ ip: req.ip ?? null, userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null });
  const tags = ['contracts'];

  // ---- standard terms and settings ----

  app.get('/contract-templates', { config: { access: salesStaff }, schema: { tags, summary: 'The standard terms, every version', response: withErrors({ 200: ContractTemplateList }) } }, () =>
    svc.listTemplates(app.db),
  );
  app.post(
    '/contract-templates',
    { config: { access: admins }, schema: { tags, summary: 'A new draft version of the standard terms', body: CreateTemplateBody, response: withErrors({ 201: ContractTemplate }) } },
    async (req, reply) => reply.status(201).send(await tx((trx) => svc.createTemplate(trx, actorOf(req), req.body))),
  );
  app.post(
    '/contract-templates/:id/activate',
    { config: { access: admins }, schema: { tags, summary: 'Make a version the active standard terms', params: IdParams, response: withErrors({ 200: ContractTemplate }) } },
    (req) => tx((trx) => svc.activateTemplate(trx, actorOf(req), req.params.id)),
  );
  app.get('/contract-settings', { config: { access: salesStaff }, schema: { tags, summary: 'Contract numbering, listing window and reminders', response: withErrors({ 200: ContractSettings }) } }, () =>
    svc.settings(app.db),
  );
  app.put(
    '/contract-settings',
    { config: { access: admins }, schema: { tags, summary: 'Change contract numbering, listing window and reminders', body: ContractSettings, response: withErrors({ 200: ContractSettings }) } },
    (req) => tx((trx) => svc.updateSettings(trx, actorOf(req), req.body)),
  );

  // ---- party details ----

  app.get(
    '/contract-parties/:id',
    { config: { access: allow.roles([...CUSTOMER_ROLES, 'account_manager', 'sales_manager', 'admin'], 'organisation') }, schema: { tags, summary: 'What contracts print for an organisation', params: IdParams, response: withErrors({ 200: PartyDetails }) } },
    (req) => svc.getParty(app.db, principalOf(req), req.params.id),
  );
  app.put(
    '/contract-parties/:id',
    {
      config: { access: allow.roles(['customer_admin', 'sales_manager', 'admin'], 'organisation') },
      schema: { tags, summary: 'Change the legal representative, bank and phone contracts print', params: IdParams, body: UpdatePartyDetailsBody, response: withErrors({ 200: PartyDetails }) },
    },
    (req) => tx((trx) => svc.updateParty(trx, principalOf(req), actorOf(req), req.params.id, req.body)),
  );

  // ---- listings ----

  app.get('/listings', { config: { access: parties }, schema: { tags, summary: 'Directed listings, newest first', querystring: ListingListQuery, response: withErrors({ 200: ListingPage }) } }, (req) =>
    svc.listListings(app.db, principalOf(req), req.query),
  );
  app.post(
    '/listings',
    { config: { access: salesManagers }, schema: { tags, summary: 'List an open intent contract to its customer (needs the seal right "use")', body: CreateListingBody, response: withErrors({ 201: Listing }) } },
    async (req, reply) => reply.status(201).send(await tx((trx) => svc.createListing(trx, principalOf(req), actorOf(req), req.body))),
  );
  app.get('/listings/:id', { config: { access: parties }, schema: { tags, summary: 'One listing with its lines and clauses', params: IdParams, response: withErrors({ 200: Listing }) } }, (req) =>
    svc.getListing(app.db, principalOf(req), req.params.id),
  );
  app.post(
    '/listings/:id/withdraw',
    { config: { access: salesManagers }, schema: { tags, summary: 'Withdraw a listing not yet taken', params: IdParams, response: withErrors({ 200: Listing }) } },
    (req) => tx((trx) => svc.withdrawListing(trx, principalOf(req), actorOf(req), req.params.id)),
  );
  app.post(
    '/listings/:id/code',
    { config: { access: customers }, schema: { tags, summary: 'Send the signer a one-time code by SMS to take this listing', params: IdParams, response: withErrors({ 200: SigningCodeSent }) } },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return tx((trx) => svc.sendTakeCode(trx, deps(), principalOf(req), actorOf(req), ctx(req), req.params.id));
    },
  );
  app.post(
    '/listings/:id/take',
    {
      config: { access: customers },
      schema: { tags, summary: 'Take the listing with the one-time code: the contract is created and sealed by both parties', params: IdParams, body: TakeListingBody, response: withErrors({ 201: Contract }) },
    },
    async (req, reply) => {
      const p = principalOf(req);
      // A wrong code still commits its used-up try and its consent event; the error is thrown after the commit.
      const outcome = await tx((trx) => svc.takeListing(trx, deps(), p, actorOf(req), ctx(req), req.params.id, req.body.code));
      if ('error' in outcome) throw outcome.error;
      try {
        await svc.sealContract(deps(), outcome.contractId);
      } catch (err) {
        // The contract exists and the sealing job retries it; the answer shows it as 'sealing' with the error.
        req.log.warn({ err, contractId: outcome.contractId }, 'sealing failed, the job will retry it');
      }
      return reply.status(201).send(await svc.getContract(app.db, p, outcome.contractId));
    },
  );

  // ---- contracts ----

  app.get('/contracts', { config: { access: parties }, schema: { tags, summary: 'Contracts, newest first, filtered', querystring: ContractListQuery, response: withErrors({ 200: ContractPage }) } }, (req) =>
    svc.listContracts(app.db, principalOf(req), req.query),
  );
  app.get('/contracts/:id', { config: { access: parties }, schema: { tags, summary: 'One contract with its versions and consent events', params: IdParams, response: withErrors({ 200: Contract }) } }, (req) =>
    svc.getContract(app.db, principalOf(req), req.params.id),
  );
  app.get(
    '/contracts/:id/pdf',
    { config: { access: parties, rateLimit: EXPORTS_PER_USER }, schema: { tags, summary: 'The contract’s PDF as stored (the newest version by default)', params: IdParams, querystring: ContractPdfQuery, response: withErrors({ 200: Binary }) } },
    async (req, reply) => {
      const doc = await svc.contractPdf(app.db, principalOf(req), req.params.id, req.query.version);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${doc.contractNo}-v${doc.version}.pdf"`)
        .header('x-content-sha256', doc.sha256)
        .header('cache-control', 'private, no-cache')
        .send(doc.pdf);
    },
  );
  app.get(
    '/contracts/:id/execution',
    { config: { access: parties }, schema: { tags, summary: 'Scheduled, shipped and settled tonnage from the ERP, per line', params: IdParams, response: withErrors({ 200: ContractExecution }) } },
    (req) => svc.contractExecution(app.db, principalOf(req), req.params.id),
  );
  app.get(
    '/contracts/:id/evidence',
    { config: { access: parties, rateLimit: EXPORTS_PER_USER }, schema: { tags, summary: 'The evidence bundle: signed PDF, signed audit trail, certificate chain, verification report', params: IdParams, response: withErrors({ 200: Binary }) } },
    async (req, reply) => {
      const bundle = await evidenceBundle(deps(), principalOf(req), req.params.id);
      return reply.type('application/zip').header('content-disposition', `attachment; filename="${bundle.name}"`).header('cache-control', 'private, no-cache').send(bundle.zip);
    },
  );

  // ---- public verification ----

  await app.register(async (scope) => {
    const open = scope.withTypeProvider<TypeBoxTypeProvider>();
    open.addContentTypeParser('application/pdf', { parseAs: 'buffer', bodyLimit: PDF_LIMIT }, (_req, body, done) => done(null, body));
    open.post(
      '/verify',
      {
        config: { access: allow.public('anyone holding a contract PDF may check its seals, as the printed verification note invites'), audit: false, rateLimit: verifyPerAddress },
        bodyLimit: PDF_LIMIT,
        schema: { tags, summary: 'Verify an uploaded PDF (raw body, application/pdf)', response: withErrors({ 200: VerificationReport }) },
      },
      async (req) => {
        const body = req.body as unknown;
        if (!Buffer.isBuffer(body) || body.length === 0) throw new Invalid('verify.no_pdf', 'Send the PDF itself as the request body with Content-Type application/pdf');
        if (body.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Invalid('verify.not_pdf', 'This file is not a PDF');
        return svc.verifyDocument(app.db, body);
      },
    );
    open.get(
      '/verify/contract',
      {
        config: { access: allow.public('the verification code printed on every page lets the holder of a paper copy check the stored original'), rateLimit: verifyPerAddress },
        schema: { tags, summary: 'Verify the stored contract by its number and the code printed on it', querystring: VerifyByCodeQuery, response: withErrors({ 200: VerificationReport }) },
      },
      (req) => svc.verifyByCode(app.db, req.query.contractNo, req.query.code),
    );
  });
};

export default routes;
