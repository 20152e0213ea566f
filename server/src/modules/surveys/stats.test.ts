// Survey statistics on constructed answers: rounding, mean and spread, NPS over those who answered (skips apart),
// distributions, the matrix heat table, hidden questions, text search, monthly trend and breakdowns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answers, Question, Section } from '../../../../shared/api/surveys.js';
import { breakdown, byClass, byVariety, describe, nps, questionResult, rate, ratio, trend, type ResponseInput } from './stats.js';

const at = (iso: string) => iso;
const resp = (answers: Answers, customerId = 1, submittedAt = '2026-11-10T02:00:00.000Z'): ResponseInput => ({ customerId, submittedAt: at(submittedAt), answers });

const Q: Question[] = [
  { id: 'pick', type: 'single', title: 'Pick', required: false, options: [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }] },
  { id: 'many', type: 'multiple', title: 'Many', required: false, options: [{ id: 'x', label: 'X' }, { id: 'y', label: 'Y' }, { id: 'z', label: 'Z' }] },
  { id: 'rate', type: 'rating', title: 'Rate', required: false },
  { id: 'nps', type: 'nps', title: 'NPS', required: false },
  { id: 'grid', type: 'matrix', title: 'Grid', required: false, items: [{ id: 'q', label: 'Quality' }, { id: 'd', label: 'Delivery' }] },
  { id: 'why', type: 'long_text', title: 'Why', required: false, showIf: { questionId: 'pick', anyOf: ['b'] } },
];
const sections: Section[] = [{ id: 's', title: '', questions: Q }];
const result = (id: string, rs: ResponseInput[], search = '') => questionResult(Q.find((q) => q.id === id)!, Q, rs, search);

test('ratios round half away from zero in integer arithmetic, and say null over nothing', () => {
  assert.equal(ratio(2, 3, 2), 0.67);
  assert.equal(ratio(1, 8, 2), 0.13);
  assert.equal(ratio(-1, 8, 2), -0.13);
  assert.equal(ratio(-100, 3, 1), -33.3);
  assert.equal(ratio(5, 0, 1), null);
  // 0.1 + 0.2 style float error does not appear: 1005/1000 at two decimals is 1.01 (binary floats would give 1.00).
  assert.equal(ratio(1005, 1000, 2), 1.01);
});

test('mean and population standard deviation of scores', () => {
  assert.deepEqual(describe([]), { n: 0, mean: null, sd: null });
  assert.deepEqual(describe([4, 4, 4]), { n: 3, mean: 4, sd: 0 });
  // 2,4,4,4,5,5,7,9: mean 5, σ 2 (the textbook example)
  assert.deepEqual(describe([2, 4, 4, 4, 5, 5, 7, 9]), { n: 8, mean: 5, sd: 2 });
  // 1,2: mean 1.5, σ 0.5; 1,2,2: mean 1.67, σ = sqrt(2)/3 = 0.471 -> 0.47
  assert.deepEqual(describe([1, 2]), { n: 2, mean: 1.5, sd: 0.5 });
  assert.deepEqual(describe([1, 2, 2]), { n: 3, mean: 1.67, sd: 0.47 });
});

test('NPS counts promoters 9–10, passives 7–8 and detractors 0–6 over those who answered', () => {
  const r = nps([10, 9, 9, 8, 7, 6, 0, 3, 10, 5]);
  assert.deepEqual(r, { promoters: 4, passives: 2, detractors: 4, promotersPct: 40, passivesPct: 20, detractorsPct: 40, score: 0 });
  assert.equal(nps([10, 10, 6]).score, 33.3);
  assert.equal(nps([0, 0, 9]).score, -33.3);
  assert.equal(nps([]).score, null);
});

test('an NPS question: skips are counted apart and never in the denominator', () => {
  const rs = [resp({ nps: 10 }), resp({ nps: 9 }), resp({ nps: 2 }), resp({}), resp({ pick: 'a' })];
  const r = result('nps', rs);
  assert.equal(r.shown, 5);
  assert.equal(r.answered, 3);
  assert.equal(r.skipped, 2);
  assert.equal(r.nps!.promoters, 2);
  assert.equal(r.nps!.detractors, 1);
  assert.equal(r.nps!.promotersPct, 66.7);
  assert.equal(r.nps!.score, 33.3); // (2 − 1) / 3, not / 5
  assert.equal(r.mean, 7);
  assert.equal(r.distribution.length, 11);
  assert.equal(r.distribution.find((d) => d.value === '10')!.count, 1);
});

test('a rating question: distribution over 1–5, mean and spread', () => {
  const r = result('rate', [resp({ rate: 5 }), resp({ rate: 4 }), resp({ rate: 4 }), resp({ rate: 1 }), resp({})]);
  assert.deepEqual(r.distribution.map((d) => d.count), [1, 0, 0, 2, 1]);
  assert.deepEqual(r.distribution.map((d) => d.pct), [25, 0, 0, 50, 25]);
  assert.equal(r.mean, 3.5);
  assert.equal(r.sd, 1.5);
  assert.equal(r.skipped, 1);
});

test('choice questions: option counts over those who answered; multiple choice shares may pass 100%', () => {
  const single = result('pick', [resp({ pick: 'a' }), resp({ pick: 'a' }), resp({ pick: 'b' })]);
  assert.deepEqual(single.distribution.map((d) => [d.value, d.count, d.pct]), [['a', 2, 66.7], ['b', 1, 33.3]]);
  const multi = result('many', [resp({ many: ['x', 'y'] }), resp({ many: ['x'] }), resp({})]);
  assert.deepEqual(multi.distribution.map((d) => [d.value, d.count, d.pct]), [['x', 2, 100], ['y', 1, 50], ['z', 0, 0]]);
  assert.equal(multi.skipped, 1);
});

test('a matrix gives one heat-table row per item with counts per score, mean and spread', () => {
  const r = result('grid', [resp({ grid: { q: 5, d: 3 } }), resp({ grid: { q: 4 } }), resp({ grid: { q: 5, d: 1 } })]);
  assert.deepEqual(r.matrix, [
    { itemId: 'q', label: 'Quality', counts: [0, 0, 0, 1, 2], answered: 3, mean: 4.67, sd: 0.47 },
    { itemId: 'd', label: 'Delivery', counts: [1, 0, 1, 0, 0], answered: 2, mean: 2, sd: 1 },
  ]);
});

test('a question hidden by its show-if rule is not shown, so not a skip; text answers are searched', () => {
  const rs = [resp({ pick: 'a' }), resp({ pick: 'b', why: '交货太慢 Slow delivery' }, 1, '2026-11-02T00:00:00Z'), resp({ pick: 'b', why: '价格偏高' }, 1, '2026-11-03T00:00:00Z'), resp({ pick: 'b' })];
  const r = result('why', rs);
  assert.equal(r.shown, 3);
  assert.equal(r.answered, 2);
  assert.equal(r.skipped, 1);
  assert.deepEqual(r.texts!.map((x) => x.text), ['价格偏高', '交货太慢 Slow delivery']);
  assert.deepEqual(result('why', rs, 'slow').texts!.map((x) => x.text), ['交货太慢 Slow delivery']);
  // An answer left behind for a hidden question does not count.
  assert.equal(result('why', [resp({ pick: 'a', why: 'stale' })]).answered, 0);
});

test('the trend groups by month in China time: NPS and satisfaction (rating and matrix scores)', () => {
  const rs = [
    resp({ nps: 10, rate: 5 }, 1, '2026-10-31T15:59:00Z'), // 23:59 on 31 October in China
    resp({ nps: 0, grid: { q: 3, d: 4 } }, 1, '2026-10-31T16:00:00Z'), // 00:00 on 1 November
    resp({ nps: 9 }, 2, '2026-11-20T00:00:00Z'),
  ];
  assert.deepEqual(trend(sections, rs), [
    { month: '2026-10', responses: 1, nps: 100, npsAnswered: 1, satisfaction: 5, satisfactionAnswered: 1 },
    { month: '2026-11', responses: 2, nps: 0, npsAnswered: 2, satisfaction: 3.5, satisfactionAnswered: 2 },
  ]);
});

test('breakdowns count invited and responding organisations per class and per variety', () => {
  const attrs = new Map([
    [1, { classCode: 'strategic', className: '战略客户', province: '江苏省', varieties: ['rebar', 'plate'] }],
    [2, { classCode: 'agreement', className: '协议户', province: '山东省', varieties: ['rebar'] }],
    [3, { classCode: 'agreement', className: '协议户', province: '山东省', varieties: [] }],
  ]);
  const rs = [resp({ nps: 10 }, 1), resp({ nps: 3, rate: 2 }, 2), resp({ nps: 9 }, 2)];
  const cls = breakdown(sections, [1, 2, 3], rs, attrs, byClass);
  assert.deepEqual(cls, [
    { key: 'agreement', label: '协议户', invited: 2, responded: 1, ratePct: 50, nps: 0, satisfaction: 2 },
    { key: 'strategic', label: '战略客户', invited: 1, responded: 1, ratePct: 100, nps: 100, satisfaction: null },
  ]);
  const v = breakdown(sections, [1, 2, 3], rs, attrs, byVariety);
  assert.deepEqual(v.map((x) => [x.key, x.invited, x.responded]), [['rebar', 2, 2], ['-', 1, 0], ['plate', 1, 1]]);
  assert.deepEqual(rate(3, 2), { invited: 3, responded: 2, ratePct: 66.7 });
  assert.deepEqual(rate(0, 0), { invited: 0, responded: 0, ratePct: null });
});
