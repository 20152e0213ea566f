// Serves the built Vue portal at / (single-page app: unknown non-API paths get index.html) and JSON 404s under /api.
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { allow } from './access.js';

export default async function web(app: FastifyInstance) {
  const root = app.config.webDist;
  const hasBuild = existsSync(path.join(root, 'index.html'));
  // Everything this plugin registers is the public web bundle.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), access: allow.public('the web bundle is public') };
  });
  if (hasBuild) {
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      index: ['index.html'],
      // Hashed assets never change; index.html must always be fresh.
      setHeaders(reply, file) {
        reply.header('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  } else {
    app.log.warn({ root }, 'web build not found; run `npm run build:web`');
  }
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0];
    if (url === '/api' || url.startsWith('/api/') || request.method !== 'GET' || !hasBuild || path.extname(url)) {
      return reply.status(404).send({ error: { code: 'not_found', message: `No route for ${request.method} ${url}` } });
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
