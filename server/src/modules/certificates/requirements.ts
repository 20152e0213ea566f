// The product standards' limits for the grades the mill makes, used where the ERP sends a result without its own
// min/max. Only limits that hold for every size the mill sells of the grade are listed; a thickness-dependent limit
// (a plate's ReH and A fall with thickness) is left out rather than judged against the wrong row.
import type { ResultGroup } from '../../../../shared/erp/payloads.js';

export interface Limit {
  group: ResultGroup;
  symbol: string;
  min?: string;
  max?: string;
}

export interface Requirement {
  /** the standard as cited on certificates; matched as a prefix of any standard the certificate names */
  standard: string;
  grades: string[];
  /** the symbol the standard gives the yield strength */
  yieldSymbol: 'ReL' | 'ReH';
  limits: Limit[];
}

const chem = (symbol: string, max: string): Limit => ({ group: 'chemical', symbol, max });
const mech = (symbol: string, min: string, max?: string): Limit => ({ group: 'mechanical', symbol, min, ...(max ? { max } : {}) });

export const REQUIREMENTS: Requirement[] = [
  // GB/T 1499.2-2018 热轧带肋钢筋: table 2 (chemistry, mass %, heat analysis) and table 3 (mechanical properties);
  // Rm°/ReL° ≥ 1.25 for the seismic "E" grades (clause 6.4.3).
  {
    standard: 'GB/T 1499.2',
    grades: ['HRB400E'],
    yieldSymbol: 'ReL',
    limits: [
      chem('C', '0.25'), chem('Si', '0.80'), chem('Mn', '1.60'), chem('P', '0.045'), chem('S', '0.045'), chem('Ceq', '0.54'),
      mech('ReL', '400'), mech('Rm', '540'), mech('A', '16'), mech('Agt', '9.0'), mech('Rm°/ReL°', '1.25'),
    ],
  },
  {
    standard: 'GB/T 1499.2',
    grades: ['HRB500E'],
    yieldSymbol: 'ReL',
    limits: [
      chem('C', '0.25'), chem('Si', '0.80'), chem('Mn', '1.60'), chem('P', '0.045'), chem('S', '0.045'), chem('Ceq', '0.55'),
      mech('ReL', '500'), mech('Rm', '630'), mech('A', '15'), mech('Agt', '9.0'), mech('Rm°/ReL°', '1.25'),
    ],
  },
  // GB/T 1499.1-2017 热轧光圆钢筋: table 2 and table 3.
  {
    standard: 'GB/T 1499.1',
    grades: ['HPB300'],
    yieldSymbol: 'ReL',
    limits: [
      chem('C', '0.25'), chem('Si', '0.55'), chem('Mn', '1.50'), chem('P', '0.045'), chem('S', '0.045'),
      mech('ReL', '300'), mech('Rm', '420'), mech('A', '25'), mech('Agt', '10.0'),
    ],
  },
  // GB/T 700-2006 碳素结构钢: table 1 (chemistry), table 3 (Rm 370–500 MPa; KV2 ≥ 27 J at +20 °C for grade B).
  {
    standard: 'GB/T 700',
    grades: ['Q235B'],
    yieldSymbol: 'ReH',
    limits: [chem('C', '0.20'), chem('Si', '0.35'), chem('Mn', '1.40'), chem('P', '0.045'), chem('S', '0.045'), mech('Rm', '370', '500'), mech('KV2', '27')],
  },
  // GB/T 1591-2018 低合金高强度结构钢: table 1 (chemistry of Q355B), table 7 (Rm 470–630 MPa up to 100 mm),
  // table 9 (KV2 ≥ 34 J at +20 °C for quality B). Ceq (table 6) depends on thickness and is left out.
  {
    standard: 'GB/T 1591',
    grades: ['Q355B'],
    yieldSymbol: 'ReH',
    limits: [chem('C', '0.24'), chem('Si', '0.55'), chem('Mn', '1.60'), chem('P', '0.035'), chem('S', '0.035'), mech('Rm', '470', '630'), mech('KV2', '34')],
  },
];

/** The requirement of a grade under one of the standards a certificate cites ("GB/T 3274-2017, GB/T 700-2006"). */
export function requirementFor(standard: string, grade: string): Requirement | null {
  const cited = standard.split(/[,，;；]/).map((s) => s.trim());
  return REQUIREMENTS.find((r) => r.grades.includes(grade) && cited.some((c) => c.startsWith(r.standard))) ?? null;
}

export function limitFor(req: Requirement | null, group: ResultGroup, symbol: string): Limit | null {
  return req?.limits.find((l) => l.group === group && l.symbol === symbol) ?? null;
}
