// Builds the Fastify app from plugins and modules; main.ts listens, tests use app.inject().
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Knex } from 'knex';
import { repoRoot, type Config } from './config.js';
import dbPlugin from './plugins/db.js';
import errorsPlugin from './plugins/errors.js';
import authPlugin from './plugins/auth.js';
import auditPlugin from './plugins/audit.js';
import schedulerPlugin from './plugins/scheduler.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import notificationsPlugin from './plugins/notifications.js';
import pdfPlugin from './plugins/pdf.js';
import webPlugin from './plugins/web.js';
import securityHeaders from './plugins/security-headers.js';
import metricsPlugin from './plugins/metrics.js';
import { openapi, docsUi } from './plugins/docs.js';
import systemRoutes from './modules/system/routes.js';
import authRoutes from './modules/auth/routes.js';
import usersRoutes from './modules/users/routes.js';
import organisationsRoutes from './modules/organisations/routes.js';
import auditRoutes from './modules/audit/routes.js';
import erpSyncPlugin from './modules/erp-sync/plugin.js';
import erpSyncRoutes from './modules/erp-sync/routes.js';
import customersPlugin from './modules/customers/plugin.js';
import customersRoutes from './modules/customers/routes.js';
import approvalsRoutes from './modules/approvals/routes.js';
import allocationPlugin from './modules/allocation/plugin.js';
import allocationRoutes from './modules/allocation/routes.js';
import demandsRoutes from './modules/demands/routes.js';
import contractsPlugin from './modules/contracts/plugin.js';
import contractsRoutes from './modules/contracts/routes.js';
import certificatesPlugin from './modules/certificates/plugin.js';
import certificatesRoutes from './modules/certificates/routes.js';
import surveysPlugin from './modules/surveys/plugin.js';
import surveysRoutes from './modules/surveys/routes.js';
import sealsRoutes from './modules/seals/routes.js';
import notificationsRoutes from './modules/notifications/routes.js';
import reportsRoutes from './modules/reports/routes.js';
import feedbackPlugin from './modules/feedback/plugin.js';
import feedbackRoutes from './modules/feedback/routes.js';
import { purgeExpired } from './modules/auth/service.js';
import { purgePhoneVerifications } from './modules/users/phone.js';

export interface BuildOptions {
  config: Config;
  db?: Knex;
  staging?: Knex;
  /** run migrations of both stores before serving */
  migrate?: boolean;
  /** start scheduled jobs (main.ts); tests run jobs on demand */
  startJobs?: boolean;
}

export interface RouteEntry {
  method: string;
  url: string;
  config: { access?: unknown };
  /** the route's JSON schemas (params, querystring, body, response), for route-table-driven tests */
  schema: Record<string, unknown> | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    appVersion: string;
    routeTable: RouteEntry[];
  }
}

const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const app = Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    trustProxy: config.trustProxy,
    // New requests get 503 while the server drains on shutdown.
    return503OnClosing: true,
    bodyLimit: 1024 * 1024,
    // The db plugin runs the migrations before serving; one that backfills a large table takes minutes, not
    // Fastify's default 10 s (MariaDB on a busy machine already needs more than that for the schema alone).
    pluginTimeout: 10 * 60_000,
    // A request id from the proxy in front (X-Request-Id) is kept when it looks like one, so its logs and ours join up;
    // otherwise a fresh UUID. Every log line of the request carries it as reqId, and the answer echoes it.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{8,128}$/.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Read config lazily: plugins' own onRoute hooks (docs, web) run after this one and set theirs.
    for (const method of methods) {
      routeTable.push({
        method,
        url: route.url,
        get config() {
          return (route.config ?? {}) as RouteEntry['config'];
        },
        get schema() {
          return route.schema as RouteEntry['schema'];
        },
      });
    }
  });

  await app.register(fp(async (a) => {
    a.decorate('config', config);
    a.decorate('appVersion', version);
  }, { name: 'config' }));
  await app.register(dbPlugin, { db: opts.db, staging: opts.staging, migrate: opts.migrate });
  await app.register(errorsPlugin);
  await app.register(securityHeaders);
  await app.register(metricsPlugin);
  await app.register(authPlugin);
  await app.register(auditPlugin);
  await app.register(schedulerPlugin, { start: opts.startJobs ?? false });
  await app.register(rateLimitPlugin);
  await app.register(notificationsPlugin);
  await app.register(pdfPlugin);
  await app.register(erpSyncPlugin);
  await app.register(customersPlugin);
  await app.register(allocationPlugin);
  await app.register(contractsPlugin);
  await app.register(certificatesPlugin);
  await app.register(surveysPlugin);
  await app.register(feedbackPlugin);
  await app.register(openapi);

  await app.register(
    async (api) => {
      await api.register(systemRoutes);
      await api.register(authRoutes);
      await api.register(usersRoutes);
      await api.register(organisationsRoutes);
      await api.register(auditRoutes);
      await api.register(erpSyncRoutes);
      await api.register(customersRoutes);
      await api.register(approvalsRoutes);
      await api.register(allocationRoutes);
      await api.register(demandsRoutes);
      await api.register(contractsRoutes);
      await api.register(certificatesRoutes);
      await api.register(surveysRoutes);
      await api.register(sealsRoutes);
      await api.register(notificationsRoutes);
      await api.register(reportsRoutes);
      await api.register(feedbackRoutes);
    },
    { prefix: '/api' },
  );
  await app.register(docsUi);
  await app.register(webPlugin);

  app.scheduler.add({ name: 'auth.purge', schedule: '17 * * * *', run: () => purgeExpired(app.db) });
  app.scheduler.add({ name: 'phone.purge', schedule: '19 4 * * *', run: () => purgePhoneVerifications(app.db) });

  return app;
}
