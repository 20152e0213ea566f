// Data access for the Customers module's tables, joined to organisations (the customer's identity) and scoped to
// what the caller may see in the query itself (DESIGN.md §4a).
import type { Knex } from 'knex';
import type {
  Contact,
  ContractedVariety,
  CreditGrade,
  CreditPolicy,
  CustomerClass,
  CustomerListQuery,
  MatchState,
} from '../../../../shared/api/customers.js';
import { scopeToCustomers, type Principal } from '../../plugins/access.js';
import { LIKE, likeContains, likePrefix } from '../../db/knex.js';

type Db = Knex | Knex.Transaction;

export interface CustomerRow {
  id: number;
  code: string;
  name: string;
  short_name: string | null;
  credit_code: string | null;
  province: string | null;
  city: string | null;
  address: string | null;
  active: number | boolean;
  account_manager_id: number | null;
  account_manager_name: string | null;
  account_manager_phone: string | null;
  industry: string | null;
  class_id: number | null;
  class_code: string | null;
  group_id: number | null;
  group_name: string | null;
  group_limit_fen: number | string | null;
  match_state: MatchState | null;
  monthly_kg: number | string | null;
  erp_class: string | null;
  erp_contacts: string | null;
  erp_synced_at: string | null;
  credit_limit_fen: number | string | null;
  balance_fen: number | string | null;
  advance_fen: number | string | null;
  open_order_fen: number | string | null;
  used_fen: number | string | null;
  overdue_fen: number | string | null;
  overdue_days: number | null;
  credit_as_of: string | null;
  score: number | null;
  computed_grade: CreditGrade | null;
  grade_factors: string | null;
  graded_at: string | null;
  override_grade: CreditGrade | null;
  override_reason: string | null;
  override_by: string | null;
  override_at: string | null;
  grade: CreditGrade | null;
}

export const num = (v: number | string | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));

const COLUMNS = [
  'o.id',
  'o.code',
  'o.name',
  'o.short_name',
  'o.credit_code',
  'o.province',
  'o.city',
  'o.address',
  'o.active',
  'o.account_manager_id',
  'u.display_name as account_manager_name',
  'u.phone as account_manager_phone',
  'p.industry',
  'p.class_id',
  'c.code as class_code',
  'p.group_id',
  'g.name as group_name',
  'g.limit_fen as group_limit_fen',
  'p.match_state',
  'p.monthly_kg',
  'p.erp_class',
  'p.erp_contacts',
  'p.erp_synced_at',
  'p.credit_limit_fen',
  'p.balance_fen',
  'p.advance_fen',
  'p.open_order_fen',
  'p.used_fen',
  'p.overdue_fen',
  'p.overdue_days',
  'p.credit_as_of',
  'p.score',
  'p.computed_grade',
  'p.grade_factors',
  'p.graded_at',
  'p.override_grade',
  'p.override_reason',
  'p.override_by',
  'p.override_at',
  'p.grade',
];

/** Every customer organisation with its profile, class, group and account manager (no caller scope: services only). */
function allCustomers(db: Db) {
  return db('organisations as o')
    .leftJoin('customer_profiles as p', 'p.organisation_id', 'o.id')
    .leftJoin('customer_classes as c', 'c.id', 'p.class_id')
    .leftJoin('customer_groups as g', 'g.id', 'p.group_id')
    .leftJoin('users as u', 'u.id', 'o.account_manager_id')
    .where('o.kind', 'customer');
}

/** Customer organisations the caller may see, with their profile, class, group and account manager. */
export function visibleCustomers(db: Db, p: Principal) {
  return scopeToCustomers(allCustomers(db), p, 'o.id');
}

/** One customer for another module's service, which has already decided the caller may act on it. */
export async function customerRowById(db: Db, id: number): Promise<CustomerRow | undefined> {
  return allCustomers(db).andWhere('o.id', id).first(COLUMNS);
}

export interface AllocationInputRow {
  id: number;
  priority: number | null;
  credit_limit_fen: number | string | null;
  used_fen: number | string | null;
  overdue_days: number | null;
  grade: CreditGrade | null;
  group_id: number | null;
  group_limit_fen: number | string | null;
}

/** Active customers that have contracted varieties, with what the allocation proposal needs of them. */
export function allocationInputRows(db: Db): Promise<AllocationInputRow[]> {
  return db('organisations as o')
    .join('customer_profiles as p', 'p.organisation_id', 'o.id')
    .leftJoin('customer_classes as c', 'c.id', 'p.class_id')
    .leftJoin('customer_groups as g', 'g.id', 'p.group_id')
    .where('o.kind', 'customer')
    .andWhere('o.active', true)
    .whereExists((q) => q.select(db.raw('1')).from('customer_varieties as v').whereRaw('v.organisation_id = o.id'))
    .select('o.id', 'c.allocation_priority as priority', 'p.credit_limit_fen', 'p.used_fen', 'p.overdue_days', 'p.grade', 'p.group_id', 'g.limit_fen as group_limit_fen');
}

/** Contracted monthly kilograms of the given customers, variety by variety. */
export async function varietiesOf(db: Db, ids: number[]): Promise<{ organisation_id: number; variety: string; monthly_kg: number }[]> {
  const out: { organisation_id: number; variety: string; monthly_kg: number }[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await db('customer_varieties').select('organisation_id', 'variety', 'monthly_kg').whereIn('organisation_id', ids.slice(i, i + 1000));
    for (const r of rows as { organisation_id: number; variety: string; monthly_kg: number | string }[]) {
      out.push({ organisation_id: Number(r.organisation_id), variety: r.variety, monthly_kg: num(r.monthly_kg) });
    }
  }
  return out;
}

/** The list's filters, shared by the page, the CSV export and the statistics. */
export function applyFilters(qb: Knex.QueryBuilder, q: Omit<CustomerListQuery, 'page' | 'pageSize' | 'sort' | 'order'>) {
  if (q.q) {
    const l = likeContains(q.q);
    qb.andWhere((w) => w.whereRaw(LIKE, ['o.name', l]).orWhereRaw(LIKE, ['o.code', l]).orWhereRaw(LIKE, ['o.short_name', l]).orWhereRaw(LIKE, ['o.credit_code', l]));
  }
  if (q.classId) qb.andWhere('p.class_id', q.classId);
  // Region and industry match from the start, so that 江苏 finds 江苏省 (and an index still serves the query).
  if (q.province) qb.andWhereRaw(LIKE, ['o.province', likePrefix(q.province)]);
  if (q.city) qb.andWhereRaw(LIKE, ['o.city', likePrefix(q.city)]);
  if (q.industry) qb.andWhereRaw(LIKE, ['p.industry', likePrefix(q.industry)]);
  if (q.accountManagerId) qb.andWhere('o.account_manager_id', q.accountManagerId);
  if (q.grade) qb.andWhere('p.grade', q.grade);
  if (q.active !== undefined) qb.andWhere('o.active', q.active);
  if (q.groupId) qb.andWhere('p.group_id', q.groupId);
  if (q.matchState === 'unmatched') qb.andWhere((w) => w.whereNull('p.match_state').orWhere('p.match_state', 'unmatched'));
  else if (q.matchState) qb.andWhere('p.match_state', q.matchState);
  return qb;
}

const GRADE_ORDER = "case p.grade when 'AAA' then 5 when 'AA' then 4 when 'A' then 3 when 'B' then 2 when 'C' then 1 else 0 end";
const SORT_COLUMNS: Record<string, string> = {
  code: 'o.code',
  name: 'o.name',
  province: 'o.province',
  usedFen: 'p.used_fen',
  overdueDays: 'p.overdue_days',
  monthlyKg: 'p.monthly_kg',
};

export async function listCustomerRows(db: Db, p: Principal, q: CustomerListQuery): Promise<{ rows: CustomerRow[]; total: number }> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const base = applyFilters(visibleCustomers(db, p), q);
  const [{ n }] = await base.clone().count({ n: '*' });
  const dir = q.order === 'desc' ? 'desc' : 'asc';
  const rows: CustomerRow[] = await base
    .clone()
    .select(COLUMNS)
    .modify((qb) => {
      if (q.sort === 'grade') qb.orderByRaw(`${GRADE_ORDER} ${dir === 'asc' ? 'desc' : 'asc'}`);
      else if (q.sort && SORT_COLUMNS[q.sort]) qb.orderBy(SORT_COLUMNS[q.sort], dir);
      qb.orderBy('o.code', q.sort && q.sort !== 'code' ? 'asc' : dir);
    })
    .limit(pageSize)
    .offset((page - 1) * pageSize);
  return { rows, total: Number(n) };
}

export async function allCustomerRows(db: Db, p: Principal, q: Omit<CustomerListQuery, 'page' | 'pageSize'>): Promise<CustomerRow[]> {
  return applyFilters(visibleCustomers(db, p), q).select(COLUMNS).orderBy('o.code');
}

/**
 * Customers that may be on the warning list: overdue, in a group, or with exposure at sharePct of their limit
 * (a customer without a limit included); the service applies the exact rules, the group's among them.
 */
export async function warningCandidateRows(db: Db, p: Principal, sharePct: number): Promise<CustomerRow[]> {
  return visibleCustomers(db, p)
    .andWhere((w) =>
      w
        .where('p.overdue_fen', '>', 0)
        .orWhere('p.overdue_days', '>', 0)
        .orWhereNotNull('p.group_id')
        .orWhereRaw('100 * coalesce(p.used_fen, 0) >= ? * coalesce(p.credit_limit_fen, 0)', [sharePct]),
    )
    .select(COLUMNS)
    .orderBy('o.code');
}

export async function findCustomerRow(db: Db, p: Principal, id: number): Promise<CustomerRow | undefined> {
  return visibleCustomers(db, p).andWhere('o.id', id).first(COLUMNS);
}

/** Used credit of each group: the sum of its members' exposure. */
export async function groupUsed(db: Db, groupIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!groupIds.length) return out;
  const rows = await db('customer_profiles').select('group_id').sum({ used: 'used_fen' }).whereIn('group_id', groupIds).groupBy('group_id');
  for (const r of rows as { group_id: number; used: string | number | null }[]) out.set(Number(r.group_id), num(r.used));
  return out;
}

/** Creates the profile row of a customer organisation that has none yet (organisations made before this module). */
export async function ensureProfile(trx: Db, organisationId: number): Promise<void> {
  await trx('customer_profiles').insert({ organisation_id: organisationId }).onConflict('organisation_id').ignore();
}

export async function updateProfile(trx: Db, organisationId: number, changes: Record<string, unknown>): Promise<void> {
  await ensureProfile(trx, organisationId);
  await trx('customer_profiles').where('organisation_id', organisationId).update(changes);
}

export async function readVarieties(db: Db, organisationId: number): Promise<ContractedVariety[]> {
  const rows = await db('customer_varieties').select('variety', 'monthly_kg').where('organisation_id', organisationId).orderBy('variety');
  return rows.map((r: { variety: ContractedVariety['variety']; monthly_kg: number | string }) => ({ variety: r.variety, monthlyKg: num(r.monthly_kg) }));
}

export async function replaceVarieties(trx: Db, organisationId: number, list: ContractedVariety[]): Promise<void> {
  await trx('customer_varieties').where('organisation_id', organisationId).delete();
  if (list.length) {
    await trx('customer_varieties').insert(list.map((v) => ({ organisation_id: organisationId, variety: v.variety, monthly_kg: v.monthlyKg })));
  }
}

export async function readContacts(db: Db, organisationId: number): Promise<Contact[]> {
  const rows = await db('customer_contacts').select('name', 'phone', 'title', 'email').where('organisation_id', organisationId).orderBy('position');
  return rows.map((r: Contact) => ({ name: r.name, phone: r.phone ?? null, title: r.title ?? null, email: r.email ?? null }));
}

export async function replaceContacts(trx: Db, organisationId: number, list: Contact[]): Promise<void> {
  await trx('customer_contacts').where('organisation_id', organisationId).delete();
  if (list.length) {
    await trx('customer_contacts').insert(
      list.map((c, i) => ({ organisation_id: organisationId, position: i, name: c.name, phone: c.phone ?? null, title: c.title ?? null, email: c.email ?? null })),
    );
  }
}

// ---- classes ----

interface ClassRow {
  id: number;
  code: string;
  name_zh: string;
  name_en: string;
  allocation_priority: number;
  price_adjust_fen_per_t: number | string;
  payment_terms: CustomerClass['paymentTerms'];
  payment_days: number;
  deposit_required: number | boolean;
  deposit_pct: number;
  approval_levels: number;
  active: number | boolean;
  customer_count?: number | string;
}

export function toClass(r: ClassRow): CustomerClass {
  return {
    id: r.id,
    code: r.code,
    nameZh: r.name_zh,
    nameEn: r.name_en,
    allocationPriority: r.allocation_priority,
    priceAdjustFenPerT: num(r.price_adjust_fen_per_t),
    paymentTerms: r.payment_terms,
    paymentDays: r.payment_days,
    depositRequired: Boolean(r.deposit_required),
    depositPct: r.deposit_pct,
    approvalLevels: r.approval_levels,
    active: Boolean(r.active),
    customerCount: num(r.customer_count),
  };
}

function classQuery(db: Db) {
  return db('customer_classes as c')
    .select('c.*', db.raw('(select count(*) from customer_profiles p where p.class_id = c.id) as customer_count'))
    .orderBy([{ column: 'c.allocation_priority' }, { column: 'c.code' }]);
}

export async function listClasses(db: Db): Promise<CustomerClass[]> {
  return (await classQuery(db)).map(toClass);
}

export async function findClass(db: Db, id: number): Promise<CustomerClass | undefined> {
  const r = await classQuery(db).where('c.id', id).first();
  return r ? toClass(r) : undefined;
}

// ---- settings and policies ----

export async function readSetting(db: Db, key: string, fallback: string): Promise<string> {
  const r = await db('customer_settings').where('key', key).first('value');
  return r ? String(r.value) : fallback;
}

export async function writeSetting(db: Db, key: string, value: string): Promise<void> {
  await db('customer_settings').insert({ key, value }).onConflict('key').merge();
}

export async function readPolicies(db: Db): Promise<CreditPolicy[]> {
  const rows = await db('credit_policies').select('*');
  const order = ['AAA', 'AA', 'A', 'B', 'C'];
  return rows
    .map((r: { grade: CreditGrade; prepayment_required: number | boolean; deferred_days: number; stop_when_overdue_days: number | null }) => ({
      grade: r.grade,
      prepaymentRequired: Boolean(r.prepayment_required),
      deferredDays: r.deferred_days,
      stopWhenOverdueDays: r.stop_when_overdue_days === null ? null : Number(r.stop_when_overdue_days),
    }))
    .sort((a, b) => order.indexOf(a.grade) - order.indexOf(b.grade));
}

export interface TargetingRow {
  id: number;
  code: string;
  name: string;
  active: boolean;
  province: string | null;
  class_id: number | null;
  class_code: string | null;
  class_name: string | null;
  grade: CreditGrade | null;
  varieties: string[];
}

/**
 * Customers with what surveys target and break results down by (class, province, credit grade, contracted
 * varieties); all customers, or those with the given ids or ERP codes. No caller scope: services only.
 */
export async function targetingRows(db: Db, only: { ids?: number[]; codes?: string[] } = {}): Promise<TargetingRow[]> {
  const q = allCustomers(db).select('o.id', 'o.code', 'o.name', 'o.active', 'o.province', 'p.class_id', 'c.code as class_code', 'c.name_zh as class_name', 'p.grade');
  if (only.ids) q.whereIn('o.id', only.ids.length ? only.ids : [0]);
  if (only.codes) q.whereIn('o.code', only.codes.length ? only.codes : ['']);
  const rows = (await q) as Omit<TargetingRow, 'varieties'>[];
  const vars = new Map<number, string[]>();
  for (const v of await varietiesOf(db, rows.map((r) => Number(r.id)))) vars.set(v.organisation_id, [...(vars.get(v.organisation_id) ?? []), v.variety]);
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    active: Boolean(r.active),
    class_id: r.class_id === null ? null : Number(r.class_id),
    varieties: vars.get(Number(r.id)) ?? [],
  }));
}
