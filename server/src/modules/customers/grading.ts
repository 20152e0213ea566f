// The credit grade: a documented 100-point score from the customer's own history in the portal DB (synced ERP
// documents), computed for every customer at once (nightly job and on demand). The seed's credit-management
// practice (客户合同管理范文4 §4) grades customers by payment behaviour, tenure, volume and contract fulfilment.
//
// Score (all windows end on the grading day, China time):
//   punctuality 35  amount-weighted share of the invoices due in the last 12 months that were paid by their due
//                   date. Receipts pay invoices first-in first-out by due date (the ERP does not link them);
//                   an invoice unpaid past its due date counts as late. No invoice due in the window: 18.
//   overdue     25  the ERP's current overdue days: 0 → 25, 1–15 → 20, 16–30 → 15, 31–60 → 8, 61–90 → 3,
//                   over 90 → 0; a further 5 off (not below 0) when the overdue amount exceeds half the limit.
//   tenure      10  months since the customer's first order, delivery or invoice: under 12 → 2, under 24 → 5,
//                   under 36 → 8, 36 or more → 10; no document at all → 0.
//   volume      15  tonnes shipped (delivery notes) in the last 12 months: 0 → 0, under 1,000 → 3,
//                   under 5,000 → 6, under 20,000 → 9, under 50,000 → 12, 50,000 or more → 15.
//   trend        5  tonnes shipped in the last 6 months against the 6 before: nothing in either → 0; nothing
//                   before → 3; ratio ≥ 1.1 → 5, ≥ 0.9 → 3, ≥ 0.5 → 1, below → 0.
//   fulfilment  10  of the sales orders dated in the last 12 months that are finished, the closed share of the
//                   weight (cancelled orders are unfulfilled): round(10 × closed / (closed + cancelled));
//                   none finished → 5.
// Grade by score: AAA ≥ 90, AA ≥ 80, A ≥ 70, B ≥ 60, C below.
import type { CreditGrade, GradeFactor } from '../../../../shared/api/customers.js';

export const GRADE_FLOORS: readonly [CreditGrade, number][] = [
  ['AAA', 90],
  ['AA', 80],
  ['A', 70],
  ['B', 60],
  ['C', 0],
];

export function gradeOf(score: number): CreditGrade {
  for (const [g, floor] of GRADE_FLOORS) if (score >= floor) return g;
  return 'C';
}

/** Lower is worse: a group takes its worst member's grade. */
export const GRADE_RANK: Record<CreditGrade, number> = { AAA: 5, AA: 4, A: 3, B: 2, C: 1 };

export interface Invoice {
  date: string; // YYYY-MM-DD
  due: string;
  fen: number;
}
export interface Receipt {
  date: string;
  fen: number;
}

/** Everything the score reads about one customer; dates are YYYY-MM-DD strings, amounts integers. */
export interface History {
  invoices: Invoice[]; // any order
  receipts: Receipt[];
  overdueDays: number;
  overdueFen: number;
  limitFen: number;
  /** first order, delivery or invoice date; null without any */
  firstDocDate: string | null;
  shippedKg12: number;
  shippedKgLast6: number;
  shippedKgPrev6: number;
  closedKg12: number;
  cancelledKg12: number;
}

export interface Windows {
  today: string;
  minus6m: string;
  minus12m: string;
}

/** Calendar dates of the windows, by months back from `today` (day clamped to the month's end). */
export function windows(today: string): Windows {
  const back = (months: number) => {
    const [y, m, d] = today.split('-').map(Number);
    const total = y * 12 + (m - 1) - months;
    const yy = Math.floor(total / 12);
    const mm = (total % 12) + 1;
    const last = new Date(Date.UTC(yy, mm, 0)).getUTCDate();
    return `${yy}-${String(mm).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
  };
  return { today, minus6m: back(6), minus12m: back(12) };
}

/** Whole months from a to b (b later), counting a month only when its day has been reached. */
export function monthsBetween(a: string, b: string): number {
  const [ya, ma, da] = a.split('-').map(Number);
  const [yb, mb, db] = b.split('-').map(Number);
  return (yb - ya) * 12 + (mb - ma) - (db < da ? 1 : 0);
}

/**
 * Pays invoices first-in first-out by due date with the receipts in date order and returns, for the invoices
 * due inside [from, today], the amounts paid on time and late (unpaid past due counts as late).
 */
export function punctuality(invoices: Invoice[], receipts: Receipt[], from: string, today: string): { onTime: number; late: number } {
  const inv = [...invoices].sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const rec = [...receipts].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  let r = 0;
  let left = rec.length ? rec[0].fen : 0;
  let onTime = 0;
  let late = 0;
  for (const i of inv) {
    if (i.fen === 0) continue;
    let owed = i.fen;
    let paidOn: string | null = null;
    while (owed > 0 && r < rec.length) {
      const take = Math.min(owed, left);
      owed -= take;
      left -= take;
      paidOn = rec[r].date;
      if (left === 0) {
        r++;
        left = r < rec.length ? rec[r].fen : 0;
      }
    }
    if (i.due < from || i.due > today) continue;
    if (owed === 0 && paidOn !== null && paidOn <= i.due) onTime += i.fen;
    else late += i.fen;
  }
  return { onTime, late };
}

const band = (value: number, bands: readonly [number, number][], otherwise: number) => {
  for (const [below, points] of bands) if (value < below) return points;
  return otherwise;
};

export interface Score {
  score: number;
  grade: CreditGrade;
  factors: GradeFactor[];
}

export function score(h: History, w: Windows): Score {
  const factors: GradeFactor[] = [];

  const p = punctuality(h.invoices, h.receipts, w.minus12m, w.today);
  const due = p.onTime + p.late;
  factors.push({
    factor: 'punctuality',
    max: 35,
    points: due === 0 ? 18 : Math.round((35 * p.onTime) / due),
    inputs: { onTimeFen: p.onTime, dueFen: due },
  });

  let overdue = h.overdueDays === 0 ? 25 : band(h.overdueDays, [[16, 20], [31, 15], [61, 8], [91, 3]], 0);
  const heavy = h.overdueFen > 0 && h.overdueFen * 2 > h.limitFen;
  if (heavy) overdue = Math.max(0, overdue - 5);
  factors.push({ factor: 'overdue', max: 25, points: overdue, inputs: { days: h.overdueDays, fen: h.overdueFen, heavy: heavy ? 1 : 0 } });

  const months = h.firstDocDate ? monthsBetween(h.firstDocDate, w.today) : -1;
  factors.push({
    factor: 'tenure',
    max: 10,
    points: months < 0 ? 0 : band(months, [[12, 2], [24, 5], [36, 8]], 10),
    inputs: { months },
  });

  const tonnes = Math.floor(h.shippedKg12 / 1000);
  factors.push({
    factor: 'volume',
    max: 15,
    points: h.shippedKg12 === 0 ? 0 : band(tonnes, [[1000, 3], [5000, 6], [20000, 9], [50000, 12]], 15),
    inputs: { tonnes },
  });

  let trend: number;
  if (h.shippedKgLast6 === 0 && h.shippedKgPrev6 === 0) trend = 0;
  else if (h.shippedKgPrev6 === 0) trend = 3;
  // Ratios compared in integers: last/prev ≥ 1.1 ⇔ 10·last ≥ 11·prev.
  else if (10 * h.shippedKgLast6 >= 11 * h.shippedKgPrev6) trend = 5;
  else if (10 * h.shippedKgLast6 >= 9 * h.shippedKgPrev6) trend = 3;
  else if (2 * h.shippedKgLast6 >= h.shippedKgPrev6) trend = 1;
  else trend = 0;
  factors.push({ factor: 'trend', max: 5, points: trend, inputs: { last6Kg: h.shippedKgLast6, prev6Kg: h.shippedKgPrev6 } });

  const finished = h.closedKg12 + h.cancelledKg12;
  factors.push({
    factor: 'fulfilment',
    max: 10,
    points: finished === 0 ? 5 : Math.round((10 * h.closedKg12) / finished),
    inputs: { closedKg: h.closedKg12, finishedKg: finished },
  });

  const total = factors.reduce((s, f) => s + f.points, 0);
  return { score: total, grade: gradeOf(total), factors };
}
