// A lease row with an expiry and a fencing token, so that one process at a time syncs even with several
// portal processes (GET_LOCK is not used: MySQL Group Replication and Galera do not support it).
import type { Knex } from 'knex';
import { toDbTime } from '../../db/knex.js';

export interface Lease {
  name: string;
  holder: string;
  token: number;
}

export class LeaseLost extends Error {
  constructor(lease: Lease) {
    super(`lease ${lease.name} (token ${lease.token}) is no longer held by ${lease.holder}`);
    this.name = 'LeaseLost';
  }
}

const expiry = (seconds: number, now = new Date()) => toDbTime(new Date(now.getTime() + seconds * 1000));

/**
 * Takes the lease when it is free, expired, or already ours. A new holder gets token+1, so a former holder
 * that wakes up late fails its fence check instead of writing.
 */
export async function acquireLease(db: Knex, name: string, holder: string, seconds: number): Promise<Lease | null> {
  const now = new Date();
  const row = await db('sync_leases').where({ name }).first();
  if (!row) {
    try {
      await db('sync_leases').insert({ name, holder, token: 1, expires_at: expiry(seconds, now) });
      return { name, holder, token: 1 };
    } catch {
      return null; // another process inserted it first
    }
  }
  const token = Number(row.token);
  const ours = row.holder === holder;
  if (!ours && row.expires_at > toDbTime(now)) return null;
  const next = ours ? token : token + 1;
  const changed = await db('sync_leases')
    .where({ name, token, holder: row.holder })
    .update({ holder, token: next, expires_at: expiry(seconds, now) });
  return changed === 1 ? { name, holder, token: next } : null;
}

/** Inside a writing transaction: proves the lease is still ours and extends it; throws LeaseLost otherwise. */
export async function fence(trx: Knex.Transaction | Knex, lease: Lease, seconds: number): Promise<void> {
  const changed = await trx('sync_leases')
    .where({ name: lease.name, holder: lease.holder, token: lease.token })
    .update({ expires_at: expiry(seconds) });
  if (changed !== 1) throw new LeaseLost(lease);
}

export async function releaseLease(db: Knex, lease: Lease): Promise<void> {
  await db('sync_leases')
    .where({ name: lease.name, holder: lease.holder, token: lease.token })
    .update({ expires_at: toDbTime(new Date(0)) });
}
