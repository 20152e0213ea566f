// OpenAPI description of the API (from the route schemas) and its browsable UI at /api/docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { allow } from './access.js';

export const openapi = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'Steel sales portal API', version: app.appVersion, description: 'Supplier-side sales portal of a steel mill' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        security: [{ bearer: [] }],
      },
    });
  },
  { name: 'openapi' },
);

export async function docsUi(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), access: allow.public('the API description is public') };
  });
  // swagger-ui's page has inline scripts: it sends its own policy, with their hashes, instead of the portal's.
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });
}
