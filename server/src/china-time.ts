// Business dates are China's (Asia/Shanghai: UTC+8 all year, no daylight saving), whatever the server's zone.

/** The date in China, as YYYY-MM-DD. */
export function chinaToday(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** The month in China, as YYYY-MM. */
export function chinaMonth(now = new Date()): string {
  return chinaToday(now).slice(0, 7);
}
