// ERP sync routes: administrators watch and steer the sync; any signed-in user reads "data as of";
// the ERP posts signed batches.
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams } from '../../../../shared/api/common.js';
import {
  BatchBody,
  BatchParams,
  BatchReply,
  DismissBody,
  ErpRecord,
  Freshness,
  FreshnessQuery,
  OutboxPage,
  OutboxQuery,
  QuarantineItem,
  QuarantinePage,
  QuarantineQuery,
  Reconciliation,
  ReconciliationQuery,
  RecordParams,
  RunReply,
  SyncStatus,
} from '../../../../shared/api/erp.js';
import { allow } from '../../plugins/access.js';
import { actorOf, audit } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { ingestBatch, verifySignature } from './ingest.js';
import { dismiss, freshness, getQuarantine, getRecord, listOutbox, listQuarantine, reconcile, requestRetry, syncStatus } from './service.js';
import type { RunResult } from './engine.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
  interface FastifyInstance {
    erpSync: {
      runNow(trigger: 'manual' | 'script', waitForLeaseMs?: number): Promise<RunResult>;
      /** Modules that derive data from synced documents (customers: matching and credit) run after each sync that applied something. */
      afterApply(listener: (result: RunResult) => Promise<unknown>): void;
    };
  }
}

const admin = allow.roles(['admin'], 'mill');
const tags = ['erp'];

const runReply = (r: RunResult) => {
  const { perInterface: _p, ...rest } = r;
  return rest;
};

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/erp/status',
    { config: { access: admin }, schema: { tags, summary: 'Sync state per interface, recent runs, outbox', response: withErrors({ 200: SyncStatus }) } },
    async () => syncStatus(app.db, app.staging),
  );

  app.get(
    '/erp/records/:interface/:docKey',
    {
      config: { access: admin },
      schema: { tags, summary: 'One synced ERP document as the portal holds it', params: RecordParams, response: withErrors({ 200: ErpRecord }) },
    },
    async (request) => getRecord(app.db, request.params.interface, request.params.docKey),
  );

  app.post(
    '/erp/sync',
    { config: { access: admin }, schema: { tags, summary: 'Run the sync now', response: withErrors({ 200: RunReply }) } },
    async (request) => {
      const result = await app.erpSync.runNow('manual', 10_000);
      await audit(app.db, actorOf(request), { action: 'erp.sync_run', entity: 'sync_run', entityId: result.runId ?? null, details: runReply(result) });
      return runReply(result);
    },
  );

  app.get(
    '/erp/quarantine',
    { config: { access: admin }, schema: { tags, summary: 'Quarantined staging rows', querystring: QuarantineQuery, response: withErrors({ 200: QuarantinePage }) } },
    async (request) => listQuarantine(app.db, request.query),
  );

  app.get(
    '/erp/quarantine/:id',
    { config: { access: admin }, schema: { tags, summary: 'One quarantined row with its raw payload', params: IdParams, response: withErrors({ 200: QuarantineItem }) } },
    async (request) => getQuarantine(app.db, request.params.id),
  );

  app.post(
    '/erp/quarantine/:id/retry',
    {
      config: { access: admin },
      schema: { tags, summary: 'Check a quarantined row again (after its master data arrived or the ERP fixed it)', params: IdParams, response: withErrors({ 200: QuarantineItem }) },
    },
    async (request) => {
      await app.db.transaction((trx) => requestRetry(trx, actorOf(request), request.params.id));
      // The row is applied by the sync, under its lease, like every other write to synced data.
      await app.erpSync.runNow('manual', 10_000);
      return getQuarantine(app.db, request.params.id);
    },
  );

  app.post(
    '/erp/quarantine/:id/dismiss',
    {
      config: { access: admin },
      schema: { tags, summary: 'Dismiss a quarantined row with a reason (kept and audited)', params: IdParams, body: DismissBody, response: withErrors({ 200: QuarantineItem }) },
    },
    async (request) => {
      await app.db.transaction((trx) => dismiss(trx, actorOf(request), request.params.id, request.body.reason));
      return getQuarantine(app.db, request.params.id);
    },
  );

  app.get(
    '/erp/outbox',
    { config: { access: admin }, schema: { tags, summary: 'What the portal sent the ERP and its answers', querystring: OutboxQuery, response: withErrors({ 200: OutboxPage }) } },
    async (request) => listOutbox(app.db, request.query),
  );

  app.get(
    '/erp/reconciliation',
    {
      config: { access: admin },
      schema: { tags, summary: 'Counts and control totals per interface and day, portal against staging', querystring: ReconciliationQuery, response: withErrors({ 200: Reconciliation }) },
    },
    async (request) => reconcile(app.db, app.staging, request.query),
  );

  app.get(
    '/erp/freshness',
    {
      config: { access: allow.signedIn('self') },
      schema: { tags, summary: 'Data as of: the last successful sync of the given interfaces', querystring: FreshnessQuery, response: withErrors({ 200: Freshness }) },
    },
    async (request) => freshness(app.db, request.query.interfaces.split(',')),
  );

  // The ERP's HTTP batch endpoint lives in its own encapsulated context so that only it keeps the raw body
  // (the HMAC is computed over the exact bytes received).
  await app.register(async (erpPlain) => {
    const erp = erpPlain.withTypeProvider<TypeBoxTypeProvider>();
    erp.removeContentTypeParser('application/json');
    erp.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 32 * 1024 * 1024 }, (request, body, done) => {
      request.rawBody = body as Buffer;
      try {
        done(null, JSON.parse((body as Buffer).toString('utf8')));
      } catch {
        const err = Object.assign(new Error('The body is not valid JSON'), { statusCode: 400, code: 'request.invalid_json' });
        done(err, undefined);
      }
    });
    erp.addHook('preValidation', async (request) => {
      const h = request.headers;
      const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
      verifySignature(
        app.config.erpKeys,
        app.config.erpClockSkewSeconds,
        { keyId: one(h['x-erp-key-id']), timestamp: one(h['x-erp-timestamp']), signature: one(h['x-erp-signature']) },
        request.rawBody ?? Buffer.alloc(0),
      );
    });
    erp.post(
      '/erp/batches/:interface',
      {
        bodyLimit: 32 * 1024 * 1024,
        // Recorded in the staging store's erp_http_batches (key id, body hash, time) instead of the audit log.
        config: { access: allow.public('ERP batch delivery, authenticated by an HMAC signature checked before validation'), audit: false },
        schema: {
          tags,
          summary: 'Deliver a batch of one interface into the staging store (HMAC-signed, idempotent by batchId)',
          params: BatchParams,
          body: BatchBody,
          headers: Type.Object({ 'x-erp-key-id': Type.String(), 'x-erp-timestamp': Type.String(), 'x-erp-signature': Type.String() }),
          response: withErrors({ 200: BatchReply }),
        },
      },
      async (request) => {
        const keyId = String(request.headers['x-erp-key-id']);
        return ingestBatch(app.staging, request.params.interface, keyId, request.body, request.rawBody!);
      },
    );
  });
};

export default routes;
