// Allocation benchmark data: N customers with profiles, classes, credit and contracted varieties written straight
// into the portal tables, a monthly plan of 30 lines (6 varieties × 5 grades), and for the answering figure one
// customer user per customer with a session and an access token minted with the portal's secret (signing in 2,000
// users through argon2 would measure the password hash, which is its own figure).
import { createHmac } from 'node:crypto';
import type { Knex } from 'knex';
import { nowDb } from '../../server/src/db/knex.js';
import { VARIETIES } from '../../shared/erp/payloads.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const GRADES = ['Q235B', 'Q355B', 'HRB400E', 'HRB500E', 'SPHC'];

export async function seedAllocationCustomers(db: Knex, n: number, o: { prefix: string; withUsers?: boolean }): Promise<{ customerIds: number[]; userIds: number[] }> {
  const rand = rng(5000);
  const classes: { id: number }[] = await db('customer_classes').select('id').orderBy('allocation_priority');
  const now = nowDb();
  const customerIds: number[] = [];
  const userIds: number[] = [];
  const first = (await db('organisations').max({ m: 'id' }).first())?.m ?? 0;
  for (let i = 0; i < n; i += 500) {
    const batch = Array.from({ length: Math.min(500, n - i) }, (_, k) => ({
      kind: 'customer',
      code: `${o.prefix}${String(i + k + 1).padStart(6, '0')}`,
      name: `分配测试客户 ${i + k + 1}`,
      province: '江苏省',
      city: '苏州市',
      active: true,
      created_at: now,
      updated_at: now,
    }));
    await db('organisations').insert(batch);
  }
  const rows: { id: number }[] = await db('organisations').where('id', '>', Number(first)).andWhere('code', 'like', `${o.prefix}%`).select('id').orderBy('id');
  for (const r of rows) customerIds.push(Number(r.id));
  for (let i = 0; i < customerIds.length; i += 500) {
    const ids = customerIds.slice(i, i + 500);
    await db('customer_profiles').insert(
      ids.map((id) => {
        const limit = (1000 + Math.floor(rand() * 50_000)) * 10_000_00;
        const r = rand();
        // About 1 in 10 over the warning share, 1 in 20 over the limit, 1 in 20 overdue.
        const used = r < 0.05 ? limit + 1 : r < 0.15 ? Math.floor(limit * 0.9) : Math.floor(limit * rand() * 0.5);
        return {
          organisation_id: id,
          class_id: classes[Math.floor(rand() * classes.length)].id,
          credit_limit_fen: limit,
          used_fen: used,
          overdue_days: rand() < 0.05 ? 40 : 0,
          grade: ['AAA', 'AA', 'A', 'B'][Math.floor(rand() * 4)],
        };
      }),
    );
    await db('customer_varieties').insert(ids.flatMap((id) => VARIETIES.map((variety) => ({ organisation_id: id, variety, monthly_kg: (50 + Math.floor(rand() * 2000)) * 1000 }))));
    if (o.withUsers) {
      await db('users').insert(
        ids.map((id) => ({
          organisation_id: id,
          username: `alloc${id}`,
          display_name: `响应人 ${id}`,
          role: 'customer_user',
          phone: null,
          can_answer: true,
          can_sign: false,
          can_print: false,
          must_change_password: false,
          password_hash: 'x',
          active: true,
          created_at: now,
          updated_at: now,
        })),
      );
    }
  }
  if (o.withUsers) {
    const users: { id: number }[] = await db('users').whereIn('organisation_id', customerIds).select('id').orderBy('id');
    for (const u of users) userIds.push(Number(u.id));
  }
  return { customerIds, userIds };
}

/** A monthly plan of 6 varieties × 5 grades with the given total per line. */
export async function seedPlan(db: Knex, period: string, plannedKgPerLine: number): Promise<number> {
  const now = nowDb();
  const [id] = await db('resource_plans').insert({ kind: 'monthly', period, name: `基准 ${period}`, state: 'draft', round: 0, created_at: now, updated_at: now });
  const planId = Number(id);
  let position = 0;
  await db('plan_lines').insert(
    VARIETIES.flatMap((variety) =>
      GRADES.map((grade) => ({ plan_id: planId, position: ++position, variety, grade, spec: '', planned_kg: plannedKgPerLine, lot_kg: 1000, base_price_fen_per_t: 4_000_00, allocated_kg: 0 })),
    ),
  );
  return planId;
}

/**
 * The answering month: a plan of one line per variety (grade left open) for `period`, proposed for `customerIds` only
 * (every other customer's contracted varieties are removed first, so that every offer belongs to someone answering)
 * and published with a deadline a day away. Returns the offers by customer.
 */
export async function publishAnswerPlan(db: Knex, period: string, customerIds: number[]): Promise<{ planId: number; offers: Map<number, { id: number; kg: number }[]> }> {
  const svc = await import('../../server/src/modules/allocation/service.js');
  const { systemActor } = await import('../../server/src/plugins/audit.js');
  const planId = await seedPlan(db, period, 5_000_000_000);
  await db('plan_lines').where('plan_id', planId).whereNot('grade', 'Q235B').delete();
  await db('plan_lines').where('plan_id', planId).update({ grade: '' });
  const keep = new Set(customerIds);
  const others = (await db('customer_varieties').distinct('organisation_id').pluck('organisation_id')).map(Number).filter((id) => !keep.has(id));
  for (let i = 0; i < others.length; i += 500) await db('customer_varieties').whereIn('organisation_id', others.slice(i, i + 500)).delete();
  await db.transaction((trx) => svc.propose(trx, systemActor('bench'), planId));
  await db.transaction((trx) => svc.publish(trx, systemActor('bench'), planId, new Date(Date.now() + 24 * 3600_000).toISOString()));
  const rows: { id: number; customer_id: number; offered_kg: number | string }[] = await db('allocations').where({ plan_id: planId, state: 'offered' }).select('id', 'customer_id', 'offered_kg');
  const offers = new Map<number, { id: number; kg: number }[]>();
  for (const o of rows) offers.set(Number(o.customer_id), [...(offers.get(Number(o.customer_id)) ?? []), { id: Number(o.id), kg: Number(o.offered_kg) }]);
  return { planId, offers };
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** An HS256 access token as the portal signs it, for a session written here. */
export function mintToken(o: { secret: string; issuer: string; audience: string; userId: number; sessionId: number; role: string; ttlSeconds: number }): string {
  const iat = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub: String(o.userId), sid: o.sessionId, tv: 0, role: o.role, iat, exp: iat + o.ttlSeconds, iss: o.issuer, aud: o.audience }));
  const sig = createHmac('sha256', o.secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export async function sessionsFor(db: Knex, userIds: number[]): Promise<Map<number, number>> {
  const now = nowDb();
  for (let i = 0; i < userIds.length; i += 500) {
    await db('auth_sessions').insert(userIds.slice(i, i + 500).map((user_id) => ({ user_id, ip: '127.0.0.1', user_agent: 'bench', created_at: now })));
  }
  const rows: { id: number; user_id: number }[] = await db('auth_sessions').whereIn('user_id', userIds).select('id', 'user_id');
  return new Map(rows.map((r) => [Number(r.user_id), Number(r.id)]));
}
