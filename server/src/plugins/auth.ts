// Authentication and the access gate: verifies the access JWT, re-reads the user and session, and enforces each route's rule.
import fp from 'fastify-plugin';
import jwt from '@fastify/jwt';
import cookie from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import { Forbidden, Unauthorized } from '../errors.js';
import type { Access, Principal } from './access.js';
import { loadPrincipal } from '../modules/auth/store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** false exempts a state-changing route from the audit check; say why next to it */
    audit?: false;
    /** answers a user still on a temporary password (reading oneself, choosing a new password) */
    allowOnTemporaryPassword?: true;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AccessClaims {
  sub: string;
  sid: number;
  tv: number;
  role: string;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessClaims;
    user: AccessClaims;
  }
}

function bearer(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : null;
}

export default fp(
  async (app) => {
    const { config } = app;
    await app.register(cookie);
    await app.register(jwt, {
      secret: config.jwt.secret,
      sign: { algorithm: 'HS256', iss: config.jwt.issuer, aud: config.jwt.audience, expiresIn: `${config.jwt.accessTtlSeconds}s` },
      verify: {
        algorithms: ['HS256'],
        allowedIss: config.jwt.issuer,
        allowedAud: config.jwt.audience,
        requiredClaims: ['sub', 'sid', 'tv', 'exp', 'iat', 'iss', 'aud'],
      },
    });
    app.decorateRequest('principal', null);

    /** Verifies the bearer token and returns the caller as the database knows them now. */
    async function authenticate(request: FastifyRequest): Promise<Principal> {
      const token = bearer(request);
      if (!token) throw new Unauthorized('auth.unauthenticated', 'Sign in first');
      let claims: AccessClaims;
      try {
        claims = app.jwt.verify<AccessClaims>(token);
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (code.includes('EXPIRED')) throw new Unauthorized('auth.token_expired', 'The access token has expired');
        throw new Unauthorized('auth.token_invalid', 'The access token is not valid');
      }
      const userId = Number(claims.sub);
      if (!Number.isInteger(userId) || !Number.isInteger(claims.sid)) {
        throw new Unauthorized('auth.token_invalid', 'The access token is not valid');
      }
      // Re-read on every request so that a disabled user, a changed role or a revoked session takes effect at once.
      const found = await loadPrincipal(app.db, userId, claims.sid);
      if (!found || !found.active || !found.organisationActive) throw new Unauthorized('auth.disabled', 'This account is disabled');
      if (found.sessionRevoked || found.tokenVersion !== claims.tv) {
        throw new Unauthorized('auth.session_revoked', 'This session has ended, please sign in again');
      }
      return found.principal;
    }

    // onRequest, before the body is parsed or validated: an unauthenticated caller learns nothing about the route's schema.
    app.addHook('onRequest', async (request) => {
      if (request.is404) return;
      const access = request.routeOptions.config.access;
      if (!access) throw new Forbidden('access.undeclared', 'This route declares no access rule');
      if ('public' in access) return;
      const principal = await authenticate(request);
      if (!access.roles.includes(principal.role)) throw new Forbidden();
      // A temporary password was seen by whoever issued it: it opens nothing until the user has chosen their own.
      if (principal.mustChangePassword && !request.routeOptions.config.allowOnTemporaryPassword) {
        throw new Forbidden('auth.password_change_required', 'Choose a new password first');
      }
      request.principal = principal;
    });
  },
  { name: 'auth', dependencies: ['config', 'db'] },
);

/** The signed-in caller; only for routes whose access rule requires signing in. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Unauthorized('auth.unauthenticated', 'Sign in first');
  return request.principal;
}
