// Demo data for a fresh install: the mill, three customer organisations, and one user per role.
import type { Knex } from 'knex';
import type { Role } from '../../shared/roles.js';
import type { Config } from './config.js';
import { chinaMonth } from './china-time.js';
import { nowDb } from './db/knex.js';
import { hashPassword } from './modules/auth/passwords.js';
import { audit, systemActor } from './plugins/audit.js';
import { creditCodeCheck } from '../../shared/credit-code.js';

export const DEMO_PASSWORD = 'Portal@2026';

export { creditCodeCheck };

const withCheck = (s: string) => s + creditCodeCheck(s);

interface DemoOrg {
  kind: 'mill' | 'customer';
  code: string;
  name: string;
  shortName: string;
  creditCode: string;
  province: string;
  city: string;
  address: string;
  managed?: boolean;
  /** the portal's profile of a demo customer: class code, industry, contracted varieties with monthly kg */
  profile?: { classCode: string; industry: string; varieties: [string, number][] };
  /** what contracts print beyond the ERP master */
  contract: { legalRepresentative: string; bankName: string; bankAccount: string; phone: string };
  users: { username: string; displayName: string; role: Role; phone: string; canAnswer?: boolean; canSign?: boolean; canPrint?: boolean; sealRights?: ('manage' | 'use' | 'audit')[] }[];
}

export const DEMO_ORGS: DemoOrg[] = [
  {
    kind: 'mill',
    code: 'MILL',
    name: '江南钢铁股份有限公司',
    shortName: '江南钢铁',
    creditCode: withCheck('91320500MA1MXG8K2'),
    province: '江苏省',
    city: '苏州市',
    address: '江苏省苏州市张家港市锦丰镇钢铁大道1号',
    contract: { legalRepresentative: '沈国华', bankName: '中国工商银行张家港分行', bankAccount: '1102 0288 0900 0012 345', phone: '0512-58880000' },
    users: [
      // Separate seal rights (DESIGN.md §5 and the Contracts issue): IT manages the CA and audits its use, sales uses the seal.
      { username: 'admin', displayName: '系统管理员', role: 'admin', phone: '13800000001', sealRights: ['manage', 'audit'] },
      { username: 'sales.manager', displayName: '王建国（销售经理）', role: 'sales_manager', phone: '13800000002', sealRights: ['use'] },
      { username: 'account.manager', displayName: '李明（客户经理）', role: 'account_manager', phone: '13800000003' },
      { username: 'quality', displayName: '赵敏（质量部）', role: 'quality_staff', phone: '13800000004' },
    ],
  },
  {
    kind: 'customer',
    code: 'C10001',
    profile: { classCode: 'agreement', industry: '钢材贸易', varieties: [['rebar', 3_000_000], ['wire_rod', 1_200_000]] },
    name: '苏州恒达钢材贸易有限公司',
    shortName: '恒达钢材',
    creditCode: withCheck('91320505MA1N2B3C4'),
    province: '江苏省',
    city: '苏州市',
    address: '江苏省苏州市高新区金山路88号',
    managed: true,
    contract: { legalRepresentative: '陈志强', bankName: '招商银行苏州分行', bankAccount: '5129 0213 8710 601', phone: '0512-68880011' },
    users: [
      { username: 'hengda.admin', displayName: '陈志强', role: 'customer_admin', phone: '13900000011', canAnswer: true, canSign: true, canPrint: true },
      { username: 'hengda.user', displayName: '刘芳', role: 'customer_user', phone: '13900000012', canPrint: true },
    ],
  },
  {
    kind: 'customer',
    code: 'C10002',
    profile: { classCode: 'strategic', industry: '建筑施工', varieties: [['rebar', 8_000_000], ['plate', 2_000_000]] },
    name: '杭州城建工程集团有限公司',
    shortName: '杭州城建',
    creditCode: withCheck('91330100MA2H4D5E6'),
    province: '浙江省',
    city: '杭州市',
    address: '浙江省杭州市西湖区文三路199号',
    managed: true,
    contract: { legalRepresentative: '周涛', bankName: '中国建设银行杭州分行', bankAccount: '3305 0161 6270 5000 0123', phone: '0571-88880021' },
    users: [
      { username: 'chengjian.admin', displayName: '周涛', role: 'customer_admin', phone: '13900000021', canAnswer: true, canSign: true, canPrint: true },
      { username: 'chengjian.user', displayName: '吴静', role: 'customer_user', phone: '13900000022' },
    ],
  },
  {
    kind: 'customer',
    code: 'C10003',
    profile: { classCode: 'direct_supply', industry: '钢结构', varieties: [['section', 1_500_000], ['hot_rolled_coil', 1_000_000]] },
    name: '合肥精工钢结构有限公司',
    shortName: '合肥精工',
    creditCode: withCheck('91340100MA2T6F7G8'),
    province: '安徽省',
    city: '合肥市',
    address: '安徽省合肥市经开区紫云路36号',
    contract: { legalRepresentative: '孙伟', bankName: '徽商银行合肥分行', bankAccount: '1020 0012 3456 7890', phone: '0551-63330031' },
    users: [
      { username: 'jinggong.admin', displayName: '孙伟', role: 'customer_admin', phone: '13900000031', canAnswer: true, canSign: true, canPrint: true },
      { username: 'jinggong.user', displayName: '郑丽', role: 'customer_user', phone: '13900000032', canPrint: true },
    ],
  },
];

/** Loads the demo data once: does nothing when any user exists. Returns whether it loaded. */
export async function loadDemoData(db: Knex, config: Config): Promise<boolean> {
  if (await db('users').first('id')) return false;
  const hash = await hashPassword(DEMO_PASSWORD, config.passwordHash);
  await db.transaction(async (trx) => {
    if (await trx('users').first('id')) return;
    const now = nowDb();
    let accountManagerId: number | null = null;
    for (const org of DEMO_ORGS) {
      const [orgId]: number[] = await trx('organisations').insert({
        kind: org.kind,
        code: org.code,
        name: org.name,
        short_name: org.shortName,
        credit_code: org.creditCode,
        province: org.province,
        city: org.city,
        address: org.address,
        account_manager_id: org.managed ? accountManagerId : null,
        active: true,
        created_at: now,
        updated_at: now,
      });
      for (const u of org.users) {
        const [userId]: number[] = await trx('users').insert({
          organisation_id: orgId,
          username: u.username,
          display_name: u.displayName,
          role: u.role,
          phone: u.phone,
          // Demo signers count as having verified their (fictitious) phones: a signing right needs one.
          phone_verified_at: u.canSign ? now : null,
          can_answer: u.canAnswer ?? false,
          can_sign: u.canSign ?? false,
          can_print: u.canPrint ?? false,
          password_hash: hash,
          active: true,
          created_at: now,
          updated_at: now,
        });
        if (u.role === 'account_manager') accountManagerId = Number(userId);
        for (const right of u.sealRights ?? []) await trx('seal_rights').insert({ user_id: userId, seal_right: right, granted_by: 'system:demo', granted_at: now });
      }
      await trx('contract_party_details').insert({
        organisation_id: orgId,
        legal_representative: org.contract.legalRepresentative,
        bank_name: org.contract.bankName,
        bank_account: org.contract.bankAccount,
        phone: org.contract.phone,
        updated_by: 'system:demo',
        updated_at: now,
      });
      if (org.profile) {
        const cls = await trx('customer_classes').where('code', org.profile.classCode).first('id');
        const varieties = org.profile.varieties;
        await trx('customer_profiles')
          .insert({ organisation_id: orgId, class_id: cls?.id ?? null, industry: org.profile.industry, monthly_kg: varieties.reduce((s, [, kg]) => s + kg, 0) })
          .onConflict('organisation_id')
          .merge();
        await trx('customer_varieties').insert(varieties.map(([variety, kg]) => ({ organisation_id: orgId, variety, monthly_kg: kg })));
      }
    }
    await audit(trx, systemActor('demo'), { action: 'demo.load', entity: 'system', details: { organisations: DEMO_ORGS.length } });
  });
  return true;
}

export function demoSignIns(): string[] {
  return DEMO_ORGS.flatMap((o) => o.users.map((u) => `${u.username.padEnd(17)} ${u.role.padEnd(16)} ${o.shortName}`));
}

/**
 * A demo month to look at: next month's resource plan (China time), proposed from the demo customers' contracted
 * varieties and published with a week to answer, so the customers' allocation pages and the staff grid have data.
 * Only on a database without plans; main.ts calls it after the first ERP sync, when credit figures exist.
 */
export async function loadDemoPlan(db: Knex): Promise<boolean> {
  if (await db('resource_plans').first('id')) return false;
  const { createPlan, propose, publish } = await import('./modules/allocation/service.js');
  const ym = chinaMonth(new Date(Date.now() + 31 * 86400_000));
  const actor = systemActor('demo');
  await db.transaction(async (trx) => {
    const plan = await createPlan(trx, actor, {
      kind: 'monthly',
      period: ym,
      name: `${ym} 月度资源计划`,
      lines: [
        { variety: 'rebar', grade: 'HRB400E', plannedKg: 3_000_000, basePriceFenPerT: 3_850_00 },
        { variety: 'wire_rod', plannedKg: 1_200_000, basePriceFenPerT: 3_920_00 },
        { variety: 'hot_rolled_coil', plannedKg: 2_000_000, lotKg: 25_000, basePriceFenPerT: 4_080_00 },
        { variety: 'plate', plannedKg: 800_000, basePriceFenPerT: 4_350_00 },
      ],
    });
    await propose(trx, actor, plan.id);
    if (await trx('allocations').where('plan_id', plan.id).first('id')) await publish(trx, actor, plan.id, new Date(Date.now() + 7 * 86400_000).toISOString());
  });
  return true;
}
