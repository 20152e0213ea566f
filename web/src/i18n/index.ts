// The vue-i18n instance (composition mode) and the list of supported locales.
import { createI18n } from 'vue-i18n';
import zhCN, { type MessageSchema } from './zh-CN';
import en from './en';

export const LOCALES = ['zh-CN', 'en'] as const;
export type AppLocale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: AppLocale = 'zh-CN';
export const LOCALE_STORAGE_KEY = 'ssp.locale';

export function isAppLocale(value: unknown): value is AppLocale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

// localStorage can throw (privacy modes, sandboxed frames): fall back to the default.
export function readStoredLocale(): AppLocale {
  try {
    const stored = window.localStorage.getItem(LOCALE_STORAGE_KEY);
    return isAppLocale(stored) ? stored : DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE;
  }
}

declare module 'vue-i18n' {
  // Gives typed keys to t() across the app.
  export interface DefineLocaleMessage extends MessageSchema {}
}

export const i18n = createI18n<[MessageSchema], AppLocale, false>({
  legacy: false,
  locale: readStoredLocale(),
  fallbackLocale: DEFAULT_LOCALE,
  messages: { 'zh-CN': zhCN, en },
  missingWarn: import.meta.env.DEV,
  fallbackWarn: import.meta.env.DEV,
});
