// The current time as a reactive value that ticks while the component lives, for countdowns to a deadline.
import { onBeforeUnmount, ref, type Ref } from 'vue';

export function useNow(intervalMs: number): Ref<number> {
  const now = ref(Date.now());
  const timer = setInterval(() => {
    now.value = Date.now();
  }, intervalMs);
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
