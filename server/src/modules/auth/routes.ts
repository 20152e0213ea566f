// Sign-in routes: sign in, rotate the refresh cookie, sign out, read myself, change my password.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { ChangePasswordBody, LoginBody, LoginReply, Me } from '../../../../shared/api/auth.js';
import { Ok } from '../../../../shared/api/common.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { getMe } from '../users/service.js';
import { changePassword, refresh, signIn, signOut, type AuthDeps, type Session } from './service.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  const deps: AuthDeps = { db: app.db, config, signAccess: (claims) => app.jwt.sign(claims) };
  const cookiePath = '/api/auth';

  function sendSession(reply: FastifyReply, s: Session) {
    reply.setCookie(config.refresh.cookieName, s.refreshToken, {
      httpOnly: true,
      sameSite: 'strict',
      secure: config.refresh.cookieSecure,
      path: cookiePath,
      expires: s.refreshExpires,
    });
    reply.header('cache-control', 'no-store');
    return { accessToken: s.accessToken, expiresIn: s.expiresIn, user: s.user };
  }

  app.post(
    '/auth/login',
    {
      config: { access: allow.public('signing in') },
      schema: { tags: ['auth'], summary: 'Sign in with username and password', body: LoginBody, response: withErrors({ 200: LoginReply }) },
    },
    async (request, reply) =>
      sendSession(reply, await signIn(deps, actorOf(request), { ...request.body, userAgent: request.headers['user-agent'] ?? null })),
  );

  app.post(
    '/auth/refresh',
    {
      // Rotation is recorded in refresh_tokens itself; auditing every 15-minute refresh would drown the log. Reuse is audited.
      config: { access: allow.public('the refresh cookie is the credential'), audit: false },
      schema: { tags: ['auth'], summary: 'Rotate the refresh cookie and get a new access token', response: withErrors({ 200: LoginReply }) },
    },
    async (request, reply) => {
      try {
        return sendSession(reply, await refresh(deps, actorOf(request), request.cookies[config.refresh.cookieName]));
      } catch (err) {
        reply.clearCookie(config.refresh.cookieName, { path: cookiePath });
        throw err;
      }
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { access: allow.public('the refresh cookie names the session to end, even after the access token expired') },
      schema: { tags: ['auth'], summary: 'Sign out: end this session', response: withErrors({ 200: Ok }) },
    },
    async (request, reply) => {
      await signOut(app.db, actorOf(request), request.cookies[config.refresh.cookieName]);
      reply.clearCookie(config.refresh.cookieName, { path: cookiePath });
      return { ok: true as const };
    },
  );

  app.get(
    '/me',
    {
      config: { access: allow.signedIn('self'), allowOnTemporaryPassword: true },
      schema: { tags: ['auth'], summary: 'The signed-in user and organisation', response: withErrors({ 200: Me }) },
    },
    async (request) => getMe(app.db, principalOf(request).userId),
  );

  app.put(
    '/me/password',
    {
      config: { access: allow.signedIn('self'), allowOnTemporaryPassword: true },
      schema: { tags: ['auth'], summary: 'Change my password (also ends a temporary password)', body: ChangePasswordBody, response: withErrors({ 200: Ok }) },
    },
    async (request) => {
      await changePassword(deps, principalOf(request), actorOf(request), request.body.currentPassword, request.body.newPassword);
      return { ok: true as const };
    },
  );
};

export default routes;
