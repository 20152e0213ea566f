// The allocation proposal on constructed cases: priorities, credit cuts, whole lots, largest remainder, never above the plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeProposal, shareLots, type ProposalCustomer } from './proposal.js';

const c = (id: number, priority: number, wants: Record<string, number>, credit: ProposalCustomer['credit'] = 'ok'): ProposalCustomer => ({
  id,
  priority,
  credit,
  wants: new Map(Object.entries(wants)),
});
const kgOf = (p: ReturnType<typeof computeProposal>, id: number, key = 'rebar') => p.items.find((i) => i.customerId === id && i.lineKey === key)?.kg ?? 0;
const T = 1000;

test('a plan with room gives every customer its whole demand and keeps the rest', () => {
  const p = computeProposal([{ key: 'rebar', plannedKg: 1000 * T, lotKg: T }], [c(1, 1, { rebar: 300 * T }), c(2, 3, { rebar: 200 * T })], { reducedPct: 50 });
  assert.equal(kgOf(p, 1), 300 * T);
  assert.equal(kgOf(p, 2), 200 * T);
  assert.deepEqual(p.lines[0], { key: 'rebar', plannedKg: 1000 * T, allocatedKg: 500 * T, remainingKg: 500 * T, demandKg: 500 * T });
});

test('a higher priority class is served first; the next tier shares what is left', () => {
  const p = computeProposal(
    [{ key: 'rebar', plannedKg: 500 * T, lotKg: T }],
    [c(1, 1, { rebar: 400 * T }), c(2, 2, { rebar: 300 * T }), c(3, 2, { rebar: 100 * T })],
    { reducedPct: 50 },
  );
  assert.equal(kgOf(p, 1), 400 * T);
  // 100 t left for 400 t asked: 75 and 25.
  assert.equal(kgOf(p, 2), 75 * T);
  assert.equal(kgOf(p, 3), 25 * T);
  assert.equal(p.lines[0].remainingKg, 0);
});

test('a blocked customer gets nothing and a customer on the warning list its reduced share', () => {
  const p = computeProposal(
    [{ key: 'rebar', plannedKg: 1000 * T, lotKg: T }],
    [c(1, 1, { rebar: 300 * T }, 'blocked'), c(2, 1, { rebar: 301 * T }, 'reduced')],
    { reducedPct: 50 },
  );
  assert.equal(kgOf(p, 1), 0);
  assert.equal(p.items.some((i) => i.customerId === 1), false);
  assert.equal(kgOf(p, 2), 150 * T, '50% of 301 t is 150.5 t, rounded down to whole tonnes');
});

test('whole lots: demands and shares are whole lots, leftovers go by largest remainder', () => {
  assert.deepEqual(
    shareLots(
      [
        { id: 1, priority: 1, lots: 1 },
        { id: 2, priority: 1, lots: 1 },
        { id: 3, priority: 1, lots: 1 },
      ],
      2,
    ),
    [1, 1, 0],
    'equal remainders and demands: lower id first',
  );
  // 10 lots for demands 5, 3, 2 of a 20-lot total: quotas 2.5, 1.5, 1 → 2, 1, 1 plus one lot to the largest remainder.
  assert.deepEqual(
    shareLots(
      [
        { id: 1, priority: 1, lots: 10 },
        { id: 2, priority: 1, lots: 6 },
        { id: 3, priority: 1, lots: 4 },
      ],
      5,
    ),
    [3, 1, 1],
  );
  const p = computeProposal([{ key: 'wire_rod', plannedKg: 100_500, lotKg: 30_000 }], [c(1, 1, { wire_rod: 59_999 }), c(2, 1, { wire_rod: 90_000 })], { reducedPct: 50 });
  // 3 lots of 30 t fit in 100.5 t; demands are 1 and 3 lots.
  assert.equal(kgOf(p, 1, 'wire_rod'), 30_000 * 1);
  assert.equal(kgOf(p, 2, 'wire_rod'), 30_000 * 2);
  assert.equal(p.lines[0].remainingKg, 10_500);
});

test('the proposal never exceeds the plan nor any demand, on many random cases', () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  for (let round = 0; round < 300; round++) {
    const lines = Array.from({ length: 1 + rand(4) }, (_, i) => ({ key: `v${i}`, plannedKg: rand(5_000) * T + rand(T), lotKg: [T, 5 * T, 30 * T][rand(3)] }));
    const customers = Array.from({ length: 1 + rand(40) }, (_, id) =>
      c(id + 1, 1 + rand(3), Object.fromEntries(lines.filter(() => rand(3) > 0).map((l) => [l.key, rand(800) * T + rand(T)])), (['ok', 'ok', 'reduced', 'blocked'] as const)[rand(4)]),
    );
    const p = computeProposal(lines, customers, { reducedPct: rand(101) });
    for (const l of lines) {
      const mine = p.items.filter((i) => i.lineKey === l.key);
      const total = mine.reduce((s, i) => s + i.kg, 0);
      assert.ok(total <= l.plannedKg, `round ${round}: ${total} > ${l.plannedKg}`);
      for (const i of mine) {
        assert.ok(i.kg <= i.demandKg && i.kg % l.lotKg === 0 && i.kg >= 0);
      }
      // Nothing is left unused while some demand is unmet by a whole lot.
      const unmet = mine.some((i) => i.kg < i.demandKg);
      if (unmet) assert.ok(l.plannedKg - total < l.lotKg, `round ${round}: lots left while demand unmet`);
    }
  }
});

test('bad plan lines and policies are refused', () => {
  assert.throws(() => computeProposal([{ key: 'x', plannedKg: 10, lotKg: 0 }], [], { reducedPct: 50 }), RangeError);
  assert.throws(() => computeProposal([{ key: 'x', plannedKg: 1.5, lotKg: 1 }], [], { reducedPct: 50 }), RangeError);
  assert.throws(() => computeProposal([], [], { reducedPct: 101 }), RangeError);
});
