// Surveys (问卷调查): the builder's rules and versions, targeting through the customers module, the scheduler's
// opening, closing, notices and reminders, event-triggered short surveys, customers' drafts and single submission,
// and the results (statistics in stats.ts), their CSV export and the printable summary's data.
import type { Knex } from 'knex';
import type {
  Answers,
  Invitation,
  InvitationDetail,
  InvitationList,
  Section,
  Survey,
  SurveyEvent,
  SurveyInput,
  SurveyListQuery,
  SurveyPage,
  SurveyResults,
  Target,
} from '../../../../shared/api/surveys.js';
import type { Config } from '../../config.js';
import { fromDbTime, toDbTime } from '../../db/knex.js';
import { Conflict, Invalid, NotFound } from '../../errors.js';
import { audit, systemActor, type Actor } from '../../plugins/audit.js';
import type { Principal } from '../../plugins/access.js';
import { targetingRows, type TargetingRow } from '../customers/store.js';
import { csvText } from '../../csv.js';
import { documentsSyncedSince } from '../erp-sync/service.js';
import { notify } from '../notifications/service.js';
import { recipientsOfOrganisation } from '../notifications/store.js';
import { checkAnswers, questionsOf, validateDefinition } from './definition.js';
import * as stats from './stats.js';
import * as store from './store.js';
import type { SurveyRow } from './store.js';

type Db = Knex | Knex.Transaction;
export type SurveySettings = Config['surveys'];

// ---- state machine (DESIGN.md §4a) ----

const transitions: Record<SurveyRow['state'], readonly SurveyRow['state'][]> = {
  draft: ['scheduled', 'open'],
  scheduled: ['open', 'closed'],
  open: ['closed'],
  closed: [],
};

async function move(trx: Knex.Transaction, s: SurveyRow, to: SurveyRow['state'], changes: Partial<SurveyRow> = {}): Promise<void> {
  if (!transitions[s.state].includes(to)) throw new Conflict('survey.wrong_state', `The survey is ${s.state}; it cannot become ${to}`, { state: s.state });
  if (!(await store.updateSurvey(trx, s.id, s.state, { ...changes, state: to, updated_at: toDbTime(new Date()) }))) {
    throw new Conflict('survey.state_changed', 'The survey changed meanwhile, reload it');
  }
}

// ---- views ----

const sectionsOf = (r: SurveyRow): Section[] => JSON.parse(r.definition) as Section[];

async function toSurvey(db: Db, p: Principal, r: SurveyRow): Promise<Survey> {
  const c = (await store.countsOf(db, p, [r.id])).get(r.id)!;
  return {
    id: r.id,
    title: r.title,
    introduction: r.introduction,
    kind: r.kind,
    triggerEvent: (r.trigger_event as SurveyEvent | null) ?? null,
    answerPer: r.answer_per,
    anonymous: Boolean(r.anonymous),
    opensAt: fromDbTime(r.opens_at),
    closesAt: fromDbTime(r.closes_at),
    target: JSON.parse(r.target) as Target,
    sections: sectionsOf(r),
    state: r.state,
    version: r.version,
    previousId: r.previous_id,
    invited: c.invited,
    responses: c.responses,
    createdBy: r.created_by,
    createdAt: fromDbTime(r.created_at)!,
    updatedAt: fromDbTime(r.updated_at)!,
  };
}

async function surveyOr404(db: Db, id: number): Promise<SurveyRow> {
  const r = await store.findSurvey(db, id);
  if (!r) throw new NotFound('survey.not_found', 'Survey not found');
  return r;
}

export async function listSurveys(db: Db, p: Principal, q: SurveyListQuery): Promise<SurveyPage> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const { rows, total } = await store.listSurveys(db, { state: q.state, page, pageSize });
  const counts = await store.countsOf(db, p, rows.map((r) => r.id));
  return {
    items: rows.map((r) => ({
      id: r.id,
      title: r.title,
      kind: r.kind,
      triggerEvent: (r.trigger_event as SurveyEvent | null) ?? null,
      state: r.state,
      version: r.version,
      opensAt: fromDbTime(r.opens_at),
      closesAt: fromDbTime(r.closes_at),
      invited: counts.get(r.id)!.invited,
      responses: counts.get(r.id)!.responses,
      updatedAt: fromDbTime(r.updated_at)!,
    })),
    total,
    page,
    pageSize,
  };
}

export async function getSurvey(db: Db, p: Principal, id: number): Promise<Survey> {
  return toSurvey(db, p, await surveyOr404(db, id));
}

// ---- builder ----

function checkInput(body: SurveyInput): void {
  validateDefinition(body.sections, false);
  if (body.kind === 'event' && !body.triggerEvent) throw new Invalid('survey.trigger_required', 'An event survey names the event that sends it', { path: '/triggerEvent' });
  if (body.kind === 'campaign' && body.triggerEvent) throw new Invalid('survey.trigger_unexpected', 'Only an event survey has a trigger event', { path: '/triggerEvent' });
  if (body.opensAt && body.closesAt && Date.parse(body.closesAt) <= Date.parse(body.opensAt)) {
    throw new Invalid('survey.times', 'The survey must close after it opens', { path: '/closesAt' });
  }
}

/** The targeting as stored: fixed key order, empty lists left out, lists sorted, so equal targetings compare equal. */
export function canonicalTarget(t: Target): string {
  const list = <T extends string | number>(l: T[] | undefined) => (l && l.length ? [...new Set(l)].sort() : undefined);
  return JSON.stringify({
    all: t.all,
    classIds: list(t.classIds),
    provinces: list(t.provinces),
    varieties: list(t.varieties),
    grades: list(t.grades),
    customerIds: list(t.customerIds),
  });
}

function rowFields(body: SurveyInput) {
  return {
    title: body.title.trim(),
    introduction: body.introduction,
    kind: body.kind,
    trigger_event: body.kind === 'event' ? (body.triggerEvent ?? null) : null,
    answer_per: body.answerPer,
    anonymous: body.anonymous,
    opens_at: body.opensAt ? toDbTime(new Date(body.opensAt)) : null,
    closes_at: body.closesAt ? toDbTime(new Date(body.closesAt)) : null,
    target: canonicalTarget(body.target),
    definition: JSON.stringify(body.sections),
  };
}

export async function createSurvey(trx: Knex.Transaction, p: Principal, actor: Actor, body: SurveyInput): Promise<Survey> {
  checkInput(body);
  const now = toDbTime(new Date());
  const id = await store.insertSurvey(trx, { ...rowFields(body), state: 'draft', version: 1, previous_id: null, created_by: p.username, created_at: now, updated_at: now, opened_at: null, closed_at: null });
  await audit(trx, actor, { action: 'survey.created', entity: 'survey', entityId: id, details: { title: body.title } });
  return getSurvey(trx, p, id);
}

/**
 * Changes a survey. A draft changes freely. Once published, who is asked and how (kind, targeting, answer rule,
 * anonymity, opening time) stays as published, and once answers exist no question may be removed or change its
 * type: answers would lose their meaning. Staff make a new version instead.
 */
export async function updateSurvey(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, body: SurveyInput): Promise<Survey> {
  checkInput(body);
  const r = await surveyOr404(trx, id);
  if (r.state === 'closed') throw new Conflict('survey.closed', 'A closed survey cannot change; make a new version');
  const next = rowFields(body);
  if (r.state !== 'draft') {
    const locked = (['kind', 'trigger_event', 'answer_per', 'opens_at'] as const).filter((k) => String(next[k]) !== String(r[k]));
    if (next.target !== canonicalTarget(JSON.parse(r.target) as Target)) locked.push('target' as never);
    if (Boolean(r.anonymous) !== body.anonymous) locked.push('anonymous' as never);
    if (r.state === 'open' && next.opens_at !== r.opens_at) locked.push('opens_at');
    if (locked.length) throw new Conflict('survey.published_locked', 'Who is asked and how cannot change after publishing', { fields: [...new Set(locked)] });
    if (await store.hasSubmitted(trx, id)) {
      const after = new Map(questionsOf(body.sections).map((q) => [q.id, q.type]));
      const lost = questionsOf(sectionsOf(r)).filter((q) => after.get(q.id) !== q.type).map((q) => q.id);
      if (lost.length) throw new Conflict('survey.has_answers', 'Answers exist: questions cannot be removed or change type; make a new version instead', { questionIds: lost });
    }
  }
  if (!(await store.updateSurvey(trx, id, r.state, { ...next, updated_at: toDbTime(new Date()) }))) throw new Conflict('survey.state_changed', 'The survey changed meanwhile, reload it');
  await audit(trx, actor, { action: 'survey.updated', entity: 'survey', entityId: id, details: { state: r.state } });
  return getSurvey(trx, p, id);
}

/** A new draft version of a survey, with the same questions, to change freely; the old one keeps its answers. */
export async function newVersion(trx: Knex.Transaction, p: Principal, actor: Actor, id: number): Promise<Survey> {
  const r = await surveyOr404(trx, id);
  const now = toDbTime(new Date());
  const { id: _old, ...copy } = r;
  const newId = await store.insertSurvey(trx, {
    ...copy,
    state: 'draft',
    version: r.version + 1,
    previous_id: r.id,
    opens_at: null,
    closes_at: null,
    created_by: p.username,
    created_at: now,
    updated_at: now,
    opened_at: null,
    closed_at: null,
  });
  await audit(trx, actor, { action: 'survey.versioned', entity: 'survey', entityId: newId, details: { from: id, version: r.version + 1 } });
  return getSurvey(trx, p, newId);
}

// ---- targeting ----

const hasList = (l: unknown[] | undefined) => Array.isArray(l) && l.length > 0;

/** Whether a customer is in the target: all active customers, or those matching every list given, or hand-picked. */
export function matches(t: Target, c: TargetingRow): boolean {
  if (!c.active) return false;
  if (t.all) return true;
  if (hasList(t.customerIds) && !t.customerIds!.includes(c.id)) return false;
  if (hasList(t.classIds) && (c.class_id === null || !t.classIds!.includes(c.class_id))) return false;
  if (hasList(t.provinces) && !t.provinces!.some((pr) => (c.province ?? '').startsWith(pr))) return false;
  if (hasList(t.varieties) && !t.varieties!.some((v) => c.varieties.includes(v))) return false;
  if (hasList(t.grades) && (c.grade === null || !t.grades!.includes(c.grade))) return false;
  return true;
}

const targetsSomething = (t: Target) => t.all || [t.classIds, t.provinces, t.varieties, t.grades, t.customerIds].some(hasList);

export async function targetCustomers(db: Db, t: Target): Promise<TargetingRow[]> {
  if (!targetsSomething(t)) return [];
  const rows = await targetingRows(db, hasList(t.customerIds) && !t.all ? { ids: t.customerIds } : {});
  return rows.filter((c) => matches(t, c));
}

export async function targetCount(db: Db, t: Target): Promise<{ customers: number }> {
  return { customers: (await targetCustomers(db, t)).length };
}

// ---- publishing and the scheduler ----

const chinaTime = (d: Date) => new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short', hour12: false }).format(d);

/** Publishes a draft: checked complete, then scheduled, or opened at once when its opening time has come. */
export async function publish(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, now = new Date()): Promise<Survey> {
  const r = await surveyOr404(trx, id);
  if (r.state !== 'draft') throw new Conflict('survey.wrong_state', `The survey is ${r.state}; only a draft is published`, { state: r.state });
  validateDefinition(sectionsOf(r));
  const target = JSON.parse(r.target) as Target;
  if (r.kind === 'campaign') {
    if (!r.opens_at || !r.closes_at) throw new Invalid('survey.times_required', 'Set the opening and closing times first');
    if (fromDbTime(r.closes_at)! <= now.toISOString()) throw new Invalid('survey.times', 'The closing time has passed');
    if (!targetsSomething(target)) throw new Invalid('survey.target_required', 'Choose whom to ask');
  }
  const openNow = !r.opens_at || fromDbTime(r.opens_at)! <= now.toISOString();
  await move(trx, r, 'scheduled');
  await audit(trx, actor, { action: 'survey.published', entity: 'survey', entityId: id, details: { opensAt: fromDbTime(r.opens_at), closesAt: fromDbTime(r.closes_at) } });
  if (openNow) await openSurvey(trx, id, now);
  return getSurvey(trx, p, id);
}

export async function closeSurvey(trx: Knex.Transaction, p: Principal, actor: Actor, id: number): Promise<Survey> {
  const r = await surveyOr404(trx, id);
  await move(trx, r, 'closed', { closed_at: toDbTime(new Date()) });
  await audit(trx, actor, { action: 'survey.closed', entity: 'survey', entityId: id });
  return getSurvey(trx, p, id);
}

/**
 * Opens a scheduled survey: a campaign's targeting becomes its invitations and each invited customer is told
 * (in-app and SMS). The state move is conditional and each invitation is marked notified once, so running it
 * twice, or in two processes, notifies once.
 */
async function openSurvey(trx: Knex.Transaction, id: number, now: Date): Promise<number> {
  const r = await surveyOr404(trx, id);
  if (r.state !== 'scheduled') return 0;
  await move(trx, r, 'open', { opened_at: toDbTime(now) });
  if (r.kind !== 'campaign') return 0;
  for (const c of await targetCustomers(trx, JSON.parse(r.target) as Target)) {
    // No closing time of its own: a campaign's invitations close with the survey, whose time staff may still move.
    await store.insertInvitation(trx, { survey_id: id, customer_id: c.id, event: null, ref: '', closes_at: null, created_at: toDbTime(now) });
  }
  return notifyInvited(trx, r, now);
}

async function notifyInvited(trx: Knex.Transaction, r: SurveyRow, now: Date): Promise<number> {
  let n = 0;
  for (const inv of await store.invitationsToNotify(trx, r.id)) {
    if (!(await store.markInvitation(trx, inv.id, 'notified_at', toDbTime(now)))) continue;
    const closes = fromDbTime(inv.closes_at ?? r.closes_at);
    await notify(trx, {
      organisationId: inv.customer_id,
      kind: 'survey.invited',
      template: 'survey_invitation',
      params: { title: r.title, closesAt: closes ? chinaTime(new Date(closes)) : '-' },
      link: `/surveys/answer/${inv.id}`,
      sms: true,
      idempotencyKey: `survey.invited:${inv.id}`,
    });
    n++;
  }
  return n;
}

/** The respondent key of a caller on an invitation: one answer per organisation or per user (per event for event surveys). */
function respondentKey(r: { kind: string; answer_per: SurveyRow['answer_per'] }, inv: store.InvitationRow, p: Pick<Principal, 'organisationId' | 'userId'>): string {
  const who = r.answer_per === 'user' ? `u:${p.userId}` : `o:${p.organisationId}`;
  if (r.kind === 'event') return r.answer_per === 'user' ? `i:${inv.id}:${who}` : `i:${inv.id}`;
  return who;
}

/** Reminders to invited customers (or users, per-user surveys) with no submitted answer, once, `reminderHours` before closing. */
async function remind(trx: Knex.Transaction, r: SurveyRow, settings: SurveySettings, now: Date): Promise<number> {
  const done = await store.submittedKeys(trx, r.id);
  let n = 0;
  for (const inv of await store.invitationsToRemind(trx, r.id)) {
    const closes = fromDbTime(inv.closes_at ?? r.closes_at);
    if (!closes) continue;
    const left = Date.parse(closes) - now.getTime();
    if (left <= 0 || left > settings.reminderHours * 3600_000) continue;
    if (!(await store.markInvitation(trx, inv.id, 'reminded_at', toDbTime(now)))) continue;
    const base = { kind: 'survey.reminder', template: 'survey_reminder' as const, params: { title: r.title, closesAt: chinaTime(new Date(closes)) }, link: `/surveys/answer/${inv.id}`, sms: true, idempotencyKey: `survey.reminder:${inv.id}` };
    if (r.answer_per === 'organisation') {
      if (done.has(respondentKey(r, inv, { organisationId: inv.customer_id, userId: 0 }))) continue;
      await notify(trx, { ...base, organisationId: inv.customer_id });
    } else {
      const users = (await recipientsOfOrganisation(trx, inv.customer_id)).filter((u) => !done.has(respondentKey(r, inv, { organisationId: inv.customer_id, userId: u.id })));
      if (!users.length) continue;
      await notify(trx, { ...base, userIds: users.map((u) => u.id) });
    }
    n++;
  }
  return n;
}

export interface TickResult {
  opened: number;
  closed: number;
  notified: number;
  reminded: number;
}

/** The scheduler's job: opens what is due, closes what is due, sends notices and reminders. Idempotent. */
export async function tick(db: Knex, settings: SurveySettings, now = new Date()): Promise<TickResult> {
  const out: TickResult = { opened: 0, closed: 0, notified: 0, reminded: 0 };
  const at = toDbTime(now);
  for (const r of await store.dueToOpen(db, at)) {
    await db
      .transaction(async (trx) => {
        const before = await store.findSurvey(trx, r.id);
        if (before?.state !== 'scheduled') return;
        out.notified += await openSurvey(trx, r.id, now);
        await audit(trx, systemActor('surveys'), { action: 'survey.opened', entity: 'survey', entityId: r.id });
        out.opened++;
      })
      .catch((err: unknown) => {
        // Another instance's tick opened it between our read and our conditional update: its invitations stand, ours rolled back.
        if (!(err instanceof Conflict && err.code === 'survey.state_changed')) throw err;
      });
  }
  for (const r of await store.dueToClose(db, at)) {
    await db.transaction(async (trx) => {
      if (!(await store.updateSurvey(trx, r.id, 'open', { state: 'closed', closed_at: at, updated_at: at }))) return;
      await audit(trx, systemActor('surveys'), { action: 'survey.closed', entity: 'survey', entityId: r.id });
      out.closed++;
    });
  }
  for (const r of await db('surveys').where('state', 'open')) {
    await db.transaction(async (trx) => {
      out.notified += await notifyInvited(trx, r as SurveyRow, now);
      out.reminded += await remind(trx, r as SurveyRow, settings, now);
    });
  }
  return out;
}

// ---- event-triggered surveys ----

export interface SurveyEventInput {
  event: SurveyEvent;
  customerId: number;
  /** what happened, e.g. delivery_note:D123 or feedback:42: the same ref invites once */
  ref: string;
}

export type EventOutcome = { invited: true; invitationId: number } | { invited: false; reason: 'no_survey' | 'not_targeted' | 'duplicate' | 'interval' };

/**
 * After a contract is completed, a delivery received or a feedback item resolved, the customer gets the newest open
 * event survey for that event, unless it was invited by an event in the last `minIntervalDays` days (config).
 */
export async function onEvent(db: Db, settings: SurveySettings, input: SurveyEventInput, now = new Date()): Promise<EventOutcome> {
  if (!(db as Knex.Transaction).isTransaction) return (db as Knex).transaction((trx) => onEvent(trx, settings, input, now));
  const trx = db as Knex.Transaction;
  const r = await store.openEventSurvey(trx, input.event);
  if (!r) return { invited: false, reason: 'no_survey' };
  const [c] = await targetingRows(trx, { ids: [input.customerId] });
  if (!c || !matches(JSON.parse(r.target) as Target, c)) return { invited: false, reason: 'not_targeted' };
  const ref = input.ref.slice(0, 100);
  if (await trx('survey_invitations').where({ survey_id: r.id, customer_id: c.id, ref }).first('id')) return { invited: false, reason: 'duplicate' };
  const last = await store.lastEventInvitation(trx, c.id);
  if (last && Date.parse(fromDbTime(last)!) > now.getTime() - settings.minIntervalDays * 86400_000) return { invited: false, reason: 'interval' };
  let closes = now.getTime() + settings.eventAnswerDays * 86400_000;
  if (r.closes_at) closes = Math.min(closes, Date.parse(fromDbTime(r.closes_at)!));
  const id = await store.insertInvitation(trx, { survey_id: r.id, customer_id: c.id, event: input.event, ref, closes_at: toDbTime(new Date(closes)), created_at: toDbTime(now) });
  if (id === null) return { invited: false, reason: 'duplicate' };
  await notifyInvited(trx, r, now);
  await audit(trx, systemActor('surveys'), { action: 'survey.event_invited', entity: 'survey', entityId: r.id, details: { ...input, invitationId: id } });
  return { invited: true, invitationId: id };
}

const PAGE = 200;
/** ERP documents that complete a contract or deliver goods: a sales order the ERP closed (shipped and settled in
 * full), and every delivery note, each the first time the portal sees it while an event survey for it is open. */
const ERP_EVENTS = [
  { iface: 'sales_order' as const, event: 'contract_completed' as const, ref: (p: Record<string, unknown>) => (p.status === 'closed' ? `sales_order:${p.orderNo}` : null) },
  { iface: 'delivery_note' as const, event: 'delivery_received' as const, ref: (p: Record<string, unknown>) => `delivery_note:${p.deliveryNo}` },
];

/** Reads the sales orders and delivery notes synced since its cursor and sends the event surveys they call for. */
export async function erpEvents(db: Knex, settings: SurveySettings, now = new Date()): Promise<{ invited: number }> {
  let invited = 0;
  for (const e of ERP_EVENTS) {
    const cursorName = `erp.${e.iface}`;
    const saved = await store.readState(db, cursorName);
    let after: { syncedAt: string; docKey: string } | null = saved ? (JSON.parse(saved) as { syncedAt: string; docKey: string }) : null;
    for (;;) {
      const docs = await documentsSyncedSince(db, e.iface, after?.syncedAt ?? '1970-01-01 00:00:00.000', after, PAGE);
      if (!docs.length) break;
      const survey = await store.openEventSurvey(db, e.event);
      await db.transaction(async (trx) => {
        const wanted = docs
          .filter((d) => survey?.opened_at && d.syncedAt >= survey.opened_at && !d.deleted && d.payload)
          .map((d) => ({ d, p: JSON.parse(d.payload!) as Record<string, unknown> }))
          .map(({ p }) => ({ code: String(p.customerCode), ref: e.ref(p) }))
          .filter((x): x is { code: string; ref: string } => x.ref !== null);
        const customers = new Map((await targetingRows(trx, { codes: [...new Set(wanted.map((w) => w.code))] })).map((c) => [c.code, c.id]));
        for (const w of wanted) {
          const customerId = customers.get(w.code);
          if (customerId === undefined) continue;
          const o = await onEvent(trx, settings, { event: e.event, customerId, ref: w.ref }, now);
          if (o.invited) invited++;
        }
        const last = docs[docs.length - 1];
        after = { syncedAt: last.syncedAt, docKey: last.docKey };
        await store.writeState(trx, cursorName, JSON.stringify(after));
      });
      if (docs.length < PAGE) break;
    }
  }
  return { invited };
}

// ---- customers ----

function effectiveCloses(r: { closes_at: string | null }, inv: { closes_at: string | null }): string | null {
  return fromDbTime(inv.closes_at ?? r.closes_at);
}

function isAnswerable(r: { state: string; closes_at: string | null }, inv: { closes_at: string | null }, now: Date): boolean {
  const closes = effectiveCloses(r, inv);
  return r.state === 'open' && (!closes || Date.parse(closes) > now.getTime());
}

export async function myInvitations(db: Db, p: Principal, now = new Date(), onlyId?: number): Promise<InvitationList> {
  const rows = await store.myInvitations(db, p.organisationId, onlyId);
  const keys = rows.map((i) => respondentKey(i, i, p));
  const responses = await store.responsesByKeys(db, [...new Set(rows.map((r) => r.survey_id))], keys);
  const items = rows.map((i): Invitation => {
    const resp = responses.find((x) => x.survey_id === i.survey_id && x.respondent_key === respondentKey(i, i, p));
    const open = isAnswerable({ state: i.survey_state, closes_at: i.survey_closes_at }, i, now);
    return {
      id: i.id,
      surveyId: i.survey_id,
      title: i.title,
      introduction: i.introduction,
      anonymous: Boolean(i.anonymous),
      answerPer: i.answer_per,
      closesAt: effectiveCloses({ closes_at: i.survey_closes_at }, i),
      state: resp?.state === 'submitted' ? 'submitted' : !open ? 'closed' : resp ? 'draft' : 'new',
      event: (i.event as SurveyEvent | null) ?? null,
      ref: i.ref,
      submittedAt: fromDbTime(resp?.submitted_at),
    };
  });
  // Open ones first, then the answered and the closed.
  const order = { new: 0, draft: 0, submitted: 1, closed: 2 };
  return { items: items.sort((a, b) => order[a.state] - order[b.state] || b.id - a.id) };
}

async function invitationOr404(db: Db, p: Principal, id: number) {
  // The caller's organisation is in the query: another customer's invitation is simply not found.
  const inv = await store.findInvitation(db, p.organisationId, id);
  if (!inv) throw new NotFound('survey.invitation_not_found', 'Survey not found');
  const r = await surveyOr404(db, inv.survey_id);
  if (r.state === 'draft' || r.state === 'scheduled') throw new NotFound('survey.invitation_not_found', 'Survey not found');
  return { inv, r };
}

export async function getInvitation(db: Db, p: Principal, id: number, now = new Date()): Promise<InvitationDetail> {
  const { r, inv } = await invitationOr404(db, p, id);
  const [item] = (await myInvitations(db, p, now, id)).items;
  const resp = await store.findResponse(db, r.id, respondentKey(r, inv, p));
  return { invitation: item!, sections: sectionsOf(r), answers: resp ? (JSON.parse(resp.answers) as Answers) : {} };
}

async function writable(trx: Knex.Transaction, p: Principal, id: number, now: Date) {
  const { inv, r } = await invitationOr404(trx, p, id);
  const key = respondentKey(r, inv, p);
  const existing = await store.findResponse(trx, r.id, key);
  if (existing?.state === 'submitted') throw new Conflict('survey.already_answered', 'This survey has already been answered', { submittedAt: fromDbTime(existing.submitted_at) });
  if (!isAnswerable(r, inv, now)) throw new Conflict('survey.closed', 'The survey is closed: answers are no longer accepted');
  return { inv, r, key, existing };
}

/** Saves unfinished answers (checked for shape, not completeness); a draft is shared by the organisation when it answers once. */
export async function saveDraft(trx: Knex.Transaction, p: Principal, id: number, input: Answers, now = new Date()): Promise<InvitationDetail> {
  const { inv, r, key, existing } = await writable(trx, p, id, now);
  const answers = JSON.stringify(checkAnswers(sectionsOf(r), input, false));
  const at = toDbTime(now);
  if (existing) {
    if (!(await store.updateDraft(trx, r.id, key, { answers, user_id: p.userId, updated_at: at }))) throw new Conflict('survey.already_answered', 'This survey has already been answered');
  } else if (!(await store.insertResponse(trx, { survey_id: r.id, invitation_id: inv.id, customer_id: p.organisationId, user_id: p.userId, respondent_key: key, state: 'draft', answers, created_at: at, updated_at: at, submitted_at: null }))) {
    throw new Conflict('survey.draft_conflict', 'Someone else saved answers at the same moment; reload and try again');
  }
  return getInvitation(trx, p, id, now);
}

/**
 * Submits the answers, once: the unique respondent key and the conditional draft-to-submitted update let exactly
 * one of two concurrent submits through; the other gets 409 survey.already_answered.
 */
export async function submit(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, input: Answers, now = new Date()): Promise<InvitationDetail> {
  const { inv, r, key, existing } = await writable(trx, p, id, now);
  const answers = JSON.stringify(checkAnswers(sectionsOf(r), input, true));
  const at = toDbTime(now);
  const row = { answers, user_id: p.userId, state: 'submitted' as const, updated_at: at, submitted_at: at };
  const done = existing
    ? await store.updateDraft(trx, r.id, key, row)
    : (await store.insertResponse(trx, { survey_id: r.id, invitation_id: inv.id, customer_id: p.organisationId, respondent_key: key, created_at: at, ...row })) ||
      (await store.updateDraft(trx, r.id, key, row));
  if (!done) throw new Conflict('survey.already_answered', 'This survey has already been answered');
  // An anonymous answer's audit row names the survey, not the answer, so the log does not tie the two together.
  await audit(trx, actor, { action: 'survey.answered', entity: 'survey', entityId: r.id, details: r.anonymous ? { anonymous: true } : { invitationId: inv.id } });
  return getInvitation(trx, p, id, now);
}

// ---- results ----

const toInput = (x: store.ResponseRow): stats.ResponseInput => ({ customerId: Number(x.customer_id), submittedAt: fromDbTime(x.submitted_at)!, answers: JSON.parse(x.answers) as Answers });

/** The results within the caller's reach: account managers see their customers' answers only. */
export async function results(db: Db, p: Principal, id: number, search = ''): Promise<SurveyResults> {
  const r = await surveyOr404(db, id);
  const sections = sectionsOf(r);
  const questions = questionsOf(sections);
  const responses = (await store.submittedResponses(db, p, id)).map(toInput);
  const invited = (await store.invitedInReach(db, p, id)).map((x) => Number(x.customer_id));
  const ids = [...new Set([...invited, ...responses.map((x) => x.customerId)])];
  const attrs = new Map(
    (await targetingRows(db, { ids })).map((c): [number, stats.CustomerAttributes] => [c.id, { classCode: c.class_code, className: c.class_name, province: c.province, varieties: c.varieties }]),
  );
  return {
    surveyId: id,
    title: r.title,
    anonymous: Boolean(r.anonymous),
    responses: responses.length,
    rate: stats.rate(invited.length, new Set(responses.filter((x) => invited.includes(x.customerId)).map((x) => x.customerId)).size),
    // An anonymous survey's text answers carry only their day: the minute could say who wrote them.
    questions: questions.map((q) => stats.questionResult(q, questions, responses, search)).map((q) => (r.anonymous && q.texts ? { ...q, texts: q.texts.map((x) => ({ ...x, submittedAt: `${x.submittedAt.slice(0, 10)}T00:00:00.000Z` })) } : q)),
    trend: stats.trend(sections, responses),
    breakdown: {
      class: stats.breakdown(sections, invited, responses, attrs, stats.byClass),
      province: stats.breakdown(sections, invited, responses, attrs, stats.byProvince),
      variety: stats.breakdown(sections, invited, responses, attrs, stats.byVariety),
    },
  };
}

const chinaIso = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');

/**
 * Raw answers as CSV (UTF-8 with BOM, so that Excel reads the Chinese). Anonymous surveys leave out everything that
 * could say who answered: customer, user, class, province, and the time (only the day is kept); rows are shuffled
 * out of submission order by sorting on the answers' day only.
 */
export async function exportCsv(db: Db, p: Principal, id: number): Promise<string> {
  const r = await surveyOr404(db, id);
  const questions = questionsOf(sectionsOf(r));
  const rows = await store.submittedResponses(db, p, id);
  const anonymous = Boolean(r.anonymous);
  const customers = anonymous ? new Map<number, TargetingRow>() : new Map((await targetingRows(db, { ids: [...new Set(rows.map((x) => Number(x.customer_id)))] })).map((c) => [c.id, c]));
  const header = ['no', anonymous ? 'submitted_date' : 'submitted_at', ...(anonymous ? [] : ['customer_code', 'customer_name', 'user_id', 'class', 'province'])];
  for (const q of questions) {
    if (q.type === 'matrix') for (const item of q.items!) header.push(`${q.id}.${item.id} ${q.title} / ${item.label}`);
    else header.push(`${q.id} ${q.title}`);
  }
  const label = (q: (typeof questions)[number], v: unknown) => q.options?.find((o) => o.id === v)?.label ?? String(v);
  const ordered = anonymous ? [...rows].sort((a, b) => (chinaIso(fromDbTime(a.submitted_at)!).slice(0, 10) < chinaIso(fromDbTime(b.submitted_at)!).slice(0, 10) ? -1 : 1) || a.answers.localeCompare(b.answers)) : rows;
  const lines = ordered.map((x, i) => {
    const a = JSON.parse(x.answers) as Answers;
    const when = chinaIso(fromDbTime(x.submitted_at)!);
    const c = customers.get(Number(x.customer_id));
    const cells: unknown[] = [i + 1, anonymous ? when.slice(0, 10) : when, ...(anonymous ? [] : [c?.code, c?.name, x.user_id, c?.class_name, c?.province])];
    for (const q of questions) {
      const v = a[q.id];
      if (q.type === 'matrix') for (const item of q.items!) cells.push((v as Record<string, number> | undefined)?.[item.id] ?? '');
      else if (v === undefined) cells.push('');
      else if (Array.isArray(v)) cells.push(v.map((o) => label(q, o)).join('; '));
      else cells.push(q.type === 'single' ? label(q, v) : v);
    }
    return cells;
  });
  return csvText([header, ...lines]);
}
