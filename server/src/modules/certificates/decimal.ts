// Exact comparison of decimal strings ("0.0050" against "0.045") by scaled BigInt: the values on a certificate are
// judged against their limits without a binary fraction ever appearing (DESIGN.md §3).
import type { ResultOperator } from '../../../../shared/erp/payloads.js';

const DECIMAL = /^\d+(\.\d+)?$/;

/** -1, 0 or 1 as a is below, equal to or above b; both non-negative decimal strings. */
export function compareDecimal(a: string, b: string): number {
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) throw new RangeError(`not a decimal: ${DECIMAL.test(a) ? b : a}`);
  const [ai, af = ''] = a.split('.');
  const [bi, bf = ''] = b.split('.');
  const digits = Math.max(af.length, bf.length);
  const x = BigInt(ai + af.padEnd(digits, '0'));
  const y = BigInt(bi + bf.padEnd(digits, '0'));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Whether a printed value meets its limits. Without an operator (or with "=") the value is the measurement. With
 * "<" or "≤" the measurement is at most the value: it meets a max at or above the value, fails a min above the
 * value ("<": at or above), and is undecided against any other min; ">" and "≥" mirror that. Null: no limit, or undecided.
 */
export function inSpec(value: string, operator: ResultOperator | null, min: string | null, max: string | null): boolean | null {
  const checks: (boolean | null)[] = [];
  const op = operator ?? '=';
  if (max !== null) {
    const c = compareDecimal(value, max);
    if (op === '=') checks.push(c <= 0);
    else if (op === '<' || op === '≤') checks.push(c <= 0 ? true : null);
    else if (op === '>') checks.push(c >= 0 ? false : null);
    else checks.push(c > 0 ? false : null); // ≥
  }
  if (min !== null) {
    const c = compareDecimal(value, min);
    if (op === '=') checks.push(c >= 0);
    else if (op === '>' || op === '≥') checks.push(c >= 0 ? true : null);
    else if (op === '<') checks.push(c <= 0 ? false : null);
    else checks.push(c < 0 ? false : null); // ≤
  }
  if (!checks.length) return null;
  if (checks.includes(false)) return false;
  return checks.includes(null) ? null : true;
}
