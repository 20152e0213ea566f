// Units: amounts in Chinese capital numerals (大写) by the PBOC rules, at every zero position and 万/亿 boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chineseCapitalAmount } from './units.js';

const yuan = (y: number) => y * 100;

test('zero is 零元整 and whole yuan end in 整', () => {
  assert.equal(chineseCapitalAmount(0), '零元整');
  assert.equal(chineseCapitalAmount(100), '壹元整');
  assert.equal(chineseCapitalAmount(yuan(9)), '玖元整');
});

test('every digit with its place, 角 and 分', () => {
  assert.equal(chineseCapitalAmount(123456789), '壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分');
  assert.equal(chineseCapitalAmount(98765432), '玖拾捌万柒仟陆佰伍拾肆元叁角贰分');
});

test('a leading ten is written 壹拾, also inside a number', () => {
  assert.equal(chineseCapitalAmount(1050), '壹拾元伍角');
  assert.equal(chineseCapitalAmount(yuan(10)), '壹拾元整');
  assert.equal(chineseCapitalAmount(yuan(100_000)), '壹拾万元整');
  assert.equal(chineseCapitalAmount(yuan(1010)), '壹仟零壹拾元整');
});

test('角 without 分 needs no 整, 分 without 角 is preceded by 零', () => {
  assert.equal(chineseCapitalAmount(140950), '壹仟肆佰零玖元伍角');
  assert.equal(chineseCapitalAmount(1000005), '壹万元零伍分');
  assert.equal(chineseCapitalAmount(1640902), '壹万陆仟肆佰零玖元零贰分');
  assert.equal(chineseCapitalAmount(32504), '叁佰贰拾伍元零肆分');
});

test('less than one yuan has no 元 part', () => {
  assert.equal(chineseCapitalAmount(50), '伍角');
  assert.equal(chineseCapitalAmount(5), '伍分');
  assert.equal(chineseCapitalAmount(55), '伍角伍分');
});

test('zeros in the middle are one 零 however many there are', () => {
  assert.equal(chineseCapitalAmount(600714), '陆仟零柒元壹角肆分');
  assert.equal(chineseCapitalAmount(yuan(1001)), '壹仟零壹元整');
  assert.equal(chineseCapitalAmount(yuan(1100)), '壹仟壹佰元整');
  assert.equal(chineseCapitalAmount(yuan(1_000_001)), '壹佰万零壹元整');
});

test('a zero 元 digit before 角 writes no 零 (the rules allow either)', () => {
  assert.equal(chineseCapitalAmount(168032), '壹仟陆佰捌拾元叁角贰分');
  assert.equal(chineseCapitalAmount(10700053), '壹拾万柒仟元伍角叁分');
});

test('万 boundary: trailing zeros of the 万 group write no 零, a 万 group followed by leading zeros does', () => {
  assert.equal(chineseCapitalAmount(yuan(1_005_000)), '壹佰万伍仟元整');
  assert.equal(chineseCapitalAmount(yuan(1_000_500)), '壹佰万零伍佰元整');
  assert.equal(chineseCapitalAmount(yuan(10_000)), '壹万元整');
  assert.equal(chineseCapitalAmount(yuan(10_001)), '壹万零壹元整');
  assert.equal(chineseCapitalAmount(yuan(9_999)), '玖仟玖佰玖拾玖元整');
});

test('亿 boundary: a whole zero 万 group reads as one 零', () => {
  assert.equal(chineseCapitalAmount(yuan(100_000_000)), '壹亿元整');
  assert.equal(chineseCapitalAmount(yuan(100_000_001)), '壹亿零壹元整');
  assert.equal(chineseCapitalAmount(yuan(100_001_000)), '壹亿零壹仟元整');
  assert.equal(chineseCapitalAmount(yuan(105_000_000)), '壹亿零伍佰万元整');
  assert.equal(chineseCapitalAmount(yuan(110_000_000)), '壹亿壹仟万元整');
  assert.equal(chineseCapitalAmount(yuan(99_999_999)), '玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整');
});

test('万亿: beyond 亿 the 亿 count is read in 万 again', () => {
  assert.equal(chineseCapitalAmount(BigInt(yuan(1_000_000_000_000))), '壹万亿元整');
  assert.equal(chineseCapitalAmount(BigInt('100000000000001')), '壹万亿元零壹分');
  assert.equal(chineseCapitalAmount(BigInt('100000000000000000')), '壹仟万亿元整');
});

test('exact up to 2^53 fen', () => {
  // 2^53 = 9007199254740992 fen = ¥90,071,992,547,409.92
  assert.equal(chineseCapitalAmount(BigInt(2) ** BigInt(53)), '玖拾万零柒佰壹拾玖亿玖仟贰佰伍拾肆万柒仟肆佰零玖元玖角贰分');
  assert.equal(chineseCapitalAmount(Number.MAX_SAFE_INTEGER), '玖拾万零柒佰壹拾玖亿玖仟贰佰伍拾肆万柒仟肆佰零玖元玖角壹分');
});

test('numbers and bigints give the same text', () => {
  for (const fen of [0, 7, 70, 700, 7007, 12345678901]) assert.equal(chineseCapitalAmount(fen), chineseCapitalAmount(BigInt(fen)));
});

test('negative, fractional or unsafe amounts are refused', () => {
  assert.throws(() => chineseCapitalAmount(-1), RangeError);
  assert.throws(() => chineseCapitalAmount(BigInt(-100)), RangeError);
  assert.throws(() => chineseCapitalAmount(1.5), RangeError);
  assert.throws(() => chineseCapitalAmount(2 ** 53 + 2), RangeError);
});
