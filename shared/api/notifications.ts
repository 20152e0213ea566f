// In-app notifications of the signed-in user: the list, the unread count, marking as read.
import { Type, type Static } from 'typebox';
import { PageQuery, Page, Timestamp } from './common.js';

export const NotificationLocale = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], { description: 'the language to render texts in' });
export type NotificationLocale = Static<typeof NotificationLocale>;

export const NotificationListQuery = Type.Object(
  {
    ...PageQuery,
    unread: Type.Optional(Type.Boolean({ description: 'only notifications not yet read' })),
    lang: Type.Optional(NotificationLocale),
  },
  { additionalProperties: false },
);
export type NotificationListQuery = Static<typeof NotificationListQuery>;

export const Notification = Type.Object({
  id: Type.Integer(),
  kind: Type.String({ description: 'what happened, e.g. allocation.published' }),
  title: Type.String(),
  body: Type.String(),
  link: Type.Union([Type.String(), Type.Null()], { description: 'a web path to open' }),
  createdAt: Timestamp,
  readAt: Type.Union([Timestamp, Type.Null()]),
});
export type Notification = Static<typeof Notification>;

export const NotificationPage = Page(Notification);
export type NotificationPage = Static<typeof NotificationPage>;

export const UnreadCount = Type.Object({ count: Type.Integer({ minimum: 0 }) });
export type UnreadCount = Static<typeof UnreadCount>;

export const ReadAllReply = Type.Object({ updated: Type.Integer({ minimum: 0 }) });
export type ReadAllReply = Static<typeof ReadAllReply>;
