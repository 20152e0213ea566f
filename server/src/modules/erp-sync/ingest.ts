// The HTTP path into the staging store, for ERPs that cannot write to a database: a batch of one interface,
// signed with HMAC-SHA256 over "<timestamp>.<raw body>" with a per-ERP key, stored once per batch id.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { inboundTable, type InboundInterface } from '../../../../shared/erp/interfaces.js';
import type { BatchBody, BatchReply } from '../../../../shared/api/erp.js';
import { validatePayload, docKeyOf } from '../../../../shared/erp/payloads.js';
import { Conflict, Unauthorized } from '../../errors.js';
import { toDbTime } from '../../db/knex.js';

export interface SignedHeaders {
  keyId: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

export function signBody(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** Throws 401 with a precise code unless the body was signed by a known key within the allowed clock skew. */
export function verifySignature(keys: Record<string, string>, skewSeconds: number, h: SignedHeaders, rawBody: Buffer, now = Date.now()): string {
  if (!h.keyId || !h.timestamp || !h.signature) {
    throw new Unauthorized('erp.signature_missing', 'X-ERP-Key-Id, X-ERP-Timestamp and X-ERP-Signature are required');
  }
  const secret = Object.prototype.hasOwnProperty.call(keys, h.keyId) ? keys[h.keyId] : undefined;
  if (!secret) throw new Unauthorized('erp.key_unknown', 'Unknown ERP key id');
  if (!/^\d{1,12}$/.test(h.timestamp) || Math.abs(now / 1000 - Number(h.timestamp)) > skewSeconds) {
    throw new Unauthorized('erp.timestamp_out_of_window', `X-ERP-Timestamp must be unix seconds within ${skewSeconds} s of the portal's clock`);
  }
  const expected = Buffer.from(signBody(secret, h.timestamp, rawBody));
  const given = Buffer.from(h.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new Unauthorized('erp.signature_invalid', 'The signature does not match the body');
  }
  return h.keyId;
}

/** Stores the batch's rows in the interface's inbound table, once per batch id (idempotent). */
export async function ingestBatch(staging: Knex, iface: InboundInterface, keyId: string, body: BatchBody, rawBody: Buffer): Promise<BatchReply> {
  const sha = createHash('sha256').update(rawBody).digest('hex');
  // Early feedback with the same checks the sync applies; the rows are stored either way and the sync
  // quarantines the bad ones, exactly as for rows the ERP writes directly.
  const invalid: BatchReply['invalid'] = [];
  body.rows.forEach((r, index) => {
    if (r.op === 'delete') return;
    if (r.payload === undefined) {
      invalid.push({ index, path: '/payload', message: 'an upsert needs a payload' });
      return;
    }
    const v = validatePayload(iface, r.payload);
    if (!v.ok) {
      for (const e of v.errors) invalid.push({ index, path: e.path, message: e.message });
      return;
    }
    const key = docKeyOf(iface, r.payload as never);
    if (key !== r.key) invalid.push({ index, path: '/key', message: `key "${r.key}" does not match the payload's key "${key}"` });
  });
  return staging.transaction(async (trx) => {
    const seen = await trx('erp_http_batches').where('batch_id', body.batchId).first();
    if (seen) {
      if (seen.body_sha256 !== sha || seen.interface !== iface) {
        throw new Conflict('erp.batch_conflict', `Batch ${body.batchId} was already received with a different body`, { receivedAt: seen.received_at });
      }
      return { batchId: body.batchId, interface: iface, accepted: Number(seen.row_count), duplicate: true, invalid };
    }
    const now = toDbTime(new Date());
    await trx('erp_http_batches').insert({ batch_id: body.batchId, interface: iface, key_id: keyId, body_sha256: sha, row_count: body.rows.length, received_at: now });
    const rows = body.rows.map((r) => ({
      doc_key: r.key,
      seq: r.seq,
      op: r.op,
      payload: r.payload === undefined ? null : JSON.stringify(r.payload),
      batch_id: body.batchId,
      received_at: now,
      state: 'new',
    }));
    for (let i = 0; i < rows.length; i += 500) await trx(inboundTable(iface)).insert(rows.slice(i, i + 500));
    return { batchId: body.batchId, interface: iface, accepted: rows.length, duplicate: false, invalid };
  });
}
