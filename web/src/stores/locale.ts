// The interface language: switches vue-i18n and Element Plus together and remembers the choice.
import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import zhCnElement from 'element-plus/es/locale/lang/zh-cn';
import enElement from 'element-plus/es/locale/lang/en';
import { i18n, LOCALE_STORAGE_KEY, readStoredLocale, type AppLocale } from '@/i18n';

export const useLocaleStore = defineStore('locale', () => {
  const current = ref<AppLocale>(readStoredLocale());

  const elementLocale = computed(() => (current.value === 'en' ? enElement : zhCnElement));

  function apply(locale: AppLocale): void {
    i18n.global.locale.value = locale;
    document.documentElement.lang = locale;
  }

  function setLocale(locale: AppLocale): void {
    current.value = locale;
    apply(locale);
    try {
      window.localStorage.setItem(LOCALE_STORAGE_KEY, locale);
    } catch {
      // Storage may be unavailable (privacy mode); the choice then lasts for this page only.
    }
  }

  function toggle(): void {
    setLocale(current.value === 'zh-CN' ? 'en' : 'zh-CN');
  }

  apply(current.value);

  return { current, elementLocale, setLocale, toggle };
});
