// The notification service every module calls inside its own transaction: in-app rows and queued SMS, sent after commit.
import type { Knex } from 'knex';
import type { Notification, NotificationListQuery, NotificationPage } from '../../../../shared/api/notifications.js';
import type { Role } from '../../../../shared/roles.js';
import { fromDbTime, toDbTime } from '../../db/knex.js';
import { NotFound } from '../../errors.js';
import { enqueueSms } from '../../plugins/notifications.js';
import { checkParams, redactParams, render, type Locale, type TemplateKey, type TemplateParams } from './templates.js';
import {
  countUnread,
  findForUser,
  insertNotifications,
  listForUser,
  markAllRead,
  markRead,
  recipientsByIds,
  recipientsByRole,
  recipientsOfOrganisation,
  usersHavingKey,
  type NotificationRow,
  type RecipientRow,
  type Right,
} from './store.js';

/** Whom to tell: named users, the active users of an organisation (optionally only those with a right), or a role. */
export type Recipients =
  | { userIds: number[]; organisationId?: never; role?: never }
  | { organisationId: number; right?: Right; userIds?: never; role?: never }
  | { role: Role; userIds?: never; organisationId?: never };

export type NotifyInput = Recipients & {
  /** what happened, e.g. 'allocation.published' */
  kind: string;
  template: TemplateKey;
  params: TemplateParams;
  /** a web path the notification opens, e.g. '/allocations/12' */
  link?: string | null;
  /** also queue an SMS to each recipient with a phone (default false) */
  sms?: boolean;
  /** write in-app rows (default true); a one-time code goes by SMS only */
  inApp?: boolean;
  /** the event's name, e.g. `allocation.published:42`: notifying again with it adds nothing (per recipient) */
  idempotencyKey: string;
};

export interface NotifyResult {
  /** recipients found */
  recipients: number;
  /** in-app rows written by this call */
  inApp: number;
  /** SMS queued by this call */
  sms: number;
}

const PHONE = /^1[3-9][0-9]{9}$/;

async function resolve(trx: Knex.Transaction, to: NotifyInput): Promise<RecipientRow[]> {
  const chosen = [to.userIds !== undefined, to.organisationId !== undefined, to.role !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw new Error('notify needs exactly one of userIds, organisationId or role');
  if (to.userIds !== undefined) return recipientsByIds(trx, [...new Set(to.userIds)]);
  if (to.organisationId !== undefined) return recipientsOfOrganisation(trx, to.organisationId, to.right);
  return recipientsByRole(trx, to.role!);
}

/**
 * Writes the notification for every recipient in the caller's transaction: a rollback leaves nothing, and no SMS
 * leaves the outbox before the commit (the deliverer reads only committed rows). Bad template parameters throw.
 */
export async function notify(trx: Knex.Transaction, input: NotifyInput): Promise<NotifyResult> {
  checkParams(input.template, input.params);
  if (!input.idempotencyKey || input.idempotencyKey.length > 100) throw new Error('notify: idempotency key must be 1-100 characters');
  if (input.link != null && !/^\/[^\s]{0,254}$/.test(input.link)) throw new Error('notify: link must be a web path starting with /');
  const recipients = await resolve(trx, input);
  const result: NotifyResult = { recipients: recipients.length, inApp: 0, sms: 0 };
  if (!recipients.length) return result;
  const now = toDbTime(new Date());

  if (input.inApp ?? true) {
    const have = await usersHavingKey(trx, input.idempotencyKey, recipients.map((r) => r.id));
    const params = JSON.stringify(redactParams(input.template, input.params));
    const rows = recipients
      .filter((r) => !have.has(r.id))
      .map((r) => ({
        user_id: r.id,
        kind: input.kind,
        template: input.template,
        params,
        link: input.link ?? null,
        idempotency_key: input.idempotencyKey,
        created_at: now,
      }));
    await insertNotifications(trx, rows);
    result.inApp = rows.length;
  }

  if (input.sms) {
    for (const r of recipients) {
      if (!r.phone || !PHONE.test(r.phone)) continue;
      const { created } = await enqueueSms(trx, { idempotencyKey: `${input.idempotencyKey}:u${r.id}`, phone: r.phone, template: input.template, params: input.params });
      if (created) result.sms++;
    }
  }
  return result;
}

function toNotification(row: NotificationRow, locale: Locale): Notification {
  const { title, body } = render(row.template, JSON.parse(row.params) as TemplateParams, locale);
  return {
    id: Number(row.id),
    kind: row.kind,
    title,
    body,
    link: row.link,
    createdAt: fromDbTime(row.created_at)!,
    readAt: fromDbTime(row.read_at),
  };
}

export async function listNotifications(db: Knex, userId: number, q: NotificationListQuery): Promise<NotificationPage> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const { rows, total } = await listForUser(db, userId, { unread: q.unread ?? false, page, pageSize });
  return { items: rows.map((r) => toNotification(r, q.lang ?? 'zh-CN')), total, page, pageSize };
}

export function unreadCount(db: Knex, userId: number): Promise<number> {
  return countUnread(db, userId);
}

/**
 * Marks one of the user's own notifications read; someone else's is "not found", so ids reveal nothing. Reading
 * is not audited: it changes only the reader's own inbox, and the audit log records business actions.
 */
export async function readNotification(trx: Knex.Transaction, userId: number, id: number, locale: Locale, now = new Date()): Promise<Notification> {
  const row = await findForUser(trx, userId, id);
  if (!row) throw new NotFound('notification.not_found', 'Notification not found');
  if (!row.read_at) {
    await markRead(trx, userId, id, toDbTime(now));
    return toNotification({ ...row, read_at: toDbTime(now) }, locale);
  }
  return toNotification(row, locale);
}

export function readAllNotifications(trx: Knex.Transaction, userId: number, now = new Date()): Promise<number> {
  return markAllRead(trx, userId, toDbTime(now));
}
