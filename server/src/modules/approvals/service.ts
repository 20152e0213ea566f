// Approval engine (审核流转, Allocation issue): rule matching, versioned step chains, decisions by transition table with
// guarded updates, and the hook through which a subject's module learns the outcome in the same transaction.
import type { Knex } from 'knex';
import {
  MAX_STEPS,
  type Approval,
  type ApprovalFacts,
  type ApprovalQueue,
  type ApprovalRule,
  type ApprovalState,
  type CreateRuleBody,
  type DecisionBody,
  type Person,
  type ResolvedStep,
  type RoutePreview,
  type RuleConditions,
  type RuleList,
  type RuleStep,
  type SubjectType,
  type UpdateRuleBody,
} from '../../../../shared/api/approvals.js';
import { isCustomer, type Principal } from '../../plugins/access.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { fromDbTime, isDuplicateKey, nowDb } from '../../db/knex.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../errors.js';
import { classAndGrade, classes as customerClasses } from '../customers/service.js';
import { notify } from '../notifications/service.js';
import * as store from './store.js';

type Db = Knex | Knex.Transaction;

// ---- the state machine ----

/**
 * Every state change of an approval. pending → pending is a step advancing; approved, rejected, returned
 * (sent back to the customer, who submits again as a new round) and cancelled (the subject was withdrawn or
 * changed) are final.
 */
export const transitions: Record<ApprovalState, readonly ApprovalState[]> = {
  pending: ['pending', 'approved', 'rejected', 'returned', 'cancelled'],
  approved: [],
  rejected: [],
  returned: [],
  cancelled: [],
};

function checkTransition(from: ApprovalState, to: ApprovalState): void {
  if (!transitions[from].includes(to)) {
    throw new Conflict('approval.not_pending', `The approval is ${from} and cannot become ${to}`, { state: from });
  }
}

// ---- the outcome hook ----

export interface DecidedEvent {
  approvalId: number;
  subjectType: SubjectType;
  subjectId: number;
  round: number;
  customerId: number;
  outcome: 'approved' | 'rejected' | 'returned';
  /** the comment of the decisive action */
  comment: string | null;
  decidedBy: { userId: number; username: string };
}
export type DecidedHandler = (trx: Knex.Transaction, event: DecidedEvent, actor: Actor) => Promise<void>;

const handlers = new Map<SubjectType, Set<DecidedHandler>>();

/**
 * A subject's module registers here to learn the final outcome inside the deciding transaction (e.g. turn an
 * approved answer into an intent contract); a handler that throws rolls the decision back. Returns the unregister.
 */
export function onDecided(subjectType: SubjectType, fn: DecidedHandler): () => void {
  const set = handlers.get(subjectType) ?? new Set();
  set.add(fn);
  handlers.set(subjectType, set);
  return () => set.delete(fn);
}

/**
 * Takes the registered handlers of a subject type off until the returned function puts them back. For the engine's
 * own tests, which decide approvals of made-up subjects that no module owns.
 */
export function suspendHandlers(subjectType: SubjectType): () => void {
  const saved = handlers.get(subjectType);
  handlers.set(subjectType, new Set());
  return () => {
    const added = handlers.get(subjectType) ?? new Set();
    handlers.set(subjectType, new Set([...(saved ?? []), ...added]));
  };
}

/** The id of each subject's newest approval, for the subject's module to show beside it. */
export function latestApprovalIds(db: Db, subjectType: SubjectType, subjectIds: number[]): Promise<Map<number, number>> {
  return store.latestApprovalIds(db, subjectType, subjectIds);
}

// ---- matching ----

const inRange = (v: number, r: { min?: number; max?: number } | undefined) => !r || ((r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max));
const inList = <T>(v: T | null, list: readonly T[] | undefined) => !list || (v !== null && list.includes(v));

/** Whether every condition of a rule holds for the facts; ranges include both ends, an absent condition holds. */
export function matches(c: RuleConditions, f: ApprovalFacts): boolean {
  return (
    inList(f.customerClass, c.customerClasses) &&
    inList(f.creditGrade, c.creditGrades) &&
    inList(f.variety, c.varieties) &&
    inRange(f.tonnageKg, c.tonnageKg) &&
    inRange(f.amountFen, c.amountFen) &&
    inRange(f.priceDeviationBp, c.priceDeviationBp)
  );
}

async function matchRule(db: Db, facts: ApprovalFacts) {
  const rules = await store.activeRulesInOrder(db);
  const hit = rules.find((r) => !r.rule.is_default && matches(r.version.conditions, facts)) ?? rules.find((r) => r.rule.is_default);
  if (!hit) throw new Error('approval: the default rule is missing');
  return hit;
}

// ---- resolving who approves ----

const toPerson = (s: store.StaffRow): Person => ({ id: s.id, username: s.username, displayName: s.display_name, role: s.role });

/**
 * Who may act on a step: active staff named in it, and active staff holding one of its roles, except that the
 * account-manager role means the customer's own account manager (all of them while the customer is unknown).
 */
function eligible(step: RuleStep, staff: store.StaffRow[], accountManagerId: number | null | undefined): store.StaffRow[] {
  const roles = step.approvers.roles ?? [];
  const ids = step.approvers.userIds ?? [];
  return staff.filter(
    (s) =>
      ids.includes(s.id) ||
      (roles.includes(s.role as never) && (s.role !== 'account_manager' || accountManagerId === undefined || s.id === accountManagerId)),
  );
}

function resolveSteps(steps: RuleStep[], staff: store.StaffRow[], accountManagerId: number | null | undefined): ResolvedStep[] {
  return steps.map((step, index) => ({
    index,
    mode: step.mode,
    roles: step.approvers.roles ?? [],
    userIds: step.approvers.userIds ?? [],
    approvers: eligible(step, staff, accountManagerId).map(toPerson),
  }));
}

/**
 * Whether the approvals so far complete a step. any: one approval. all: every named user approved, and for each
 * listed role one approval by a user who held that role when acting.
 */
export function stepComplete(step: RuleStep, approvals: { userId: number; role: string }[]): boolean {
  if (step.mode === 'any') return approvals.length > 0;
  return (
    (step.approvers.userIds ?? []).every((id) => approvals.some((a) => a.userId === id)) &&
    (step.approvers.roles ?? []).every((r) => approvals.some((a) => a.role === r))
  );
}

/** Whether a step can ever complete with the staff there are now. */
function reachable(step: RuleStep, approvers: Person[]): boolean {
  if (step.mode === 'any') return approvers.length > 0;
  return (
    (step.approvers.userIds ?? []).every((id) => approvers.some((a) => a.id === id)) &&
    (step.approvers.roles ?? []).every((r) => approvers.some((a) => a.role === r))
  );
}

/**
 * The route a subject with these facts would take now: the first active rule by priority whose conditions hold,
 * else the default; its current version; each step with the people who may act on it. Read-only.
 */
export async function previewRoute(db: Db, facts: ApprovalFacts, customerId?: number | null): Promise<RoutePreview> {
  const { rule, version } = await matchRule(db, facts);
  const staff = await store.activeStaff(db);
  const am = customerId ? (await store.customerInfo(db, customerId))?.account_manager_id ?? null : undefined;
  return {
    rule: { id: rule.id, name: rule.name, version: version.version, isDefault: rule.is_default },
    steps: resolveSteps(version.steps, staff, am),
  };
}

/** The class and credit grade of a customer the principal may see, for the portal's preview. */
export async function customerFacts(db: Db, p: Principal, customerId: number): Promise<Pick<ApprovalFacts, 'customerClass' | 'creditGrade'>> {
  const c = await classAndGrade(db, p, customerId);
  return { customerClass: c.classCode, creditGrade: c.grade };
}

// ---- approvals ----

export interface StartInput {
  subjectType: SubjectType;
  subjectId: number;
  customerId: number;
  facts: ApprovalFacts;
}

const SUBJECT_NAMES: Record<SubjectType, string> = { allocation_answer: '资源分配响应 allocation answer', demand: '需求提报 demand' };

/** Tells everyone who may act on the approval's current step that it waits for them (once per approval and step). */
async function notifyStep(trx: Knex.Transaction, approvalId: number, customerName: string, subjectType: SubjectType, step: ResolvedStep | undefined): Promise<void> {
  if (!step || !step.approvers.length) return;
  await notify(trx, {
    userIds: step.approvers.map((a) => a.id),
    kind: 'approval.needed',
    template: 'approval_needed',
    params: { customer: customerName, subject: SUBJECT_NAMES[subjectType] },
    link: '/staff/approvals',
    idempotencyKey: `approval.needed:${approvalId}:${step.index}`,
  });
}

/**
 * Starts the approval of a subject: matches the rule now and snapshots its version and the facts, so later rule
 * changes do not touch it. Refused while the subject has a pending approval, or when a step has nobody who could act.
 */
export async function startApproval(trx: Knex.Transaction, actor: Actor, input: StartInput): Promise<Approval> {
  const customer = await store.customerInfo(trx, input.customerId);
  if (!customer) throw new NotFound('approval.customer_not_found', 'No such customer');
  if (await store.findLiveApproval(trx, input.subjectType, input.subjectId)) {
    throw new Conflict('approval.already_pending', 'This is already waiting for approval');
  }
  const { rule, version } = await matchRule(trx, input.facts);
  const staff = await store.activeStaff(trx);
  const steps = resolveSteps(version.steps, staff, customer.account_manager_id);
  const stuck = steps.find((s) => !reachable(version.steps[s.index], s.approvers));
  if (stuck) {
    throw new Conflict('approval.no_approver', `Step ${stuck.index + 1} of rule "${rule.name}" has nobody who could approve it`, { ruleId: rule.id, step: stuck.index });
  }
  const round = (await store.lastRound(trx, input.subjectType, input.subjectId)) + 1;
  let id: number;
  try {
    id = await store.insertApproval(trx, {
      subject_type: input.subjectType,
      subject_id: input.subjectId,
      round,
      customer_id: input.customerId,
      rule_id: rule.id,
      rule_version: version.version,
      facts: JSON.stringify(input.facts),
      created_at: nowDb(),
    });
  } catch (err) {
    if (isDuplicateKey(err)) throw new Conflict('approval.already_pending', 'This is already waiting for approval');
    throw err;
  }
  await audit(trx, actor, {
    action: 'approval.started',
    entity: 'approval',
    entityId: id,
    details: { subjectType: input.subjectType, subjectId: input.subjectId, round, ruleId: rule.id, ruleVersion: version.version },
  });
  const started = (await view(trx, null, [(await store.findApproval(trx, id))!]))[0];
  await notifyStep(trx, id, started.customerName, input.subjectType, started.steps[0]);
  return started;
}

/**
 * Withdraws the pending approval of a subject (the customer changed or withdrew it); no outcome hook runs, the
 * caller is the one who knows. Returns whether there was one.
 */
export async function cancelApproval(trx: Knex.Transaction, actor: Actor, subjectType: SubjectType, subjectId: number): Promise<boolean> {
  const live = await store.findLiveApproval(trx, subjectType, subjectId);
  if (!live) return false;
  checkTransition(live.state, 'cancelled');
  const n = await store.guardedMove(trx, live.id, live.current_step, { state: 'cancelled', current_step: live.current_step, decided_at: nowDb() });
  if (n !== 1) throw new Conflict('approval.stale', 'The approval was decided at the same moment; reload it');
  await audit(trx, actor, { action: 'approval.cancelled', entity: 'approval', entityId: live.id, details: { subjectType, subjectId } });
  return true;
}

/**
 * One approver's decision on the current step. approve: the step completes (any: at once; all: with the last
 * approval it needs) and the approval moves to the next step or, after the last, to approved. reject and return
 * end it at once and need a comment. The move is a guarded update on (state, step): of two racing deciders only
 * one moves it, the other gets approval.stale and its transaction, action included, rolls back.
 */
export async function decide(trx: Knex.Transaction, p: Principal, actor: Actor, approvalId: number, body: DecisionBody): Promise<Approval> {
  const row = await store.findApproval(trx, approvalId, { lock: true });
  if (!row) throw new NotFound('approval.not_found', 'No such approval');
  if (row.state !== 'pending') throw new Conflict('approval.not_pending', `The approval is already ${row.state}`, { state: row.state });
  const comment = body.comment?.trim() || null;
  if (body.action !== 'approve' && !comment) throw new Invalid('approval.comment_required', 'Say why when you reject or return');

  const version = await store.findVersion(trx, row.rule_id, row.rule_version);
  if (!version) throw new Error(`approval ${row.id}: rule version ${row.rule_id}/${row.rule_version} missing`);
  const step = version.steps[row.current_step];
  const customer = await store.customerInfo(trx, row.customer_id);
  const approvers = eligible(step, await store.activeStaff(trx), customer?.account_manager_id ?? null);
  const me = approvers.find((s) => s.id === p.userId);
  if (!me) throw new Forbidden('approval.not_approver', `You are not an approver of step ${row.current_step + 1} of this approval`);

  const acted = (await store.listActions(trx, [row.id])).filter((a) => a.step === row.current_step);
  if (acted.some((a) => a.user_id === p.userId)) throw new Conflict('approval.already_acted', 'You have already acted on this step');

  const at = nowDb();
  try {
    await store.insertAction(trx, { approval_id: row.id, step: row.current_step, user_id: p.userId, username: p.username, role: me.role, action: body.action, comment, at });
  } catch (err) {
    if (isDuplicateKey(err)) throw new Conflict('approval.already_acted', 'You have already acted on this step');
    throw err;
  }

  let to: { state: ApprovalState; current_step: number } | null = null;
  if (body.action === 'reject') to = { state: 'rejected', current_step: row.current_step };
  else if (body.action === 'return') to = { state: 'returned', current_step: row.current_step };
  else {
    const approvals = [...acted.filter((a) => a.action === 'approve').map((a) => ({ userId: a.user_id, role: a.role })), { userId: me.id, role: me.role }];
    if (stepComplete(step, approvals)) {
      const next = row.current_step + 1;
      to = { state: next >= version.steps.length ? 'approved' : 'pending', current_step: next };
    }
  }

  if (to) {
    checkTransition(row.state, to.state);
    const n = await store.guardedMove(trx, row.id, row.current_step, { ...to, decided_at: to.state === 'pending' ? null : at });
    if (n !== 1) throw new Conflict('approval.stale', 'Someone decided this approval at the same moment; reload it');
  }
  await audit(trx, actor, {
    action: `approval.${body.action}`,
    entity: 'approval',
    entityId: row.id,
    details: { step: row.current_step, comment, state: to?.state ?? 'pending', currentStep: to?.current_step ?? row.current_step },
  });
  if (to && to.state !== 'pending') {
    const event: DecidedEvent = {
      approvalId: row.id,
      subjectType: row.subject_type,
      subjectId: row.subject_id,
      round: row.round,
      customerId: row.customer_id,
      outcome: to.state as DecidedEvent['outcome'],
      comment,
      decidedBy: { userId: p.userId, username: p.username },
    };
    for (const fn of handlers.get(row.subject_type) ?? []) await fn(trx, event, actor);
  }
  const after = await getApproval(trx, p, row.id);
  if (to?.state === 'pending') await notifyStep(trx, row.id, after.customerName, row.subject_type, after.steps[to.current_step]);
  return after;
}

/** What each principal may read: customers their own organisation's approvals, staff all (their facts too). */
export async function getApproval(db: Db, p: Principal, id: number): Promise<Approval> {
  const row = await store.findApproval(db, id, isCustomer(p) ? { customerId: p.organisationId } : {});
  if (!row) throw new NotFound('approval.not_found', 'No such approval');
  const approval = (await view(db, p, [row]))[0];
  // DESIGN.md §5: an account manager sees the customers assigned to them; another customer's approval only where a
  // rule names them among its approvers or they acted on it.
  if (p.role === 'account_manager') {
    const own = (await store.accountManagers(db, [row.customer_id])).get(row.customer_id) === p.userId;
    const involved = approval.steps.some((s) => s.approvers.some((a) => a.id === p.userId)) || approval.actions.some((a) => a.userId === p.userId);
    if (!own && !involved) throw new NotFound('approval.not_found', 'No such approval');
  }
  return approval;
}

/** The pending approvals whose current step the signed-in staff user may act on and has not acted on yet. */
export async function queue(db: Db, p: Principal): Promise<ApprovalQueue> {
  const rows = await store.listPending(db);
  return { items: await view(db, p, rows, true) };
}

/**
 * The approvals as their readers see them. With onlyDecidable, just those the principal can decide now are built:
 * the staff's queue reads every pending approval, and at the month's start that is thousands per poll.
 */
async function view(db: Db, p: Principal | null, rows: store.ApprovalRow[], onlyDecidable = false): Promise<Approval[]> {
  if (!rows.length) return [];
  const [staff, names, managers, actions] = await Promise.all([
    store.activeStaff(db),
    store.customerNames(db, rows.map((r) => r.customer_id)),
    store.accountManagers(db, rows.map((r) => r.customer_id)),
    store.listActions(db, rows.map((r) => r.id)),
  ]);
  const versions = new Map<string, store.VersionRow>();
  const rules = new Map<number, store.RuleRow>();
  for (const r of rows) {
    const key = `${r.rule_id}/${r.rule_version}`;
    if (!versions.has(key)) versions.set(key, (await store.findVersion(db, r.rule_id, r.rule_version))!);
    if (!rules.has(r.rule_id)) rules.set(r.rule_id, (await store.findRule(db, r.rule_id))!);
  }
  const showFacts = p === null || !isCustomer(p);
  const actionsOf = new Map<number, typeof actions>();
  for (const a of actions) {
    const list = actionsOf.get(a.approval_id);
    if (list) list.push(a);
    else actionsOf.set(a.approval_id, [a]);
  }
  const out: Approval[] = [];
  for (const r of rows) {
    const version = versions.get(`${r.rule_id}/${r.rule_version}`)!;
    const steps = resolveSteps(version.steps, staff, managers.get(r.customer_id) ?? null);
    const mine = actionsOf.get(r.id) ?? [];
    const current = steps[r.current_step];
    const canDecide =
      p !== null &&
      r.state === 'pending' &&
      !!current &&
      current.approvers.some((a) => a.id === p.userId) &&
      !mine.some((a) => a.step === r.current_step && a.user_id === p.userId);
    if (onlyDecidable && !canDecide) continue;
    out.push({
      id: r.id,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      round: r.round,
      customerId: r.customer_id,
      customerName: names.get(r.customer_id) ?? '',
      state: r.state,
      currentStep: r.current_step,
      rule: { id: r.rule_id, name: rules.get(r.rule_id)?.name ?? '', version: r.rule_version },
      steps,
      ...(showFacts ? { facts: JSON.parse(r.facts) as ApprovalFacts } : {}),
      actions: mine.map((a) => ({ step: a.step, userId: a.user_id, username: a.username, action: a.action, comment: a.comment, at: fromDbTime(a.at)! })),
      canDecide,
      createdAt: fromDbTime(r.created_at)!,
      decidedAt: fromDbTime(r.decided_at),
    });
  }
  return out;
}

// ---- rules (administrators) ----

export async function listRules(db: Db): Promise<RuleList> {
  const rules = await store.listRules(db);
  const versions = await store.listVersions(db, rules.map((r) => r.id));
  return { items: rules.map((r) => toRule(r, versions.filter((v) => v.rule_id === r.id))) };
}

function toRule(r: store.RuleRow, versions: store.VersionRow[]): ApprovalRule {
  return {
    id: r.id,
    name: r.name,
    priority: r.priority,
    active: r.active,
    isDefault: r.is_default,
    currentVersion: r.current_version,
    versions: versions.map((v) => ({ version: v.version, conditions: v.conditions, steps: v.steps, createdBy: v.created_by_name, createdAt: fromDbTime(v.created_at)! })),
  };
}

async function getRule(db: Db, id: number): Promise<ApprovalRule> {
  const r = await store.findRule(db, id);
  if (!r) throw new NotFound('approval_rule.not_found', 'No such approval rule');
  return toRule(r, await store.listVersions(db, [id]));
}

/** The checks a schema cannot make: ranges the right way round, steps with approvers, named users on staff, known classes. */
async function checkRuleBody(db: Db, conditions: RuleConditions | undefined, steps: RuleStep[] | undefined, isDefault: boolean): Promise<void> {
  if (conditions) {
    for (const field of ['tonnageKg', 'amountFen', 'priceDeviationBp'] as const) {
      const r = conditions[field];
      if (r && r.min !== undefined && r.max !== undefined && r.min > r.max) {
        throw new Invalid('approval_rule.range', `${field}: the minimum is above the maximum`, { field });
      }
    }
    if (isDefault && Object.keys(conditions).length) {
      throw new Invalid('approval_rule.default_conditions', 'The default rule applies when no other does; it takes no conditions');
    }
    if (conditions.customerClasses) {
      const known = new Set((await customerClasses(db)).items.map((c) => c.code));
      const unknown = conditions.customerClasses.filter((c) => !known.has(c));
      if (unknown.length) throw new Invalid('approval_rule.class_unknown', `Unknown customer class: ${unknown.join(', ')}`, { codes: unknown });
    }
  }
  if (steps) {
    if (steps.length < 1 || steps.length > MAX_STEPS) throw new Invalid('approval_rule.steps_count', `A chain has 1 to ${MAX_STEPS} steps`);
    const staff = new Set((await store.activeStaff(db)).map((s) => s.id));
    for (const [i, s] of steps.entries()) {
      if (!(s.approvers.roles ?? []).length && !(s.approvers.userIds ?? []).length) {
        throw new Invalid('approval_rule.step_empty', `Step ${i + 1} names no approver`, { step: i });
      }
      const bad = (s.approvers.userIds ?? []).filter((id) => !staff.has(id));
      if (bad.length) throw new Invalid('approval_rule.user_invalid', `Step ${i + 1}: users ${bad.join(', ')} are not active mill staff`, { step: i, userIds: bad });
    }
  }
}

export async function createRule(trx: Knex.Transaction, actor: Actor, body: CreateRuleBody): Promise<ApprovalRule> {
  await checkRuleBody(trx, body.conditions, body.steps, false);
  const at = nowDb();
  const id = await store.insertRule(trx, { name: body.name.trim(), priority: body.priority, is_default: false, at });
  await store.insertVersion(trx, { rule_id: id, version: 1, conditions: body.conditions, steps: body.steps, created_by: actor.userId, created_by_name: actor.username, created_at: at });
  await audit(trx, actor, { action: 'approval_rule.created', entity: 'approval_rule', entityId: id, details: body });
  return getRule(trx, id);
}

/** Name and priority change in place; new conditions or steps become the next version, never an edit of the last. */
export async function updateRule(trx: Knex.Transaction, actor: Actor, id: number, body: UpdateRuleBody): Promise<ApprovalRule> {
  const rule = await store.findRule(trx, id);
  if (!rule) throw new NotFound('approval_rule.not_found', 'No such approval rule');
  await checkRuleBody(trx, body.conditions, body.steps, rule.is_default);
  const current = (await store.findVersion(trx, id, rule.current_version))!;
  const at = nowDb();
  const changes: Record<string, unknown> = { updated_at: at };
  if (body.name !== undefined) changes.name = body.name.trim();
  if (body.priority !== undefined) changes.priority = body.priority;
  const conditions = body.conditions ?? current.conditions;
  const steps = body.steps ?? current.steps;
  let version = rule.current_version;
  if (JSON.stringify(conditions) !== JSON.stringify(current.conditions) || JSON.stringify(steps) !== JSON.stringify(current.steps)) {
    version += 1;
    await store.insertVersion(trx, { rule_id: id, version, conditions, steps, created_by: actor.userId, created_by_name: actor.username, created_at: at });
    changes.current_version = version;
  }
  await store.updateRule(trx, id, changes);
  await audit(trx, actor, { action: 'approval_rule.updated', entity: 'approval_rule', entityId: id, details: { ...body, version } });
  return getRule(trx, id);
}

/** Rules are never deleted (approvals point at their versions); they are switched off, except the default. */
export async function setRuleActive(trx: Knex.Transaction, actor: Actor, id: number, active: boolean): Promise<ApprovalRule> {
  const rule = await store.findRule(trx, id);
  if (!rule) throw new NotFound('approval_rule.not_found', 'No such approval rule');
  if (rule.is_default && !active) throw new Conflict('approval_rule.default_required', 'The default rule can be changed but not switched off');
  await store.updateRule(trx, id, { active, updated_at: nowDb() });
  await audit(trx, actor, { action: active ? 'approval_rule.activated' : 'approval_rule.deactivated', entity: 'approval_rule', entityId: id });
  return getRule(trx, id);
}
