// Business dates are China's (Asia/Shanghai: UTC+8 all year, no daylight saving), whatever the server's zone.

/** The date in China, as YYYY-MM-DD. */
export function chinaToday(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** The month in China, as YYYY-MM. */
export function chinaMonth(now = new Date()): string {
  return chinaToday(now).slice(0, 7);
}

/** The UTC instant a China calendar day (YYYY-MM-DD) begins. */
export function chinaDayStartUtc(day: string): Date {
  return new Date(`${day}T00:00:00+08:00`);
}

/** The calendar day `days` after a China day. */
export function addDays(day: string, days: number): string {
  return new Date(chinaDayStartUtc(day).getTime() + days * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);
}
