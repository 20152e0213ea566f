// The customer classes (协议户, 直供户, 战略客户 …), shared by the customer pages for filters and names;
// loaded once per session and reloaded after an administrator changes them.
import { computed, shallowRef } from 'vue';
import { defineStore } from 'pinia';
import type { CustomerClass } from '@shared/index';
import { customerClassesApi } from '@/api/customers';
import { i18n } from '@/i18n';
import { localName } from '@/pages/customers/customer-codes';

export const useCustomerClassesStore = defineStore('customerClasses', () => {
  const classes = shallowRef<CustomerClass[]>([]);
  const loaded = shallowRef(false);
  let pending: Promise<void> | null = null;

  const byId = computed(() => new Map(classes.value.map((c) => [c.id, c])));
  const byCode = computed(() => new Map(classes.value.map((c) => [c.code, c])));

  async function reload(): Promise<void> {
    const answer = await customerClassesApi.list();
    classes.value = answer.items;
    loaded.value = true;
  }

  /** Loads the classes unless they are already here; failures are left to the caller's page to show. */
  function ensure(): Promise<void> {
    if (loaded.value) return Promise.resolve();
    pending ??= reload().finally(() => {
      pending = null;
    });
    return pending;
  }

  // Reads the locale reactively, so names follow a language switch.
  function nameOfId(id: number | null | undefined): string {
    if (id === null || id === undefined) return '';
    return localName(byId.value.get(id), i18n.global.locale.value);
  }

  function nameOfCode(code: string | null | undefined): string {
    if (!code) return '';
    const found = byCode.value.get(code);
    return found ? localName(found, i18n.global.locale.value) : code;
  }

  function clear(): void {
    classes.value = [];
    loaded.value = false;
  }

  return { classes, loaded, byId, byCode, reload, ensure, nameOfId, nameOfCode, clear };
});
