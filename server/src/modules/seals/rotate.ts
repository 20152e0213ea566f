// Changing CA_PASSPHRASE: every stored seal key (the root's, and every organisation's under the key derived from the
// passphrase, revoked ones included so their history stays readable) is decrypted with the current passphrase and
// re-encrypted with the new one in one transaction. A key that does not decrypt stops the whole change: the keys are
// either all under the old passphrase or all under the new one, never a mix the portal could not sign with.
import type { Knex } from 'knex';
import { Invalid } from '../../errors.js';
import { forUpdate } from '../../db/knex.js';
import { decryptKey, encryptKey } from './ca.js';
import { passphraseOf } from './service.js';
import type { CertificateRow } from './store.js';

export const MIN_CA_PASSPHRASE = 16;

type KeyRow = Pick<CertificateRow, 'id' | 'purpose' | 'serial' | 'state' | 'key_pem'>;

const keyRows = (db: Knex | Knex.Transaction): Promise<KeyRow[]> =>
  forUpdate(db, db('seal_certificates').select('id', 'purpose', 'serial', 'state', 'key_pem').orderBy('id'));

function open(row: KeyRow, caPassphrase: string) {
  try {
    return decryptKey(row.key_pem, passphraseOf({ caPassphrase }, row), row.purpose === 'root' ? 'root' : 'seal');
  } catch (err) {
    throw new Invalid('seal.key_passphrase_wrong', `The ${row.purpose} key of certificate ${row.serial} does not open with this passphrase`, {
      certificateId: row.id,
      serial: row.serial,
      purpose: row.purpose,
      state: row.state,
    });
  }
}

/** Proves the passphrase opens every stored key; answers how many there are. Changes nothing. */
export async function checkCaPassphrase(db: Knex, caPassphrase: string): Promise<{ keys: number }> {
  const rows = await keyRows(db);
  for (const row of rows) open(row, caPassphrase);
  return { keys: rows.length };
}

/** Re-encrypts every stored seal key from `current` to `next`, all or nothing. */
export async function rotateCaPassphrase(db: Knex, current: string, next: string): Promise<{ keys: number }> {
  if (typeof next !== 'string' || next.length < MIN_CA_PASSPHRASE) {
    throw new Invalid('seal.passphrase_weak', `The new CA passphrase must be at least ${MIN_CA_PASSPHRASE} characters`);
  }
  if (next === current) throw new Invalid('seal.passphrase_same', 'The new CA passphrase is the current one');
  return db.transaction(async (trx) => {
    const rows = await keyRows(trx);
    for (const row of rows) {
      const key = open(row, current);
      const keyPem = encryptKey(key, passphraseOf({ caPassphrase: next }, row));
      // Read it back before writing: a key that would not open afterwards must never be stored.
      decryptKey(keyPem, passphraseOf({ caPassphrase: next }, row), 'seal');
      const changed = await trx('seal_certificates').where({ id: row.id, key_pem: row.key_pem }).update({ key_pem: keyPem });
      if (changed !== 1) throw new Error(`seal certificate ${row.id} changed during the rotation`);
    }
    return { keys: rows.length };
  });
}
