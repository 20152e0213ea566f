// Display formats: timestamps are stored in UTC and always shown in China time (Asia/Shanghai).
import { i18n, type AppLocale } from '@/i18n';

export const DISPLAY_TIME_ZONE = 'Asia/Shanghai';

const dateTimeFormats = new Map<AppLocale, Intl.DateTimeFormat>();

function dateTimeFormat(locale: AppLocale): Intl.DateTimeFormat {
  let format = dateTimeFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, {
      timeZone: DISPLAY_TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    dateTimeFormats.set(locale, format);
  }
  return format;
}

// Reads the current locale reactively, so a computed or template re-renders on a language switch.
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return dateTimeFormat(i18n.global.locale.value).format(date);
}

// A wait such as a lockout or rate limit, in the largest sensible unit.
export function formatWait(totalSeconds: number): string {
  const { t } = i18n.global;
  const seconds = Math.max(1, Math.ceil(totalSeconds));
  if (seconds < 60) return t('duration.seconds', { n: seconds });
  if (seconds < 3600) {
    const m = Math.floor(seconds / 60);
    const s = seconds % 60;
    return s === 0 ? t('duration.minutes', { n: m }) : t('duration.minutesSeconds', { m, s });
  }
  return t('duration.hours', { n: Math.ceil(seconds / 3600) });
}

export function formatRegion(province: string | null, city: string | null): string {
  return [province, city].filter((part): part is string => !!part).join(' ');
}
