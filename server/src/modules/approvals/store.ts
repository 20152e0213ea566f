// Data access for the approval engine's tables (rules, versions, approvals, actions) and the staff it routes to.
import type { Knex } from 'knex';
import { STAFF_ROLES } from '../../../../shared/roles.js';
import type { ApprovalState, Decision, RuleConditions, RuleStep, SubjectType } from '../../../../shared/api/approvals.js';
import { forUpdate } from '../../db/knex.js';

type Db = Knex | Knex.Transaction;

export interface RuleRow {
  id: number;
  name: string;
  priority: number;
  active: boolean;
  is_default: boolean;
  current_version: number;
}

export interface VersionRow {
  rule_id: number;
  version: number;
  conditions: RuleConditions;
  steps: RuleStep[];
  created_by_name: string | null;
  created_at: string;
}

export interface ApprovalRow {
  id: number;
  subject_type: SubjectType;
  subject_id: number;
  round: number;
  customer_id: number;
  rule_id: number;
  rule_version: number;
  state: ApprovalState;
  current_step: number;
  facts: string;
  created_at: string;
  decided_at: string | null;
}

export interface ActionRow {
  approval_id: number;
  step: number;
  user_id: number;
  username: string;
  role: string;
  action: Decision;
  comment: string | null;
  at: string;
}

export interface StaffRow {
  id: number;
  username: string;
  display_name: string;
  role: string;
}

const bool = (v: unknown) => v === true || v === 1 || v === '1';

const toRule = (r: Record<string, unknown>): RuleRow => ({
  id: Number(r.id),
  name: String(r.name),
  priority: Number(r.priority),
  active: bool(r.active),
  is_default: bool(r.is_default),
  current_version: Number(r.current_version),
});

const toVersion = (r: Record<string, unknown>): VersionRow => ({
  rule_id: Number(r.rule_id),
  version: Number(r.version),
  conditions: JSON.parse(String(r.conditions)) as RuleConditions,
  steps: JSON.parse(String(r.steps)) as RuleStep[],
  created_by_name: (r.created_by_name as string | null) ?? null,
  created_at: String(r.created_at),
});

// ---- rules ----

export async function listRules(db: Db): Promise<RuleRow[]> {
  return (await db('approval_rules').select('*').orderBy([{ column: 'is_default' }, { column: 'priority' }, { column: 'id' }])).map(toRule);
}

export async function findRule(db: Db, id: number): Promise<RuleRow | undefined> {
  const r = await db('approval_rules').where('id', id).first();
  return r ? toRule(r) : undefined;
}

export async function listVersions(db: Db, ruleIds: number[]): Promise<VersionRow[]> {
  if (!ruleIds.length) return [];
  return (await db('approval_rule_versions').whereIn('rule_id', ruleIds).orderBy([{ column: 'rule_id' }, { column: 'version', order: 'desc' }])).map(toVersion);
}

export async function findVersion(db: Db, ruleId: number, version: number): Promise<VersionRow | undefined> {
  const r = await db('approval_rule_versions').where({ rule_id: ruleId, version }).first();
  return r ? toVersion(r) : undefined;
}

/** Active rules with their current version, in the order they are tried: by priority, then age; the default last. */
export async function activeRulesInOrder(db: Db): Promise<{ rule: RuleRow; version: VersionRow }[]> {
  const rows = await db('approval_rules as r')
    .join('approval_rule_versions as v', function () {
      this.on('v.rule_id', '=', 'r.id').andOn('v.version', '=', 'r.current_version');
    })
    .where('r.active', true)
    .orderBy([{ column: 'r.is_default' }, { column: 'r.priority' }, { column: 'r.id' }])
    .select('r.id', 'r.name', 'r.priority', 'r.active', 'r.is_default', 'r.current_version', 'v.rule_id', 'v.version', 'v.conditions', 'v.steps', 'v.created_by_name', 'v.created_at');
  return rows.map((r: Record<string, unknown>) => ({ rule: toRule(r), version: toVersion(r) }));
}

export async function insertRule(trx: Db, row: { name: string; priority: number; is_default: boolean; at: string }): Promise<number> {
  const [id] = await trx('approval_rules').insert({
    name: row.name,
    priority: row.priority,
    active: true,
    is_default: row.is_default,
    current_version: 1,
    created_at: row.at,
    updated_at: row.at,
  });
  return Number(id);
}

export async function updateRule(trx: Db, id: number, changes: Record<string, unknown>): Promise<void> {
  await trx('approval_rules').where('id', id).update(changes);
}

export async function insertVersion(
  trx: Db,
  row: { rule_id: number; version: number; conditions: RuleConditions; steps: RuleStep[]; created_by: number | null; created_by_name: string | null; created_at: string },
): Promise<void> {
  await trx('approval_rule_versions').insert({ ...row, conditions: JSON.stringify(row.conditions), steps: JSON.stringify(row.steps) });
}

// ---- staff they route to ----

/** Every active mill user, with their role: steps name roles and users, resolved against this list. */
export async function activeStaff(db: Db): Promise<StaffRow[]> {
  const rows = await db('users as u')
    .join('organisations as o', 'o.id', 'u.organisation_id')
    .where('u.active', true)
    .andWhere('o.kind', 'mill')
    .whereIn('u.role', [...STAFF_ROLES])
    .orderBy('u.id')
    .select('u.id', 'u.username', 'u.display_name', 'u.role');
  return rows.map((r: Record<string, unknown>) => ({ id: Number(r.id), username: String(r.username), display_name: String(r.display_name), role: String(r.role) }));
}

export async function customerInfo(db: Db, customerId: number): Promise<{ name: string; account_manager_id: number | null } | undefined> {
  const r = await db('organisations').where({ id: customerId, kind: 'customer' }).first('name', 'account_manager_id');
  return r ? { name: String(r.name), account_manager_id: r.account_manager_id === null ? null : Number(r.account_manager_id) } : undefined;
}

export async function customerNames(db: Db, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await db('organisations').whereIn('id', [...new Set(ids)]).select('id', 'name');
  return new Map(rows.map((r: { id: number; name: string }) => [Number(r.id), r.name]));
}

export async function accountManagers(db: Db, ids: number[]): Promise<Map<number, number | null>> {
  if (!ids.length) return new Map();
  const rows = await db('organisations').whereIn('id', [...new Set(ids)]).select('id', 'account_manager_id');
  return new Map(rows.map((r: { id: number; account_manager_id: number | null }) => [Number(r.id), r.account_manager_id === null ? null : Number(r.account_manager_id)]));
}

// ---- approvals ----

const toApproval = (r: Record<string, unknown>): ApprovalRow => ({
  id: Number(r.id),
  subject_type: r.subject_type as SubjectType,
  subject_id: Number(r.subject_id),
  round: Number(r.round),
  customer_id: Number(r.customer_id),
  rule_id: Number(r.rule_id),
  rule_version: Number(r.rule_version),
  state: r.state as ApprovalState,
  current_step: Number(r.current_step),
  facts: String(r.facts),
  created_at: String(r.created_at),
  decided_at: (r.decided_at as string | null) ?? null,
});

/**
 * One approval. With `lock` the row is read FOR UPDATE on MySQL/MariaDB, so deciders of one approval queue behind
 * each other and each sees the actions the one before committed (SQLite has one writer anyway).
 */
export async function findApproval(db: Db, id: number, opts: { lock?: boolean; customerId?: number } = {}): Promise<ApprovalRow | undefined> {
  const q = db('approvals').where('id', id);
  if (opts.customerId !== undefined) q.andWhere('customer_id', opts.customerId);
  if (opts.lock) forUpdate(db, q);
  const r = await q.first();
  return r ? toApproval(r) : undefined;
}

/** The newest approval of each subject (its live one, else its last round), by subject id. */
export async function latestApprovalIds(db: Db, subjectType: SubjectType, subjectIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let i = 0; i < subjectIds.length; i += 1000) {
    const rows: { subject_id: number; id: number }[] = await db('approvals')
      .where('subject_type', subjectType)
      .whereIn('subject_id', subjectIds.slice(i, i + 1000))
      .groupBy('subject_id')
      .select('subject_id')
      .max({ id: 'id' });
    for (const r of rows) out.set(Number(r.subject_id), Number(r.id));
  }
  return out;
}

export async function findLiveApproval(db: Db, subjectType: SubjectType, subjectId: number): Promise<ApprovalRow | undefined> {
  const r = await db('approvals').where({ live_key: `${subjectType}:${subjectId}` }).first();
  return r ? toApproval(r) : undefined;
}

export async function lastRound(db: Db, subjectType: SubjectType, subjectId: number): Promise<number> {
  const r = await db('approvals').where({ subject_type: subjectType, subject_id: subjectId }).max({ n: 'round' }).first();
  return r?.n === null || r?.n === undefined ? 0 : Number(r.n);
}

export async function insertApproval(trx: Db, row: Omit<ApprovalRow, 'id' | 'decided_at' | 'state' | 'current_step'>): Promise<number> {
  const [id] = await trx('approvals').insert({
    ...row,
    state: 'pending',
    current_step: 0,
    live_key: `${row.subject_type}:${row.subject_id}`,
    decided_at: null,
  });
  return Number(id);
}

/**
 * Moves an approval on only if it is still pending at the step the caller looked at; returns the rows changed
 * (0: someone else moved it first, and the caller must not act on what it read).
 */
export async function guardedMove(trx: Db, id: number, fromStep: number, to: { state: ApprovalState; current_step: number; decided_at: string | null }): Promise<number> {
  return trx('approvals')
    .where({ id, state: 'pending', current_step: fromStep })
    .update({ ...to, live_key: to.state === 'pending' ? trx.raw('live_key') : null });
}

export async function listPending(db: Db, customerIds?: number[]): Promise<ApprovalRow[]> {
  const q = db('approvals').where('state', 'pending').orderBy('id');
  if (customerIds) q.whereIn('customer_id', customerIds);
  return (await q.select('*')).map(toApproval);
}

export async function insertAction(trx: Db, row: ActionRow): Promise<void> {
  await trx('approval_actions').insert(row);
}

export async function listActions(db: Db, approvalIds: number[]): Promise<ActionRow[]> {
  if (!approvalIds.length) return [];
  const rows = await db('approval_actions').whereIn('approval_id', approvalIds).orderBy('id');
  return rows.map((r: Record<string, unknown>) => ({
    approval_id: Number(r.approval_id),
    step: Number(r.step),
    user_id: Number(r.user_id),
    username: String(r.username),
    role: String(r.role),
    action: r.action as Decision,
    comment: (r.comment as string | null) ?? null,
    at: String(r.at),
  }));
}
