// CSV downloads (customer lists, reports, survey answers): RFC 4180 quoting, UTF-8 with a byte-order mark so that
// Excel opens Chinese text correctly, and cells that spreadsheets would run as formulas neutralised.

/** RFC 4180 quoting; a leading =, +, -, @, tab or carriage return (OWASP CSV injection) that is not a number is prefixed with ' so that spreadsheets do not run it. */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The rows (the header first) as a CSV document. */
export const csvText = (rows: unknown[][]): string => '\uFEFF' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
