// A reactive CSS media query, e.g. to switch the layout at phone width.
import { onScopeDispose, ref, type Ref } from 'vue';

export const PHONE_QUERY = '(max-width: 768px)';

export function useMediaQuery(query: string): Ref<boolean> {
  const list = window.matchMedia(query);
  const matches = ref(list.matches);
  const onChange = (event: MediaQueryListEvent) => {
    matches.value = event.matches;
  };
  list.addEventListener('change', onChange);
  onScopeDispose(() => list.removeEventListener('change', onChange));
  return matches;
}

export function useIsPhone(): Ref<boolean> {
  return useMediaQuery(PHONE_QUERY);
}
