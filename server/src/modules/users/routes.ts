// User administration routes: mill administrators and customer admins (their own organisation only).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateUserBody, UpdateUserBody, User, UserListQuery, UserPage } from '../../../../shared/api/users.js';
import { IdParams } from '../../../../shared/api/common.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { actorOf } from '../../plugins/audit.js';
import { withErrors } from '../../http.js';
import { hashPassword } from '../auth/passwords.js';
import { changeUser, createUser, listUsers } from './service.js';

const managers = allow.roles(['admin', 'customer_admin'], 'organisation');

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const hashSettings = app.config.passwordHash;

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
      schema: { tags: ['users'], summary: 'Create a user', body: CreateUserBody, response: withErrors({ 201: User }) },
    },
    async (request, reply) => {
      // Hash before the transaction: argon2 takes tens of milliseconds and must not hold a connection.
      const hash = await hashPassword(request.body.password, hashSettings);
      const user = await app.db.transaction((trx) => createUser(trx, principalOf(request), actorOf(request), request.body, hash));
      return reply.status(201).send(user);
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
};

export default routes;
