// Matches the ERP's customer master (synced erp_records of interface 'customer') to portal customers by the ERP's
// customer code. A new code creates the customer, a known one updates the ERP-owned fields; a record that would
// give a customer another legal identity (统一社会信用代码) is held as a conflict, unapplied, until an
// administrator accepts it. Runs after every sync from a cursor on the staging id, and on demand.
import type { Knex } from 'knex';
import type { CustomerPayload } from '../../../../shared/erp/payloads.js';
import type { MatchConflict, MatchRunResult } from '../../../../shared/api/customers.js';
import { nowDb } from '../../db/knex.js';
import { audit, systemActor, type Actor } from '../../plugins/audit.js';
import { NotFound } from '../../errors.js';
import type { OrganisationRow } from '../organisations/store.js';
import { readSetting } from './store.js';

const CURSOR = 'match.staging_id';
const BATCH = 500;

interface RecordRow {
  doc_key: string;
  staging_id: number | string;
  deleted: number | boolean;
  payload: string | null;
}

type OrgRow = Omit<OrganisationRow, 'kind' | 'account_manager_id'>;

/** ERP-owned fields as the portal stores them. */
function erpFields(p: CustomerPayload) {
  return {
    name: p.name,
    short_name: p.shortName ?? null,
    credit_code: p.creditCode,
    province: p.province,
    city: p.city,
    address: p.address ?? null,
    active: p.active,
  };
}

const FIELD_NAMES: Record<string, string> = {
  name: 'name',
  short_name: 'shortName',
  credit_code: 'creditCode',
  province: 'province',
  city: 'city',
  address: 'address',
  active: 'active',
};

type Outcome = 'created' | 'updated' | 'conflicts' | 'unchanged';

/** Applies one ERP version of a customer (or its deletion) in trx; `force` applies despite a conflict. */
async function applyOne(trx: Knex.Transaction, actor: Actor, r: RecordRow, force: boolean): Promise<Outcome> {
  const code = r.doc_key;
  const now = nowDb();
  const org: OrgRow | undefined = await trx('organisations').where({ kind: 'customer', code }).first();
  const stagingId = Number(r.staging_id);
  const link = (state: 'matched' | 'conflict', organisationId: number | null, conflict: MatchConflict | null) =>
    trx('customer_erp_match')
      .insert({
        code,
        organisation_id: organisationId,
        state,
        conflict_kind: conflict?.kind ?? null,
        conflict_details: conflict ? JSON.stringify(conflict) : null,
        staging_id: stagingId,
        since: now,
      })
      .onConflict('code')
      .merge();

  if (Number(r.deleted) || !r.payload) {
    // The ERP retired the customer: it stays in the portal (its contracts and history do), inactive.
    if (!org) {
      await trx('customer_erp_match').where('code', code).delete();
      return 'unchanged';
    }
    await link('matched', org.id, null);
    if (!Boolean(org.active)) return 'unchanged';
    await trx('organisations').where('id', org.id).update({ active: false, updated_at: now });
    await audit(trx, actor, { action: 'customer.erp_update', entity: 'customer', entityId: org.id, details: { changes: { active: [true, false] }, erpDeleted: true } });
    return 'updated';
  }

  const p = JSON.parse(r.payload) as CustomerPayload;
  const fields = erpFields(p);
  if (!force) {
    let conflict: MatchConflict | null = null;
    if (org?.credit_code && org.credit_code !== p.creditCode) {
      conflict = {
        kind: 'credit_code_changed',
        message: `The ERP gives customer ${code} the credit code ${p.creditCode}; the portal has ${org.credit_code}`,
        erp: { ...p },
        otherCustomerId: null,
        otherCustomerCode: null,
      };
    } else {
      const other: { id: number; code: string } | undefined = await trx('organisations')
        .where({ kind: 'customer', credit_code: p.creditCode })
        .whereNot('code', code)
        .first('id', 'code');
      if (other) {
        conflict = {
          kind: 'credit_code_duplicate',
          message: `Credit code ${p.creditCode} of ERP customer ${code} already belongs to portal customer ${other.code}`,
          erp: { ...p },
          otherCustomerId: Number(other.id),
          otherCustomerCode: other.code,
        };
      }
    }
    if (conflict) {
      await link('conflict', org?.id ?? null, conflict);
      if (org) await trx('customer_profiles').insert({ organisation_id: org.id, match_state: 'conflict' }).onConflict('organisation_id').merge(['match_state']);
      return 'conflicts';
    }
  }

  const profile = {
    match_state: 'matched',
    erp_class: p.erpClass ?? null,
    erp_contacts: JSON.stringify(p.contacts),
    erp_synced_at: now,
  };
  if (!org) {
    const [id] = await trx('organisations').insert({ kind: 'customer', code, ...fields, account_manager_id: null, created_at: now, updated_at: now });
    const orgId = Number(id);
    await trx('customer_profiles').insert({ organisation_id: orgId, industry: p.industry ?? null, ...profile });
    await link('matched', orgId, null);
    await audit(trx, actor, { action: 'customer.erp_create', entity: 'customer', entityId: orgId, details: { code, name: p.name, forced: force || undefined } });
    return 'created';
  }
  const changes: Record<string, [unknown, unknown]> = {};
  for (const [col, value] of Object.entries(fields)) {
    const before = col === 'active' ? Boolean(org[col as keyof OrgRow]) : org[col as keyof OrgRow];
    if (before !== value) changes[FIELD_NAMES[col]] = [before, value];
  }
  if (Object.keys(changes).length) await trx('organisations').where('id', org.id).update({ ...fields, updated_at: now });
  const existing = await trx('customer_profiles').where('organisation_id', org.id).first('industry', 'match_state');
  // Industry is the portal's once set; the ERP's value only fills an empty one.
  const industry = existing?.industry ?? p.industry ?? null;
  await trx('customer_profiles').insert({ organisation_id: org.id, industry, ...profile }).onConflict('organisation_id').merge([...Object.keys(profile), 'industry']);
  await link('matched', org.id, null);
  const wasMatched = existing?.match_state === 'matched';
  if (Object.keys(changes).length || !wasMatched || force) {
    await audit(trx, actor, { action: force ? 'customer.erp_accept' : 'customer.erp_update', entity: 'customer', entityId: org.id, details: { changes } });
    return 'updated';
  }
  return 'unchanged';
}

/** Applies the ERP customer versions synced since the last run, in staging order, a batch per transaction. */
export async function matchErpCustomers(db: Knex, actor: Actor = systemActor('erp-match')): Promise<MatchRunResult> {
  const out: MatchRunResult = { created: 0, updated: 0, conflicts: 0, unchanged: 0 };
  // The cursor row exists before any batch, so that a batch can claim its rows by moving it (below).
  await db('customer_settings').insert({ key: CURSOR, value: '0' }).onConflict('key').ignore();
  for (;;) {
    const cursor = await readSetting(db, CURSOR, '0');
    const rows: RecordRow[] = await db('erp_records')
      .select('doc_key', 'staging_id', 'deleted', 'payload')
      .where('interface', 'customer')
      .andWhere('staging_id', '>', Number(cursor))
      .orderBy('staging_id')
      .limit(BATCH);
    if (!rows.length) return out;
    const claimed = await db.transaction(async (trx) => {
      // Moving the cursor first, conditionally, claims the batch: another instance matching at the same time (the
      // nightly grading beside the sync's after-apply listener) waits for this commit, then finds the cursor moved
      // and reads the next batch instead of creating the same organisations again.
      if ((await trx('customer_settings').where({ key: CURSOR, value: cursor }).update({ value: String(rows[rows.length - 1].staging_id) })) !== 1) return false;
      for (const r of rows) out[await applyOne(trx, actor, r, false)]++;
      return true;
    });
    if (claimed && rows.length < BATCH) return out;
  }
}

/** An administrator accepts the ERP's current values for a conflicting customer code. */
export async function acceptErp(trx: Knex.Transaction, actor: Actor, code: string): Promise<MatchRunResult> {
  const link = await trx('customer_erp_match').where({ code, state: 'conflict' }).first('code');
  const r: RecordRow | undefined = await trx('erp_records').where({ interface: 'customer', doc_key: code }).first('doc_key', 'staging_id', 'deleted', 'payload');
  if (!link || !r) throw new NotFound('customer.match_not_found', `No conflicting ERP customer ${code}`);
  const outcome = await applyOne(trx, actor, r, true);
  return { created: outcome === 'created' ? 1 : 0, updated: outcome === 'updated' ? 1 : 0, conflicts: 0, unchanged: outcome === 'unchanged' ? 1 : 0 };
}
