// The simulated mill's customers: the portal's three demo customers first, then generated companies across East
// and Central China with valid unified social credit codes (GB 32100-2015), classes, industries and buying habits.
import type { CustomerPayload } from '../../shared/erp/payloads.js';
import { DEMO_ORGS, creditCodeCheck } from '../../server/src/demo.js';
import { CATALOGUE, type Product } from './catalogue.js';
import type { Rng } from './rng.js';

export type Transport = 'truck' | 'rail' | 'ship';
export type CustomerClass = '战略客户' | '协议户' | '直供户';

export interface SimCustomer {
  payload: CustomerPayload;
  cls: CustomerClass;
  /** what this customer buys */
  products: Product[];
  /** tonnes per order line */
  lineT: [number, number];
  /** days from invoice to due date */
  termDays: number;
  creditLimitFen: number;
  transport: ReadonlyArray<readonly [Transport, number]>;
  /** pays later than agreed */
  slowPayer: boolean;
  /** pays part of each order in advance (款到发货) */
  prepays: boolean;
}

interface Region {
  province: string;
  /** name, administrative division code (GB/T 2260), districts */
  cities: Array<[string, string, string[]]>;
  weight: number;
  transport: ReadonlyArray<readonly [Transport, number]>;
}

// The mill is on the Yangtze at Zhangjiagang: trucks to the delta, rail north and inland, barges up the river.
const REGIONS: Region[] = [
  { province: '江苏省', cities: [['南京市', '320100', ['江宁区', '浦口区', '栖霞区']], ['无锡市', '320200', ['惠山区', '锡山区', '新吴区']], ['常州市', '320400', ['新北区', '武进区', '天宁区']], ['苏州市', '320500', ['相城区', '吴中区', '工业园区']], ['南通市', '320600', ['崇川区', '通州区', '海门区']], ['扬州市', '321000', ['邗江区', '江都区']]], weight: 30, transport: [['truck', 9], ['ship', 1]] },
  { province: '浙江省', cities: [['杭州市', '330100', ['萧山区', '余杭区', '滨江区']], ['宁波市', '330200', ['北仑区', '鄞州区', '镇海区']], ['温州市', '330300', ['龙湾区', '瓯海区']], ['嘉兴市', '330400', ['秀洲区', '南湖区']], ['绍兴市', '330600', ['柯桥区', '上虞区']]], weight: 20, transport: [['truck', 8], ['rail', 1], ['ship', 1]] },
  { province: '安徽省', cities: [['合肥市', '340100', ['蜀山区', '包河区', '经开区']], ['芜湖市', '340200', ['鸠江区', '弋江区']], ['马鞍山市', '340500', ['雨山区', '花山区']]], weight: 12, transport: [['truck', 7], ['ship', 3]] },
  { province: '上海市', cities: [['上海市', '310115', ['浦东新区', '宝山区', '嘉定区', '松江区']]], weight: 10, transport: [['truck', 8], ['ship', 2]] },
  { province: '山东省', cities: [['济南市', '370100', ['历城区', '章丘区']], ['青岛市', '370200', ['黄岛区', '城阳区']], ['临沂市', '371300', ['兰山区', '罗庄区']]], weight: 8, transport: [['rail', 7], ['truck', 3]] },
  { province: '河南省', cities: [['郑州市', '410100', ['中原区', '金水区', '管城回族区']]], weight: 5, transport: [['rail', 8], ['truck', 2]] },
  { province: '湖北省', cities: [['武汉市', '420100', ['东西湖区', '青山区', '汉阳区']]], weight: 5, transport: [['ship', 5], ['rail', 5]] },
  { province: '江西省', cities: [['南昌市', '360100', ['青山湖区', '新建区']], ['九江市', '360400', ['濂溪区', '浔阳区']]], weight: 4, transport: [['ship', 4], ['rail', 6]] },
  { province: '福建省', cities: [['福州市', '350100', ['马尾区', '仓山区']], ['厦门市', '350200', ['海沧区', '集美区']]], weight: 3, transport: [['rail', 6], ['ship', 4]] },
  { province: '广东省', cities: [['广州市', '440100', ['南沙区', '黄埔区']]], weight: 3, transport: [['ship', 6], ['rail', 4]] },
];

const by = (pred: (p: Product) => boolean) => CATALOGUE.filter(pred);
const g = (...grades: string[]) => (p: Product) => grades.includes(p.material.grade);

interface Industry {
  industry: string;
  suffixes: string[];
  weight: number;
  products: Product[];
  lineT: [number, number];
}

const INDUSTRIES: Industry[] = [
  {
    industry: '钢材贸易',
    suffixes: ['钢材贸易有限公司', '物资有限公司', '金属材料有限公司', '钢铁贸易有限公司'],
    weight: 4,
    products: by((p) => p.material.variety === 'rebar' || g('HPB300')(p) || (p.material.variety === 'hot_rolled_coil' && g('Q235B', 'Q355B')(p))),
    lineT: [60, 400],
  },
  {
    industry: '建筑施工',
    suffixes: ['建设工程有限公司', '建工集团有限公司', '城建集团有限公司', '路桥工程有限公司'],
    weight: 3,
    products: by((p) => p.material.variety === 'rebar' || g('HPB300')(p)),
    lineT: [80, 500],
  },
  {
    industry: '钢结构',
    suffixes: ['钢结构有限公司', '钢构工程有限公司', '空间结构有限公司'],
    weight: 2,
    products: by((p) => (p.material.variety === 'plate' || p.material.variety === 'hot_rolled_coil') && g('Q235B', 'Q355B')(p)),
    lineT: [40, 300],
  },
  {
    industry: '金属制品',
    suffixes: ['金属制品有限公司', '钢绞线有限公司', '钢丝制品有限公司'],
    weight: 1,
    products: by(g('SWRH82B', 'Q195')),
    lineT: [100, 400],
  },
  {
    industry: '压力容器',
    suffixes: ['压力容器制造有限公司', '化工装备有限公司', '锅炉有限公司'],
    weight: 1,
    products: by((p) => p.material.variety === 'plate' && g('Q345R', 'Q355B')(p)),
    lineT: [30, 200],
  },
  {
    industry: '冷轧加工',
    suffixes: ['冷轧板带有限公司', '精密带钢有限公司'],
    weight: 1,
    products: by(g('SPHC')),
    lineT: [100, 500],
  },
  {
    industry: '工程机械',
    suffixes: ['重工机械有限公司', '工程机械有限公司'],
    weight: 1,
    products: by((p) => g('Q355B')(p) && (p.material.variety === 'plate' || p.material.variety === 'hot_rolled_coil')),
    lineT: [40, 250],
  },
];

const WORDS = ['宏远', '华盛', '永信', '鑫达', '中联', '恒通', '金泰', '东方', '荣盛', '建华', '天元', '瑞丰', '盛隆', '海川', '德润', '通达', '新亚', '远大', '长城', '江海', '润泽', '振华', '联发', '广厦', '中天', '宝丰', '嘉诚', '信达', '晟通', '万邦', '鼎盛', '同创', '汇丰', '正泰', '华茂', '凯达'];
const ROADS = ['工业大道', '长江路', '人民路', '建设路', '创业路', '港城大道', '新华路', '纬二路', '滨江大道', '科技路'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '胡', '朱', '高', '林', '何', '郭', '马', '罗'];
const GIVEN = ['建国', '志强', '海涛', '晓明', '丽华', '静', '伟', '磊', '芳', '军', '勇', '敏', '秀英', '国平', '红梅', '立新', '雪', '斌', '鹏', '婷'];
const TITLES = ['总经理', '采购经理', '采购专员', '财务经理', '物流主管'];
const CC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

const CLASS_TERMS: Record<CustomerClass, { termDays: number; limitYuan: [number, number]; lineFactor: number }> = {
  战略客户: { termDays: 60, limitYuan: [30_000_000, 80_000_000], lineFactor: 1.6 },
  协议户: { termDays: 30, limitYuan: [5_000_000, 20_000_000], lineFactor: 1 },
  直供户: { termDays: 15, limitYuan: [0, 2_000_000], lineFactor: 0.6 },
};

const phone = (rng: Rng) => `1${rng.pick(['39', '38', '37', '36', '35', '58', '59', '88', '86', '89', '51', '77'])}${String(rng.int(0, 99_999_999)).padStart(8, '0')}`;
const person = (rng: Rng) => rng.pick(SURNAMES) + rng.pick(GIVEN);

function classOf(cls: CustomerClass, rng: Rng, industry: Industry, region: Region, payload: CustomerPayload, products?: Product[]): SimCustomer {
  const terms = CLASS_TERMS[cls];
  const [lo, hi] = industry.lineT;
  return {
    payload,
    cls,
    products: products ?? rng.sample(industry.products, rng.int(3, Math.min(8, industry.products.length))),
    lineT: [Math.round(lo * terms.lineFactor), Math.round(hi * terms.lineFactor)],
    termDays: terms.termDays,
    creditLimitFen: Math.round(rng.int(terms.limitYuan[0], terms.limitYuan[1]) / 1_000_000) * 1_000_000 * 100,
    transport: region.transport,
    slowPayer: rng.chance(0.15),
    prepays: cls === '直供户',
  };
}

/** The portal's demo customers, as the ERP knows them (same code, name and credit code as server/src/demo.ts). */
function demoCustomers(rng: Rng): SimCustomer[] {
  const setup: Record<string, { industry: string; cls: CustomerClass; grades: string[]; varieties: string[] }> = {
    C10001: { industry: '钢材贸易', cls: '协议户', grades: ['HRB400E', 'HPB300', 'Q235B'], varieties: ['rebar', 'wire_rod', 'hot_rolled_coil'] },
    C10002: { industry: '建筑施工', cls: '战略客户', grades: ['HRB400E', 'HRB500E', 'HPB300'], varieties: ['rebar', 'wire_rod'] },
    C10003: { industry: '钢结构', cls: '直供户', grades: ['Q235B', 'Q355B'], varieties: ['plate', 'hot_rolled_coil'] },
  };
  return DEMO_ORGS.filter((o) => o.kind === 'customer').map((o) => {
    const s = setup[o.code];
    const industry = INDUSTRIES.find((i) => i.industry === s.industry)!;
    const region = REGIONS.find((r) => r.province === o.province)!;
    const payload: CustomerPayload = {
      code: o.code,
      name: o.name,
      shortName: o.shortName,
      creditCode: o.creditCode,
      province: o.province,
      city: o.city,
      address: o.address,
      industry: s.industry,
      erpClass: s.cls,
      contacts: o.users.map((u) => ({ name: u.displayName, phone: u.phone, title: u.role === 'customer_admin' ? '总经理' : '采购专员' })),
      active: true,
    };
    const products = CATALOGUE.filter((p) => s.grades.includes(p.material.grade) && s.varieties.includes(p.material.variety));
    return classOf(s.cls, rng, industry, region, payload, rng.sample(products, Math.min(products.length, 10)));
  });
}

/** n customers: the three demo customers, then generated ones C10004, C10005... */
export function makeCustomers(rng: Rng, n: number): SimCustomer[] {
  const out = demoCustomers(rng).slice(0, Math.max(0, n));
  const names = new Set(out.map((c) => c.payload.name));
  const codes = new Set(out.map((c) => c.payload.creditCode));
  for (let i = out.length; i < n; i++) {
    const region = rng.pickWeighted(REGIONS.map((r) => [r, r.weight] as const));
    const [city, division, districts] = rng.pick(region.cities);
    const industry = rng.pickWeighted(INDUSTRIES.map((x) => [x, x.weight] as const));
    const cityShort = city.replace(/市$/, '');
    let name = '';
    for (let tries = 0; tries < 50 && (!name || names.has(name)); tries++) name = `${cityShort}${rng.pick(WORDS)}${rng.pick(industry.suffixes)}`;
    if (names.has(name)) name = `${cityShort}${rng.pick(WORDS)}${rng.pick(WORDS)}${rng.pick(industry.suffixes)}`;
    names.add(name);
    let creditCode = '';
    while (!creditCode || codes.has(creditCode)) {
      // 91 = enterprise registered with market regulation; then the division code; then an organisation code.
      let body = `91${division}MA`;
      while (body.length < 17) body += CC_ALPHABET[rng.int(0, CC_ALPHABET.length - 1)];
      creditCode = body + creditCodeCheck(body);
    }
    codes.add(creditCode);
    const cls = rng.pickWeighted<CustomerClass>([['战略客户', 15], ['协议户', 50], ['直供户', 35]]);
    const contacts = Array.from({ length: rng.int(1, 3) }, (_, k) => ({ name: person(rng), phone: phone(rng), title: k === 0 ? '总经理' : rng.pick(TITLES.slice(1)) }));
    const shortName = name.slice(0, cityShort.length + 2);
    const payload: CustomerPayload = {
      code: `C${10001 + i}`,
      name,
      shortName,
      creditCode,
      province: region.province,
      city,
      address: `${region.province === '上海市' ? '' : region.province}${city}${rng.pick(districts)}${rng.pick(ROADS)}${rng.int(1, 399)}号`,
      industry: industry.industry,
      erpClass: cls,
      contacts,
      active: true,
    };
    out.push(classOf(cls, rng, industry, region, payload));
  }
  return out;
}

/** A new contact (a customer's staff changes): used for master-data updates. */
export function extraContact(rng: Rng): { name: string; phone: string; title: string } {
  return { name: person(rng), phone: phone(rng), title: rng.pick(TITLES) };
}

/** How goods reach a customer in this province, for customers not generated here (follow mode). */
export function transportFor(province: string): ReadonlyArray<readonly [Transport, number]> {
  return REGIONS.find((r) => r.province === province)?.transport ?? [['truck', 1]];
}

export function termsFor(erpClass: string | undefined): { termDays: number; prepays: boolean } {
  const cls = (erpClass ?? '协议户') as CustomerClass;
  return { termDays: CLASS_TERMS[cls]?.termDays ?? 30, prepays: cls === '直供户' };
}
