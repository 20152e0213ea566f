// The open tab of a page kept in the address (?tab=...), so a reload or a shared link opens the same tab; the first
// tab is the default and leaves the address bare. Both directions ignore a route the page is leaving.
import { ref, watch, type Ref } from 'vue';
import { useRoute, useRouter } from 'vue-router';

export function useAddressTab<T extends string>(routeName: () => string, tabs: readonly T[]): Ref<T> {
  const route = useRoute();
  const router = useRouter();
  const isTab = (value: unknown): value is T => typeof value === 'string' && (tabs as readonly string[]).includes(value);
  const active = ref(isTab(route.query.tab) ? route.query.tab : tabs[0]) as Ref<T>;
  watch(active, (tab) => {
    if (route.name !== routeName()) return;
    const wanted = tab === tabs[0] ? undefined : tab;
    if (route.query.tab !== wanted) void router.replace({ query: { ...route.query, tab: wanted } });
  });
  watch(
    () => route.query.tab,
    (tab) => {
      if (route.name === routeName()) active.value = isTab(tab) ? tab : tabs[0];
    },
  );
  return active;
}
