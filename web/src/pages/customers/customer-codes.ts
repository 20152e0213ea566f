// Code lists and small helpers of the Customers pages. shared/api/customers.ts defines the lists, but that module
// loads TypeBox, which the web bundle does not ship; the checks below fail the type check when these copies drift.
import type { Role } from '@shared/roles';
import type {
  CREDIT_BLOCKS as SHARED_BLOCKS,
  CREDIT_GRADES as SHARED_GRADES,
  CUSTOMER_SORTS as SHARED_SORTS,
  CreditView,
  CustomerGroup,
  GradeFactor,
  MATCH_STATES as SHARED_MATCH_STATES,
  PAYMENT_TERMS as SHARED_PAYMENT_TERMS,
  STAT_DIMENSIONS as SHARED_DIMENSIONS,
  VARIETIES as SHARED_VARIETIES,
} from '@shared/index';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export const CREDIT_GRADES = ['AAA', 'AA', 'A', 'B', 'C'] as const;
export const MATCH_STATES = ['matched', 'unmatched', 'conflict'] as const;
export const VARIETIES = ['rebar', 'wire_rod', 'hot_rolled_coil', 'plate', 'section', 'other'] as const;
export const PAYMENT_TERMS = ['prepay', 'cash_on_delivery', 'deferred'] as const;
export const CUSTOMER_SORTS = ['code', 'name', 'province', 'grade', 'usedFen', 'overdueDays', 'monthlyKg'] as const;
export const STAT_DIMENSIONS = ['class', 'province', 'industry', 'grade'] as const;
export const WARNING_REASONS = ['exposure', 'overdue', 'group_exposure'] as const;
export const GRADE_FACTORS = ['punctuality', 'overdue', 'tenure', 'volume', 'trend', 'fulfilment'] as const;
export const GROUP_KINDS = ['control', 'guarantee'] as const;

export type CreditGrade = (typeof CREDIT_GRADES)[number];
export type MatchState = (typeof MATCH_STATES)[number];
export type Variety = (typeof VARIETIES)[number];
export type PaymentTerms = (typeof PAYMENT_TERMS)[number];
export type CustomerSort = (typeof CUSTOMER_SORTS)[number];
export type StatDimension = (typeof STAT_DIMENSIONS)[number];
export type WarningReason = (typeof WARNING_REASONS)[number];
export type GroupKind = (typeof GROUP_KINDS)[number];

export type CodeListsMatchShared = [
  Assert<Same<CreditGrade, (typeof SHARED_GRADES)[number]>>,
  Assert<Same<MatchState, (typeof SHARED_MATCH_STATES)[number]>>,
  Assert<Same<Variety, (typeof SHARED_VARIETIES)[number]>>,
  Assert<Same<PaymentTerms, (typeof SHARED_PAYMENT_TERMS)[number]>>,
  Assert<Same<CustomerSort, (typeof SHARED_SORTS)[number]>>,
  Assert<Same<StatDimension, (typeof SHARED_DIMENSIONS)[number]>>,
  Assert<Same<WarningReason, CreditView['warningReasons'][number]>>,
  Assert<Same<(typeof GRADE_FACTORS)[number], GradeFactor['factor']>>,
  Assert<Same<GroupKind, CustomerGroup['kind']>>,
];

/** The credit-check block codes also travel as error codes, so their texts live under errors.credit.* */
export type CreditBlockCode = (typeof SHARED_BLOCKS)[number];

export function isCreditGrade(value: unknown): value is CreditGrade {
  return typeof value === 'string' && (CREDIT_GRADES as readonly string[]).includes(value);
}

export function isMatchState(value: unknown): value is MatchState {
  return typeof value === 'string' && (MATCH_STATES as readonly string[]).includes(value);
}

export function isCustomerSort(value: unknown): value is CustomerSort {
  return typeof value === 'string' && (CUSTOMER_SORTS as readonly string[]).includes(value);
}

/** Element Plus tag colour of a credit grade: the better the grade, the calmer the colour. */
export function gradeTag(grade: string | null): 'success' | 'primary' | 'warning' | 'danger' | 'info' {
  switch (grade) {
    case 'AAA':
    case 'AA':
      return 'success';
    case 'A':
      return 'primary';
    case 'B':
      return 'warning';
    case 'C':
      return 'danger';
    default:
      return 'info';
  }
}

export function matchStateTag(state: string): 'success' | 'warning' | 'danger' | 'info' {
  if (state === 'matched') return 'success';
  if (state === 'conflict') return 'danger';
  return 'warning';
}

/** A class's (or any bilingual) name in the current language: Chinese in zh-CN, English otherwise. */
export function localName(names: { nameZh: string; nameEn: string } | null | undefined, locale: string): string {
  if (!names) return '';
  return locale.startsWith('zh') ? names.nameZh : names.nameEn;
}

// Who may do what on these pages, as the server's access rules say (the server decides; the page only hides
// what would be refused).
export const CLASS_ASSIGN_ROLES: readonly Role[] = ['sales_manager', 'admin'];
export const GRADE_OVERRIDE_ROLES: readonly Role[] = ['sales_manager'];
export const EXCEPTION_GRANT_ROLES: readonly Role[] = ['sales_manager'];
export const GRADE_RECOMPUTE_ROLES: readonly Role[] = ['sales_manager', 'admin'];
export const GROUP_EDIT_ROLES: readonly Role[] = ['sales_manager', 'admin'];
export const MATCHING_RUN_ROLES: readonly Role[] = ['admin'];

/** Download name of a CSV export when the server names none: e.g. customers-20261123.csv (China date). */
export function csvName(stem: string, day: string): string {
  return `${stem}-${day.replaceAll('-', '')}.csv`;
}
