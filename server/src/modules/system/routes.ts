// Liveness and readiness for load balancers and orchestrators.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Health, Readiness } from '../../../../shared/api/system.js';
import { allow } from '../../plugins/access.js';
import { withErrors } from '../../http.js';
import { readiness } from './service.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      config: { access: allow.public('liveness probe') },
      schema: { tags: ['system'], summary: 'The process is alive', response: withErrors({ 200: Health }) },
    },
    async () => ({ status: 'ok' as const, version: app.appVersion }),
  );
  app.get(
    '/ready',
    {
      config: { access: allow.public('readiness probe') },
      schema: { tags: ['system'], summary: 'Both databases reachable and migrations current', response: { 200: Readiness, 503: Readiness } },
    },
    async (_request, reply) => {
      const r = await readiness(app.db, app.staging);
      return reply.status(r.status === 'ready' ? 200 : 503).send(r);
    },
  );
};

export default routes;
