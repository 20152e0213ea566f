// The outbox back to the ERP: entries are written in the same transaction as the portal change, delivered to
// the staging store's outbound tables (unique portal_outbox_id makes redelivery harmless, so the effect is
// exactly once), retried with backoff on failure, and the ERP's acknowledgements are pulled back.
import type { Knex } from 'knex';
import { OUTBOUND_KINDS, outboundTable, type OutboundKind } from '../../../../shared/erp/interfaces.js';
import { toDbTime } from '../../db/knex.js';

export async function enqueueOutbox(trx: Knex.Transaction | Knex, kind: OutboundKind, docKey: string, payload: unknown): Promise<number> {
  const now = toDbTime(new Date());
  const [id] = await trx('outbox').insert({ kind, doc_key: docKey, payload: JSON.stringify(payload), created_at: now, next_attempt_at: now });
  return Number(id);
}

const backoffMs = (attempts: number) => Math.min(10 * 60_000, 1000 * 2 ** Math.min(attempts, 10));

export async function deliverOutbox(db: Knex, staging: Knex, limit = 500): Promise<{ delivered: number; failed: number }> {
  const now = new Date();
  const due = await db('outbox').whereNull('delivered_at').where('next_attempt_at', '<=', toDbTime(now)).orderBy('id').limit(limit);
  let delivered = 0;
  let failed = 0;
  for (const kind of OUTBOUND_KINDS) {
    const mine = due.filter((r) => r.kind === kind);
    if (!mine.length) continue;
    try {
      await staging(outboundTable(kind))
        .insert(mine.map((r) => ({ portal_outbox_id: r.id, doc_key: r.doc_key, payload: r.payload, created_at: toDbTime(now) })))
        .onConflict('portal_outbox_id')
        .ignore();
      await db('outbox')
        .whereIn('id', mine.map((r) => r.id))
        .update({ delivered_at: toDbTime(new Date()), attempts: db.raw('attempts + 1'), last_error: null });
      delivered += mine.length;
    } catch (err) {
      failed += mine.length;
      for (const r of mine) {
        await db('outbox')
          .where('id', r.id)
          .update({
            attempts: Number(r.attempts) + 1,
            last_error: String((err as Error).message).slice(0, 1000),
            next_attempt_at: toDbTime(new Date(now.getTime() + backoffMs(Number(r.attempts) + 1))),
          });
      }
    }
  }
  return { delivered, failed };
}

/** Copies the ERP's answers (its document number or its rejection reason) back to the portal's outbox. */
export async function pullAcks(db: Knex, staging: Knex, limit = 1000): Promise<number> {
  const open = await db('outbox').select('id', 'kind').whereNotNull('delivered_at').where('ack_state', 'pending').orderBy('id').limit(limit);
  let n = 0;
  for (const kind of OUTBOUND_KINDS) {
    const ids = open.filter((r) => r.kind === kind).map((r) => Number(r.id));
    if (!ids.length) continue;
    const acks = await staging(outboundTable(kind))
      .select('portal_outbox_id', 'ack_state', 'erp_doc_no', 'reject_reason', 'acked_at')
      .whereIn('portal_outbox_id', ids)
      .whereNot('ack_state', 'pending');
    for (const a of acks) {
      if (a.ack_state !== 'accepted' && a.ack_state !== 'rejected') continue;
      await db('outbox')
        .where({ id: a.portal_outbox_id, ack_state: 'pending' })
        .update({ ack_state: a.ack_state, erp_doc_no: a.erp_doc_no, reject_reason: a.reject_reason, acked_at: a.acked_at ?? toDbTime(new Date()) });
      n++;
    }
  }
  return n;
}
