// A report whose filters live in the address (query string), so a view can be bookmarked and shared: the address is
// the one source of the filters; changing a filter writes the address, and every address change (a filter, "back", a
// pasted link, the menu entry) loads the report for it. The query of the figures on screen is kept for the CSV export.
import { onMounted, shallowRef, watch } from 'vue';
import { useRoute, useRouter, type LocationQuery, type LocationQueryRaw } from 'vue-router';
import { useResource } from './use-resource';

export { firstParam, positiveIntParam } from './use-address-list';

export type ReportQueryValue = string | number | boolean | undefined;

export interface AddressReportOptions<F extends object, Q extends Record<string, ReportQueryValue>, T> {
  /** the page's route name: the address is read and written only while it is shown */
  routeName: () => string;
  /** the page's reactive filters */
  filters: F;
  /** the filters an address asks for, every bad or missing value replaced by its default */
  parseFilters: (query: LocationQuery) => F;
  /** the filters as the API takes them (and the address shows them): undefined for blanks */
  apiQuery: (f: F) => Q;
  fetch: (query: Q, signal: AbortSignal) => Promise<T>;
}

/** The query as the address writes it: strings, blanks left out. */
export function addressOf(query: Record<string, ReportQueryValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') out[key] = String(value);
  return out;
}

const canonical = (query: LocationQueryRaw | LocationQuery) =>
  JSON.stringify(
    Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );

export function useAddressReport<F extends object, Q extends Record<string, ReportQueryValue>, T>(o: AddressReportOptions<F, Q, T>) {
  const route = useRoute();
  const router = useRouter();
  /** the API query of the figures on screen (null before the first answer) */
  const shownQuery = shallowRef<Q | null>(null);
  let requested: Q | null = null;

  const resource = useResource<T>(async (signal) => {
    const query = requested as Q;
    const answer = await o.fetch(query, signal);
    if (!signal.aborted) shownQuery.value = query;
    return answer;
  });

  const isShown = () => route.name === o.routeName();

  /** Loads the report the address asks for; a partial or odd address is first rewritten to the filters it means. */
  function follow(query: LocationQuery): void {
    Object.assign(o.filters, o.parseFilters(query));
    const wanted = addressOf(o.apiQuery(o.filters));
    if (canonical(wanted) !== canonical(query)) {
      void router.replace({ query: wanted });
      return;
    }
    requested = o.apiQuery(o.filters);
    void resource.load();
  }

  /** After a filter changed: the address follows, and the report with it (or reloads when nothing changed). */
  function apply(): void {
    if (!isShown()) return;
    const wanted = addressOf(o.apiQuery(o.filters));
    if (canonical(wanted) === canonical(route.query)) {
      requested = o.apiQuery(o.filters);
      void resource.load();
      return;
    }
    void router.push({ query: wanted });
  }

  /** Sets some filters and applies them (e.g. a drill-down from one row). */
  function set(patch: Partial<F>): void {
    Object.assign(o.filters, patch);
    apply();
  }

  watch(
    () => route.query,
    (query) => {
      if (isShown()) follow(query);
    },
  );
  onMounted(() => follow(route.query));

  return { ...resource, apply, set, shownQuery };
}
