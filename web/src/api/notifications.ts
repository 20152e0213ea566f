// Endpoints of the signed-in user's notifications: list, unread count, mark read.
import type { Notification, NotificationListQuery, NotificationPage, ReadAllReply, UnreadCount } from '@shared/index';
import { http } from './client';

export const notificationsApi = {
  list: (query: NotificationListQuery, signal?: AbortSignal) => http.get<NotificationPage>('/notifications', query, signal),
  unreadCount: () => http.get<UnreadCount>('/notifications/unread-count'),
  read: (id: number, lang: NotificationListQuery['lang']) => http.post<Notification>(`/notifications/${id}/read?lang=${lang}`),
  readAll: () => http.post<ReadAllReply>('/notifications/read-all'),
};
