// Integers in their smallest unit (fen, kilograms) as decimal text, by the digits of the integer: no binary
// fraction ever appears, and values near 2^53 stay exact (DESIGN.md §3). Used by the server's CSV and the web.

/** 123456 fen, 2 digits -> "1234.56"; -5 -> "-0.05"; 1250500 kg, 3 digits -> "1250.500". No grouping. */
export function decimalText(value: number, digits: number): string {
  const sign = value < 0 ? '-' : '';
  const text = String(Math.abs(Math.trunc(value))).padStart(digits + 1, '0');
  return `${sign}${text.slice(0, text.length - digits)}.${text.slice(text.length - digits)}`;
}

/** kg × fen per tonne ÷ 1000, rounded half up to whole fen, in BigInt so that no product of two large integers loses a digit. */
export function amountFen(kg: number, priceFenPerT: number): number {
  return Number((BigInt(kg) * BigInt(priceFenPerT) + BigInt(500)) / BigInt(1000));
}

/** (price − base) × 10000 ÷ base in basis points, rounded toward zero; 0 when there is no base price. */
export function deviationBp(priceFenPerT: number, baseFenPerT: number): number {
  if (baseFenPerT <= 0) return 0;
  return Number(((BigInt(priceFenPerT) - BigInt(baseFenPerT)) * BigInt(10000)) / BigInt(baseFenPerT));
}
