// The simulated mill's product catalogue (material master), prices, warehouses, and plausible test results per
// grade. Limits come from the product standards: GB/T 1499.2-2018 (HRB400E/HRB500E), GB/T 1499.1-2017 (HPB300),
// GB/T 700-2006 and GB/T 3274-2017 (Q235B), GB/T 1591-2018 (Q355B), GB/T 713-2014 (Q345R), YB/T 170.2-2000 and
// GB/T 14981-2009 (wire rod for drawing and its sizes), YB/T 146-1998 (SWRH82B for prestressing strand).
import type { Chemistry, MaterialPayload, Mechanical, Variety } from '../../shared/erp/payloads.js';
import type { Rng } from './rng.js';

export interface Product {
  material: MaterialPayload;
  /** nominal weight of one piece (bar, plate) or one coil, kg */
  pieceKg: number;
  /** sold per coil (weighed) rather than per bar or plate (theoretical weight) */
  coil: boolean;
  /** list price, yuan per tonne including VAT, before the monthly market index */
  priceYuan: number;
  workshop: string;
  warehouse: string;
  /** heat size of the steelmaking route, tonnes */
  heatT: [number, number];
  /** furnace letter in heat numbers */
  furnace: string;
  /** standard printed on the certificate (product standard, and dimension standard where separate) */
  certStandard: string;
  /** thickness or diameter, mm */
  size: number;
}

export const WAREHOUSES: Record<string, string> = {
  WH01: '棒线材成品库',
  WH02: '热轧卷板库',
  WH03: '中厚板成品库',
  WH04: '张家港港区码头库',
};

const WORKSHOP: Record<Variety, string> = {
  rebar: '棒材一车间',
  wire_rod: '高速线材车间',
  hot_rolled_coil: '1780热轧车间',
  plate: '3500中厚板车间',
  section: '型钢车间',
  other: '综合车间',
};

const STEEL_DENSITY_KG_PER_MM3 = 7.85e-6;
const fmt = (n: number) => String(n);
/** coil thickness as printed: 3 -> "3.0", 2.75 -> "2.75" */
const thick = (t: number) => (Number.isInteger(t) ? t.toFixed(1) : String(t));

function rebar(): Product[] {
  const out: Product[] = [];
  for (const grade of ['HRB400E', 'HRB500E']) {
    for (const d of [12, 14, 16, 18, 20, 22, 25, 28, 32]) {
      // Theoretical mass 0.00617·d² kg/m (GB/T 1499.2-2018 table 1), 12 m bars.
      const pieceKg = Math.round(0.00617 * d * d * 12 * 1000) / 1000;
      const premium = d <= 12 ? 150 : d === 14 ? 100 : d === 16 ? 50 : d >= 28 ? 30 : 0;
      out.push({
        material: {
          code: `RB-${grade}-${d}`,
          name: '热轧带肋钢筋',
          variety: 'rebar',
          grade,
          spec: `Φ${d}×12000`,
          standard: 'GB/T 1499.2-2018',
          active: true,
        },
        pieceKg,
        coil: false,
        priceYuan: 3450 + premium + (grade === 'HRB500E' ? 180 : 0),
        workshop: WORKSHOP.rebar,
        warehouse: 'WH01',
        heatT: [110, 130],
        furnace: 'A',
        certStandard: 'GB/T 1499.2-2018',
        size: d,
      });
    }
  }
  return out;
}

function wireRod(): Product[] {
  const out: Product[] = [];
  const kinds = [
    { grade: 'HPB300', name: '热轧光圆钢筋(盘卷)', sizes: [6.5, 8, 10, 12], standard: 'GB/T 1499.1-2017', cert: 'GB/T 1499.1-2017', price: 3520 },
    { grade: 'Q195', name: '制丝用非合金钢盘条', sizes: [6.5, 8], standard: 'YB/T 170.2-2000', cert: 'YB/T 170.2-2000, GB/T 14981-2009', price: 3480 },
    { grade: 'SWRH82B', name: '预应力钢绞线用热轧盘条', sizes: [8, 10, 11, 12], standard: 'YB/T 146-1998', cert: 'YB/T 146-1998, GB/T 14981-2009', price: 3980 },
  ];
  for (const k of kinds) {
    for (const d of k.sizes) {
      out.push({
        material: { code: `WR-${k.grade}-${fmt(d)}`, name: k.name, variety: 'wire_rod', grade: k.grade, spec: `Φ${fmt(d)}`, standard: k.standard, active: true },
        pieceKg: 2100,
        coil: true,
        priceYuan: k.price + (d === 6.5 ? 100 : 0),
        workshop: WORKSHOP.wire_rod,
        warehouse: 'WH01',
        heatT: [110, 130],
        furnace: 'B',
        certStandard: k.cert,
        size: d,
      });
    }
  }
  return out;
}

function hotRolledCoil(): Product[] {
  const out: Product[] = [];
  const kinds: Array<{ grade: string; name: string; standard: string; cert: string; price: number; sizes: Array<[number, number]> }> = [
    {
      grade: 'Q235B',
      name: '热轧钢板卷',
      standard: 'GB/T 3274-2017',
      cert: 'GB/T 3274-2017, GB/T 700-2006',
      price: 3420,
      sizes: [[2.0, 1250], [2.75, 1250], [3.0, 1500], [4.0, 1500], [5.75, 1500], [8.0, 1500], [10.0, 1500], [12.0, 1500]],
    },
    {
      grade: 'Q355B',
      name: '低合金高强度热轧钢板卷',
      standard: 'GB/T 1591-2018',
      cert: 'GB/T 1591-2018, GB/T 3274-2017',
      price: 3620,
      sizes: [[3.0, 1250], [4.0, 1500], [6.0, 1500], [8.0, 1500], [10.0, 1500], [12.0, 1500]],
    },
    {
      grade: 'SPHC',
      name: '热轧酸洗冷轧用钢带',
      standard: 'JIS G3131:2018',
      cert: 'JIS G3131:2018',
      price: 3560,
      sizes: [[1.8, 1250], [2.0, 1250], [2.5, 1250], [3.0, 1250], [4.0, 1250]],
    },
  ];
  for (const k of kinds) {
    for (const [t, w] of k.sizes) {
      const thin = t <= 2.0 ? 150 : t <= 3.0 ? 80 : 0;
      out.push({
        material: {
          code: `HC-${k.grade}-${thick(t)}x${w}`,
          name: k.name,
          variety: 'hot_rolled_coil',
          grade: k.grade,
          spec: `${thick(t)}×${w}×C`,
          standard: k.standard,
          active: true,
        },
        // A 1250–1500 mm coil of about 16 t: two to a truck.
        pieceKg: Math.round(16_000 * (w / 1500) + 2_000),
        coil: true,
        priceYuan: k.price + thin,
        workshop: WORKSHOP.hot_rolled_coil,
        warehouse: 'WH02',
        heatT: [200, 260],
        furnace: 'C',
        certStandard: k.cert,
        size: t,
      });
    }
  }
  return out;
}

function plate(): Product[] {
  const out: Product[] = [];
  const kinds: Array<{ grade: string; name: string; standard: string; cert: string; price: number; t: number[] }> = [
    { grade: 'Q235B', name: '热轧中厚钢板', standard: 'GB/T 3274-2017', cert: 'GB/T 3274-2017, GB/T 700-2006', price: 3650, t: [8, 10, 12, 16, 20, 25, 30] },
    { grade: 'Q355B', name: '低合金高强度中厚钢板', standard: 'GB/T 1591-2018', cert: 'GB/T 1591-2018, GB/T 3274-2017', price: 3850, t: [10, 12, 16, 20, 25, 30, 40, 50] },
    { grade: 'Q345R', name: '锅炉和压力容器用钢板', standard: 'GB/T 713-2014', cert: 'GB/T 713-2014', price: 4450, t: [8, 10, 12, 16, 20, 25, 30, 40, 50, 60] },
  ];
  const widths = [2000, 2200, 2500];
  const lengths = [8000, 10000, 12000];
  for (const k of kinds) {
    k.t.forEach((t, i) => {
      const w = widths[i % widths.length];
      const l = lengths[(i + 1) % lengths.length];
      out.push({
        material: { code: `PL-${k.grade}-${t}x${w}`, name: k.name, variety: 'plate', grade: k.grade, spec: `${t}×${w}×${l}`, standard: k.standard, active: true },
        pieceKg: Math.round(t * w * l * STEEL_DENSITY_KG_PER_MM3),
        coil: false,
        priceYuan: k.price + (t >= 40 ? 100 : 0) + (t <= 10 ? 50 : 0),
        workshop: WORKSHOP.plate,
        warehouse: 'WH03',
        heatT: [180, 240],
        furnace: 'D',
        certStandard: k.cert,
        size: t,
      });
    });
  }
  return out;
}

/** The whole catalogue, always the same (the material master does not depend on the seed). */
export const CATALOGUE: Product[] = [...rebar(), ...wireRod(), ...hotRolledCoil(), ...plate()];
export const PRODUCTS_BY_CODE = new Map(CATALOGUE.map((p) => [p.material.code, p]));

/** A product for a material the catalogue does not know (e.g. added to the ERP by hand). */
export function productOf(m: MaterialPayload): Product {
  const known = PRODUCTS_BY_CODE.get(m.code);
  if (known) return known;
  const coil = m.variety === 'wire_rod' || m.variety === 'hot_rolled_coil';
  return {
    material: m,
    pieceKg: coil ? 2100 : 2000,
    coil,
    priceYuan: 3600,
    workshop: WORKSHOP[m.variety] ?? WORKSHOP.other,
    warehouse: m.variety === 'plate' ? 'WH03' : m.variety === 'hot_rolled_coil' ? 'WH02' : 'WH01',
    heatT: [110, 130],
    furnace: 'E',
    certStandard: m.standard,
    size: 10,
  };
}

// --- test results -------------------------------------------------------------------------------------------

interface ChemRange {
  C: [number, number];
  Si: [number, number];
  Mn: [number, number];
  P: [number, number];
  S: [number, number];
  V?: [number, number];
  Nb?: [number, number];
  Cr?: [number, number];
  /** the carbon equivalent limit, when the standard sets one */
  ceqMax?: number;
}

const CHEM: Record<string, ChemRange> = {
  // GB/T 1499.2-2018 table 2: C ≤0.25, Si ≤0.80, Mn ≤1.60, P,S ≤0.045, Ceq ≤0.54 (HRB400E) / ≤0.55 (HRB500E).
  HRB400E: { C: [0.18, 0.25], Si: [0.3, 0.8], Mn: [1.2, 1.6], P: [0.015, 0.04], S: [0.008, 0.035], V: [0.02, 0.05], Cr: [0.02, 0.08], ceqMax: 0.54 },
  HRB500E: { C: [0.2, 0.25], Si: [0.35, 0.8], Mn: [1.3, 1.6], P: [0.015, 0.04], S: [0.008, 0.035], V: [0.06, 0.12], Cr: [0.02, 0.08], ceqMax: 0.55 },
  HPB300: { C: [0.14, 0.22], Si: [0.1, 0.3], Mn: [0.35, 0.6], P: [0.012, 0.035], S: [0.008, 0.03] },
  Q195: { C: [0.06, 0.11], Si: [0.03, 0.2], Mn: [0.25, 0.45], P: [0.01, 0.03], S: [0.008, 0.03] },
  SWRH82B: { C: [0.8, 0.85], Si: [0.15, 0.3], Mn: [0.7, 0.85], P: [0.008, 0.02], S: [0.004, 0.015], Cr: [0.2, 0.3] },
  Q235B: { C: [0.12, 0.18], Si: [0.1, 0.3], Mn: [0.35, 0.65], P: [0.012, 0.035], S: [0.006, 0.03], ceqMax: 0.35 },
  Q355B: { C: [0.14, 0.19], Si: [0.2, 0.45], Mn: [1.2, 1.5], P: [0.01, 0.028], S: [0.004, 0.02], Nb: [0.015, 0.03], ceqMax: 0.45 },
  SPHC: { C: [0.03, 0.07], Si: [0.01, 0.03], Mn: [0.15, 0.3], P: [0.008, 0.02], S: [0.004, 0.015] },
  Q345R: { C: [0.14, 0.18], Si: [0.25, 0.45], Mn: [1.3, 1.55], P: [0.008, 0.02], S: [0.002, 0.008], Nb: [0.015, 0.03], ceqMax: 0.45 },
};

/** Chemical composition of one heat (mass %), with Ceq = C + Mn/6 + (Cr+Mo+V)/5 + (Ni+Cu)/15 where the standard limits it. */
export function heatChemistry(grade: string, rng: Rng): Chemistry {
  const r = CHEM[grade] ?? CHEM.Q235B;
  for (let attempt = 0; ; attempt++) {
    const C = Number(rng.dec(r.C[0], r.C[1], 2));
    const Si = Number(rng.dec(r.Si[0], r.Si[1], 2));
    const Mn = Number(rng.dec(r.Mn[0], r.Mn[1], 2));
    const V = r.V ? Number(rng.dec(r.V[0], r.V[1], 3)) : undefined;
    const Nb = r.Nb ? Number(rng.dec(r.Nb[0], r.Nb[1], 3)) : undefined;
    const Cr = r.Cr ? Number(rng.dec(r.Cr[0], r.Cr[1], 2)) : undefined;
    const Ni = Number(rng.dec(0.01, 0.04, 2));
    const Cu = Number(rng.dec(0.01, 0.06, 2));
    const ceq = C + Mn / 6 + ((Cr ?? 0) + (V ?? 0)) / 5 + (Ni + Cu) / 15;
    // Resample the rare heat above the limit: the mill would not ship it.
    if (r.ceqMax !== undefined && ceq > r.ceqMax - 0.005 && attempt < 20) continue;
    const out: Chemistry = {
      C: C.toFixed(2),
      Si: Si.toFixed(2),
      Mn: Mn.toFixed(2),
      P: rng.dec(r.P[0], r.P[1], 3),
      S: rng.dec(r.S[0], r.S[1], 3),
    };
    if (r.ceqMax !== undefined) out.Ceq = Math.min(ceq, r.ceqMax).toFixed(2);
    if (V !== undefined) out.V = V.toFixed(3);
    if (Nb !== undefined) out.Nb = Nb.toFixed(3);
    if (Cr !== undefined) out.Cr = Cr.toFixed(2);
    out.Ni = Ni.toFixed(2);
    out.Cu = Cu.toFixed(2);
    return out;
  }
}

interface MechRange {
  yield: [number, number];
  /** tensile = yield × ratio, then at least tensileMin */
  ratio: [number, number];
  tensileMin: number;
  elongation: [number, number];
  agt?: [number, number];
  impact?: [number, number];
  showRatio?: boolean;
}

const MECH: Record<string, MechRange> = {
  // GB/T 1499.2-2018: ReL ≥400, Rm ≥540, A ≥16, Agt ≥9, Rm°/ReL° ≥1.25, ReL°/ReL ≤1.30.
  HRB400E: { yield: [425, 515], ratio: [1.27, 1.38], tensileMin: 545, elongation: [18, 27], agt: [10, 14.5], showRatio: true },
  HRB500E: { yield: [525, 625], ratio: [1.26, 1.34], tensileMin: 635, elongation: [16, 23], agt: [9.5, 13], showRatio: true },
  HPB300: { yield: [320, 400], ratio: [1.3, 1.45], tensileMin: 430, elongation: [28, 36], agt: [12, 18], showRatio: true },
  Q195: { yield: [215, 280], ratio: [1.4, 1.6], tensileMin: 330, elongation: [32, 40] },
  SWRH82B: { yield: [760, 840], ratio: [1.38, 1.48], tensileMin: 1100, elongation: [9, 13] },
  Q235B: { yield: [255, 320], ratio: [1.35, 1.55], tensileMin: 400, elongation: [28, 35], impact: [60, 160] },
  Q355B: { yield: [370, 440], ratio: [1.25, 1.38], tensileMin: 500, elongation: [22, 29], impact: [60, 160] },
  SPHC: { yield: [210, 285], ratio: [1.3, 1.45], tensileMin: 300, elongation: [36, 46] },
  Q345R: { yield: [360, 430], ratio: [1.3, 1.45], tensileMin: 520, elongation: [22, 28], impact: [80, 200] },
};

/** Mechanical test results of one batch. */
export function batchMechanical(grade: string, rng: Rng): Mechanical {
  const r = MECH[grade] ?? MECH.Q235B;
  const yieldMpa = rng.int(r.yield[0], r.yield[1]);
  const tensileMpa = Math.max(r.tensileMin + rng.int(0, 15), Math.round(yieldMpa * rng.real(r.ratio[0], r.ratio[1])));
  const elongationPct = rng.dec(r.elongation[0], r.elongation[1], 1);
  const agtPct = r.agt ? rng.dec(r.agt[0], r.agt[1], 1) : undefined;
  const impactJ = r.impact ? String(rng.int(r.impact[0], r.impact[1])) : undefined;
  return {
    yieldMpa: String(yieldMpa),
    tensileMpa: String(tensileMpa),
    elongationPct,
    ...(agtPct ? { agtPct } : {}),
    ...(r.showRatio ? { tensileToYield: (tensileMpa / yieldMpa).toFixed(2) } : {}),
    bend: '合格',
    ...(impactJ ? { impactJ } : {}),
  };
}
