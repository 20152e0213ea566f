// Customer rules: who may change which field, the audit trail of every change, what goes back to the ERP,
// classes, groups with unified credit, credit policies, exceptions, warnings and statistics.
import type { Knex } from 'knex';
import { csvText } from '../../csv.js';
import type {
  AccountManagerList,
  ClassList,
  Contact,
  CreateClassBody,
  CreditCheck,
  CreditGrade,
  CreateExceptionBody,
  CreateGroupBody,
  CreditException,
  CreditPolicies,
  CreditView,
  CreditWarningList,
  CustomerClass,
  CustomerDetail,
  CustomerGroup,
  CustomerListQuery,
  CustomerPage,
  CustomerStats,
  CustomerSummary,
  GradeFactor,
  GradeOverrideBody,
  HistoryList,
  MatchConflict,
  MatchReport,
  MyCustomerProfile,
  StatDimension,
  UpdateClassBody,
  UpdateCustomerBody,
  UpdateGroupBody,
} from '../../../../shared/api/customers.js';
import { scopeToCustomers, type Principal } from '../../plugins/access.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../errors.js';
import { fromDbTime, nowDb, toDbTime } from '../../db/knex.js';
import { decimalText } from '../../../../shared/units.js';
import { enqueueOutbox } from '../erp-sync/outbox.js';
import { GRADE_RANK } from './grading.js';
import { available, checkCredit, policyFor } from './credit.js';
import {
  allCustomerRows,
  allocationInputRows,
  applyFilters,
  customerRowById,
  findClass,
  findCustomerRow,
  groupUsed,
  listClasses,
  listCustomerRows,
  num,
  readContacts,
  readPolicies,
  readSetting,
  readVarieties,
  replaceContacts,
  replaceVarieties,
  updateProfile,
  varietiesOf,
  visibleCustomers,
  warningCandidateRows,
  writeSetting,
  type CustomerRow,
} from './store.js';

type Db = Knex | Knex.Transaction;

const notFound = () => new NotFound('customer.not_found', 'Customer not found');

function figures(r: CustomerRow) {
  return {
    id: r.id,
    limitFen: num(r.credit_limit_fen),
    usedFen: num(r.used_fen),
    overdueDays: r.overdue_days ?? 0,
    groupId: r.group_id,
    groupLimitFen: num(r.group_limit_fen),
    grade: r.grade,
  };
}

function toSummary(r: CustomerRow, groupUsedFen: Map<number, number>): CustomerSummary {
  const a = available(figures(r), r.group_id === null ? undefined : groupUsedFen.get(r.group_id));
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    shortName: r.short_name,
    province: r.province,
    city: r.city,
    industry: r.industry,
    active: Boolean(r.active),
    classId: r.class_id,
    classCode: r.class_code,
    accountManagerId: r.account_manager_id,
    accountManagerName: r.account_manager_name,
    grade: r.grade,
    gradeOverridden: r.override_grade !== null && r.override_grade !== undefined,
    groupId: r.group_id,
    groupName: r.group_name,
    matchState: r.match_state ?? 'unmatched',
    monthlyKg: num(r.monthly_kg),
    creditLimitFen: num(r.credit_limit_fen),
    usedFen: num(r.used_fen),
    availableFen: a.effective,
    overdueFen: num(r.overdue_fen),
    overdueDays: r.overdue_days ?? 0,
  };
}

async function summaries(db: Db, rows: CustomerRow[]): Promise<CustomerSummary[]> {
  const used = await groupUsed(db, [...new Set(rows.map((r) => r.group_id).filter((g): g is number => g !== null))]);
  return rows.map((r) => toSummary(r, used));
}

export async function listCustomers(db: Db, p: Principal, q: CustomerListQuery): Promise<CustomerPage> {
  const { rows, total } = await listCustomerRows(db, p, q);
  return { items: await summaries(db, rows), total, page: q.page ?? 1, pageSize: q.pageSize ?? 20 };
}

type WarningReason = CreditView['warningReasons'][number];

function warningReasons(s: CustomerSummary, sharePct: number, groupUsedFen: number | undefined, groupLimitFen: number): WarningReason[] {
  const reasons: WarningReason[] = [];
  // Exposure of at least sharePct of the limit, compared in integers: 100·used ≥ share·limit.
  if (s.creditLimitFen > 0 && 100 * s.usedFen >= sharePct * s.creditLimitFen) reasons.push('exposure');
  else if (s.creditLimitFen === 0 && s.usedFen > 0 && s.groupId === null) reasons.push('exposure');
  if (s.overdueFen > 0 || s.overdueDays > 0) reasons.push('overdue');
  if (s.groupId !== null && groupUsedFen !== undefined && groupLimitFen > 0 && 100 * groupUsedFen >= sharePct * groupLimitFen) reasons.push('group_exposure');
  return reasons;
}

async function creditView(db: Db, r: CustomerRow): Promise<CreditView> {
  const used = r.group_id === null ? new Map<number, number>() : await groupUsed(db, [r.group_id]);
  const s = toSummary(r, used);
  const sharePct = Number(await readSetting(db, 'credit.warning_share_pct', '80'));
  const groupUsedFen = r.group_id === null ? undefined : used.get(r.group_id);
  const reasons = warningReasons(s, sharePct, groupUsedFen, num(r.group_limit_fen));
  const groupGrade = r.group_id === null ? null : await groupGradeOf(db, r.group_id);
  return {
    limitFen: s.creditLimitFen,
    balanceFen: num(r.balance_fen),
    advanceFen: num(r.advance_fen),
    openOrderFen: num(r.open_order_fen),
    usedFen: s.usedFen,
    availableFen: s.availableFen,
    overdueFen: s.overdueFen,
    overdueDays: s.overdueDays,
    asOf: fromDbTime(r.credit_as_of),
    group:
      r.group_id === null
        ? null
        : {
            id: r.group_id,
            name: r.group_name ?? '',
            limitFen: num(r.group_limit_fen),
            usedFen: groupUsedFen ?? 0,
            availableFen: num(r.group_limit_fen) - (groupUsedFen ?? 0),
            grade: groupGrade,
          },
    policy: policyFor(await readPolicies(db), r.group_id === null ? r.grade : groupGrade),
    warning: reasons.length > 0,
    warningReasons: reasons,
  };
}

const parseJson = <T>(s: string | null, fallback: T): T => (s ? (JSON.parse(s) as T) : fallback);
const erpContacts = (r: CustomerRow): Contact[] =>
  parseJson<Contact[]>(r.erp_contacts, []).map((c) => ({ name: c.name, phone: c.phone ?? null, title: c.title ?? null, email: c.email ?? null }));

/** The class and credit grade of a customer the caller may see: what approval rules match on. */
export async function classAndGrade(db: Db, p: Principal, id: number): Promise<{ classCode: string | null; grade: CreditGrade | null }> {
  const r = await findCustomerRow(db, p, id);
  if (!r) throw notFound();
  return { classCode: r.class_code, grade: r.grade };
}

export async function getCustomer(db: Db, p: Principal, id: number): Promise<CustomerDetail> {
  const r = await findCustomerRow(db, p, id);
  if (!r) throw notFound();
  const [varieties, contacts, credit, customerClass, link] = await Promise.all([
    readVarieties(db, id),
    readContacts(db, id),
    creditView(db, r),
    r.class_id === null ? Promise.resolve(undefined) : findClass(db, r.class_id),
    db('customer_erp_match').where({ code: r.code, state: 'conflict' }).first('conflict_details'),
  ]);
  return {
    ...toSummary(r, new Map(credit.group ? [[credit.group.id, credit.group.usedFen]] : [])),
    creditCode: r.credit_code,
    address: r.address,
    erpClass: r.erp_class,
    erpContacts: erpContacts(r),
    contacts,
    varieties,
    customerClass: customerClass ?? null,
    accountManager: r.account_manager_id === null ? null : { id: r.account_manager_id, name: r.account_manager_name ?? '', phone: r.account_manager_phone },
    erp: { syncedAt: fromDbTime(r.erp_synced_at), conflict: link ? parseJson<MatchConflict | null>(link.conflict_details, null) : null },
    credit,
    grading: {
      score: r.score,
      computedGrade: r.computed_grade,
      computedAt: fromDbTime(r.graded_at),
      factors: parseJson<GradeFactor[]>(r.grade_factors, []),
      override:
        r.override_grade && r.override_at
          ? { grade: r.override_grade, reason: r.override_reason ?? '', by: r.override_by ?? '', at: fromDbTime(r.override_at)! }
          : null,
    },
  };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Changes portal-owned fields. Account managers may change industry, varieties and contacts of their own
 * customers; the class and the account manager are for sales managers and administrators. Every change is
 * audited with its before and after; class, account manager and varieties also go to the ERP through the outbox.
 */
export async function updateCustomer(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, body: UpdateCustomerBody): Promise<CustomerDetail> {
  const before = await findCustomerRow(trx, p, id);
  if (!before) throw notFound();
  const managerOnly = (['classId', 'accountManagerId'] as const).filter((k) => body[k] !== undefined);
  if (managerOnly.length && p.role !== 'sales_manager' && p.role !== 'admin') {
    throw new Forbidden('customer.field_not_allowed', 'Only sales managers and administrators change the class or the account manager', { fields: managerOnly });
  }
  if (p.role === 'quality_staff') throw new Forbidden('customer.field_not_allowed', 'Quality staff do not change customers');
  const changes: Record<string, [unknown, unknown]> = {};
  const profile: Record<string, unknown> = {};

  if (body.classId !== undefined && body.classId !== before.class_id) {
    if (body.classId !== null) {
      const c = await findClass(trx, body.classId);
      if (!c) throw new Invalid('customer_class.not_found', 'No such customer class', { classId: body.classId });
      if (!c.active) throw new Invalid('customer_class.inactive', 'This customer class is no longer in use', { classId: body.classId });
      changes.class = [before.class_code, c.code];
    } else changes.class = [before.class_code, null];
    profile.class_id = body.classId;
  }
  if (body.industry !== undefined && body.industry !== before.industry) {
    changes.industry = [before.industry, body.industry];
    profile.industry = body.industry;
  }
  let managerName: string | null = before.account_manager_name;
  if (body.accountManagerId !== undefined && body.accountManagerId !== before.account_manager_id) {
    if (body.accountManagerId !== null) {
      const m = await trx('users').where({ id: body.accountManagerId, role: 'account_manager', active: true }).first('display_name');
      if (!m) throw new Invalid('customer.account_manager_invalid', 'That user is not an active account manager', { accountManagerId: body.accountManagerId });
      managerName = m.display_name;
    } else managerName = null;
    changes.accountManager = [before.account_manager_name, managerName];
    await trx('organisations').where('id', id).update({ account_manager_id: body.accountManagerId, updated_at: nowDb() });
  }
  if (body.varieties !== undefined) {
    const seen = new Set<string>();
    for (const v of body.varieties) {
      if (seen.has(v.variety)) throw new Invalid('customer.variety_duplicate', `Variety ${v.variety} is listed twice`, { variety: v.variety });
      seen.add(v.variety);
    }
    const old = await readVarieties(trx, id);
    const next = [...body.varieties].sort((a, b) => a.variety.localeCompare(b.variety));
    if (!sameJson(old, next)) {
      changes.varieties = [old, next];
      await replaceVarieties(trx, id, next);
      profile.monthly_kg = next.reduce((s, v) => s + v.monthlyKg, 0);
    }
  }
  if (body.contacts !== undefined) {
    const old = await readContacts(trx, id);
    const next = body.contacts.map((c) => ({ name: c.name, phone: c.phone ?? null, title: c.title ?? null, email: c.email ?? null }));
    if (!sameJson(old, next)) {
      changes.contacts = [old, next];
      await replaceContacts(trx, id, next);
    }
  }
  if (Object.keys(profile).length) await updateProfile(trx, id, profile);
  const action = changes.accountManager && Object.keys(changes).length === 1 ? 'customer.reassign' : 'customer.update';
  await audit(trx, actor, { action, entity: 'customer', entityId: id, details: { changes } });
  if (changes.class || changes.accountManager || changes.varieties) {
    const after = await findCustomerRow(trx, p, id);
    await enqueueOutbox(trx, 'customer_profile', before.code, {
      customerCode: before.code,
      classCode: after?.class_code ?? null,
      accountManager: managerName,
      varieties: await readVarieties(trx, id),
      changedAt: new Date().toISOString(),
      changedBy: p.username,
    });
  }
  return getCustomer(trx, p, id);
}

export async function overrideGrade(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, body: GradeOverrideBody): Promise<CustomerDetail> {
  const before = await findCustomerRow(trx, p, id);
  if (!before) throw notFound();
  const now = nowDb();
  await updateProfile(trx, id, {
    override_grade: body.grade,
    override_reason: body.grade === null ? null : body.reason,
    override_by: body.grade === null ? null : p.username,
    override_at: body.grade === null ? null : now,
    grade: body.grade ?? before.computed_grade,
  });
  await audit(trx, actor, {
    action: body.grade === null ? 'customer.grade_override_removed' : 'customer.grade_override',
    entity: 'customer',
    entityId: id,
    details: { changes: { grade: [before.grade, body.grade ?? before.computed_grade] }, reason: body.reason },
  });
  return getCustomer(trx, p, id);
}

export async function customerHistory(db: Db, p: Principal, id: number): Promise<HistoryList> {
  if (!(await findCustomerRow(db, p, id))) throw notFound();
  const rows = await db('audit_log').where({ entity: 'customer', entity_id: String(id) }).orderBy('id', 'desc').limit(200);
  return {
    items: rows.map((r: { id: number; at: string; username: string | null; action: string; details: string | null }) => {
      const d = parseJson<{ changes?: Record<string, [unknown, unknown]>; reason?: string }>(r.details, {});
      return { id: Number(r.id), at: fromDbTime(r.at)!, username: r.username, action: r.action, changes: d.changes ?? {}, reason: d.reason ?? null };
    }),
  };
}

// ---- credit check and exceptions ----

export async function creditCheck(db: Db, p: Principal, id: number, amountFen: number) {
  const r = await findCustomerRow(db, p, id);
  if (!r) throw notFound();
  return checkCredit(db, figures(r), amountFen);
}

interface ExceptionRow {
  id: number;
  organisation_id: number;
  amount_fen: number | string;
  reason: string;
  granted_by: string;
  granted_at: string;
  valid_until: string;
  used_at: string | null;
  used_for: string | null;
}
const toException = (r: ExceptionRow): CreditException => ({
  id: Number(r.id),
  customerId: Number(r.organisation_id),
  amountFen: num(r.amount_fen),
  reason: r.reason,
  grantedBy: r.granted_by,
  grantedAt: fromDbTime(r.granted_at)!,
  validUntil: fromDbTime(r.valid_until)!,
  usedAt: fromDbTime(r.used_at),
  usedFor: r.used_for,
});

export async function listExceptions(db: Db, p: Principal, id: number) {
  if (!(await findCustomerRow(db, p, id))) throw notFound();
  const rows: ExceptionRow[] = await db('credit_exceptions').where('organisation_id', id).orderBy('id', 'desc').limit(200);
  return { items: rows.map(toException) };
}

/** A sales manager allows business beyond the credit rules for one amount, with a reason; audited and reported. */
export async function grantException(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, body: CreateExceptionBody): Promise<CreditException> {
  if (!(await findCustomerRow(trx, p, id))) throw notFound();
  const now = new Date();
  const row = {
    organisation_id: id,
    amount_fen: body.amountFen,
    reason: body.reason,
    granted_by_id: p.userId,
    granted_by: p.username,
    granted_at: toDbTime(now),
    valid_until: toDbTime(new Date(now.getTime() + (body.validDays ?? 7) * 86400_000)),
  };
  const [exId] = await trx('credit_exceptions').insert(row);
  await audit(trx, actor, { action: 'customer.credit_exception', entity: 'customer', entityId: id, details: { changes: {}, reason: body.reason, amountFen: body.amountFen, exceptionId: Number(exId) } });
  return toException({ ...row, id: Number(exId), used_at: null, used_for: null });
}

// ---- classes ----

export async function classes(db: Db): Promise<ClassList> {
  return { items: await listClasses(db) };
}

const CLASS_COLUMNS: Record<string, string> = {
  nameZh: 'name_zh',
  nameEn: 'name_en',
  allocationPriority: 'allocation_priority',
  priceAdjustFenPerT: 'price_adjust_fen_per_t',
  paymentTerms: 'payment_terms',
  paymentDays: 'payment_days',
  depositRequired: 'deposit_required',
  depositPct: 'deposit_pct',
  approvalLevels: 'approval_levels',
  active: 'active',
};

function checkClassTerms(c: Pick<CustomerClass, 'paymentTerms' | 'paymentDays' | 'depositRequired' | 'depositPct'>) {
  if (c.paymentTerms !== 'deferred' && c.paymentDays !== 0) throw new Invalid('customer_class.payment_days', 'Payment days apply to deferred payment only');
  if (c.paymentTerms === 'deferred' && c.paymentDays === 0) throw new Invalid('customer_class.payment_days', 'Deferred payment needs a number of days');
  if (!c.depositRequired && c.depositPct !== 0) throw new Invalid('customer_class.deposit', 'A deposit percentage needs the deposit to be required');
  if (c.depositRequired && c.depositPct === 0) throw new Invalid('customer_class.deposit', 'A required deposit needs a percentage');
}

export async function createClass(trx: Knex.Transaction, actor: Actor, body: CreateClassBody): Promise<CustomerClass> {
  checkClassTerms(body);
  if (await trx('customer_classes').where('code', body.code).first('id')) throw new Conflict('customer_class.code_taken', `Class code ${body.code} is taken`);
  const now = nowDb();
  const row: Record<string, unknown> = { code: body.code, active: true, created_at: now, updated_at: now };
  for (const [k, col] of Object.entries(CLASS_COLUMNS)) if (k in body) row[col] = body[k as keyof CreateClassBody];
  const [id] = await trx('customer_classes').insert(row);
  await audit(trx, actor, { action: 'customer_class.create', entity: 'customer_class', entityId: Number(id), details: body });
  return (await findClass(trx, Number(id)))!;
}

export async function updateClass(trx: Knex.Transaction, actor: Actor, id: number, body: UpdateClassBody): Promise<CustomerClass> {
  const before = await findClass(trx, id);
  if (!before) throw new NotFound('customer_class.not_found', 'Customer class not found');
  checkClassTerms({ ...before, ...body });
  if (body.active === false && before.active && before.customerCount > 0) {
    throw new Conflict('customer_class.in_use', `${before.customerCount} customers are in this class; move them first`, { customers: before.customerCount });
  }
  const row: Record<string, unknown> = { updated_at: nowDb() };
  const changes: Record<string, [unknown, unknown]> = {};
  for (const [k, col] of Object.entries(CLASS_COLUMNS)) {
    const v = body[k as keyof UpdateClassBody];
    if (v !== undefined && v !== before[k as keyof CustomerClass]) {
      row[col] = v;
      changes[k] = [before[k as keyof CustomerClass], v];
    }
  }
  await trx('customer_classes').where('id', id).update(row);
  await audit(trx, actor, { action: 'customer_class.update', entity: 'customer_class', entityId: id, details: { changes } });
  return (await findClass(trx, id))!;
}

// ---- policies ----

export async function policies(db: Db): Promise<CreditPolicies> {
  return { grades: await readPolicies(db), warningSharePct: Number(await readSetting(db, 'credit.warning_share_pct', '80')) };
}

export async function setPolicies(trx: Knex.Transaction, actor: Actor, body: CreditPolicies): Promise<CreditPolicies> {
  const grades = new Set(body.grades.map((g) => g.grade));
  if (grades.size !== 5) throw new Invalid('credit_policy.grades', 'Give one policy for each of the five grades');
  const before = await policies(trx);
  for (const g of body.grades) {
    await trx('credit_policies')
      .where('grade', g.grade)
      .update({ prepayment_required: g.prepaymentRequired, deferred_days: g.deferredDays, stop_when_overdue_days: g.stopWhenOverdueDays });
  }
  await writeSetting(trx, 'credit.warning_share_pct', String(body.warningSharePct));
  await audit(trx, actor, { action: 'credit_policy.update', entity: 'credit_policy', details: { changes: { policies: [before, body] } } });
  return policies(trx);
}

// ---- groups ----

async function groupGradeOf(db: Db, groupId: number) {
  const rows: { grade: keyof typeof GRADE_RANK | null }[] = await db('customer_profiles').select('grade').where('group_id', groupId);
  let worst: keyof typeof GRADE_RANK | null = null;
  for (const r of rows) if (r.grade && (worst === null || GRADE_RANK[r.grade] < GRADE_RANK[worst])) worst = r.grade;
  return worst;
}

async function groupOf(db: Db, p: Principal, id: number): Promise<CustomerGroup | undefined> {
  const g = await db('customer_groups').where('id', id).first();
  if (!g) return undefined;
  const members = await visibleCustomers(db, p).andWhere('p.group_id', id).select('o.id', 'o.code', 'o.name', 'p.used_fen', 'p.grade').orderBy('o.code');
  const used = (await groupUsed(db, [id])).get(id) ?? 0;
  return {
    id: Number(g.id),
    name: g.name,
    kind: g.kind,
    limitFen: num(g.limit_fen),
    usedFen: used,
    availableFen: num(g.limit_fen) - used,
    grade: await groupGradeOf(db, id),
    members: members.map((m: { id: number; code: string; name: string; used_fen: number | string | null; grade: CustomerGroup['grade'] }) => ({
      id: m.id,
      code: m.code,
      name: m.name,
      usedFen: num(m.used_fen),
      grade: m.grade,
    })),
  };
}

/** Groups with at least one member the caller sees (account managers see the groups of their customers). */
export async function listGroups(db: Db, p: Principal) {
  const ids: { id: number }[] = await db('customer_groups as g')
    .select('g.id')
    .where((w) => {
      if (p.role === 'account_manager') w.whereIn('g.id', scopeToCustomers(db('customer_profiles').select('group_id').whereNotNull('group_id'), p, 'organisation_id'));
    })
    .orderBy('g.name');
  const items: CustomerGroup[] = [];
  for (const { id } of ids) items.push((await groupOf(db, p, Number(id)))!);
  return { items };
}

export async function getGroup(db: Db, p: Principal, id: number) {
  const g = await groupOf(db, p, id);
  if (!g || (p.role === 'account_manager' && !g.members.length)) throw new NotFound('customer_group.not_found', 'Customer group not found');
  return g;
}

async function setMembers(trx: Knex.Transaction, groupId: number, memberIds: number[]) {
  const found: { id: number; group_id: number | null; code: string }[] = await trx('organisations as o')
    .leftJoin('customer_profiles as p', 'p.organisation_id', 'o.id')
    .select('o.id', 'o.code', 'p.group_id')
    .where('o.kind', 'customer')
    .whereIn('o.id', memberIds);
  const missing = memberIds.filter((m) => !found.some((f) => Number(f.id) === m));
  if (missing.length) throw new Invalid('customer.not_found', 'Some members are not customers', { missing });
  const taken = found.filter((f) => f.group_id !== null && Number(f.group_id) !== groupId);
  if (taken.length) throw new Conflict('customer_group.member_taken', 'A customer belongs to one group only', { codes: taken.map((t) => t.code) });
  await trx('customer_profiles').where('group_id', groupId).whereNotIn('organisation_id', memberIds).update({ group_id: null });
  for (const m of memberIds) await updateProfile(trx, m, { group_id: groupId });
}

export async function createGroup(trx: Knex.Transaction, p: Principal, actor: Actor, body: CreateGroupBody): Promise<CustomerGroup> {
  if (await trx('customer_groups').where('name', body.name).first('id')) throw new Conflict('customer_group.name_taken', 'A group with this name exists');
  const now = nowDb();
  const [id] = await trx('customer_groups').insert({ name: body.name, kind: body.kind, limit_fen: body.limitFen, created_at: now, updated_at: now });
  await setMembers(trx, Number(id), body.memberIds);
  await audit(trx, actor, { action: 'customer_group.create', entity: 'customer_group', entityId: Number(id), details: body });
  for (const m of body.memberIds) await audit(trx, actor, { action: 'customer.group_join', entity: 'customer', entityId: m, details: { changes: { group: [null, body.name] } } });
  return (await groupOf(trx, p, Number(id)))!;
}

export async function updateGroup(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, body: UpdateGroupBody): Promise<CustomerGroup> {
  const before = await groupOf(trx, p, id);
  if (!before) throw new NotFound('customer_group.not_found', 'Customer group not found');
  if (body.name && body.name !== before.name && (await trx('customer_groups').where('name', body.name).first('id'))) {
    throw new Conflict('customer_group.name_taken', 'A group with this name exists');
  }
  const row: Record<string, unknown> = { updated_at: nowDb() };
  if (body.name !== undefined) row.name = body.name;
  if (body.kind !== undefined) row.kind = body.kind;
  if (body.limitFen !== undefined) row.limit_fen = body.limitFen;
  await trx('customer_groups').where('id', id).update(row);
  if (body.memberIds) await setMembers(trx, id, body.memberIds);
  await audit(trx, actor, { action: 'customer_group.update', entity: 'customer_group', entityId: id, details: { before: { ...before, members: before.members.map((m) => m.id) }, changes: body } });
  return (await groupOf(trx, p, id))!;
}

export async function deleteGroup(trx: Knex.Transaction, actor: Actor, id: number): Promise<void> {
  const g = await trx('customer_groups').where('id', id).first('name');
  if (!g) throw new NotFound('customer_group.not_found', 'Customer group not found');
  await trx('customer_profiles').where('group_id', id).update({ group_id: null });
  await trx('customer_groups').where('id', id).delete();
  await audit(trx, actor, { action: 'customer_group.delete', entity: 'customer_group', entityId: id, details: { name: g.name } });
}

// ---- warnings and statistics ----

export async function creditWarnings(db: Db, p: Principal): Promise<CreditWarningList> {
  const sharePct = Number(await readSetting(db, 'credit.warning_share_pct', '80'));
  const rows = await warningCandidateRows(db, p, sharePct);
  const used = await groupUsed(db, [...new Set(rows.map((r) => r.group_id).filter((g): g is number => g !== null))]);
  const items = [];
  for (const r of rows) {
    const s = toSummary(r, used);
    const reasons = warningReasons(s, sharePct, r.group_id === null ? undefined : used.get(r.group_id), num(r.group_limit_fen));
    if (!reasons.length) continue;
    // Whole percent, rounded down, from integers.
    const usedPct = s.creditLimitFen > 0 ? Math.floor((100 * s.usedFen) / s.creditLimitFen) : null;
    items.push({ ...s, usedPct, reasons });
  }
  items.sort((a, b) => b.overdueDays - a.overdueDays || (b.usedPct ?? 0) - (a.usedPct ?? 0) || a.code.localeCompare(b.code));
  return { items, warningSharePct: sharePct };
}

const DIMENSION_COLUMN: Record<StatDimension, string> = { class: 'c.code', province: 'o.province', industry: 'p.industry', grade: 'p.grade' };

async function statBy(db: Db, p: Principal, dim: StatDimension) {
  const col = DIMENSION_COLUMN[dim];
  const rows = await visibleCustomers(db, p)
    .select({ key: col })
    .count({ customers: '*' })
    .sum({ monthly: 'p.monthly_kg' })
    .groupBy(col)
    .orderBy(col);
  return (rows as unknown as { key: string | null; customers: number | string; monthly: number | string | null }[])
    .map((r) => ({ key: r.key ?? null, customers: num(r.customers), monthlyKg: num(r.monthly) }))
    .sort((a, b) => b.customers - a.customers || String(a.key).localeCompare(String(b.key)));
}

export async function stats(db: Db, p: Principal): Promise<CustomerStats> {
  const [byClass, byProvince, byIndustry, byGrade] = await Promise.all(
    (['class', 'province', 'industry', 'grade'] as const).map((d) => statBy(db, p, d)),
  );
  const managers = await visibleCustomers(db, p)
    .select('o.account_manager_id', 'u.display_name')
    .count({ customers: '*' })
    .sum({ overdue: 'p.overdue_fen' })
    .max({ maxDays: 'p.overdue_days' })
    .sum({ overdueCustomers: db.raw('case when p.overdue_fen > 0 then 1 else 0 end') })
    .groupBy('o.account_manager_id', 'u.display_name');
  const exceptions = await scopeToCustomers(db('credit_exceptions as e').join('organisations as o', 'o.id', 'e.organisation_id'), p, 'o.id')
    .select('o.account_manager_id')
    .count({ n: '*' })
    .sum({ fen: 'e.amount_fen' })
    .groupBy('o.account_manager_id');
  type ExRow = { account_manager_id: number | null; n: number | string; fen: number | string };
  type ManagerRow = { account_manager_id: number | null; display_name: string | null; customers: unknown; overdue: unknown; maxDays: unknown; overdueCustomers: unknown };
  const exBy = new Map((exceptions as unknown as ExRow[]).map((e) => [e.account_manager_id ?? 0, e]));
  const byAccountManager = (managers as unknown as ManagerRow[])
    .map((m) => {
      const e = exBy.get(m.account_manager_id ?? 0) as { n: number | string; fen: number | string } | undefined;
      return {
        accountManagerId: m.account_manager_id,
        accountManagerName: m.display_name,
        customers: num(m.customers as string),
        overdueCustomers: num(m.overdueCustomers as string),
        overdueFen: num(m.overdue as string),
        maxOverdueDays: num(m.maxDays as string),
        exceptions: num(e?.n),
        exceptionFen: num(e?.fen),
      };
    })
    .sort((a, b) => b.overdueFen - a.overdueFen || b.customers - a.customers);
  const total = byClass.reduce((s, r) => s + r.customers, 0);
  const monthlyKg = byClass.reduce((s, r) => s + r.monthlyKg, 0);
  return { total, monthlyKg, byClass, byProvince, byIndustry, byGrade, byAccountManager };
}

// ---- CSV ----

export const toCsv = (header: string[], rows: unknown[][]) => csvText([header, ...rows]);

const yuan = (fen: number) => decimalText(fen, 2);
const tonnes = (kg: number) => decimalText(kg, 3);

export async function exportCustomers(db: Db, p: Principal, q: Omit<CustomerListQuery, 'page' | 'pageSize'>): Promise<string> {
  const rows = await summaries(db, await allCustomerRows(db, p, q));
  return toCsv(
    ['code', 'name', 'province', 'city', 'industry', 'class', 'account_manager', 'grade', 'monthly_t', 'limit_yuan', 'used_yuan', 'available_yuan', 'overdue_yuan', 'overdue_days', 'match', 'active'],
    rows.map((r) => [
      r.code,
      r.name,
      r.province,
      r.city,
      r.industry,
      r.classCode,
      r.accountManagerName,
      r.grade,
      tonnes(r.monthlyKg),
      yuan(r.creditLimitFen),
      yuan(r.usedFen),
      yuan(r.availableFen),
      yuan(r.overdueFen),
      r.overdueDays,
      r.matchState,
      r.active ? 1 : 0,
    ]),
  );
}

export async function statsCsv(db: Db, p: Principal, dimension: StatDimension | 'account_manager'): Promise<string> {
  const s = await stats(db, p);
  if (dimension === 'account_manager') {
    return toCsv(
      ['account_manager', 'customers', 'overdue_customers', 'overdue_yuan', 'max_overdue_days', 'exceptions', 'exception_yuan'],
      s.byAccountManager.map((r) => [r.accountManagerName, r.customers, r.overdueCustomers, yuan(r.overdueFen), r.maxOverdueDays, r.exceptions, yuan(r.exceptionFen)]),
    );
  }
  const list = { class: s.byClass, province: s.byProvince, industry: s.byIndustry, grade: s.byGrade }[dimension];
  return toCsv([dimension, 'customers', 'monthly_t'], list.map((r) => [r.key, r.customers, tonnes(r.monthlyKg)]));
}

// ---- matching report ----

export async function matchReport(db: Db, p: Principal): Promise<MatchReport> {
  const unmatched = await applyFilters(visibleCustomers(db, p), { matchState: 'unmatched' }).select('o.id', 'o.code', 'o.name').orderBy('o.code').limit(1000);
  const conflicts = await db('customer_erp_match').where('state', 'conflict').orderBy('code');
  const [{ n }] = await db('customer_erp_match').where('state', 'matched').count({ n: '*' });
  return {
    unmatched: unmatched.map((u: { id: number; code: string; name: string }) => ({ id: u.id, code: u.code, name: u.name })),
    conflicts: conflicts.map((c: { code: string; organisation_id: number | null; since: string; conflict_details: string }) => ({
      code: c.code,
      customerId: c.organisation_id === null ? null : Number(c.organisation_id),
      since: fromDbTime(c.since)!,
      ...(JSON.parse(c.conflict_details) as MatchConflict),
    })),
    matched: num(n as string),
  };
}

// ---- account managers and the customer's own profile ----

export async function accountManagers(db: Db): Promise<AccountManagerList> {
  const rows = await db('users as u')
    .leftJoin('organisations as o', 'o.account_manager_id', 'u.id')
    .select('u.id', 'u.display_name')
    .count({ n: 'o.id' })
    .where({ 'u.role': 'account_manager', 'u.active': true })
    .groupBy('u.id', 'u.display_name')
    .orderBy('u.display_name');
  return { items: (rows as unknown as { id: number; display_name: string; n: number | string }[]).map((r) => ({ id: Number(r.id), name: r.display_name, customers: num(r.n) })) };
}

export async function myProfile(db: Db, p: Principal): Promise<MyCustomerProfile> {
  const r = await findCustomerRow(db, p, p.organisationId);
  if (!r) throw notFound();
  const [varieties, contacts, customerClass] = await Promise.all([
    readVarieties(db, r.id),
    readContacts(db, r.id),
    r.class_id === null ? Promise.resolve(undefined) : findClass(db, r.class_id),
  ]);
  const used = r.group_id === null ? new Map<number, number>() : await groupUsed(db, [r.group_id]);
  const s = toSummary(r, used);
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    shortName: r.short_name,
    creditCode: r.credit_code,
    province: r.province,
    city: r.city,
    address: r.address,
    industry: r.industry,
    className: customerClass ? { zh: customerClass.nameZh, en: customerClass.nameEn } : null,
    erpContacts: erpContacts(r),
    contacts,
    varieties,
    accountManager: r.account_manager_id === null ? null : { name: r.account_manager_name ?? '', phone: r.account_manager_phone },
    credit: {
      limitFen: r.group_id === null ? s.creditLimitFen : num(r.group_limit_fen),
      usedFen: r.group_id === null ? s.usedFen : (used.get(r.group_id) ?? 0),
      availableFen: s.availableFen,
      overdueFen: s.overdueFen,
      overdueDays: s.overdueDays,
      asOf: fromDbTime(r.credit_as_of),
      groupName: r.group_name,
    },
  };
}


// ---- for other modules' services (allocation, contracts): no caller scope, the caller has already checked it ----

export interface CustomerTerms {
  id: number;
  code: string;
  name: string;
  accountManagerId: number | null;
  classCode: string | null;
  grade: CreditGrade | null;
  /** the class's sales policy; a customer without a class pays in advance */
  paymentTerms: CustomerClass['paymentTerms'];
  paymentDays: number;
  priceAdjustFenPerT: number;
  limitFen: number;
  usedFen: number;
  /** the group's when the customer shares a unified group limit */
  availableFen: number;
}

export async function customerTerms(db: Db, id: number): Promise<CustomerTerms> {
  const r = await customerRowById(db, id);
  if (!r) throw notFound();
  const cls = r.class_id === null ? undefined : await findClass(db, r.class_id);
  const used = r.group_id === null ? new Map<number, number>() : await groupUsed(db, [r.group_id]);
  const s = toSummary(r, used);
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    accountManagerId: r.account_manager_id,
    classCode: r.class_code,
    grade: r.grade,
    paymentTerms: cls?.paymentTerms ?? 'prepay',
    paymentDays: cls?.paymentDays ?? 0,
    priceAdjustFenPerT: cls?.priceAdjustFenPerT ?? 0,
    limitFen: s.creditLimitFen,
    usedFen: s.usedFen,
    availableFen: s.availableFen,
  };
}

/** The credit check of an amount for a customer, as the customer's credit page runs it, for another module's rule. */
export async function creditCheckOf(db: Db, id: number, amountFen: number): Promise<CreditCheck> {
  const r = await customerRowById(db, id);
  if (!r) throw notFound();
  return checkCredit(db, figures(r), amountFen);
}

export type AllocationCreditState = 'ok' | 'reduced' | 'blocked';

export interface AllocationCandidate {
  id: number;
  /** the class's allocation priority (1 first); customers without a class come last */
  priority: number;
  credit: AllocationCreditState;
  /** contracted monthly kilograms by variety */
  wants: Map<string, number>;
}

/** Customers without a class are served after every configured class. */
const NO_CLASS_PRIORITY = 1000;

/**
 * Every active customer with contracted varieties, and its credit state for the allocation proposal:
 * blocked when the policy of its grade stops business for its overdue days, or when it is over its (or its
 * group's) limit; reduced when it is on the credit warning list (exposure at the warning share, or overdue); ok else.
 */
export async function allocationCandidates(db: Db): Promise<AllocationCandidate[]> {
  const [rows, policies, sharePct] = await Promise.all([allocationInputRows(db), readPolicies(db), readSetting(db, 'credit.warning_share_pct', '80').then(Number)]);
  const used = await groupUsed(db, [...new Set(rows.map((r) => r.group_id).filter((g): g is number => g !== null))]);
  const wants = new Map<number, Map<string, number>>();
  for (const v of await varietiesOf(db, rows.map((r) => Number(r.id)))) {
    let m = wants.get(v.organisation_id);
    if (!m) wants.set(v.organisation_id, (m = new Map()));
    m.set(v.variety, v.monthly_kg);
  }
  return rows.map((r) => {
    const id = Number(r.id);
    const limit = num(r.credit_limit_fen);
    const usedFen = num(r.used_fen);
    const overdueDays = r.overdue_days ?? 0;
    const policy = policyFor(policies, r.grade);
    const groupUsedFen = r.group_id === null ? 0 : (used.get(r.group_id) ?? 0);
    const groupLimit = num(r.group_limit_fen);
    let credit: AllocationCreditState = 'ok';
    const overLimit = r.group_id === null ? limit > 0 && usedFen > limit : groupUsedFen > groupLimit;
    if ((policy?.stopWhenOverdueDays != null && overdueDays > policy.stopWhenOverdueDays) || overLimit) credit = 'blocked';
    else if (overdueDays > 0 || (limit > 0 && 100 * usedFen >= sharePct * limit) || (r.group_id !== null && groupLimit > 0 && 100 * groupUsedFen >= sharePct * groupLimit)) credit = 'reduced';
    return { id, priority: r.priority ?? NO_CLASS_PRIORITY, credit, wants: wants.get(id) ?? new Map() };
  });
}
