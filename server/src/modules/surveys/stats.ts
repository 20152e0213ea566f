// Survey statistics, pure functions over submitted answers: distributions, mean and spread, NPS, matrix heat table,
// monthly trends and breakdowns. Counts and sums are integers; a figure is rounded once, when it is reported.
import type { Answers, BreakdownRow, Question, QuestionResult, Rate, Section, TrendPoint } from '../../../../shared/api/surveys.js';
import { NPS, RATING, isAnswered, questionsOf, shownQuestions } from './definition.js';

export interface ResponseInput {
  customerId: number;
  /** ISO 8601 */
  submittedAt: string;
  answers: Answers;
}

/**
 * num/den rounded half away from zero to `dp` decimals, in integer arithmetic (num, den integers, den > 0), so
 * 2/3 gives 0.67 and -1/8 at one decimal gives -0.1 exactly as a person would round them; null when den is 0.
 */
export function ratio(num: number, den: number, dp: number): number | null {
  if (den === 0) return null;
  const scale = 10 ** dp;
  const sign = num < 0 ? -1 : 1;
  const q = Math.floor((2 * Math.abs(num) * scale + den) / (2 * den));
  return (sign * q) / scale;
}

/** Integer scores summarised: n, mean to 2 decimals, and the population standard deviation σ to 2 decimals. */
export function describe(scores: number[]): { n: number; mean: number | null; sd: number | null } {
  const n = scores.length;
  if (!n) return { n, mean: null, sd: null };
  let sum = 0;
  let sumSq = 0;
  for (const s of scores) {
    sum += s;
    sumSq += s * s;
  }
  // σ = sqrt(n·Σx² − (Σx)²) / n: the radicand is an exact integer; the square root is the one inexact step.
  const radicand = n * sumSq - sum * sum;
  const sd = Math.round((Math.sqrt(radicand) / n) * 100 + 1e-9) / 100;
  return { n, mean: ratio(sum, n, 2), sd };
}

/** Net Promoter: promoters score 9–10, passives 7–8, detractors 0–6, over those who answered (never the skips). */
export function nps(scores: number[]) {
  const n = scores.length;
  const promoters = scores.filter((s) => s >= 9).length;
  const detractors = scores.filter((s) => s <= 6).length;
  const passives = n - promoters - detractors;
  return {
    promoters,
    passives,
    detractors,
    promotersPct: ratio(100 * promoters, n, 1),
    passivesPct: ratio(100 * passives, n, 1),
    detractorsPct: ratio(100 * detractors, n, 1),
    /** −100..100, one decimal */
    score: ratio(100 * (promoters - detractors), n, 1),
  };
}

export function rate(invited: number, responded: number): Rate {
  return { invited, responded, ratePct: ratio(100 * responded, invited, 1) };
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

/** One question's result over the submitted responses; `search` filters the listed text answers (case-insensitive). */
export function questionResult(q: Question, questions: Question[], responses: ResponseInput[], search = ''): QuestionResult {
  let shown = 0;
  const answered: { v: NonNullable<Answers[string]>; r: ResponseInput }[] = [];
  for (const r of responses) {
    if (!shownQuestions(questions, r.answers).has(q.id)) continue;
    shown++;
    const v = r.answers[q.id];
    if (isAnswered(q, v)) answered.push({ v: v!, r });
  }
  const n = answered.length;
  const base: QuestionResult = { questionId: q.id, type: q.type, title: q.title, shown, answered: n, skipped: shown - n, distribution: [], mean: null, sd: null };
  const pct = (c: number) => ratio(100 * c, n, 1);
  switch (q.type) {
    case 'single':
    case 'multiple': {
      // Multiple choice: each option's share of those who answered (the shares may add up to more than 100%).
      base.distribution = q.options!.map((o) => {
        const count = answered.filter(({ v }) => (Array.isArray(v) ? v.includes(o.id) : v === o.id)).length;
        return { value: o.id, label: o.label, count, pct: pct(count) };
      });
      return base;
    }
    case 'rating':
    case 'nps': {
      const scores = answered.map(({ v }) => Number(v));
      const r = q.type === 'rating' ? RATING : NPS;
      base.distribution = range(r.min, r.max).map((s) => {
        const count = scores.filter((x) => x === s).length;
        return { value: String(s), label: String(s), count, pct: pct(count) };
      });
      const d = describe(scores);
      base.mean = d.mean;
      base.sd = d.sd;
      if (q.type === 'nps') base.nps = nps(scores);
      return base;
    }
    case 'matrix': {
      base.matrix = q.items!.map((item) => {
        const scores = answered.map(({ v }) => (v as Record<string, number>)[item.id]).filter((s): s is number => typeof s === 'number');
        const d = describe(scores);
        return { itemId: item.id, label: item.label, counts: range(RATING.min, RATING.max).map((s) => scores.filter((x) => x === s).length), answered: d.n, mean: d.mean, sd: d.sd };
      });
      const all = answered.flatMap(({ v }) => Object.values(v as Record<string, number>));
      const d = describe(all);
      base.mean = d.mean;
      base.sd = d.sd;
      return base;
    }
    case 'short_text':
    case 'long_text': {
      const needle = search.trim().toLowerCase();
      base.texts = answered
        .map(({ v, r }) => ({ text: String(v), submittedAt: r.submittedAt }))
        .filter((x) => !needle || x.text.toLowerCase().includes(needle))
        .sort((a, b) => (a.submittedAt < b.submittedAt ? 1 : -1));
      return base;
    }
  }
}

/** Every NPS score and every 1–5 satisfaction score (rating questions and matrix cells) of one response. */
function scoresOf(questions: Question[], r: ResponseInput): { nps: number[]; satisfaction: number[] } {
  const shown = shownQuestions(questions, r.answers);
  const out = { nps: [] as number[], satisfaction: [] as number[] };
  for (const q of questions) {
    const v = r.answers[q.id];
    if (!shown.has(q.id) || !isAnswered(q, v)) continue;
    if (q.type === 'nps') out.nps.push(Number(v));
    else if (q.type === 'rating') out.satisfaction.push(Number(v));
    else if (q.type === 'matrix') out.satisfaction.push(...Object.values(v as Record<string, number>));
  }
  return out;
}

function pooled(questions: Question[], responses: ResponseInput[]) {
  const npsScores: number[] = [];
  const sat: number[] = [];
  for (const r of responses) {
    const s = scoresOf(questions, r);
    npsScores.push(...s.nps);
    sat.push(...s.satisfaction);
  }
  return { npsScores, sat, nps: npsScores.length ? nps(npsScores).score : null, satisfaction: describe(sat).mean };
}

/** The month of a time in China (Asia/Shanghai is UTC+8 all year). */
export const chinaMonth = (iso: string) => new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString().slice(0, 7);

/** NPS and satisfaction (mean 1–5 score) by month of submission, in China time, oldest first. */
export function trend(sections: Section[], responses: ResponseInput[]): TrendPoint[] {
  const questions = questionsOf(sections);
  const byMonth = new Map<string, ResponseInput[]>();
  for (const r of responses) {
    const m = chinaMonth(r.submittedAt);
    byMonth.set(m, [...(byMonth.get(m) ?? []), r]);
  }
  return [...byMonth.keys()].sort().map((month) => {
    const list = byMonth.get(month)!;
    const p = pooled(questions, list);
    return { month, responses: list.length, nps: p.nps, npsAnswered: p.npsScores.length, satisfaction: p.satisfaction, satisfactionAnswered: p.sat.length };
  });
}

export interface CustomerAttributes {
  classCode: string | null;
  className: string | null;
  province: string | null;
  varieties: string[];
}

/**
 * Response rate, NPS and satisfaction per group of customers: invited customers and those with a submitted
 * response are counted by organisation; a customer with several varieties counts in each.
 */
export function breakdown(
  sections: Section[],
  invited: number[],
  responses: ResponseInput[],
  attrs: Map<number, CustomerAttributes>,
  groupsOf: (a: CustomerAttributes | undefined) => { key: string; label: string }[],
): BreakdownRow[] {
  const questions = questionsOf(sections);
  const groups = new Map<string, { label: string; invited: Set<number>; responses: ResponseInput[] }>();
  const groupFor = (g: { key: string; label: string }) => {
    let x = groups.get(g.key);
    if (!x) groups.set(g.key, (x = { label: g.label, invited: new Set(), responses: [] }));
    return x;
  };
  for (const id of invited) for (const g of groupsOf(attrs.get(id))) groupFor(g).invited.add(id);
  for (const r of responses) for (const g of groupsOf(attrs.get(r.customerId))) groupFor(g).responses.push(r);
  return [...groups.entries()]
    .map(([key, g]) => {
      const responded = new Set(g.responses.map((r) => r.customerId)).size;
      const p = pooled(questions, g.responses);
      return { key, label: g.label, invited: g.invited.size, responded, ratePct: rate(g.invited.size, responded).ratePct, nps: p.nps, satisfaction: p.satisfaction };
    })
    .sort((a, b) => b.invited - a.invited || a.key.localeCompare(b.key));
}

export const byClass = (a: CustomerAttributes | undefined) => [{ key: a?.classCode ?? '-', label: a?.className ?? '-' }];
export const byProvince = (a: CustomerAttributes | undefined) => [{ key: a?.province ?? '-', label: a?.province ?? '-' }];
export const byVariety = (a: CustomerAttributes | undefined) => (a?.varieties.length ? a.varieties.map((v) => ({ key: v, label: v })) : [{ key: '-', label: '-' }]);
