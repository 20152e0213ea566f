// The portal's certificate authority (CA电子签章): its root, one certificate per organisation and purpose with the key
// stored encrypted, the separate seal rights of mill staff, and the log of every use of a seal.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('seal_certificates', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('purpose', 16).notNullable(); // root | contract | quality
    t.string('serial', 64).notNullable().unique(); // hex, as printed by openssl and pdfsig
    t.string('subject', 500).notNullable();
    t.text('cert_pem').notNullable();
    t.text('key_pem').notNullable(); // PKCS#8, encrypted (AES-256) with a passphrase derived from the CA passphrase
    t.datetime('not_before', { precision: 3 }).notNullable();
    t.datetime('not_after', { precision: 3 }).notNullable();
    t.string('state', 12).notNullable(); // active | revoked
    // `organisation_id:purpose` while active, null once revoked: one active certificate per organisation and purpose,
    // so two requests issuing a first certificate at once leave exactly one.
    t.string('active_key', 40).nullable().unique();
    t.datetime('revoked_at', { precision: 3 }).nullable();
    t.string('revoked_by', 64).nullable();
    t.string('revoke_reason', 500).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['organisation_id', 'purpose']);
  });

  // Seal governance: managing seals, using the mill's seal and auditing its use are separate rights of mill staff.
  await knex.schema.createTable('seal_rights', (t) => {
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('seal_right', 16).notNullable(); // manage | use | audit
    t.string('granted_by', 64).notNullable();
    t.datetime('granted_at', { precision: 3 }).notNullable();
    t.primary(['user_id', 'seal_right']);
  });

  await knex.schema.createTable('seal_uses', (t) => {
    t.bigIncrements('id').primary();
    t.integer('certificate_id').unsigned().notNullable().references('id').inTable('seal_certificates');
    t.string('serial', 64).notNullable();
    t.string('subject_type', 20).notNullable(); // contract | certificate
    t.integer('subject_id').unsigned().notNullable();
    t.string('document_sha256', 64).notNullable(); // the signed bytes
    t.integer('authorised_by').unsigned().nullable(); // the user whose consent or right the use rests on
    t.datetime('used_at', { precision: 3 }).notNullable();
    t.index(['serial', 'used_at']);
    t.index(['subject_type', 'subject_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('seal_uses');
  await knex.schema.dropTable('seal_rights');
  await knex.schema.dropTable('seal_certificates');
}
