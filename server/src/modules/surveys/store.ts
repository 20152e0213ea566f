// Data access for the Surveys module's tables: surveys, invitations, responses and the ERP event cursor. Plain typed
// rows; a customer's reach is applied in the query (customer_id = its organisation).
import type { Knex } from 'knex';
import { scopeToCustomers, type Principal } from '../../plugins/access.js';
import { forUpdate, isDuplicateKey } from '../../db/knex.js';

type Db = Knex | Knex.Transaction;

export interface SurveyRow {
  id: number;
  title: string;
  introduction: string;
  kind: 'campaign' | 'event';
  trigger_event: string | null;
  answer_per: 'organisation' | 'user';
  anonymous: number | boolean;
  opens_at: string | null;
  closes_at: string | null;
  target: string;
  definition: string;
  state: 'draft' | 'scheduled' | 'open' | 'closed';
  version: number;
  previous_id: number | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  opened_at: string | null;
  closed_at: string | null;
}

export interface InvitationRow {
  id: number;
  survey_id: number;
  customer_id: number;
  event: string | null;
  ref: string;
  closes_at: string | null;
  created_at: string;
  notified_at: string | null;
  reminded_at: string | null;
}

export interface ResponseRow {
  id: number;
  survey_id: number;
  invitation_id: number;
  customer_id: number;
  user_id: number;
  respondent_key: string;
  state: 'draft' | 'submitted';
  answers: string;
  created_at: string;
  updated_at: string;
  submitted_at: string | null;
}

export async function insertSurvey(trx: Db, row: Omit<SurveyRow, 'id'>): Promise<number> {
  const [id] = await trx('surveys').insert(row);
  return Number(id);
}

export const findSurvey = (db: Db, id: number): Promise<SurveyRow | undefined> => db('surveys').where('id', id).first();

export async function updateSurvey(trx: Db, id: number, fromState: SurveyRow['state'], changes: Partial<SurveyRow>): Promise<boolean> {
  return (await trx('surveys').where({ id, state: fromState }).update(changes)) === 1;
}

export async function listSurveys(db: Db, q: { state?: string; page: number; pageSize: number }): Promise<{ rows: SurveyRow[]; total: number }> {
  const base = db('surveys').modify((x) => {
    if (q.state) x.where('state', q.state);
  });
  const [{ n }] = await base.clone().count({ n: '*' });
  const rows = await base.clone().orderBy('id', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize);
  return { rows, total: Number(n) };
}

/** Invited customers and submitted responses per survey, within the caller's reach (account managers: their customers). */
export async function countsOf(db: Db, p: Principal, ids: number[]): Promise<Map<number, { invited: number; responses: number }>> {
  const out = new Map<number, { invited: number; responses: number }>(ids.map((id) => [id, { invited: 0, responses: 0 }]));
  if (!ids.length) return out;
  const inv = await scopeToCustomers(db('survey_invitations').whereIn('survey_id', ids), p, 'customer_id').groupBy('survey_id').select('survey_id').countDistinct({ n: 'customer_id' });
  const res = await scopeToCustomers(db('survey_responses').whereIn('survey_id', ids).where('state', 'submitted'), p, 'customer_id').groupBy('survey_id').select('survey_id').count({ n: '*' });
  for (const r of inv as { survey_id: number; n: number | string }[]) out.get(Number(r.survey_id))!.invited = Number(r.n);
  for (const r of res as { survey_id: number; n: number | string }[]) out.get(Number(r.survey_id))!.responses = Number(r.n);
  return out;
}

export async function hasSubmitted(db: Db, surveyId: number): Promise<boolean> {
  return !!(await db('survey_responses').where({ survey_id: surveyId, state: 'submitted' }).first('id'));
}

/** Surveys whose time has come: scheduled ones to open, open ones to close. */
export const dueToOpen = (db: Db, now: string): Promise<SurveyRow[]> => db('surveys').where('state', 'scheduled').andWhere('opens_at', '<=', now);
export const dueToClose = (db: Db, now: string): Promise<SurveyRow[]> => db('surveys').where('state', 'open').whereNotNull('closes_at').andWhere('closes_at', '<=', now);
export const openCampaigns = (db: Db): Promise<SurveyRow[]> => db('surveys').where({ state: 'open', kind: 'campaign' });

/** The newest open event survey for an event. */
export const openEventSurvey = (db: Db, event: string): Promise<SurveyRow | undefined> =>
  db('surveys').where({ state: 'open', kind: 'event', trigger_event: event }).orderBy('id', 'desc').first();

/** Inserts an invitation unless the same (survey, customer, ref) exists; returns its id when it was created. */
export async function insertInvitation(trx: Db, row: Omit<InvitationRow, 'id' | 'notified_at' | 'reminded_at'>): Promise<number | null> {
  try {
    const [id] = await trx('survey_invitations').insert({ ...row, notified_at: null, reminded_at: null });
    return Number(id);
  } catch (err) {
    if (isDuplicateKey(err)) return null;
    throw err;
  }
}

export async function invitedCustomerIds(db: Db, surveyId: number): Promise<Set<number>> {
  const rows = await db('survey_invitations').where('survey_id', surveyId).distinct('customer_id');
  return new Set(rows.map((r: { customer_id: number }) => Number(r.customer_id)));
}

/** Marks an invitation notified (or reminded); true only for the call that did it, so a notice goes out once. */
export async function markInvitation(trx: Db, id: number, column: 'notified_at' | 'reminded_at', at: string): Promise<boolean> {
  return (await trx('survey_invitations').where('id', id).whereNull(column).update({ [column]: at })) === 1;
}

export const invitationsToNotify = (db: Db, surveyId: number): Promise<InvitationRow[]> =>
  db('survey_invitations').where('survey_id', surveyId).whereNull('notified_at').orderBy('id');
export const invitationsToRemind = (db: Db, surveyId: number): Promise<InvitationRow[]> =>
  db('survey_invitations').where('survey_id', surveyId).whereNotNull('notified_at').whereNull('reminded_at').orderBy('id');

/**
 * The latest event-triggered invitation of a customer, for the minimum interval between two. Takes the customer's
 * event lock first (a row of survey_state, held to the end of the transaction) and reads with a locking read, so two
 * concurrent events for one customer are decided one after the other, the second seeing the first's invitation.
 */
export async function lastEventInvitation(trx: Knex.Transaction, customerId: number): Promise<string | null> {
  await trx('survey_state').insert({ name: `event_lock:${customerId}`, value: '1' }).onConflict('name').merge();
  const r = await forUpdate(trx, trx('survey_invitations').where('customer_id', customerId).whereNotNull('event').max({ at: 'created_at' })).first();
  return (r?.at as string | null) ?? null;
}

/** A customer's invitation (its own organisation only, in the query). */
export const findInvitation = (db: Db, customerId: number, id: number): Promise<InvitationRow | undefined> =>
  db('survey_invitations').where({ id, customer_id: customerId }).first();

export interface MyInvitationRow extends InvitationRow {
  title: string;
  introduction: string;
  anonymous: number | boolean;
  answer_per: 'organisation' | 'user';
  survey_state: SurveyRow['state'];
  survey_closes_at: string | null;
  kind: string;
}

/** A customer's invitations to open and closed surveys, newest first (the latest 200), or the one with onlyId. */
export const myInvitations = (db: Db, customerId: number, onlyId?: number): Promise<MyInvitationRow[]> =>
  db('survey_invitations as i')
    .join('surveys as s', 's.id', 'i.survey_id')
    .where('i.customer_id', customerId)
    .modify((q) => {
      if (onlyId !== undefined) q.where('i.id', onlyId);
    })
    .whereIn('s.state', ['open', 'closed'])
    .orderBy('i.id', 'desc')
    .limit(200)
    .select('i.*', 's.title', 's.introduction', 's.anonymous', 's.answer_per', 's.state as survey_state', 's.closes_at as survey_closes_at', 's.kind');

export const findResponse = (db: Db, surveyId: number, key: string): Promise<ResponseRow | undefined> =>
  db('survey_responses').where({ survey_id: surveyId, respondent_key: key }).first();

export async function responsesByKeys(db: Db, surveyIds: number[], keys: string[]): Promise<ResponseRow[]> {
  if (!keys.length) return [];
  return db('survey_responses').whereIn('survey_id', surveyIds).whereIn('respondent_key', keys);
}

/** Inserts a response; false when one with the same respondent key exists (the unique index decides races). */
export async function insertResponse(trx: Db, row: Omit<ResponseRow, 'id'>): Promise<boolean> {
  try {
    await trx('survey_responses').insert(row);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** Updates a response still in draft; false when it was submitted meanwhile. */
export async function updateDraft(trx: Db, surveyId: number, key: string, changes: Partial<ResponseRow>): Promise<boolean> {
  return (await trx('survey_responses').where({ survey_id: surveyId, respondent_key: key, state: 'draft' }).update(changes)) === 1;
}

/** Submitted responses of a survey within the caller's reach, oldest first. */
export function submittedResponses(db: Db, p: Principal, surveyId: number): Promise<ResponseRow[]> {
  return scopeToCustomers(db('survey_responses').where({ survey_id: surveyId, state: 'submitted' }), p, 'customer_id').orderBy('submitted_at').orderBy('id');
}

export function invitedInReach(db: Db, p: Principal, surveyId: number): Promise<{ customer_id: number }[]> {
  return scopeToCustomers(db('survey_invitations').where('survey_id', surveyId), p, 'customer_id').distinct('customer_id');
}

/** Respondent keys that submitted, for reminders. */
export async function submittedKeys(db: Db, surveyId: number): Promise<Set<string>> {
  const rows = await db('survey_responses').where({ survey_id: surveyId, state: 'submitted' }).select('respondent_key');
  return new Set(rows.map((r: { respondent_key: string }) => r.respondent_key));
}

export async function readState(db: Db, name: string): Promise<string | null> {
  const r = await db('survey_state').where('name', name).first('value');
  return r ? String(r.value) : null;
}

export async function writeState(trx: Db, name: string, value: string): Promise<void> {
  await trx('survey_state').insert({ name, value }).onConflict('name').merge();
}
