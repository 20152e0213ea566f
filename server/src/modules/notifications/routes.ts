// The signed-in user's own notifications: list, unread count, mark one or all as read.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams } from '../../../../shared/api/common.js';
import { Notification, NotificationListQuery, NotificationLocale, NotificationPage, ReadAllReply, UnreadCount } from '../../../../shared/api/notifications.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { withErrors } from '../../http.js';
import { listNotifications, readAllNotifications, readNotification, unreadCount } from './service.js';

// Every user has an inbox; the store query is always `where user_id = caller`.
const own = allow.signedIn('self');
// Marking read changes only the reader's own inbox, not business state: not audited.
const ownUnaudited = { access: own, audit: false } as const;
const LangQuery = Type.Object({ lang: Type.Optional(NotificationLocale) }, { additionalProperties: false });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/notifications',
    {
      config: { access: own },
      schema: { tags: ['notifications'], summary: 'My notifications, newest first', querystring: NotificationListQuery, response: withErrors({ 200: NotificationPage }) },
    },
    async (request) => listNotifications(app.db, principalOf(request).userId, request.query),
  );

  app.get(
    '/notifications/unread-count',
    {
      config: { access: own },
      schema: { tags: ['notifications'], summary: 'How many of my notifications are unread', response: withErrors({ 200: UnreadCount }) },
    },
    async (request) => ({ count: await unreadCount(app.db, principalOf(request).userId) }),
  );

  app.post(
    '/notifications/:id/read',
    {
      config: ownUnaudited,
      schema: { tags: ['notifications'], summary: 'Mark one of my notifications read', params: IdParams, querystring: LangQuery, response: withErrors({ 200: Notification }) },
    },
    async (request) =>
      app.db.transaction((trx) => readNotification(trx, principalOf(request).userId, request.params.id, request.query.lang ?? 'zh-CN')),
  );

  app.post(
    '/notifications/read-all',
    {
      config: ownUnaudited,
      schema: { tags: ['notifications'], summary: 'Mark all my notifications read', response: withErrors({ 200: ReadAllReply }) },
    },
    async (request) => ({ updated: await app.db.transaction((trx) => readAllNotifications(trx, principalOf(request).userId)) }),
  );
};

export default routes;
