// Data access for the notifications table, always scoped to one user, and the recipients' rows in users.
import type { Knex } from 'knex';
import type { Role } from '../../../../shared/roles.js';

type Db = Knex | Knex.Transaction;

export interface NotificationRow {
  id: number;
  user_id: number;
  kind: string;
  template: string;
  params: string;
  link: string | null;
  idempotency_key: string;
  created_at: string;
  read_at: string | null;
}

export interface RecipientRow {
  id: number;
  phone: string | null;
}

export type Right = 'canAnswer' | 'canSign' | 'canPrint';
const RIGHT_COLUMNS: Record<Right, string> = { canAnswer: 'u.can_answer', canSign: 'u.can_sign', canPrint: 'u.can_print' };

/** Active users among the given ids. */
export function recipientsByIds(db: Db, ids: number[]): Promise<RecipientRow[]> {
  if (!ids.length) return Promise.resolve([]);
  return db('users as u').whereIn('u.id', ids).where('u.active', true).orderBy('u.id').select('u.id', 'u.phone');
}

/** Active users of an active organisation, optionally only those holding a right. */
export function recipientsOfOrganisation(db: Db, organisationId: number, right?: Right): Promise<RecipientRow[]> {
  return db('users as u')
    .join('organisations as o', 'o.id', 'u.organisation_id')
    .where({ 'u.organisation_id': organisationId, 'u.active': true, 'o.active': true })
    .modify((q) => {
      if (right) q.where(RIGHT_COLUMNS[right], true);
    })
    .orderBy('u.id')
    .select('u.id', 'u.phone');
}

/** Active users with a role (mill staff roles: the mill's own organisation holds them). */
export function recipientsByRole(db: Db, role: Role): Promise<RecipientRow[]> {
  return db('users as u').where({ 'u.role': role, 'u.active': true }).orderBy('u.id').select('u.id', 'u.phone');
}

/** Which of the users already have the notification with this key. */
export async function usersHavingKey(db: Db, key: string, userIds: number[]): Promise<Set<number>> {
  if (!userIds.length) return new Set();
  const ids = await db('notifications').where('idempotency_key', key).whereIn('user_id', userIds).pluck('user_id');
  return new Set(ids.map(Number));
}

export async function insertNotifications(db: Db, rows: Omit<NotificationRow, 'id' | 'read_at'>[]): Promise<void> {
  // A concurrent notify with the same key may have inserted a row meanwhile: the unique key keeps one.
  for (let i = 0; i < rows.length; i += 500) {
    await db('notifications').insert(rows.slice(i, i + 500)).onConflict(['idempotency_key', 'user_id']).ignore();
  }
}

export async function listForUser(
  db: Db,
  userId: number,
  q: { unread: boolean; page: number; pageSize: number },
): Promise<{ rows: NotificationRow[]; total: number }> {
  const base = db('notifications')
    .where('user_id', userId)
    .modify((b) => {
      if (q.unread) b.whereNull('read_at');
    });
  const [{ n }] = await base.clone().count({ n: '*' });
  const rows = await base
    .clone()
    .orderBy('id', 'desc')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
    .select<NotificationRow[]>('*');
  return { rows, total: Number(n) };
}

export async function countUnread(db: Db, userId: number): Promise<number> {
  const [{ n }] = await db('notifications').where('user_id', userId).whereNull('read_at').count({ n: '*' });
  return Number(n);
}

export function findForUser(db: Db, userId: number, id: number): Promise<NotificationRow | undefined> {
  return db('notifications').where({ id, user_id: userId }).first();
}

export function markRead(db: Db, userId: number, id: number, at: string): Promise<number> {
  return db('notifications').where({ id, user_id: userId }).whereNull('read_at').update({ read_at: at });
}

export function markAllRead(db: Db, userId: number, at: string): Promise<number> {
  return db('notifications').where('user_id', userId).whereNull('read_at').update({ read_at: at });
}
