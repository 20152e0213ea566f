// A server-paged list whose filters and page live in the address (query string), so a reload, "back" or a shared
// link shows the same list, and an address changed under the page (e.g. the menu entry clicked) is followed.
import { watch } from 'vue';
import { useRoute, useRouter, type LocationQuery, type LocationQueryRaw } from 'vue-router';
import { PAGE_SIZES, usePagedList, type PageParams, type PageResult } from './use-paged-list';

/** The first value of a query parameter, or undefined when it is missing or empty. */
export const firstParam = (value: LocationQuery[string]): string | undefined => {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** A positive integer of at most ten digits (an id, a page), or undefined. */
export const positiveIntParam = (value: string | undefined): number | undefined => (value && /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : undefined);

export interface AddressListOptions<T, F extends object, Q extends object> {
  /** the page's route name: the address is read and written only while it is shown */
  routeName: () => string;
  /** the page's reactive filters */
  filters: F;
  /** the filters an address asks for, every bad value dropped */
  parseFilters: (query: LocationQuery) => F;
  /** the filters as the API takes them (and the address shows them): undefined for blanks */
  apiFilters: (f: F) => Q;
  fetch: (query: PageParams & Q, signal: AbortSignal) => Promise<PageResult<T>>;
  pageSize?: number;
  /** after the filters were taken from the address, before the list loads (e.g. the table's sort indicator) */
  onApply?: () => void;
}

export function useAddressList<T, F extends object, Q extends object>(o: AddressListOptions<T, F, Q>) {
  const route = useRoute();
  const router = useRouter();
  const defaultPageSize = o.pageSize ?? 20;

  interface ListState {
    filters: F;
    page: number;
    pageSize: number;
  }

  function parseQuery(query: LocationQuery): ListState {
    const pageSize = positiveIntParam(firstParam(query.pageSize));
    return {
      filters: o.parseFilters(query),
      page: positiveIntParam(firstParam(query.page)) ?? 1,
      pageSize: pageSize !== undefined && PAGE_SIZES.includes(pageSize) ? pageSize : defaultPageSize,
    };
  }

  function toQuery(state: ListState): LocationQueryRaw {
    const query: LocationQueryRaw = {};
    for (const [key, value] of Object.entries(o.apiFilters(state.filters))) {
      if (value !== undefined) query[key] = String(value);
    }
    if (state.page !== 1) query.page = String(state.page);
    if (state.pageSize !== defaultPageSize) query.pageSize = String(state.pageSize);
    return query;
  }

  const canonical = (query: LocationQueryRaw) => JSON.stringify(Object.entries(query).sort(([a], [b]) => a.localeCompare(b)));

  function writeAddress(state: ListState): void {
    if (route.name !== o.routeName()) return;
    const query = toQuery(state);
    if (canonical(query) === canonical(toQuery(parseQuery(route.query)))) return;
    void router.replace({ query });
  }

  const list = usePagedList<T, F>(
    (params, f, signal) => {
      writeAddress({ filters: { ...f }, page: params.page, pageSize: params.pageSize });
      return o.fetch({ ...params, ...o.apiFilters(f) }, signal);
    },
    o.filters,
    defaultPageSize,
  );
  const { page, pageSize } = list;

  /** Shows the list the address asks for (first visit, reload, or the address changed under the page). */
  function applyAddress(query: LocationQuery): void {
    const state = parseQuery(query);
    Object.assign(o.filters, state.filters);
    o.onApply?.();
    const pagingChanged = page.value !== state.page || pageSize.value !== state.pageSize;
    page.value = state.page;
    pageSize.value = state.pageSize;
    // Changed paging loads through usePagedList's own watcher.
    if (!pagingChanged) void list.load();
  }

  // E.g. the menu entry clicked while a filtered list is shown: the address loses its query, the list follows.
  watch(
    () => route.query,
    (query) => {
      if (route.name !== o.routeName()) return;
      const wanted = toQuery(parseQuery(query));
      const shown = toQuery({ filters: o.filters, page: page.value, pageSize: pageSize.value });
      if (canonical(wanted) !== canonical(shown)) applyAddress(query);
    },
  );

  return { ...list, applyAddress };
}
