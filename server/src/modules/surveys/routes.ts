// Survey routes: staff build, target, publish, close and version surveys and read results (CSV, PDF); customers
// list their invitations, save drafts and submit once.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams } from '../../../../shared/api/common.js';
import {
  AnswersBody,
  InvitationDetail,
  InvitationList,
  ResultsQuery,
  Survey,
  SurveyInput,
  SurveyListQuery,
  SurveyPage,
  SurveyResults,
  SurveyTemplateList,
  Target,
  TargetCount,
} from '../../../../shared/api/surveys.js';
import { withErrors } from '../../http.js';
import { allow } from '../../plugins/access.js';
import { actorOf } from '../../plugins/audit.js';
import { principalOf } from '../../plugins/auth.js';
import { EXPORTS_PER_USER } from '../../plugins/rate-limit.js';
import * as svc from './service.js';
import { SURVEY_TEMPLATES } from './templates.js';

/** Sales managers run surveys (DESIGN.md §5: customer service is sales'); administrators may too. */
const builders = allow.roles(['sales_manager', 'admin'], 'mill');
/** Quality staff read results (product-quality surveys are theirs to act on); account managers their customers' only. */
const readers = allow.roles(['sales_manager', 'admin', 'quality_staff', 'account_manager'], 'organisation');
const customers = allow.roles(['customer_user', 'customer_admin'], 'organisation');
const Csv = Type.String({ description: 'text/csv, UTF-8 with a byte-order mark for spreadsheets' });
const Binary = Type.Unsafe<Buffer>({ type: 'string', description: 'binary file' });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const tx = app.db.transaction.bind(app.db);
  const tags = ['surveys'];

  app.get('/surveys', { config: { access: readers }, schema: { tags, summary: 'Surveys, newest first', querystring: SurveyListQuery, response: withErrors({ 200: SurveyPage }) } }, (req) =>
    svc.listSurveys(app.db, principalOf(req), req.query),
  );
  app.post('/surveys', { config: { access: builders }, schema: { tags, summary: 'Create a draft survey', body: SurveyInput, response: withErrors({ 201: Survey }) } }, async (req, reply) =>
    reply.status(201).send(await tx((trx) => svc.createSurvey(trx, principalOf(req), actorOf(req), req.body))),
  );
  app.get('/survey-templates', { config: { access: builders }, schema: { tags, summary: 'Product-quality and service-quality surveys to copy', response: withErrors({ 200: SurveyTemplateList }) } }, async () => ({
    items: SURVEY_TEMPLATES,
  }));
  app.post(
    '/surveys/target-count',
    // Reads only: counts the customers a targeting would reach.
    { config: { access: builders, audit: false }, schema: { tags, summary: 'How many customers a targeting reaches now', body: Target, response: withErrors({ 200: TargetCount }) } },
    (req) => svc.targetCount(app.db, req.body),
  );
  app.get('/surveys/:id', { config: { access: readers }, schema: { tags, summary: 'One survey with its questions', params: IdParams, response: withErrors({ 200: Survey }) } }, (req) =>
    svc.getSurvey(app.db, principalOf(req), req.params.id),
  );
  app.put(
    '/surveys/:id',
    { config: { access: builders }, schema: { tags, summary: 'Change a survey (no question removed once answered: make a new version)', params: IdParams, body: SurveyInput, response: withErrors({ 200: Survey }) } },
    (req) => tx((trx) => svc.updateSurvey(trx, principalOf(req), actorOf(req), req.params.id, req.body)),
  );
  app.post('/surveys/:id/publish', { config: { access: builders }, schema: { tags, summary: 'Publish: scheduled, or open at once when its time has come', params: IdParams, response: withErrors({ 200: Survey }) } }, (req) =>
    tx((trx) => svc.publish(trx, principalOf(req), actorOf(req), req.params.id)),
  );
  app.post('/surveys/:id/close', { config: { access: builders }, schema: { tags, summary: 'Close a survey now', params: IdParams, response: withErrors({ 200: Survey }) } }, (req) =>
    tx((trx) => svc.closeSurvey(trx, principalOf(req), actorOf(req), req.params.id)),
  );
  app.post('/surveys/:id/versions', { config: { access: builders }, schema: { tags, summary: 'A new draft version with the same questions', params: IdParams, response: withErrors({ 201: Survey }) } }, async (req, reply) =>
    reply.status(201).send(await tx((trx) => svc.newVersion(trx, principalOf(req), actorOf(req), req.params.id))),
  );
  app.get(
    '/surveys/:id/results',
    { config: { access: readers }, schema: { tags, summary: 'Results: rate, per question figures, NPS, trend, breakdowns', params: IdParams, querystring: ResultsQuery, response: withErrors({ 200: SurveyResults }) } },
    (req) => svc.results(app.db, principalOf(req), req.params.id, req.query.q ?? ''),
  );
  app.get('/surveys/:id/export.csv', { config: { access: readers, rateLimit: EXPORTS_PER_USER }, schema: { tags, summary: 'Raw answers as CSV (anonymous surveys without who)', params: IdParams, response: withErrors({ 200: Csv }) } }, async (req, reply) => {
    const csv = await svc.exportCsv(app.db, principalOf(req), req.params.id);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="survey-${req.params.id}.csv"`).send(csv);
  });
  app.get('/surveys/:id/summary.pdf', { config: { access: readers, rateLimit: EXPORTS_PER_USER }, schema: { tags, summary: 'Printable summary of the results', params: IdParams, response: withErrors({ 200: Binary }) } }, async (req, reply) => {
    const results = await svc.results(app.db, principalOf(req), req.params.id);
    const pdf = await app.pdf.render('survey-summary', { results, generatedAt: new Date().toISOString() });
    return reply.type('application/pdf').header('content-disposition', `inline; filename="survey-${req.params.id}.pdf"`).header('cache-control', 'private, no-cache').send(pdf);
  });

  app.get('/my-surveys', { config: { access: customers }, schema: { tags, summary: "The caller's organisation's surveys, open ones first", response: withErrors({ 200: InvitationList }) } }, (req) =>
    svc.myInvitations(app.db, principalOf(req)),
  );
  app.get('/my-surveys/:id', { config: { access: customers }, schema: { tags, summary: 'One survey to answer, with the saved draft', params: IdParams, response: withErrors({ 200: InvitationDetail }) } }, (req) =>
    svc.getInvitation(app.db, principalOf(req), req.params.id),
  );
  app.put(
    '/my-surveys/:id/draft',
    // A draft changes only the customer's own unsent answers; the submission is audited.
    { config: { access: customers, audit: false }, schema: { tags, summary: 'Save unfinished answers', params: IdParams, body: AnswersBody, response: withErrors({ 200: InvitationDetail }) } },
    (req) => tx((trx) => svc.saveDraft(trx, principalOf(req), req.params.id, req.body.answers)),
  );
  app.post(
    '/my-surveys/:id/submit',
    { config: { access: customers }, schema: { tags, summary: 'Submit the answers, once', params: IdParams, body: AnswersBody, response: withErrors({ 200: InvitationDetail }) } },
    (req) => tx((trx) => svc.submit(trx, principalOf(req), actorOf(req), req.params.id, req.body.answers)),
  );
};

export default routes;
