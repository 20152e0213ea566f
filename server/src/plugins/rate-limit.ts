// Request limits declared on routes (config.rateLimit, beside the access rule): counted per client address or per
// user in the configured store (RATE_LIMIT_STORE), over the limit 429 with Retry-After.
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { createLimiter, databaseStore, memoryStore, type Limiter, type RateLimit } from '../rate-limit.js';

/** The limits routes can name; their sizes come from the configuration. */
export type LimitName = 'certificate-public' | 'contract-verify' | 'exports';

export interface RouteRateLimit {
  limit: LimitName;
  /** address: the client address (public routes; TRUST_PROXY behind a proxy); user: the signed-in user */
  per: 'address' | 'user';
  /** counted only when the query string has these values, e.g. { format: 'csv' } for a report's CSV download */
  query?: Record<string, string>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimit?: RouteRateLimit;
  }
}

/** CSV exports and document downloads: EXPORTS_PER_MINUTE per signed-in user, one allowance for all of them. */
export const EXPORTS_PER_USER: RouteRateLimit = { limit: 'exports', per: 'user' };

const MINUTE = 60_000;

export default fp(
  async (app) => {
    const { config } = app;
    const store = config.rateLimit.store === 'database' ? databaseStore(app.db) : memoryStore();
    const limits: Record<LimitName, RateLimit> = {
      'certificate-public': { name: 'certificate-public', perWindow: config.certificates.publicPerMinute, windowMs: MINUTE, message: 'Too many requests from this address, wait and retry' },
      'contract-verify': { name: 'contract-verify', perWindow: config.rateLimit.verifyPerMinute, windowMs: MINUTE, message: 'Too many verification requests from this address, wait and retry' },
      exports: { name: 'exports', perWindow: config.rateLimit.exportsPerMinute, windowMs: MINUTE, message: 'Too many exports and downloads, wait and retry' },
    };
    const limiters = Object.fromEntries(Object.entries(limits).map(([name, limit]) => [name, createLimiter(store, limit)])) as Record<LimitName, Limiter>;

    // Registered after the auth plugin, so this hook runs after the access gate: a caller refused access is not
    // counted, and per-user limits know the user. Before the body is read, so an upload over the limit is not parsed.
    app.addHook('onRequest', async (request: FastifyRequest) => {
      const rule = request.routeOptions.config.rateLimit;
      if (!rule || request.is404) return;
      if (rule.query) {
        const q = (request.query ?? {}) as Record<string, unknown>;
        if (!Object.entries(rule.query).every(([k, v]) => q[k] === v)) return;
      }
      const subject = rule.per === 'user' && request.principal ? `user:${request.principal.userId}` : `addr:${request.ip}`;
      await limiters[rule.limit](subject);
    });

    // Windows are a minute; an hour leaves any window in progress alone. Every instance may run it: deletes are idempotent.
    if (config.rateLimit.store === 'database') {
      app.scheduler.add({ name: 'rate-limit.prune', schedule: '23 */10 * * * *', run: () => store.prune(Date.now() - 60 * MINUTE) });
    }
  },
  { name: 'rate-limit', dependencies: ['config', 'db', 'auth', 'scheduler'] },
);
