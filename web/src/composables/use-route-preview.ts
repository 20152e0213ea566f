// The approval route an answer or demand with the figures being typed would take (POST /api/approvals/preview), reloaded a
// moment after the figures change; a slower, older answer never replaces a newer one.
import { onBeforeUnmount, ref, shallowRef, watch } from 'vue';
import type { PreviewBody, RoutePreview } from '@shared/index';
import { approvalsApi } from '@/api/approvals';

const DEBOUNCE_MS = 300;

export function useRoutePreview(input: () => PreviewBody | null) {
  const preview = shallowRef<RoutePreview | null>(null);
  const loading = ref(false);
  const failed = ref(false);
  /** what the last preview request failed with, for a page that shows the reason */
  const error = shallowRef<unknown>(null);
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function load(): Promise<void> {
    const body = input();
    const mine = ++seq;
    if (!body) {
      preview.value = null;
      failed.value = false;
      error.value = null;
      loading.value = false;
      return;
    }
    loading.value = true;
    try {
      const answer = await approvalsApi.preview(body);
      if (mine !== seq) return;
      preview.value = answer;
      failed.value = false;
      error.value = null;
    } catch (err) {
      if (mine !== seq) return;
      preview.value = null;
      failed.value = true;
      error.value = err;
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  watch(
    () => JSON.stringify(input()),
    () => {
      clearTimeout(timer);
      timer = setTimeout(() => void load(), DEBOUNCE_MS);
    },
    { immediate: true },
  );
  onBeforeUnmount(() => clearTimeout(timer));

  return { preview, loading, failed, error };
}
