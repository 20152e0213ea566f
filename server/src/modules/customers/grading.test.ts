// The documented credit score, rule by rule, on constructed histories, with each band's boundaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradeOf, monthsBetween, punctuality, score, windows, type History } from './grading.js';

const w = windows('2026-11-23');
const base = (over: Partial<History> = {}): History => ({
  invoices: [],
  receipts: [],
  overdueDays: 0,
  overdueFen: 0,
  limitFen: 100_000_00,
  firstDocDate: null,
  shippedKg12: 0,
  shippedKgLast6: 0,
  shippedKgPrev6: 0,
  closedKg12: 0,
  cancelledKg12: 0,
  ...over,
});
const points = (h: History, factor: string) => score(h, w).factors.find((f) => f.factor === factor)!.points;

test('the windows are whole calendar months back, clamped to the month end', () => {
  assert.deepEqual(windows('2026-11-23'), { today: '2026-11-23', minus6m: '2026-05-23', minus12m: '2025-11-23' });
  assert.deepEqual(windows('2026-08-31'), { today: '2026-08-31', minus6m: '2026-02-28', minus12m: '2025-08-31' });
  assert.equal(monthsBetween('2025-11-24', '2026-11-23'), 11);
  assert.equal(monthsBetween('2025-11-23', '2026-11-23'), 12);
});

test('receipts pay invoices first in, first out by due date; a late or unpaid invoice counts as late', () => {
  const invoices = [
    { date: '2026-08-01', due: '2026-09-01', fen: 100 },
    { date: '2026-09-01', due: '2026-10-01', fen: 200 },
    { date: '2026-10-01', due: '2026-11-01', fen: 300 },
  ];
  // 100 paid on time; 200 paid half on time, the rest after the due date; 300 unpaid and past due.
  const receipts = [
    { date: '2026-08-20', fen: 200 },
    { date: '2026-10-05', fen: 100 },
  ];
  assert.deepEqual(punctuality(invoices, receipts, '2025-11-23', '2026-11-23'), { onTime: 100, late: 500 });
  // Paid on the due date itself is on time.
  assert.deepEqual(punctuality([{ date: '2026-10-01', due: '2026-10-31', fen: 50 }], [{ date: '2026-10-31', fen: 50 }], '2025-11-23', '2026-11-23'), { onTime: 50, late: 0 });
  // An invoice not yet due is not judged; one due before the window is not counted but still consumes receipts.
  assert.deepEqual(
    punctuality(
      [
        { date: '2025-09-01', due: '2025-10-01', fen: 70 },
        { date: '2026-11-20', due: '2026-12-20', fen: 90 },
      ],
      [{ date: '2025-09-15', fen: 70 }],
      '2025-11-23',
      '2026-11-23',
    ),
    { onTime: 0, late: 0 },
  );
});

test('punctuality gives 35 × the on-time share, and 18 with no invoice due', () => {
  assert.equal(points(base(), 'punctuality'), 18);
  const inv = [
    { date: '2026-06-01', due: '2026-07-01', fen: 300 },
    { date: '2026-07-01', due: '2026-08-01', fen: 100 },
  ];
  assert.equal(points(base({ invoices: inv, receipts: [{ date: '2026-06-20', fen: 300 }] }), 'punctuality'), 26); // 35·300/400 = 26.25
  assert.equal(points(base({ invoices: inv, receipts: [{ date: '2026-06-20', fen: 400 }] }), 'punctuality'), 35);
  assert.equal(points(base({ invoices: inv }), 'punctuality'), 0);
});

test('overdue days fall in bands, and an overdue amount above half the limit takes 5 more', () => {
  const cases: [number, number][] = [
    [0, 25],
    [1, 20],
    [15, 20],
    [16, 15],
    [30, 15],
    [31, 8],
    [60, 8],
    [61, 3],
    [90, 3],
    [91, 0],
  ];
  for (const [days, expected] of cases) assert.equal(points(base({ overdueDays: days }), 'overdue'), expected, `${days} days`);
  assert.equal(points(base({ overdueDays: 10, overdueFen: 50_000_00, limitFen: 100_000_00 }), 'overdue'), 20, 'exactly half is not above half');
  assert.equal(points(base({ overdueDays: 10, overdueFen: 50_000_01, limitFen: 100_000_00 }), 'overdue'), 15);
  assert.equal(points(base({ overdueDays: 95, overdueFen: 90_000_00, limitFen: 100_000_00 }), 'overdue'), 0, 'never below 0');
});

test('tenure counts whole months since the first document', () => {
  assert.equal(points(base(), 'tenure'), 0);
  assert.equal(points(base({ firstDocDate: '2025-11-24' }), 'tenure'), 2); // 11 months
  assert.equal(points(base({ firstDocDate: '2025-11-23' }), 'tenure'), 5); // 12
  assert.equal(points(base({ firstDocDate: '2024-11-23' }), 'tenure'), 8); // 24
  assert.equal(points(base({ firstDocDate: '2023-11-24' }), 'tenure'), 8); // 35
  assert.equal(points(base({ firstDocDate: '2023-11-23' }), 'tenure'), 10); // 36
});

test('volume is banded on whole tonnes shipped in 12 months', () => {
  const cases: [number, number][] = [
    [0, 0],
    [1, 3],
    [999_999, 3],
    [1_000_000, 6],
    [4_999_999, 6],
    [5_000_000, 9],
    [20_000_000, 12],
    [49_999_999, 12],
    [50_000_000, 15],
  ];
  for (const [kg, expected] of cases) assert.equal(points(base({ shippedKg12: kg }), 'volume'), expected, `${kg} kg`);
});

test('the trend compares the last six months with the six before', () => {
  assert.equal(points(base(), 'trend'), 0);
  assert.equal(points(base({ shippedKgLast6: 5 }), 'trend'), 3);
  assert.equal(points(base({ shippedKgLast6: 110, shippedKgPrev6: 100 }), 'trend'), 5);
  assert.equal(points(base({ shippedKgLast6: 109, shippedKgPrev6: 100 }), 'trend'), 3);
  assert.equal(points(base({ shippedKgLast6: 90, shippedKgPrev6: 100 }), 'trend'), 3);
  assert.equal(points(base({ shippedKgLast6: 89, shippedKgPrev6: 100 }), 'trend'), 1);
  assert.equal(points(base({ shippedKgLast6: 50, shippedKgPrev6: 100 }), 'trend'), 1);
  assert.equal(points(base({ shippedKgLast6: 49, shippedKgPrev6: 100 }), 'trend'), 0);
});

test('fulfilment is the closed share of finished orders, 5 with none finished', () => {
  assert.equal(points(base(), 'fulfilment'), 5);
  assert.equal(points(base({ closedKg12: 100 }), 'fulfilment'), 10);
  assert.equal(points(base({ closedKg12: 3, cancelledKg12: 1 }), 'fulfilment'), 8); // 7.5 rounds up
  assert.equal(points(base({ cancelledKg12: 1 }), 'fulfilment'), 0);
});

test('grades follow the score floors', () => {
  assert.deepEqual([100, 90, 89, 80, 79, 70, 69, 60, 59, 0].map(gradeOf), ['AAA', 'AAA', 'AA', 'AA', 'A', 'A', 'B', 'B', 'C', 'C']);
  const best = base({
    invoices: [{ date: '2026-06-01', due: '2026-07-01', fen: 100 }],
    receipts: [{ date: '2026-06-02', fen: 100 }],
    firstDocDate: '2020-01-01',
    shippedKg12: 60_000_000,
    shippedKgLast6: 40_000_000,
    shippedKgPrev6: 20_000_000,
    closedKg12: 1,
  });
  assert.deepEqual(score(best, w), { ...score(best, w), score: 100, grade: 'AAA' });
  assert.equal(score(base(), w).score, 18 + 25 + 5);
  assert.equal(score(base(), w).grade, 'C');
});
