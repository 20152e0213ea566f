// Server-paged list state for table pages: filters, paging, loading, stale-answer protection.
import { onBeforeUnmount, ref, shallowRef, toRaw, watch } from 'vue';
import { ElMessage } from 'element-plus';
import { errorMessage } from '@/utils/errors';

export interface PageResult<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface PageParams {
  page: number;
  pageSize: number;
}

export const PAGE_SIZES = [10, 20, 50, 100];

export function usePagedList<T, F extends object>(
  fetchPage: (params: PageParams, filters: F, signal: AbortSignal) => Promise<PageResult<T>>,
  filters: F,
  initialPageSize = 20,
) {
  const items = shallowRef<T[]>([]);
  const total = ref(0);
  const page = ref(1);
  const pageSize = ref(initialPageSize);
  const loading = ref(false);

  let controller: AbortController | null = null;

  // A newer load aborts the older one, so a slow answer never overwrites a fresher one.
  async function load(): Promise<void> {
    controller?.abort();
    const current = new AbortController();
    controller = current;
    loading.value = true;
    try {
      const result = await fetchPage({ page: page.value, pageSize: pageSize.value }, toRaw(filters), current.signal);
      if (current.signal.aborted) return;
      items.value = result.items;
      total.value = result.total;
    } catch (error) {
      if (current.signal.aborted) return;
      ElMessage.error(errorMessage(error));
    } finally {
      if (controller === current) loading.value = false;
    }
  }

  // New filters start from the first page.
  function search(): Promise<void> | void {
    if (page.value !== 1) {
      page.value = 1;
      return;
    }
    return load();
  }

  watch([page, pageSize], () => void load());
  onBeforeUnmount(() => controller?.abort());

  return { items, total, page, pageSize, loading, load, search, pageSizes: PAGE_SIZES };
}
