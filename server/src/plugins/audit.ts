// Audit: services record who changed what, in the caller's transaction; a hook checks that every successful change did.
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import { insertAuditEntry } from '../modules/audit/store.js';
import { nowDb } from '../db/knex.js';

/** Who is acting, and from where: handed to every service method that changes state. */
export interface Actor {
  userId: number | null;
  username: string | null;
  organisationId: number | null;
  ip: string | null;
  requestId: string | null;
  /** set once an audit row was written for this request */
  audited: boolean;
}

export interface AuditRecord {
  action: string;
  entity: string;
  entityId?: string | number | null;
  details?: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    actorCache: Actor | null;
  }
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actorCache) {
    const p = request.principal;
    request.actorCache = {
      userId: p?.userId ?? null,
      username: p?.username ?? null,
      organisationId: p?.organisationId ?? null,
      ip: request.ip ?? null,
      requestId: request.id ?? null,
      audited: false,
    };
  }
  return request.actorCache;
}

/** A system actor for scheduled jobs and scripts. */
export function systemActor(name: string): Actor {
  return { userId: null, username: `system:${name}`, organisationId: null, ip: null, requestId: null, audited: false };
}

/**
 * Writes one audit row inside trx, the transaction that makes the change. `as` names the user concerned
 * when the caller is not signed in yet (sign-in, refresh).
 */
export async function audit(
  trx: Knex.Transaction | Knex,
  actor: Actor,
  record: AuditRecord,
  as: Partial<Pick<Actor, 'userId' | 'username' | 'organisationId'>> = {},
): Promise<void> {
  await insertAuditEntry(trx, {
    at: nowDb(),
    user_id: as.userId !== undefined ? as.userId : actor.userId,
    username: as.username !== undefined ? as.username : actor.username,
    organisation_id: as.organisationId !== undefined ? as.organisationId : actor.organisationId,
    action: record.action,
    entity: record.entity,
    entity_id: record.entityId === undefined || record.entityId === null ? null : String(record.entityId),
    ip: actor.ip,
    request_id: actor.requestId,
    details: record.details === undefined ? null : JSON.stringify(record.details),
  });
  actor.audited = true;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export default fp(
  async (app) => {
    app.decorateRequest('actorCache', null);
    // A successful state-changing request that wrote no audit row is a defect: fail loudly in tests, log elsewhere.
    app.addHook('onSend', async (request, reply, payload) => {
      if (!MUTATING.has(request.method) || reply.statusCode >= 400 || request.is404) return payload;
      if (request.routeOptions.config.audit === false) return payload;
      if (request.actorCache?.audited) return payload;
      request.log.error({ url: request.url, method: request.method }, 'state-changing request wrote no audit entry');
      if (app.config.env !== 'test') return payload;
      reply.status(500);
      return JSON.stringify({ error: { code: 'audit.missing', message: `${request.method} ${request.url} wrote no audit entry` } });
    });
  },
  { name: 'audit', dependencies: ['auth'] },
);

/** A state-changing request that found nothing to change (e.g. activating what is already active) has nothing to audit. */
export function unchanged(actor: Actor): void {
  actor.audited = true;
}
