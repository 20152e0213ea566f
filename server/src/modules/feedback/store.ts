// Data access for customer feedback: items (scoped to what the caller may see), their thread and attachments.
import type { Knex } from 'knex';
import type { FeedbackCategory, FeedbackMessageKind, FeedbackState } from '../../../../shared/api/feedback.js';
import { STAFF_ROLES } from '../../../../shared/roles.js';
import { isCustomer, scopeToCustomers, type Principal } from '../../plugins/access.js';

type Db = Knex | Knex.Transaction;
export type Side = 'customer' | 'mill';

/** Quality staff own quality objections and document complaints (certificates are theirs), plus whatever is assigned to them. */
export const QUALITY_CATEGORIES: readonly FeedbackCategory[] = ['quality_objection', 'documents'];

export interface ItemRow {
  id: number;
  feedback_no: string;
  customer_id: number;
  customer_name: string;
  category: FeedbackCategory;
  state: FeedbackState;
  subject: string;
  description: string;
  desired_resolution: string | null;
  contract_id: number | null;
  contract_no: string | null;
  delivery_no: string | null;
  certificate_id: number | null;
  certificate_no: string | null;
  variety: string | null;
  grade: string | null;
  assignee_id: number | null;
  assignee_name: string | null;
  created_by: number;
  created_at: string;
  updated_at: string;
  first_response_due_at: string;
  first_responded_at: string | null;
  resolution_due_at: string;
  resolved_at: string | null;
  closed_at: string | null;
  rating: number | null;
  rating_comment: string | null;
  rated_at: string | null;
  response_overdue_notified_at: string | null;
  resolution_overdue_notified_at: string | null;
  row_version: number;
}

export interface MessageRow {
  id: number;
  feedback_id: number;
  kind: FeedbackMessageKind;
  side: Side;
  internal: boolean;
  text: string | null;
  from_state: FeedbackState | null;
  to_state: FeedbackState | null;
  user_id: number | null;
  author: string;
  at: string;
}

export interface AttachmentRow {
  id: number;
  feedback_id: number;
  storage_name: string;
  original_name: string;
  content_type: string;
  size: number;
  sha256: string;
  side: Side;
  internal: boolean;
  uploaded_by: number;
  uploader: string;
  uploaded_at: string;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

const toItem = (r: Record<string, unknown>): ItemRow => ({
  id: Number(r.id),
  feedback_no: String(r.feedback_no),
  customer_id: Number(r.customer_id),
  customer_name: String(r.customer_name),
  category: r.category as FeedbackCategory,
  state: r.state as FeedbackState,
  subject: String(r.subject),
  description: String(r.description),
  desired_resolution: str(r.desired_resolution),
  contract_id: num(r.contract_id),
  contract_no: str(r.contract_no),
  delivery_no: str(r.delivery_no),
  certificate_id: num(r.certificate_id),
  certificate_no: str(r.certificate_no),
  variety: str(r.variety),
  grade: str(r.grade),
  assignee_id: num(r.assignee_id),
  assignee_name: str(r.assignee_name),
  created_by: Number(r.created_by),
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
  first_response_due_at: String(r.first_response_due_at),
  first_responded_at: str(r.first_responded_at),
  resolution_due_at: String(r.resolution_due_at),
  resolved_at: str(r.resolved_at),
  closed_at: str(r.closed_at),
  rating: num(r.rating),
  rating_comment: str(r.rating_comment),
  rated_at: str(r.rated_at),
  response_overdue_notified_at: str(r.response_overdue_notified_at),
  resolution_overdue_notified_at: str(r.resolution_overdue_notified_at),
  row_version: Number(r.row_version),
});

const toMessage = (r: Record<string, unknown>): MessageRow => ({
  id: Number(r.id),
  feedback_id: Number(r.feedback_id),
  kind: r.kind as FeedbackMessageKind,
  side: r.side as Side,
  internal: Boolean(r.internal),
  text: str(r.text),
  from_state: (r.from_state as FeedbackState | null) ?? null,
  to_state: (r.to_state as FeedbackState | null) ?? null,
  user_id: num(r.user_id),
  author: String(r.author),
  at: String(r.at),
});

const toAttachment = (r: Record<string, unknown>): AttachmentRow => ({
  id: Number(r.id),
  feedback_id: Number(r.feedback_id),
  storage_name: String(r.storage_name),
  original_name: String(r.original_name),
  content_type: String(r.content_type),
  size: Number(r.size),
  sha256: String(r.sha256),
  side: r.side as Side,
  internal: Boolean(r.internal),
  uploaded_by: Number(r.uploaded_by),
  uploader: String(r.uploader),
  uploaded_at: String(r.uploaded_at),
});

function withNames(db: Db) {
  return db('feedback_items as f')
    .join('organisations as o', 'o.id', 'f.customer_id')
    .leftJoin('users as a', 'a.id', 'f.assignee_id')
    .select('f.*', 'o.name as customer_name', 'a.display_name as assignee_name');
}

/**
 * The caller's reach, in the query: a customer its own organisation; an account manager their customers' items and
 * those assigned to them; quality staff the quality categories and those assigned to them; other staff all.
 */
export function scopeFeedback<T extends Knex.QueryBuilder>(qb: T, p: Principal): T {
  if (isCustomer(p)) return scopeToCustomers(qb, p, 'f.customer_id');
  if (p.role === 'account_manager') {
    return qb.where((w) => {
      scopeToCustomers(w, p, 'f.customer_id').orWhere('f.assignee_id', p.userId);
    }) as T;
  }
  if (p.role === 'quality_staff') {
    return qb.where((w) => {
      w.whereIn('f.category', QUALITY_CATEGORIES).orWhere('f.assignee_id', p.userId);
    }) as T;
  }
  return qb;
}

/** Overdue at `now`: no first answer by its due time, or (unless waiting for the customer) not resolved by its due time. */
export function whereOverdue<T extends Knex.QueryBuilder>(qb: T, now: string): T {
  return qb.whereNotIn('f.state', ['resolved', 'closed']).where((w) => {
    w.where((a) => {
      a.whereNull('f.first_responded_at').andWhere('f.first_response_due_at', '<', now);
    }).orWhere((b) => {
      b.whereNot('f.state', 'waiting_for_customer').andWhere('f.resolution_due_at', '<', now);
    });
  }) as T;
}

export interface ListFilter {
  state?: FeedbackState;
  category?: FeedbackCategory;
  customerId?: number;
  overdue?: boolean;
  assignedTo?: number;
  open?: boolean;
  q?: string;
  page: number;
  pageSize: number;
}

export async function listItems(db: Db, p: Principal, f: ListFilter, now: string): Promise<{ rows: ItemRow[]; total: number }> {
  const q = scopeFeedback(withNames(db), p);
  if (f.state) q.andWhere('f.state', f.state);
  if (f.category) q.andWhere('f.category', f.category);
  if (f.customerId) q.andWhere('f.customer_id', f.customerId);
  if (f.assignedTo) q.andWhere('f.assignee_id', f.assignedTo);
  if (f.open) q.whereNotIn('f.state', ['resolved', 'closed']);
  if (f.overdue) whereOverdue(q, now);
  if (f.q) {
    // instr() on both databases: the text is matched as it is, % and _ included (SQLite's LIKE has no default escape).
    const text = f.q;
    q.andWhere((w) => {
      w.whereRaw('instr(f.feedback_no, ?) > 0', [text]).orWhereRaw('instr(f.subject, ?) > 0', [text]);
    });
  }
  const [{ n }] = await q.clone().clearSelect().count({ n: '*' });
  const rows = await q.orderBy('f.id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize);
  return { rows: rows.map(toItem), total: Number(n) };
}

export async function findVisible(db: Db, p: Principal, id: number): Promise<ItemRow | undefined> {
  const r = await scopeFeedback(withNames(db), p).andWhere('f.id', id).first();
  return r ? toItem(r) : undefined;
}

export async function findItem(db: Db, id: number): Promise<ItemRow | undefined> {
  const r = await withNames(db).where('f.id', id).first();
  return r ? toItem(r) : undefined;
}

export type NewItem = Omit<
  ItemRow,
  | 'id'
  | 'customer_name'
  | 'assignee_name'
  | 'first_responded_at'
  | 'resolved_at'
  | 'closed_at'
  | 'rating'
  | 'rating_comment'
  | 'rated_at'
  | 'response_overdue_notified_at'
  | 'resolution_overdue_notified_at'
  | 'row_version'
>;

export async function insertItem(trx: Db, row: NewItem): Promise<number> {
  const [id] = await trx('feedback_items').insert({ ...row, row_version: 0 });
  return Number(id);
}

/** Changes an item only if it is still at the version the caller read; returns the rows changed (0: someone was first). */
export async function guardedUpdate(trx: Db, id: number, rowVersion: number, changes: Record<string, unknown>): Promise<number> {
  return trx('feedback_items')
    .where({ id, row_version: rowVersion })
    .update({ ...changes, row_version: rowVersion + 1 });
}

/** Touches an open item without a version check (an addition to its thread), still moving its version on. */
export async function touch(trx: Db, id: number, changes: Record<string, unknown>): Promise<number> {
  return trx('feedback_items')
    .where({ id })
    .whereNot('state', 'closed')
    .update({ ...changes, row_version: trx.raw('row_version + 1') });
}

export async function insertMessage(trx: Db, row: Omit<MessageRow, 'id'>): Promise<number> {
  const [id] = await trx('feedback_messages').insert(row);
  return Number(id);
}

export async function listMessages(db: Db, feedbackId: number, withInternal: boolean): Promise<MessageRow[]> {
  const q = db('feedback_messages').where('feedback_id', feedbackId).orderBy('id');
  if (!withInternal) q.andWhere('internal', false);
  return (await q).map(toMessage);
}

export async function insertAttachment(trx: Db, row: Omit<AttachmentRow, 'id'>): Promise<number> {
  const [id] = await trx('feedback_attachments').insert(row);
  return Number(id);
}

export async function listAttachments(db: Db, feedbackId: number, withInternal: boolean): Promise<AttachmentRow[]> {
  const q = db('feedback_attachments').where('feedback_id', feedbackId).orderBy('id');
  if (!withInternal) q.andWhere('internal', false);
  return (await q).map(toAttachment);
}

export async function findAttachment(db: Db, feedbackId: number, id: number): Promise<AttachmentRow | undefined> {
  const r = await db('feedback_attachments').where({ feedback_id: feedbackId, id }).first();
  return r ? toAttachment(r) : undefined;
}

export async function countAttachments(db: Db, feedbackId: number): Promise<number> {
  const [{ n }] = await db('feedback_attachments').where('feedback_id', feedbackId).count({ n: '*' });
  return Number(n);
}

// ---- people ----

export interface StaffRow {
  id: number;
  username: string;
  display_name: string;
  role: string;
  open_items: number;
}

/** Active mill staff with their open feedback items: who may be assigned, and how loaded they are. */
export async function staffWithLoad(db: Db, roles: readonly string[] = STAFF_ROLES): Promise<StaffRow[]> {
  const open = db('feedback_items').whereNotIn('state', ['resolved', 'closed']).whereNotNull('assignee_id').groupBy('assignee_id').select('assignee_id').count({ n: '*' }).as('l');
  const rows = await db('users as u')
    .join('organisations as o', 'o.id', 'u.organisation_id')
    .leftJoin(open, 'l.assignee_id', 'u.id')
    .where({ 'o.kind': 'mill', 'u.active': true })
    .whereIn('u.role', roles)
    .orderBy('u.id')
    .select('u.id', 'u.username', 'u.display_name', 'u.role', 'l.n');
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    username: String(r.username),
    display_name: String(r.display_name),
    role: String(r.role),
    open_items: Number(r.n ?? 0),
  }));
}

export async function customerAccountManager(db: Db, customerId: number): Promise<number | null> {
  const r = await db('organisations as o')
    .join('users as u', 'u.id', 'o.account_manager_id')
    .where({ 'o.id': customerId, 'u.active': true })
    .first('u.id');
  return r ? Number(r.id) : null;
}

export async function organisationCode(db: Db, id: number): Promise<string | null> {
  const r = await db('organisations').where('id', id).first('code');
  return r ? String(r.code) : null;
}

// ---- timers and analysis ----

/** Open items whose due time passed and whose overdue notice has not gone out yet. */
export async function dueForNotice(db: Db, now: string): Promise<{ response: ItemRow[]; resolution: ItemRow[] }> {
  const open = () => withNames(db).whereNotIn('f.state', ['resolved', 'closed']);
  const response = await open().whereNull('f.first_responded_at').andWhere('f.first_response_due_at', '<', now).whereNull('f.response_overdue_notified_at').orderBy('f.id').limit(500);
  const resolution = await open().whereNot('f.state', 'waiting_for_customer').andWhere('f.resolution_due_at', '<', now).whereNull('f.resolution_overdue_notified_at').orderBy('f.id').limit(500);
  return { response: response.map(toItem), resolution: resolution.map(toItem) };
}

export async function markNoticed(db: Db, id: number, column: 'response_overdue_notified_at' | 'resolution_overdue_notified_at', at: string): Promise<boolean> {
  return (await db('feedback_items').where('id', id).whereNull(column).update({ [column]: at })) === 1;
}

/** Items in the caller's reach submitted in [fromUtc, toUtc), for the analysis (computed in the service). */
export async function itemsForAnalysis(db: Db, p: Principal, f: { fromUtc?: string; toUtc?: string; category?: FeedbackCategory }): Promise<ItemRow[]> {
  const q = scopeFeedback(withNames(db), p);
  if (f.fromUtc) q.andWhere('f.created_at', '>=', f.fromUtc);
  if (f.toUtc) q.andWhere('f.created_at', '<', f.toUtc);
  if (f.category) q.andWhere('f.category', f.category);
  return (await q.orderBy('f.id')).map(toItem);
}
