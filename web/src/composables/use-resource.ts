// One resource loaded for a page (a detail, a report): data, loading, the last error, stale-answer protection.
import { computed, onBeforeUnmount, ref, shallowRef } from 'vue';
import { errorMessage } from '@/utils/errors';

export function useResource<T>(fetcher: (signal: AbortSignal) => Promise<T>) {
  const data = shallowRef<T | null>(null);
  const loading = ref(false);
  const error = ref<unknown>(null);
  const errorText = computed(() => (error.value ? errorMessage(error.value) : ''));

  let controller: AbortController | null = null;

  // A newer load aborts the older one, so a slow answer never overwrites a fresher one.
  async function load(): Promise<void> {
    controller?.abort();
    const current = new AbortController();
    controller = current;
    loading.value = true;
    try {
      const answer = await fetcher(current.signal);
      if (current.signal.aborted) return;
      data.value = answer;
      error.value = null;
    } catch (failure) {
      if (!current.signal.aborted) error.value = failure;
    } finally {
      if (controller === current) loading.value = false;
    }
  }

  onBeforeUnmount(() => controller?.abort());

  return { data, loading, error, errorText, load };
}
