// Names that shared/ already defines in both languages (ERP interfaces, outbound kinds), picked for one language
// so that they reach the screen through vue-i18n like every other text.
export function labelsIn<K extends string>(labels: Record<K, { zh: string; en: string }>, language: 'zh' | 'en'): Record<K, string> {
  return Object.fromEntries(Object.entries<{ zh: string; en: string }>(labels).map(([key, label]) => [key, label[language]])) as Record<
    K,
    string
  >;
}
