// Feedback routes (客户反馈 / 质量异议): customers submit, follow, reply and rate their own organisation's items;
// mill staff triage within their reach (account managers their customers', quality staff the quality categories,
// sales managers and administrators all); attachments go up one file per request as a raw body.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AttachmentParams,
  AttachmentUploadQuery,
  CreateFeedbackBody,
  FeedbackAnalysis,
  FeedbackAnalysisQuery,
  FeedbackAssignBody,
  FeedbackAssignees,
  FeedbackAttachment,
  FeedbackDetail,
  FeedbackListQuery,
  FeedbackMessageBody,
  FeedbackPage,
  FeedbackRateBody,
  FeedbackTargets,
  FeedbackTransitionBody,
} from '../../../../shared/api/feedback.js';
import { IdParams } from '../../../../shared/api/common.js';
import { CUSTOMER_ROLES, STAFF_ROLES } from '../../../../shared/roles.js';
import { Invalid } from '../../errors.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { contentDisposition, readStoredFile } from './attachments.js';
import * as svc from './service.js';

/** Both sides, each within its reach (the store's scope). */
const parties = allow.roles([...CUSTOMER_ROLES, ...STAFF_ROLES], 'organisation');
const customers = allow.roles(CUSTOMER_ROLES, 'organisation');
const staff = allow.roles(STAFF_ROLES, 'organisation');
const Binary = Type.Unsafe<Buffer>({ type: 'string', description: 'binary file' });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tx = app.db.transaction.bind(app.db);
  const deps = app.feedback;
  const tags = ['feedback'];

  app.get(
    '/feedback',
    { config: { access: parties }, schema: { tags, summary: 'Feedback items, newest first, with filters (overdue, assigned to me...)', querystring: FeedbackListQuery, response: withErrors({ 200: FeedbackPage }) } },
    (req) => svc.listFeedback(app.db, deps, principalOf(req), req.query),
  );

  app.post(
    '/feedback',
    { config: { access: customers }, schema: { tags, summary: 'Submit feedback or a quality objection', body: CreateFeedbackBody, response: withErrors({ 201: FeedbackDetail }) } },
    async (req, reply) => reply.status(201).send(await tx((trx) => svc.createFeedback(trx, deps, principalOf(req), actorOf(req), req.body))),
  );

  app.get(
    '/feedback/targets',
    { config: { access: parties }, schema: { tags, summary: 'Response-time targets per category and the attachment rules', response: withErrors({ 200: FeedbackTargets }) } },
    async () => svc.targets(deps.config),
  );

  app.get(
    '/feedback/assignees',
    { config: { access: staff }, schema: { tags, summary: 'Mill staff an item may be assigned to, with their open items', response: withErrors({ 200: FeedbackAssignees }) } },
    () => svc.assignees(app.db),
  );

  app.get(
    '/feedback/analysis',
    { config: { access: staff }, schema: { tags, summary: 'Volume, response and resolution times, satisfaction, top customers and products', querystring: FeedbackAnalysisQuery, response: withErrors({ 200: FeedbackAnalysis }) } },
    (req) => svc.analysis(app.db, deps, principalOf(req), req.query),
  );

  app.get(
    '/feedback/:id',
    { config: { access: parties }, schema: { tags, summary: 'One item with its thread and attachments (internal ones for staff only)', params: IdParams, response: withErrors({ 200: FeedbackDetail }) } },
    (req) => svc.getFeedback(app.db, deps, principalOf(req), req.params.id),
  );

  app.post(
    '/feedback/:id/messages',
    { config: { access: parties }, schema: { tags, summary: 'Reply in the thread, or (staff) add an internal note', params: IdParams, body: FeedbackMessageBody, response: withErrors({ 200: FeedbackDetail }) } },
    (req) => tx((trx) => svc.addMessage(trx, deps, principalOf(req), actorOf(req), req.params.id, req.body)),
  );

  app.post(
    '/feedback/:id/transition',
    { config: { access: parties }, schema: { tags, summary: 'Change the state (the transition table decides who may)', params: IdParams, body: FeedbackTransitionBody, response: withErrors({ 200: FeedbackDetail }) } },
    (req) => tx((trx) => svc.transition(trx, deps, principalOf(req), actorOf(req), req.params.id, req.body)),
  );

  app.post(
    '/feedback/:id/assign',
    { config: { access: staff }, schema: { tags, summary: 'Assign the item to a member of mill staff', params: IdParams, body: FeedbackAssignBody, response: withErrors({ 200: FeedbackDetail }) } },
    (req) => tx((trx) => svc.assign(trx, deps, principalOf(req), actorOf(req), req.params.id, req.body.assigneeId)),
  );

  app.post(
    '/feedback/:id/rating',
    { config: { access: customers }, schema: { tags, summary: 'Rate the resolution (1-5, once); the rating closes the item', params: IdParams, body: FeedbackRateBody, response: withErrors({ 200: FeedbackDetail }) } },
    (req) => tx((trx) => svc.rate(trx, deps, principalOf(req), actorOf(req), req.params.id, req.body)),
  );

  app.get(
    '/feedback/:id/attachments/:attachmentId',
    { config: { access: parties }, schema: { tags, summary: 'Download an attachment (its original name, sanitised)', params: AttachmentParams, response: withErrors({ 200: Binary }) } },
    async (req, reply) => {
      const a = await svc.attachmentFor(app.db, principalOf(req), req.params.id, req.params.attachmentId);
      const data = await readStoredFile(deps.attachmentDir, a.storage_name);
      return reply
        .type(a.content_type)
        .header('content-disposition', contentDisposition(a.original_name))
        .header('x-content-type-options', 'nosniff')
        // Served as a download in a sandbox: an uploaded file never runs as the portal's page.
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-store')
        .send(data);
    },
  );

  // One file per request as the raw body (no multipart dependency): the route reads at most the configured size and
  // answers 413 feedback.attachment_too_large as soon as a body passes it, declared or streamed.
  await app.register(async (scope) => {
    const max = deps.config.maxAttachmentBytes;
    scope.addContentTypeParser('*', (req, payload, done) => {
      if (Number(req.headers['content-length'] ?? 0) > max) return done(svc.attachmentTooLarge(max), undefined);
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      payload.on('data', (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > max) {
          failed = true;
          done(svc.attachmentTooLarge(max), undefined);
          return;
        }
        chunks.push(chunk);
      });
      payload.on('end', () => {
        if (!failed) done(null, Buffer.concat(chunks, size));
      });
      payload.on('error', (err: Error) => {
        if (!failed) done(err, undefined);
      });
    });
    scope.withTypeProvider<import('@fastify/type-provider-typebox').TypeBoxTypeProvider>().post(
      '/feedback/:id/attachments',
      {
        config: { access: parties },
        bodyLimit: max,
        schema: {
          tags,
          summary: 'Attach one image or PDF (raw body, e.g. application/octet-stream; the name in ?name=)',
          params: IdParams,
          querystring: AttachmentUploadQuery,
          response: withErrors({ 201: FeedbackAttachment }),
        },
      },
      async (req, reply) => {
        const data = req.body as unknown;
        if (!Buffer.isBuffer(data)) throw new Invalid('feedback.attachment_raw_body', 'Send the file itself as the request body (e.g. Content-Type application/octet-stream)');
        const written: string[] = [];
        try {
          const a = await tx((trx) => svc.addAttachment(trx, deps, principalOf(req), actorOf(req), req.params.id, { name: req.query.name, internal: req.query.internal, data }, written));
          return reply.status(201).send(a);
        } catch (err) {
          await svc.discardFiles(deps, written);
          throw err;
        }
      },
    );
  });
};

export default routes;
