// One error shape for every failure: { error: { code, message, details } } with the right HTTP status and no stack traces.
import fp from 'fastify-plugin';
import type { FastifyError } from 'fastify';
import { AppError } from '../errors.js';

/** Errors that mean a database is unreachable: the client should retry later (503), nothing was applied. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'SQLITE_BUSY',
]);

export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; fatal?: boolean };
  return UNAVAILABLE_CODES.has(e?.code ?? '') || e?.name === 'KnexTimeoutError' || e?.fatal === true;
}

export default fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof AppError) {
        if (err.statusCode === 429 && err.details && typeof err.details === 'object' && 'retryAfterSeconds' in err.details) {
          reply.header('retry-after', String((err.details as { retryAfterSeconds: number }).retryAfterSeconds));
        }
        return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message, details: err.details } });
      }
      if (err.validation) {
        return reply.status(400).send({
          error: {
            code: 'request.invalid',
            message: `Invalid ${err.validationContext ?? 'request'}: ${err.message}`,
            details: err.validation.map((v) => ({
              in: err.validationContext,
              path: v.instancePath || '/',
              keyword: v.keyword,
              message: v.message,
              params: v.params,
            })),
          },
        });
      }
      if (isUnavailable(err)) {
        request.log.warn({ err }, 'database unavailable');
        reply.header('retry-after', '5');
        return reply
          .status(503)
          .send({ error: { code: 'service.unavailable', message: 'The service is temporarily unavailable, please retry' } });
      }
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        // Fastify's own client errors: bad JSON, wrong content type, body too large...
        const code = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? 'request.malformed' : `request.${(err.code ?? 'bad_request').replace(/^FST_ERR_/, '').toLowerCase()}`;
        return reply.status(err.statusCode).send({ error: { code, message: err.message } });
      }
      request.log.error({ err }, 'unhandled error');
      // The request id lets a user's report be matched to the logged error, without showing the error itself.
      return reply.status(500).send({ error: { code: 'internal', message: 'Internal server error', details: { requestId: request.id } } });
    });
  },
  { name: 'errors' },
);
