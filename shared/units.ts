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

const CAPITAL_DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const CAPITAL_UNITS = ['', '拾', '佰', '仟'];
const TEN_THOUSAND = BigInt(10_000);
const HUNDRED_MILLION = BigInt(100_000_000);

/** 1..9999 as capital numerals; a run of zeros between two digits is one 零, trailing zeros are not written. */
function capitalGroup(n: number): string {
  let text = '';
  let zero = false;
  for (let place = 3; place >= 0; place--) {
    const digit = Math.floor(n / 10 ** place) % 10;
    if (digit === 0) {
      zero = text !== '';
    } else {
      if (zero) text += CAPITAL_DIGITS[0];
      text += CAPITAL_DIGITS[digit] + CAPITAL_UNITS[place];
      zero = false;
    }
  }
  return text;
}

/** A positive integer of yuan: 亿 and 万 split it into groups; a group that starts with zeros (or a whole zero 万 group) reads 零. */
function capitalInteger(n: bigint): string {
  if (n >= HUNDRED_MILLION) {
    const high = n / HUNDRED_MILLION;
    const low = n % HUNDRED_MILLION;
    return `${capitalInteger(high)}亿${low === BigInt(0) ? '' : (low < HUNDRED_MILLION / BigInt(10) ? '零' : '') + capitalInteger(low)}`;
  }
  if (n >= TEN_THOUSAND) {
    const high = Number(n / TEN_THOUSAND);
    const low = Number(n % TEN_THOUSAND);
    return `${capitalGroup(high)}万${low === 0 ? '' : (low < 1000 ? '零' : '') + capitalGroup(low)}`;
  }
  return capitalGroup(Number(n));
}

/**
 * An amount of integer fen in Chinese capital numerals (大写金额), as written on contracts and invoices:
 * 123456789 -> 壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分, 1000005 -> 壹万元零伍分, 0 -> 零元整.
 *
 * Rules from the PBOC 《支付结算办法》 (银发〔1997〕393号), 附件一《正确填写票据和结算凭证的基本规定》:
 * - 整 follows 元 when the amount has no 角 and no 分; it is not written after 角 (optional there) nor after 分.
 * - A zero between digits is written 零, several zeros in a row once (¥6,007.14 -> 陆仟零柒元壹角肆分).
 * - When the 万 or 元 digit is 0 but the next digit (千, 角) is not, 零 may be written once or not at all:
 *   this function does not write it (¥1,680.32 -> 壹仟陆佰捌拾元叁角贰分, ¥1,005,000 -> 壹佰万伍仟元整); a 万
 *   group that starts with zeros after a higher digit still reads 零 (¥1,000,500 -> 壹佰万零伍佰元整).
 * - When 角 is 0 and 分 is not, 元 is followed by 零 (¥16,409.02 -> 壹万陆仟肆佰零玖元零贰分).
 * - A leading ten is written 壹拾, as the rules' own example ¥107,000.53 -> 壹拾万柒仟元... does: a bare 拾 at the
 *   head would let a digit be added in front of it.
 * Less than one yuan has no 元 part (¥0.50 -> 伍角), as banks write it.
 * Exact for any non-negative integer (BigInt arithmetic); negative or fractional fen is a RangeError.
 */
export function chineseCapitalAmount(fen: bigint | number): string {
  if (typeof fen === 'number' && !Number.isSafeInteger(fen)) throw new RangeError(`not an integer amount of fen: ${fen}`);
  const total = BigInt(fen);
  if (total < BigInt(0)) throw new RangeError(`negative amount of fen: ${fen}`);
  const yuan = total / BigInt(100);
  const jiao = Number((total / BigInt(10)) % BigInt(10));
  const cents = Number(total % BigInt(10));
  if (yuan === BigInt(0) && jiao === 0 && cents === 0) return '零元整';
  let text = yuan > BigInt(0) ? `${capitalInteger(yuan)}元` : '';
  if (jiao === 0 && cents === 0) return `${text}整`;
  if (jiao > 0) text += `${CAPITAL_DIGITS[jiao]}角`;
  else if (yuan > BigInt(0)) text += '零';
  if (cents > 0) text += `${CAPITAL_DIGITS[cents]}分`;
  return text;
}
