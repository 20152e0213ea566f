// The monthly allocation proposal (资源分配): each plan line's tonnage shared among the customers contracted for it,
// class priority first, cut by credit state, in whole lots, never above the plan or above what a customer asked.
// Pure integer arithmetic on kilograms, so that the proposal is exact and the same on every run.
//
// Rules, per plan line:
// 1. A customer's demand is its default monthly tonnage for the line's variety; a customer whose credit is
//    'blocked' (over its limit or overdue beyond its grade's policy) gets nothing, a 'reduced' one (on the warning
//    list) reducedPct percent of its demand. Demands are rounded down to whole lots.
// 2. Priority tiers are served in order (1 first). A tier whose demand fits what is left gets it in full.
// 3. A tier that does not fit shares what is left in proportion to demand: each customer gets the whole lots of its
//    quota, and the lots left over go one each by largest remainder (ties: larger demand, then lower customer id).
// 4. What no tier takes stays in the plan for a second round.

export type CreditState = 'ok' | 'reduced' | 'blocked';

export interface ProposalCustomer {
  id: number;
  /** the class's allocation priority: 1 is served first */
  priority: number;
  credit: CreditState;
  /** default monthly kg wanted per plan line key */
  wants: ReadonlyMap<string, number>;
}

export interface ProposalLine {
  key: string;
  plannedKg: number;
  /** allocations are whole multiples of this (e.g. 1,000 kg = whole tonnes, or a wagon's lot) */
  lotKg: number;
}

export interface ProposalPolicy {
  /** share of its demand a customer on the warning list gets, whole percent 0..100 */
  reducedPct: number;
}

export interface Allocated {
  customerId: number;
  lineKey: string;
  kg: number;
  /** what the customer's demand was after its credit cut, kg (whole lots) */
  demandKg: number;
}

export interface Proposal {
  items: Allocated[];
  lines: { key: string; plannedKg: number; allocatedKg: number; remainingKg: number; demandKg: number }[];
}

interface Claim {
  id: number;
  priority: number;
  lots: number;
}

/** Shares `available` lots among claims (one tier) by largest remainder; returns lots per claim, same order. */
export function shareLots(claims: readonly Claim[], available: number): number[] {
  const total = claims.reduce((s, c) => s + c.lots, 0);
  if (total <= available) return claims.map((c) => c.lots);
  const out = new Array<number>(claims.length);
  const rest: { i: number; rem: number }[] = [];
  let given = 0;
  for (let i = 0; i < claims.length; i++) {
    // lots × available stays below 2^53 for any plan a mill makes (10^7 lots × 10^7 lots).
    const num = claims[i].lots * available;
    out[i] = Math.floor(num / total);
    given += out[i];
    rest.push({ i, rem: num % total });
  }
  rest.sort((a, b) => b.rem - a.rem || claims[b.i].lots - claims[a.i].lots || claims[a.i].id - claims[b.i].id);
  for (let k = 0; k < available - given; k++) out[rest[k].i]++;
  return out;
}

export function computeProposal(lines: readonly ProposalLine[], customers: readonly ProposalCustomer[], policy: ProposalPolicy): Proposal {
  if (!Number.isInteger(policy.reducedPct) || policy.reducedPct < 0 || policy.reducedPct > 100) throw new RangeError('reducedPct must be a whole percent 0..100');
  const items: Allocated[] = [];
  const summary: Proposal['lines'] = [];
  for (const line of lines) {
    if (!(Number.isSafeInteger(line.lotKg) && line.lotKg > 0) || !(Number.isSafeInteger(line.plannedKg) && line.plannedKg >= 0)) {
      throw new RangeError(`plan line ${line.key}: planned and lot kg must be whole, lot above 0`);
    }
    const tiers = new Map<number, Claim[]>();
    let demandKg = 0;
    for (const c of customers) {
      const want = c.wants.get(line.key);
      if (!want || c.credit === 'blocked') continue;
      const cut = c.credit === 'reduced' ? Math.floor((want * policy.reducedPct) / 100) : want;
      const lots = Math.floor(cut / line.lotKg);
      if (lots <= 0) continue;
      demandKg += lots * line.lotKg;
      let tier = tiers.get(c.priority);
      if (!tier) tiers.set(c.priority, (tier = []));
      tier.push({ id: c.id, priority: c.priority, lots });
    }
    let left = Math.floor(line.plannedKg / line.lotKg);
    let allocatedKg = 0;
    for (const priority of [...tiers.keys()].sort((a, b) => a - b)) {
      const tier = tiers.get(priority)!;
      const lots = left > 0 ? shareLots(tier, left) : tier.map(() => 0);
      for (let i = 0; i < tier.length; i++) {
        left -= lots[i];
        allocatedKg += lots[i] * line.lotKg;
        items.push({ customerId: tier[i].id, lineKey: line.key, kg: lots[i] * line.lotKg, demandKg: tier[i].lots * line.lotKg });
      }
    }
    summary.push({ key: line.key, plannedKg: line.plannedKg, allocatedKg, remainingKg: line.plannedKg - allocatedKg, demandKg });
  }
  return { items, lines: summary };
}
