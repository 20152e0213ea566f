// Display formats: timestamps are stored in UTC and always shown in China time (Asia/Shanghai).
import { i18n, type AppLocale } from '@/i18n';
import { decimalText } from '@shared/units';

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

const integerFormats = new Map<AppLocale, Intl.NumberFormat>();

export function formatInteger(value: number): string {
  const locale = i18n.global.locale.value;
  let format = integerFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    integerFormats.set(locale, format);
  }
  return format.format(value);
}

// Weights travel as integer kilograms and money as integer fen (DESIGN.md §3); both are split with integer
// arithmetic, so no binary fraction ever reaches the screen.
// The split is done on the decimal digits of the integer, so even values near 2^53 are exact.
function splitUnits(value: number, digits: number): string {
  const [whole, part] = decimalText(value, digits).split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  return `${sign}${formatInteger(Number(whole.replace('-', '')))}.${part}`;
}

/** Integer kilograms as tonnes with three decimals. */
export function formatTonnes(kg: number): string {
  return splitUnits(kg, 3);
}

/** Integer fen as yuan with two decimals. */
export function formatYuan(fen: number): string {
  return splitUnits(fen, 2);
}

/** Integer fen as money with the yuan sign: 123456 -> "¥1,234.56", -5 -> "-¥0.05". */
export function formatMoney(fen: number): string {
  const text = splitUnits(Math.abs(Math.trunc(fen)), 2);
  return fen < 0 ? `-¥${text}` : `¥${text}`;
}

/** A change in integer kilograms as signed tonnes: 1250 -> "+1.250", -5 -> "-0.005", 0 -> "0.000". */
export function formatTonnesChange(kg: number): string {
  return kg > 0 ? `+${formatTonnes(kg)}` : formatTonnes(kg);
}

/** A change in integer fen as signed yuan: 1250 -> "+¥12.50". */
export function formatMoneyChange(fen: number): string {
  return fen > 0 ? `+${formatMoney(fen)}` : formatMoney(fen);
}

// Shares are rounded half away from zero in tenths of a percent with BigInt, so two reports showing the same
// integers show the same percentage, whatever their size.
function tenthsOfPercent(part: number, whole: number): bigint {
  const p = BigInt(Math.trunc(part)) * BigInt(1000);
  const w = BigInt(Math.trunc(Math.abs(whole)));
  const q = (2n * (p < 0n ? -p : p) + w) / (2n * w);
  return (p < 0n) !== (whole < 0) ? -q : q;
}

const tenthsText = (tenths: bigint) => {
  const sign = tenths < 0n ? '-' : '';
  const abs = tenths < 0n ? -tenths : tenths;
  return `${sign}${abs / 10n}.${abs % 10n}%`;
};

/** part of whole as a percentage with one decimal: (1, 3) -> "33.3%"; '—' when the whole is 0. */
export function formatShare(part: number, whole: number): string {
  if (whole === 0) return '—';
  return tenthsText(tenthsOfPercent(part, whole));
}

/** The change from previous to current as a signed percentage: (120, 100) -> "+20.0%"; '—' without a previous value. */
export function formatPercentChange(current: number, previous: number): string {
  if (previous === 0) return '—';
  const tenths = tenthsOfPercent(current - previous, previous);
  return tenths > 0n ? `+${tenthsText(tenths)}` : tenthsText(tenths);
}

/** Basis points as a percentage with two decimals: 1234 -> "12.34%". */
export function formatBasisPoints(bp: number): string {
  const sign = bp < 0 ? '-' : '';
  return `${sign}${decimalText(Math.abs(Math.trunc(bp)), 2)}%`;
}

/** An integer in its smallest unit as plain decimal text for an input box (no grouping): 1250 fen -> "12.50". */
export { decimalText };

/**
 * Decimal text typed by a user as an integer of the smallest unit, by string arithmetic (no binary fraction):
 * parseDecimal("12.5", 2) -> 1250. Null when it is not a number, has more decimals than the unit allows,
 * is negative without `allowNegative`, or leaves the safe integer range.
 */
export function parseDecimal(text: string, digits: number, allowNegative = false): number | null {
  const match = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(text.trim().replace(/[,，\s]/g, ''));
  if (!match) return null;
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > digits) return null;
  if (sign === '-' && !allowNegative) return null;
  const value = Number(`${whole}${fraction.padEnd(digits, '0')}`);
  if (!Number.isSafeInteger(value)) return null;
  return sign === '-' && value !== 0 ? -value : value;
}

/** Yuan typed by a user as integer fen: "1,234.5" -> 123450. */
export function parseYuan(text: string, allowNegative = false): number | null {
  return parseDecimal(text, 2, allowNegative);
}

/** Tonnes typed by a user as integer kilograms: "12.345" -> 12345. */
export function parseTonnes(text: string): number | null {
  return parseDecimal(text, 3);
}

const chinaDateFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: DISPLAY_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar day (YYYY-MM-DD) in China time, `daysBack` days before the given moment. */
export function chinaDate(daysBack = 0, now: Date = new Date()): string {
  return chinaDateFormat.format(new Date(now.getTime() - daysBack * 86_400_000));
}
