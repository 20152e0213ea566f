// Code lists, access and address helpers of the business queries and management reports. shared/api/reports.ts
// defines the lists, but that module loads TypeBox, which the web bundle does not ship; the checks below fail the type
// check when these copies drift.
import type { LocationQuery } from 'vue-router';
import type { Role } from '@shared/roles';
import type { CONTRACT_PROGRESS_STATES as SHARED_STATES, FUND_ENTRY_TYPES as SHARED_TYPES, RegionalFlowQuery } from '@shared/api/reports';
import { firstParam, positiveIntParam } from '@/composables/use-address-list';
import { PAGE_SIZES } from '@/composables/use-paged-list';
import { VARIETIES, type Variety } from '@/pages/customers/customer-codes';
import { chinaDate } from '@/utils/format';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export const FUND_ENTRY_TYPES = ['receipt', 'invoice'] as const;
export const CONTRACT_PROGRESS_STATES = ['open', 'done'] as const;
export type FundEntryType = (typeof FUND_ENTRY_TYPES)[number];
export type ContractProgressState = (typeof CONTRACT_PROGRESS_STATES)[number];

export type CodeListsMatchShared = [
  Assert<Same<FundEntryType, (typeof SHARED_TYPES)[number]>>,
  Assert<Same<ContractProgressState, (typeof SHARED_STATES)[number]>>,
  Assert<Same<Variety, NonNullable<RegionalFlowQuery['variety']>>>,
];

// Who sees what, as the access rules of the report routes say (the server decides and scopes; the menu only hides
// what it would refuse). Customers query their own organisation; account managers see their customers' figures,
// sales managers and administrators all; quality staff have no reports.
export const QUERY_ROLES: readonly Role[] = ['customer_user', 'customer_admin'];
export const REPORT_ROLES: readonly Role[] = ['account_manager', 'sales_manager', 'admin'];

export const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
/** The longest contract number the contract-progress filter takes (shared schema: 64). */
export const CONTRACT_NO_MAX = 64;
/** The longest province name the regional flow takes (shared schema: 30). */
export const PROVINCE_MAX = 30;

/** The current month in China time, YYYY-MM. */
export const chinaMonth = (now: Date = new Date()) => chinaDate(0, now).slice(0, 7);

/** A whole-month period; the default is the server's: the current year up to the current month. */
export interface MonthPeriod {
  from: string;
  to: string;
}
export function defaultMonthPeriod(now: Date = new Date()): MonthPeriod {
  const to = chinaMonth(now);
  return { from: `${to.slice(0, 4)}-01`, to };
}

/** The period an address asks for, or the default when either end is missing, malformed or reversed. */
export function parseMonthPeriod(query: LocationQuery): MonthPeriod {
  const from = firstParam(query.from);
  const to = firstParam(query.to);
  return from && to && MONTH.test(from) && MONTH.test(to) && from <= to ? { from, to } : defaultMonthPeriod();
}

/** A day range an address asks for (both ends valid and in order), else null. */
export function parseDayRange(query: LocationQuery): [string, string] | null {
  const from = firstParam(query.from);
  const to = firstParam(query.to);
  return from && to && DAY.test(from) && DAY.test(to) && from <= to ? [from, to] : null;
}

export function parseVariety(query: LocationQuery): Variety | undefined {
  const v = firstParam(query.variety);
  return v && (VARIETIES as readonly string[]).includes(v) ? (v as Variety) : undefined;
}

export function parseOneOf<T extends string>(query: LocationQuery, key: string, list: readonly T[]): T | undefined {
  const v = firstParam(query[key]);
  return v && (list as readonly string[]).includes(v) ? (v as T) : undefined;
}

export { firstParam, positiveIntParam };

/** Filters shared by the management reports, so the same filter gives figures that agree across them. */
export interface ManagementFilters {
  period: [string, string];
  variety: Variety | undefined;
  classId: number | undefined;
}

export function parseManagementFilters(query: LocationQuery): ManagementFilters {
  const { from, to } = parseMonthPeriod(query);
  return { period: [from, to], variety: parseVariety(query), classId: positiveIntParam(firstParam(query.classId)) };
}

export function managementQuery(f: ManagementFilters) {
  return { from: f.period[0], to: f.period[1], variety: f.variety, classId: f.classId };
}

/** The page size of the paged customer queries (contract progress, fund ledger) when the address names none. */
export const QUERY_PAGE_SIZE = 50;

export interface PageFilters {
  page: number;
  pageSize: number;
}

/** The page and page size an address asks for: a bad or missing value becomes the first page and the default size. */
export function parsePage(query: LocationQuery): PageFilters {
  const pageSize = positiveIntParam(firstParam(query.pageSize));
  return {
    page: positiveIntParam(firstParam(query.page)) ?? 1,
    pageSize: pageSize !== undefined && PAGE_SIZES.includes(pageSize) ? pageSize : QUERY_PAGE_SIZE,
  };
}

/** The page and page size as the API takes them: the defaults are left out of the address. */
export function pageQuery(f: PageFilters) {
  return { page: f.page === 1 ? undefined : f.page, pageSize: f.pageSize === QUERY_PAGE_SIZE ? undefined : f.pageSize };
}

/** A paged query without its page: the CSV export holds every row of the filter. */
export function allPages<Q extends { page?: number; pageSize?: number }>(query: Q): Omit<Q, 'page' | 'pageSize'> {
  const { page: _page, pageSize: _size, ...rest } = query;
  return rest;
}

/** The file name of a CSV export when the server names none: e.g. regional-flow-2026-01-2026-11.csv. */
export function csvName(stem: string, from?: string, to?: string): string {
  return `${[stem, from, to].filter(Boolean).join('-')}.csv`;
}

/** A month moved by n months: shiftMonth('2026-01', -1) -> '2025-12'. */
export function shiftMonth(month: string, n: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The number of months from `from` to `to`, both included. */
export function monthCount(from: string, to: string): number {
  return (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7)) + 1;
}

/** The period of the same length just before (n = -1) or after (n = 1): the reports' "previous period". */
export function stepPeriod([from, to]: [string, string], n: number): [string, string] {
  const months = monthCount(from, to) * n;
  return [shiftMonth(from, months), shiftMonth(to, months)];
}
