// User administration routes (mill administrators; customer admins for their own organisation only) and the
// signed-in user's own phone: change it, get a code by SMS, verify it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ChangeMyPhoneBody,
  CreateUserBody,
  CreatedUser,
  PasswordResetReply,
  PhoneCodeSent,
  UpdateUserBody,
  User,
  UserListQuery,
  UserPage,
  VerifyPhoneBody,
} from '../../../../shared/api/users.js';
import { Me } from '../../../../shared/api/auth.js';
import { IdParams } from '../../../../shared/api/common.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { hashPassword, temporaryPassword } from '../auth/passwords.js';
import { changeUser, createUser, getMe, listUsers, resetPassword } from './service.js';
import { changeMyPhone, sendPhoneCode, verifyPhone, type PhoneDeps } from './phone.js';

const managers = allow.roles(['admin', 'customer_admin'], 'organisation');

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const hashSettings = app.config.passwordHash;
  const phoneDeps: PhoneDeps = { sms: app.sms, secret: app.config.jwt.secret };

  app.get(
    '/users',
    {
      config: { access: managers },
      schema: { tags: ['users'], summary: 'List users the caller manages', querystring: UserListQuery, response: withErrors({ 200: UserPage }) },
    },
    async (request) => listUsers(app.db, principalOf(request), request.query),
  );

  app.post(
    '/users',
    {
      config: { access: managers },
      schema: {
        tags: ['users'],
        summary: 'Create or invite a user (without a password: a temporary one is generated and returned once)',
        body: CreateUserBody,
        response: withErrors({ 201: CreatedUser }),
      },
    },
    async (request, reply) => {
      const generated = request.body.password === undefined ? temporaryPassword() : undefined;
      // Hash before the transaction: argon2 takes tens of milliseconds and must not hold a connection.
      const hash = await hashPassword(request.body.password ?? generated!, hashSettings);
      const user = await app.db.transaction((trx) => createUser(trx, principalOf(request), actorOf(request), request.body, hash));
      reply.header('cache-control', 'no-store');
      return reply.status(201).send(generated ? { ...user, temporaryPassword: generated } : user);
    },
  );

  app.patch(
    '/users/:id',
    {
      config: { access: managers },
      schema: { tags: ['users'], summary: 'Change a user', params: IdParams, body: UpdateUserBody, response: withErrors({ 200: User }) },
    },
    async (request) => {
      const hash = request.body.password ? await hashPassword(request.body.password, hashSettings) : null;
      return app.db.transaction((trx) => changeUser(trx, principalOf(request), actorOf(request), request.params.id, request.body, hash));
    },
  );

  app.post(
    '/users/:id/reset-password',
    {
      config: { access: managers },
      schema: {
        tags: ['users'],
        summary: "Reset a user's password to a temporary one (returned once) and end their sessions",
        params: IdParams,
        response: withErrors({ 200: PasswordResetReply }),
      },
    },
    async (request, reply) => {
      const generated = temporaryPassword();
      const hash = await hashPassword(generated, hashSettings);
      const user = await app.db.transaction((trx) => resetPassword(trx, principalOf(request), actorOf(request), request.params.id, hash));
      reply.header('cache-control', 'no-store');
      return { user, temporaryPassword: generated };
    },
  );

  app.put(
    '/me/phone',
    {
      config: { access: allow.signedIn('self') },
      schema: {
        tags: ['users'],
        summary: 'Change my mobile phone (it must then be verified again; a signing right ends)',
        body: ChangeMyPhoneBody,
        response: withErrors({ 200: Me }),
      },
    },
    async (request) => app.db.transaction((trx) => changeMyPhone(trx, principalOf(request), actorOf(request), request.body.phone)),
  );

  app.post(
    '/me/phone/verification',
    {
      config: { access: allow.signedIn('self') },
      schema: {
        tags: ['users'],
        summary: 'Send a verification code by SMS to my phone (1 a minute, 5 a day)',
        response: withErrors({ 200: PhoneCodeSent }),
      },
    },
    async (request) => app.db.transaction((trx) => sendPhoneCode(trx, phoneDeps, principalOf(request), actorOf(request))),
  );

  app.post(
    '/me/phone/verify',
    {
      config: { access: allow.signedIn('self') },
      schema: { tags: ['users'], summary: 'Verify my phone with the code from the SMS', body: VerifyPhoneBody, response: withErrors({ 200: Me }) },
    },
    async (request) => {
      const p = principalOf(request);
      const failure = await app.db.transaction((trx) => verifyPhone(trx, phoneDeps, p, actorOf(request), request.body.code));
      if (failure) throw failure;
      return getMe(app.db, p.userId);
    },
  );
};

export default routes;
