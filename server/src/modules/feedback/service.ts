// Customer feedback and complaints (客户反馈 / 质量异议, issue 9): submission with links to the customer's own
// documents, triage and assignment, the thread, the state machine with its due times, rating, and the analysis.
// Every change of an item goes through change(): the transition table, a guarded update, the thread, audit, notices.
import type { Knex } from 'knex';
import type {
  CreateFeedbackBody,
  FeedbackAnalysis,
  FeedbackAnalysisQuery,
  FeedbackAssignees,
  FeedbackAttachment,
  FeedbackCategory,
  FeedbackDetail,
  FeedbackListQuery,
  FeedbackMessage,
  FeedbackMessageKind,
  FeedbackPage,
  FeedbackState,
  FeedbackSummary,
  FeedbackTargets,
} from '../../../../shared/api/feedback.js';
import { ATTACHMENT_TYPES, FEEDBACK_CATEGORIES } from '../../../../shared/api/feedback.js';
import type { FeedbackConfig } from '../../config.js';
import { chinaDayStartUtc, chinaMonth } from '../../china-time.js';
import { fromDbTime, toDbTime } from '../../db/knex.js';
import { AppError, Conflict, Forbidden, Invalid, NotFound } from '../../errors.js';
import { isCustomer, type Principal } from '../../plugins/access.js';
import { audit, unchanged, type Actor } from '../../plugins/audit.js';
import { nextNumber } from '../allocation/intents.js';
import * as certificates from '../certificates/store.js';
import * as contracts from '../contracts/store.js';
import { getRecord } from '../erp-sync/service.js';
import { notify } from '../notifications/service.js';
import type { TemplateKey } from '../notifications/templates.js';
import { displayName, detectType, removeStoredFile, storeFile } from './attachments.js';
import * as store from './store.js';

type Db = Knex | Knex.Transaction;
type Side = store.Side;

/** What the service needs from the app: configuration, where files go, the clock, and the surveys module's hook. */
export interface FeedbackDeps {
  config: FeedbackConfig;
  attachmentDir: string;
  /** the clock; tests set it to move time */
  now: () => Date;
  /** called in the resolving transaction (issue 9: a resolved item may trigger a short survey) */
  onResolved: (trx: Knex.Transaction, e: { customerId: number; feedbackId: number }) => Promise<void>;
}

// ---- the state machine ----

/**
 * Every state change, and which side may make it. The mill works an item (new → in progress), asks the customer
 * (waiting for customer) and resolves it; a customer's reply while it waits moves it back to in progress. The
 * customer rates a resolved item, which closes it, or reopens it (back to in progress) when it is not resolved;
 * either side may close an item early (a withdrawal, a duplicate) with a reason. Closed is final: a new problem is a
 * new item.
 */
export const transitions: Record<FeedbackState, Partial<Record<FeedbackState, readonly Side[]>>> = {
  new: { in_progress: ['mill'], waiting_for_customer: ['mill'], resolved: ['mill'], closed: ['mill', 'customer'] },
  in_progress: { waiting_for_customer: ['mill'], resolved: ['mill'], closed: ['mill', 'customer'] },
  waiting_for_customer: { in_progress: ['mill', 'customer'], resolved: ['mill'], closed: ['mill', 'customer'] },
  resolved: { in_progress: ['mill', 'customer'], closed: ['mill', 'customer'] },
  closed: {},
};

const sideOf = (p: Principal): Side => (isCustomer(p) ? 'customer' : 'mill');

export function nextStates(from: FeedbackState, side: Side): FeedbackState[] {
  return (Object.entries(transitions[from]) as [FeedbackState, readonly Side[]][]).filter(([, sides]) => sides.includes(side)).map(([to]) => to);
}

function checkTransition(from: FeedbackState, to: FeedbackState, side: Side): void {
  const sides = transitions[from][to];
  if (!sides) throw new Conflict('feedback.bad_state', `An item that is ${from} cannot become ${to}`, { state: from, to });
  if (!sides.includes(side)) throw new Forbidden('feedback.not_your_move', `Only the ${sides.join(' or ')} may move an item from ${from} to ${to}`, { state: from, to });
}

// ---- due times ----

const HOUR = 3600_000;

export function dueTimes(config: FeedbackConfig, category: FeedbackCategory, createdAt: Date): { firstResponse: Date; resolution: Date } {
  return {
    firstResponse: new Date(createdAt.getTime() + config.firstResponseHours[category] * HOUR),
    resolution: new Date(createdAt.getTime() + config.resolutionHours[category] * HOUR),
  };
}

/** Which due time an item has missed at `now` (the same rule as store.whereOverdue, for one row). */
export function overdueOf(r: store.ItemRow, now: Date): 'first_response' | 'resolution' | null {
  if (r.state === 'resolved' || r.state === 'closed') return null;
  const t = toDbTime(now);
  if (r.first_responded_at === null && r.first_response_due_at < t) return 'first_response';
  if (r.state !== 'waiting_for_customer' && r.resolution_due_at < t) return 'resolution';
  return null;
}

// ---- views ----

function toSummary(r: store.ItemRow, now: Date): FeedbackSummary {
  return {
    id: r.id,
    feedbackNo: r.feedback_no,
    customerId: r.customer_id,
    customerName: r.customer_name,
    category: r.category,
    subject: r.subject,
    state: r.state,
    assignee: r.assignee_id === null ? null : { id: r.assignee_id, name: r.assignee_name ?? '' },
    contractId: r.contract_id,
    contractNo: r.contract_no,
    deliveryNo: r.delivery_no,
    certificateId: r.certificate_id,
    certificateNo: r.certificate_no,
    variety: r.variety,
    grade: r.grade,
    createdAt: fromDbTime(r.created_at)!,
    firstResponseDueAt: fromDbTime(r.first_response_due_at)!,
    firstRespondedAt: fromDbTime(r.first_responded_at),
    resolutionDueAt: fromDbTime(r.resolution_due_at)!,
    resolvedAt: fromDbTime(r.resolved_at),
    closedAt: fromDbTime(r.closed_at),
    overdue: overdueOf(r, now),
    rating: r.rating,
  };
}

const toMessage = (m: store.MessageRow): FeedbackMessage => ({
  id: m.id,
  kind: m.kind,
  side: m.side,
  author: m.author,
  text: m.text,
  internal: m.internal,
  fromState: m.from_state,
  toState: m.to_state,
  at: fromDbTime(m.at)!,
});

const toAttachment = (a: store.AttachmentRow): FeedbackAttachment => ({
  id: a.id,
  name: a.original_name,
  contentType: a.content_type as FeedbackAttachment['contentType'],
  size: a.size,
  side: a.side,
  internal: a.internal,
  uploadedBy: a.uploader,
  uploadedAt: fromDbTime(a.uploaded_at)!,
});

async function visible(db: Db, p: Principal, id: number): Promise<store.ItemRow> {
  const row = await store.findVisible(db, p, id);
  // Another customer's item, or one outside a staff member's reach, does not exist for the caller.
  if (!row) throw new NotFound('feedback.not_found', 'No such feedback item');
  return row;
}

export async function listFeedback(db: Db, deps: FeedbackDeps, p: Principal, q: FeedbackListQuery): Promise<FeedbackPage> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const now = deps.now();
  const staff = !isCustomer(p);
  const { rows, total } = await store.listItems(
    db,
    p,
    {
      state: q.state,
      category: q.category,
      customerId: staff ? q.customerId : undefined,
      overdue: q.overdue,
      assignedTo: staff && q.assignedToMe ? p.userId : undefined,
      open: q.open,
      q: q.q,
      page,
      pageSize,
    },
    toDbTime(now),
  );
  return { items: rows.map((r) => toSummary(r, now)), total, page, pageSize };
}

export async function getFeedback(db: Db, deps: FeedbackDeps, p: Principal, id: number): Promise<FeedbackDetail> {
  const row = await visible(db, p, id);
  const staff = !isCustomer(p);
  const [messages, attachments] = await Promise.all([store.listMessages(db, id, staff), store.listAttachments(db, id, staff)]);
  const side = sideOf(p);
  return {
    ...toSummary(row, deps.now()),
    description: row.description,
    desiredResolution: row.desired_resolution,
    ratingComment: row.rating_comment,
    ratedAt: fromDbTime(row.rated_at),
    messages: messages.map(toMessage),
    attachments: attachments.map(toAttachment),
    nextStates: nextStates(row.state, side),
    canRate: side === 'customer' && row.state === 'resolved' && row.rating === null,
  };
}

export function targets(config: FeedbackConfig): FeedbackTargets {
  return {
    items: FEEDBACK_CATEGORIES.map((category) => ({ category, firstResponseHours: config.firstResponseHours[category], resolutionHours: config.resolutionHours[category] })),
    maxAttachmentBytes: config.maxAttachmentBytes,
    attachmentTypes: [...ATTACHMENT_TYPES],
  };
}

// ---- notices ----

const FALLBACK_ROLE = (c: FeedbackCategory) => (store.QUALITY_CATEGORIES.includes(c) ? 'quality_staff' : 'sales_manager');

/** The mill hears through the item's assignee; an unassigned item goes to quality staff or the sales managers. */
async function tellMill(trx: Knex.Transaction, r: store.ItemRow, template: TemplateKey, key: string, extra: Record<string, string> = {}) {
  const common = { kind: `feedback.${template.replace(/^feedback_/, '')}`, template, params: { feedbackNo: r.feedback_no, customer: r.customer_name, ...extra }, link: `/staff/feedback/${r.id}`, idempotencyKey: key };
  await notify(trx, r.assignee_id === null ? { ...common, role: FALLBACK_ROLE(r.category) } : { ...common, userIds: [r.assignee_id] });
}

async function tellCustomer(trx: Knex.Transaction, r: store.ItemRow, template: TemplateKey, key: string) {
  await notify(trx, { organisationId: r.customer_id, kind: `feedback.${template.replace(/^feedback_/, '')}`, template, params: { feedbackNo: r.feedback_no }, link: `/feedback/${r.id}`, idempotencyKey: key });
}

/** What the customer hears when the mill moves its item. */
const CUSTOMER_TEMPLATE: Partial<Record<FeedbackState, TemplateKey>> = {
  in_progress: 'feedback_answered',
  waiting_for_customer: 'feedback_waiting',
  resolved: 'feedback_resolved',
  closed: 'feedback_closed',
};

// ---- the one function that changes an item ----

interface Change {
  /** audit action, e.g. 'feedback.replied' */
  action: string;
  to?: FeedbackState;
  /** other columns to set */
  set?: Record<string, unknown>;
  message?: { kind: FeedbackMessageKind; text: string | null; internal?: boolean };
  /** a template for the other side (state changes choose their own) */
  notice?: TemplateKey;
  details?: Record<string, unknown>;
}

/**
 * Applies one change: checks the transition table for the caller's side, stamps the due-time columns (the mill's
 * first visible act answers the item; resolving stamps resolved_at, reopening clears it), updates the row only at the
 * version read (a racing change gets feedback.stale), writes the thread entry, the audit row and the other side's
 * notice, and calls the surveys hook when the item becomes resolved. Internal acts tell no customer.
 */
async function change(trx: Knex.Transaction, deps: FeedbackDeps, p: Principal, actor: Actor, row: store.ItemRow, c: Change): Promise<void> {
  const side = sideOf(p);
  const now = deps.now();
  const at = toDbTime(now);
  const to = c.to ?? row.state;
  if (c.to !== undefined) checkTransition(row.state, c.to, side);
  const internal = c.message?.internal ?? false;
  const set: Record<string, unknown> = { ...c.set, updated_at: at };
  if (c.to !== undefined) {
    set.state = c.to;
    if (c.to === 'resolved') set.resolved_at = at;
    if (row.state === 'resolved' && c.to === 'in_progress') set.resolved_at = null;
    if (c.to === 'closed') set.closed_at = at;
  }
  // Response time is measured to the mill's first act the customer sees: a reply or a change of state.
  if (side === 'mill' && !internal && row.first_responded_at === null && (c.to !== undefined || c.message?.kind === 'reply')) set.first_responded_at = at;
  // What depends on the item as read (its state, assignee, rating, first answer) changes only at the version read;
  // a plain reply, note or attachment only adds to the thread, so two of them at once both go through.
  const guarded = c.to !== undefined || c.set !== undefined || set.first_responded_at !== undefined;
  const n = guarded ? await store.guardedUpdate(trx, row.id, row.row_version, set) : await store.touch(trx, row.id, set);
  if (n !== 1) throw new Conflict('feedback.stale', 'The item changed at the same moment; reload it');

  const messageId = c.message
    ? await store.insertMessage(trx, {
        feedback_id: row.id,
        kind: c.message.kind,
        side,
        internal,
        text: c.message.text,
        from_state: c.to !== undefined ? row.state : null,
        to_state: c.to !== undefined ? c.to : null,
        user_id: p.userId,
        author: p.displayName || p.username,
        at,
      })
    : null;
  await audit(trx, actor, { action: c.action, entity: 'feedback', entityId: row.id, details: { feedbackNo: row.feedback_no, from: row.state, to, messageId, ...c.details } });

  const key = `feedback.${c.action.replace(/^feedback\./, '')}:${row.id}:${messageId === null ? `v${row.row_version + 1}` : `m${messageId}`}`;
  const after = { ...row, state: to };
  if (!internal) {
    if (side === 'mill') {
      const template = c.notice ?? (c.to !== undefined ? CUSTOMER_TEMPLATE[c.to] : undefined);
      if (template) await tellCustomer(trx, after, template, key);
    } else if (c.notice) {
      await tellMill(trx, after, c.notice, key, c.notice === 'feedback_rated' ? { rating: String(c.set?.rating ?? '') } : {});
    }
  }
  if (c.to === 'resolved') await deps.onResolved(trx, { customerId: row.customer_id, feedbackId: row.id });
}

// ---- submitting ----

interface Links {
  contract_id: number | null;
  contract_no: string | null;
  delivery_no: string | null;
  certificate_id: number | null;
  certificate_no: string | null;
  variety: string | null;
  grade: string | null;
}

/** A delivery note of the customer, with the product of its first line; null when the portal holds none of its. */
async function customerDelivery(db: Knex, customerCode: string, deliveryNo: string): Promise<{ variety: string | null; grade: string | null; contractNo: string | null } | null> {
  let rec;
  try {
    rec = await getRecord(db, 'delivery_note', deliveryNo);
  } catch (err) {
    if (err instanceof NotFound) return null;
    throw err;
  }
  const payload = rec.payload as { customerCode?: string; contractNo?: string; lines?: { materialCode: string; grade: string }[] } | null;
  if (rec.deleted || !payload || payload.customerCode !== customerCode) return null;
  const line = payload.lines?.[0];
  let variety: string | null = null;
  if (line) {
    try {
      const m = await getRecord(db, 'material', line.materialCode);
      variety = ((m.payload as { variety?: string } | null)?.variety) ?? null;
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
  }
  return { variety, grade: line?.grade ?? null, contractNo: payload.contractNo ?? null };
}

/**
 * The documents the customer names must be its own (through the contracts, certificates and ERP-sync modules' reads,
 * scoped to the caller); someone else's is refused exactly like one that does not exist. The product concerned comes
 * from the delivery, else the certificate, else the contract.
 */
async function resolveLinks(trx: Knex.Transaction, p: Principal, body: CreateFeedbackBody): Promise<Links> {
  const links: Links = { contract_id: null, contract_no: null, delivery_no: null, certificate_id: null, certificate_no: null, variety: null, grade: null };
  const product: { variety: string | null; grade: string | null }[] = [];
  if (body.deliveryNo !== undefined) {
    const code = await store.organisationCode(trx, p.organisationId);
    const d = code === null ? null : await customerDelivery(trx, code, body.deliveryNo.trim());
    if (!d) throw new Invalid('feedback.delivery_unknown', 'No such delivery note of your organisation', { deliveryNo: body.deliveryNo });
    links.delivery_no = body.deliveryNo.trim();
    product.push(d);
  }
  if (body.certificateId !== undefined) {
    const c = await certificates.findVisible(trx, p, body.certificateId);
    if (!c) throw new Invalid('feedback.certificate_unknown', 'No such certificate of your organisation', { certificateId: body.certificateId });
    links.certificate_id = c.id;
    links.certificate_no = c.certificate_no;
    const [batch] = await certificates.batchesOf(trx, [c.id]);
    let variety: string | null = null;
    if (c.delivery_no) variety = (await customerDelivery(trx, c.customer_code, c.delivery_no))?.variety ?? null;
    product.push({ variety, grade: batch?.grade ?? null });
  }
  if (body.contractId !== undefined) {
    const c = (await contracts.visibleContract(trx, p, body.contractId)) as contracts.ContractRow | undefined;
    if (!c) throw new Invalid('feedback.contract_unknown', 'No such contract of your organisation', { contractId: body.contractId });
    links.contract_id = c.id;
    links.contract_no = c.contract_no;
    const [line] = await contracts.contractLines(trx, [c.id]);
    if (line) product.push({ variety: line.variety, grade: line.grade || null });
  }
  const known = product.find((x) => x.variety !== null) ?? product[0];
  links.variety = known?.variety ?? null;
  links.grade = product.find((x) => x.grade !== null)?.grade ?? null;
  return links;
}

/**
 * Who handles a new item: quality objections the configured quality staff member, else the active quality staff
 * member with the fewest open items (ties: the longest-serving, lowest id); other categories the customer's account
 * manager. Nobody found: unassigned, and the fallback role hears of it.
 */
export async function defaultAssignee(db: Db, config: FeedbackConfig, category: FeedbackCategory, customerId: number): Promise<number | null> {
  if (category === 'quality_objection') {
    const quality = await store.staffWithLoad(db, ['quality_staff']);
    const named = config.qualityAssignee ? quality.find((u) => u.username === config.qualityAssignee) : undefined;
    if (named) return named.id;
    const least = [...quality].sort((a, b) => a.open_items - b.open_items || a.id - b.id)[0];
    return least?.id ?? null;
  }
  return store.customerAccountManager(db, customerId);
}

export async function createFeedback(trx: Knex.Transaction, deps: FeedbackDeps, p: Principal, actor: Actor, body: CreateFeedbackBody): Promise<FeedbackDetail> {
  if (!isCustomer(p)) throw new Forbidden('feedback.customer_only', 'Feedback is submitted by a customer');
  const now = deps.now();
  const at = toDbTime(now);
  const links = await resolveLinks(trx, p, body);
  const due = dueTimes(deps.config, body.category, now);
  const assignee = await defaultAssignee(trx, deps.config, body.category, p.organisationId);
  const feedbackNo = await nextNumber(trx, 'FK', now);
  const id = await store.insertItem(trx, {
    feedback_no: feedbackNo,
    customer_id: p.organisationId,
    category: body.category,
    state: 'new',
    subject: body.subject.trim(),
    description: body.description.trim(),
    desired_resolution: body.desiredResolution?.trim() || null,
    ...links,
    assignee_id: assignee,
    created_by: p.userId,
    created_at: at,
    updated_at: at,
    first_response_due_at: toDbTime(due.firstResponse),
    resolution_due_at: toDbTime(due.resolution),
  });
  await store.insertMessage(trx, {
    feedback_id: id,
    kind: 'submit',
    side: 'customer',
    internal: false,
    text: null,
    from_state: null,
    to_state: 'new',
    user_id: p.userId,
    author: p.displayName || p.username,
    at,
  });
  await audit(trx, actor, { action: 'feedback.submitted', entity: 'feedback', entityId: id, details: { feedbackNo, category: body.category, assigneeId: assignee, ...links } });
  const row = (await store.findItem(trx, id))!;
  await tellMill(trx, row, assignee === null ? 'feedback_submitted' : 'feedback_assigned', `feedback.submitted:${id}`, { subject: row.subject });
  return getFeedback(trx, deps, p, id);
}

// ---- the thread and triage ----

function checkOpen(row: store.ItemRow): void {
  if (row.state === 'closed') throw new Conflict('feedback.closed', 'This item is closed; submit a new one');
}

/**
 * A reply (both sides) or an internal note (mill only). The mill's reply to a new item starts work on it; the
 * customer's reply to an item waiting for it hands it back to the mill.
 */
export async function addMessage(trx: Knex.Transaction, deps: FeedbackDeps, p: Principal, actor: Actor, id: number, body: { text: string; internal?: boolean }): Promise<FeedbackDetail> {
  const row = await visible(trx, p, id);
  checkOpen(row);
  const side = sideOf(p);
  const internal = body.internal ?? false;
  if (internal && side === 'customer') throw new Forbidden('feedback.internal_staff_only', 'Only mill staff write internal notes');
  const text = body.text.trim();
  if (!text) throw new Invalid('feedback.text_required', 'Write the message');
  let to: FeedbackState | undefined;
  if (!internal && side === 'mill' && row.state === 'new') to = 'in_progress';
  if (side === 'customer' && row.state === 'waiting_for_customer') to = 'in_progress';
  await change(trx, deps, p, actor, row, {
    action: internal ? 'feedback.noted' : 'feedback.replied',
    to,
    message: { kind: internal ? 'note' : 'reply', text, internal },
    notice: side === 'mill' ? 'feedback_answered' : 'feedback_customer_replied',
  });
  return getFeedback(trx, deps, p, id);
}

/** A state change asked for by either side; closing an unresolved item and reopening a resolved one need a reason. */
export async function transition(trx: Knex.Transaction, deps: FeedbackDeps, p: Principal, actor: Actor, id: number, body: { to: FeedbackState; comment?: string }): Promise<FeedbackDetail> {
  const row = await visible(trx, p, id);
  const side = sideOf(p);
  const comment = body.comment?.trim() || null;
  checkTransition(row.state, body.to, side);
  const reopening = row.state === 'resolved' && body.to === 'in_progress';
  const closingEarly = body.to === 'closed' && row.state !== 'resolved';
  if ((reopening || closingEarly) && !comment) throw new Invalid('feedback.reason_required', reopening ? 'Say what is still not resolved' : 'Say why the item is closed without a resolution');
  await change(trx, deps, p, actor, row, {
    action: reopening ? 'feedback.reopened' : `feedback.${body.to}`,
    to: body.to,
    message: { kind: 'state', text: comment },
    notice: side === 'customer' ? (reopening ? 'feedback_reopened' : body.to === 'closed' ? 'feedback_customer_closed' : 'feedback_customer_replied') : undefined,
  });
  return getFeedback(trx, deps, p, id);
}

/** Assigns the item to an active member of mill staff; the thread keeps it as an internal entry. */
export async function assign(trx: Knex.Transaction, deps: FeedbackDeps, p: Principal, actor: Actor, id: number, assigneeId: number): Promise<FeedbackDetail> {
  if (isCustomer(p)) throw new Forbidden();
  const row = await visible(trx, p, id);
  checkOpen(row);
  const person = (await store.staffWithLoad(trx)).find((u) => u.id === assigneeId);
  if (!person) throw new Invalid('feedback.assignee_invalid', 'Assign to an active member of mill staff', { assigneeId });
  if (row.assignee_id === assigneeId) {
    // Assigning the person already assigned changes nothing, and records nothing.
    unchanged(actor);
    return getFeedback(trx, deps, p, id);
  }
  await change(trx, deps, p, actor, row, {
    action: 'feedback.assigned',
    set: { assignee_id: assigneeId },
    message: { kind: 'assignment', text: person.display_name, internal: true },
    details: { assigneeId, previous: row.assignee_id },
  });
  await notify(trx, {
    userIds: [assigneeId],
    kind: 'feedback.assigned',
    template: 'feedback_assigned',
    params: { feedbackNo: row.feedback_no, customer: row.customer_name, subject: row.subject },
    link: `/staff/feedback/${row.id}`,
    idempotencyKey: `feedback.assigned:${row.id}:v${row.row_version + 1}`,
  });
  return getFeedback(trx, deps, p, id);
}

/** The customer rates a resolved item once (1-5, with a comment); the rating closes it. */
export async function rate(trx: Knex.Transaction, deps: FeedbackDeps, p: Principal, actor: Actor, id: number, body: { rating: number; comment?: string }): Promise<FeedbackDetail> {
  if (!isCustomer(p)) throw new Forbidden('feedback.customer_only', 'The customer rates the resolution');
  const row = await visible(trx, p, id);
  if (row.rating !== null) throw new Conflict('feedback.already_rated', 'This item has been rated');
  if (row.state !== 'resolved') throw new Conflict('feedback.not_resolved', 'Only a resolved item can be rated', { state: row.state });
  const comment = body.comment?.trim() || null;
  await change(trx, deps, p, actor, row, {
    action: 'feedback.rated',
    to: 'closed',
    set: { rating: body.rating, rating_comment: comment, rated_at: toDbTime(deps.now()) },
    message: { kind: 'rating', text: comment },
    notice: 'feedback_rated',
    details: { rating: body.rating },
  });
  return getFeedback(trx, deps, p, id);
}

export async function assignees(db: Db): Promise<FeedbackAssignees> {
  const rows = await store.staffWithLoad(db);
  return { items: rows.map((r) => ({ id: r.id, name: r.display_name, role: r.role, openItems: r.open_items })) };
}

// ---- attachments ----

/**
 * Stores one attachment: the type from the content (a disguised name is refused), the count limit, then the file
 * under a generated name and its row in the caller's transaction; the caller removes the file if that rolls back.
 */
export async function addAttachment(
  trx: Knex.Transaction,
  deps: FeedbackDeps,
  p: Principal,
  actor: Actor,
  id: number,
  upload: { name: string; internal?: boolean; data: Buffer },
  written: string[],
): Promise<FeedbackAttachment> {
  const row = await visible(trx, p, id);
  checkOpen(row);
  const side = sideOf(p);
  const internal = upload.internal ?? false;
  if (internal && side === 'customer') throw new Forbidden('feedback.internal_staff_only', 'Only mill staff add internal attachments');
  if (upload.data.length === 0) throw new Invalid('feedback.attachment_empty', 'The file is empty');
  if (upload.data.length > deps.config.maxAttachmentBytes) throw attachmentTooLarge(deps.config.maxAttachmentBytes);
  const type = detectType(upload.data);
  if (!type) throw new AppError(415, 'feedback.attachment_type', 'Attach images (PNG, JPEG, GIF, WebP) or PDF documents only', { allowed: ATTACHMENT_TYPES });
  const name = displayName(upload.name, type);
  if (name === null) throw new AppError(415, 'feedback.attachment_name_mismatch', `The file's name does not match its content (${type})`, { detected: type });
  if ((await store.countAttachments(trx, id)) >= deps.config.maxAttachmentsPerItem) {
    throw new Conflict('feedback.attachment_limit', `An item holds at most ${deps.config.maxAttachmentsPerItem} attachments`);
  }
  const { storageName, sha256 } = await storeFile(deps.attachmentDir, upload.data);
  written.push(storageName);
  const at = toDbTime(deps.now());
  const attachmentId = await store.insertAttachment(trx, {
    feedback_id: id,
    storage_name: storageName,
    original_name: name,
    content_type: type,
    size: upload.data.length,
    sha256,
    side,
    internal,
    uploaded_by: p.userId,
    uploader: p.displayName || p.username,
    uploaded_at: at,
  });
  await change(trx, deps, p, actor, row, { action: 'feedback.attached', details: { attachmentId, name, contentType: type, size: upload.data.length, sha256, internal } });
  return toAttachment((await store.findAttachment(trx, id, attachmentId))!);
}

export function attachmentTooLarge(max: number): AppError {
  return new AppError(413, 'feedback.attachment_too_large', `An attachment may be at most ${Math.floor(max / 1024 / 1024 * 10) / 10} MB`, { maxBytes: max });
}

/** Forgets files written for a transaction that rolled back. */
export async function discardFiles(deps: FeedbackDeps, names: string[]): Promise<void> {
  await Promise.all(names.map((n) => removeStoredFile(deps.attachmentDir, n)));
}

/** An attachment of an item the caller sees; an internal one is not found for a customer. */
export async function attachmentFor(db: Db, p: Principal, id: number, attachmentId: number): Promise<store.AttachmentRow> {
  await visible(db, p, id);
  const a = await store.findAttachment(db, id, attachmentId);
  if (!a || (a.internal && isCustomer(p))) throw new NotFound('feedback.attachment_not_found', 'No such attachment');
  return a;
}

// ---- overdue notices (scheduled) ----

/** Tells the assignee (or the fallback role) once per due time that an item is overdue. */
export async function notifyOverdue(db: Knex, now = new Date()): Promise<{ response: number; resolution: number }> {
  const at = toDbTime(now);
  const due = await store.dueForNotice(db, at);
  const out = { response: 0, resolution: 0 };
  for (const [kind, rows, column, template] of [
    ['response', due.response, 'response_overdue_notified_at', 'feedback_response_overdue'],
    ['resolution', due.resolution, 'resolution_overdue_notified_at', 'feedback_resolution_overdue'],
  ] as const) {
    for (const r of rows) {
      await db.transaction(async (trx) => {
        if (!(await store.markNoticed(trx, r.id, column, at))) return;
        await tellMill(trx, r, template, `feedback.${kind}_overdue:${r.id}`);
        out[kind]++;
      });
    }
  }
  return out;
}

// ---- analysis ----

/** The p-th quantile by linear interpolation between closest ranks (the spreadsheet PERCENTILE.INC rule). */
export function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

function durations(hours: number[]): { count: number; medianHours: number | null; p90Hours: number | null } {
  const s = [...hours].sort((a, b) => a - b);
  return { count: s.length, medianHours: round2(quantile(s, 0.5)), p90Hours: round2(quantile(s, 0.9)) };
}

const hoursBetween = (from: string, to: string | null) => (to === null ? null : (Date.parse(fromDbTime(to)!) - Date.parse(fromDbTime(from)!)) / HOUR);

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/**
 * Figures over the items in the caller's reach submitted in the months asked (China time): volume by month and
 * category; first-response hours (to the mill's first visible act) and resolution hours (to the latest resolution)
 * over the items that have them; ratings; the customers and products (variety and grade) most concerned.
 */
export async function analysis(db: Db, deps: FeedbackDeps, p: Principal, q: FeedbackAnalysisQuery): Promise<FeedbackAnalysis> {
  if (q.from && q.to && q.from > q.to) throw new Invalid('feedback.range_invalid', 'The first month is after the last');
  const rows = await store.itemsForAnalysis(db, p, {
    fromUtc: q.from ? toDbTime(chinaDayStartUtc(`${q.from}-01`)) : undefined,
    toUtc: q.to ? toDbTime(chinaDayStartUtc(`${nextMonth(q.to)}-01`)) : undefined,
    category: q.category,
  });
  const now = deps.now();
  const volume = new Map<string, number>();
  const byCat = new Map<FeedbackCategory, { count: number; first: number[]; resolution: number[]; overdue: number }>();
  const first: number[] = [];
  const resolution: number[] = [];
  const ratings: number[] = [];
  const customers = new Map<number, { customerId: number; customerName: string; count: number }>();
  const products = new Map<string, { variety: string; grade: string; count: number }>();
  for (const r of rows) {
    const month = chinaMonth(new Date(fromDbTime(r.created_at)!));
    volume.set(`${month}|${r.category}`, (volume.get(`${month}|${r.category}`) ?? 0) + 1);
    const c = byCat.get(r.category) ?? { count: 0, first: [], resolution: [], overdue: 0 };
    c.count++;
    const f = hoursBetween(r.created_at, r.first_responded_at);
    if (f !== null) (first.push(f), c.first.push(f));
    const res = hoursBetween(r.created_at, r.resolved_at);
    if (res !== null) (resolution.push(res), c.resolution.push(res));
    if (overdueOf(r, now)) c.overdue++;
    byCat.set(r.category, c);
    if (r.rating !== null) ratings.push(r.rating);
    const cu = customers.get(r.customer_id) ?? { customerId: r.customer_id, customerName: r.customer_name, count: 0 };
    cu.count++;
    customers.set(r.customer_id, cu);
    if (r.variety !== null || r.grade !== null) {
      const key = `${r.variety ?? ''}|${r.grade ?? ''}`;
      const pr = products.get(key) ?? { variety: r.variety ?? '', grade: r.grade ?? '', count: 0 };
      pr.count++;
      products.set(key, pr);
    }
  }
  const distribution = [1, 2, 3, 4, 5].map((v) => ratings.filter((x) => x === v).length);
  const top = <T extends { count: number }>(m: Map<unknown, T>, tie: (a: T, b: T) => number) => [...m.values()].sort((a, b) => b.count - a.count || tie(a, b)).slice(0, 10);
  return {
    total: rows.length,
    volume: [...volume.entries()]
      .map(([k, count]) => {
        const [month, category] = k.split('|');
        return { month, category: category as FeedbackCategory, count };
      })
      .sort((a, b) => a.month.localeCompare(b.month) || FEEDBACK_CATEGORIES.indexOf(a.category) - FEEDBACK_CATEGORIES.indexOf(b.category)),
    byCategory: FEEDBACK_CATEGORIES.filter((c) => byCat.has(c)).map((category) => {
      const c = byCat.get(category)!;
      return { category, count: c.count, firstResponse: durations(c.first), resolution: durations(c.resolution), overdueNow: c.overdue };
    }),
    firstResponse: durations(first),
    resolution: durations(resolution),
    satisfaction: { count: ratings.length, mean: ratings.length ? round2(ratings.reduce((a, b) => a + b, 0) / ratings.length) : null, distribution },
    topCustomers: top(customers, (a, b) => a.customerId - b.customerId),
    topProducts: top(products, (a, b) => `${a.variety}|${a.grade}`.localeCompare(`${b.variety}|${b.grade}`)),
  };
}
