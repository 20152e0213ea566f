// Data access for the audit_log table.
import type { Knex } from 'knex';
import { fromDbTime } from '../../db/knex.js';
import type { AuditEntry, AuditListQuery } from '../../../../shared/api/audit.js';

export interface AuditRow {
  at: string;
  user_id: number | null;
  username: string | null;
  organisation_id: number | null;
  action: string;
  entity: string;
  entity_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: string | null;
}

export async function insertAuditEntry(db: Knex | Knex.Transaction, row: AuditRow): Promise<void> {
  await db('audit_log').insert(row);
}

export async function listAuditEntries(
  db: Knex,
  q: AuditListQuery,
): Promise<{ items: AuditEntry[]; total: number; page: number; pageSize: number }> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const base = db('audit_log').modify((qb) => {
    if (q.action) qb.where('action', q.action);
    if (q.entity) qb.where('entity', q.entity);
    if (q.userId) qb.where('user_id', q.userId);
    if (q.from) qb.where('at', '>=', `${q.from} 00:00:00.000`);
    if (q.to) qb.where('at', '<=', `${q.to} 23:59:59.999`);
  });
  const [{ n }] = await base.clone().count({ n: '*' });
  const rows = await base
    .clone()
    .select('*')
    .orderBy('id', 'desc')
    .limit(pageSize)
    .offset((page - 1) * pageSize);
  return {
    items: rows.map((r: AuditRow & { id: number }) => ({
      id: Number(r.id),
      at: fromDbTime(r.at)!,
      userId: r.user_id,
      username: r.username,
      organisationId: r.organisation_id,
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      ip: r.ip,
      details: r.details ? JSON.parse(r.details) : null,
    })),
    total: Number(n),
    page,
    pageSize,
  };
}
