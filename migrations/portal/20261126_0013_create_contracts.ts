// Online contracts (在线合同): the mill's versioned standard terms, each party's contract details, directed listings
// to one customer, formal contracts with every stored version of their PDF, consent events for the evidence bundle.
import type { Knex } from 'knex';

/** The mill's first standard terms, so that a fresh portal can list at once; administrators add versions. */
const DEFAULT_CLAUSES = [
  { title: '质量标准及验收', body: '产品质量按合同约定的质量标准执行，供方随货提供质量证明书。需方应在货到后十五日内按标准验收，对外观、规格、数量有异议的，应在此期限内书面提出；对内在质量有异议的，应在货到后三十日内书面提出，并保留原状待双方共同确认。' },
  { title: '计量方式', body: '以供方出厂计量为准，理论计重或过磅计重按合同明细约定。双方计量差在国家标准允许范围内的，按供方计量结算。' },
  { title: '包装标志', body: '按供方出厂标准包装，每捆（卷）挂标识牌，注明牌号、规格、炉（批）号、重量及生产日期。' },
  { title: '运输及费用', body: '交货方式及运费承担按合同约定执行。货物毁损、灭失的风险自交付时起转移至需方。' },
  { title: '结算方式', body: '按合同约定的付款方式结算。价格为含税价，供方按实际发货数量开具增值税专用发票。需方逾期付款的，每日按逾期金额的万分之五向供方支付违约金。' },
  { title: '违约责任', body: '任何一方不履行或不完全履行本合同的，应承担违约责任，赔偿对方因此遭受的直接损失。因不可抗力不能履行的，受影响一方应及时通知对方并在合理期限内提供证明，可部分或全部免除责任。' },
  { title: '合同变更与解除', body: '合同的变更、解除须经双方协商一致，以电子或书面形式确认。资源分配、排产计划发生重大变化时，供方应及时通知需方。' },
  { title: '争议解决', body: '因本合同引起的争议，双方协商解决；协商不成的，提交供方所在地人民法院诉讼解决。' },
  { title: '电子签约', body: '本合同通过钢厂销售门户在线签订，双方以CA电子签章签署，与手写签名及盖章具有同等法律效力（《中华人民共和国电子签名法》第十四条）。合同自双方电子签章完成之日起生效，各方可在门户下载、核验。' },
];

/** The lines of a listing and of a contract: the intent contract's lines, copied (intent_contract_lines' columns). */
function lineColumns(t: Knex.CreateTableBuilder, parent: string, parentTable: string): void {
  t.integer(parent).unsigned().notNullable().references('id').inTable(parentTable);
  t.integer('position').notNullable();
  t.string('variety', 20).notNullable();
  t.string('grade', 30).notNullable().defaultTo('');
  t.string('spec', 40).notNullable().defaultTo('');
  t.bigInteger('kg').notNullable();
  t.bigInteger('price_fen_per_t').notNullable();
  t.bigInteger('amount_fen').notNullable();
  t.primary([parent, 'position']);
}

export async function up(knex: Knex): Promise<void> {
  // The mill's standard clauses; a listing copies the active version's clauses, so a later edit never changes it.
  await knex.schema.createTable('contract_templates', (t) => {
    t.increments('id').primary();
    t.string('name', 100).notNullable();
    t.integer('version').notNullable();
    t.text('clauses').notNullable(); // JSON [{ title, body }]
    t.string('state', 12).notNullable(); // draft | active | retired
    t.string('created_by', 64).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('activated_at', { precision: 3 }).nullable();
    t.unique(['name', 'version']);
  });

  // What a contract prints for a party beyond the ERP master: legal representative, bank, phone.
  await knex('contract_templates').insert({
    name: '钢材购销合同标准条款',
    version: 1,
    clauses: JSON.stringify(DEFAULT_CLAUSES),
    state: 'active',
    created_by: 'system',
    created_at: new Date().toISOString().slice(0, 23).replace('T', ' '),
    activated_at: new Date().toISOString().slice(0, 23).replace('T', ' '),
  });

  await knex.schema.createTable('contract_party_details', (t) => {
    t.integer('organisation_id').unsigned().primary().references('id').inTable('organisations');
    t.string('legal_representative', 60).nullable();
    t.string('bank_name', 100).nullable();
    t.string('bank_account', 40).nullable();
    t.string('phone', 30).nullable();
    t.string('updated_by', 64).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });

  await knex.schema.createTable('contract_settings', (t) => {
    t.string('key', 64).primary();
    t.string('value', 500).notNullable();
  });

  await knex.schema.createTable('listings', (t) => {
    t.increments('id').primary();
    t.string('listing_no', 32).notNullable().unique();
    t.integer('intent_contract_id').unsigned().notNullable().references('id').inTable('intent_contracts');
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('state', 12).notNullable(); // listed | taken | expired | withdrawn
    t.string('delivery_place', 200).notNullable();
    t.string('delivery_from', 10).notNullable();
    t.string('delivery_to', 10).notNullable();
    t.string('delivery_method', 60).notNullable();
    t.string('payment_terms', 500).notNullable();
    t.string('quality_standard', 200).notNullable();
    t.integer('template_id').unsigned().notNullable().references('id').inTable('contract_templates');
    t.text('clauses').notNullable(); // JSON copy of the template's clauses at listing time
    t.datetime('valid_from', { precision: 3 }).notNullable();
    t.datetime('valid_until', { precision: 3 }).notNullable();
    t.bigInteger('total_kg').notNullable();
    t.bigInteger('amount_fen').notNullable();
    t.integer('created_by').unsigned().notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('closed_at', { precision: 3 }).nullable();
    t.string('closed_by', 64).nullable();
    t.datetime('expiry_reminded_at', { precision: 3 }).nullable();
    t.index(['customer_id', 'state']);
    t.index(['state', 'valid_until']);
  });

  await knex.schema.createTable('listing_lines', (t) => lineColumns(t, 'listing_id', 'listings'));

  await knex.schema.createTable('contracts', (t) => {
    t.increments('id').primary();
    t.string('contract_no', 32).notNullable().unique();
    // unique: a listing becomes at most one contract, whatever races the take requests run
    t.integer('listing_id').unsigned().notNullable().unique().references('id').inTable('listings');
    t.integer('intent_contract_id').unsigned().notNullable();
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('state', 16).notNullable(); // sealing | signed | cancelled
    t.bigInteger('total_kg').notNullable();
    t.bigInteger('amount_fen').notNullable();
    t.string('delivery_from', 10).notNullable();
    t.string('delivery_to', 10).notNullable();
    t.string('verify_code', 16).notNullable(); // printed on every page for the public verification page
    t.text('document').notNullable(); // JSON: everything the PDF shows, fixed at take time
    t.integer('buyer_signer_id').unsigned().notNullable();
    t.datetime('buyer_signed_at', { precision: 3 }).notNullable();
    t.integer('seller_authoriser_id').unsigned().notNullable(); // the listing's author, who holds the mill seal's use right
    t.datetime('seller_signed_at', { precision: 3 }).nullable();
    t.text('seal_placements').nullable(); // JSON: where the rendered PDF drew each party's seal, for its signature widget
    t.integer('version').notNullable().defaultTo(0); // the newest stored document version
    t.string('sha256', 64).nullable(); // of the newest version
    t.integer('seal_attempts').notNullable().defaultTo(0);
    t.string('seal_error', 1000).nullable();
    t.datetime('next_seal_at', { precision: 3 }).nullable();
    t.bigInteger('outbox_id').nullable();
    t.datetime('delivery_reminded_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['customer_id', 'state']);
    t.index(['state', 'next_seal_at']);
    t.index(['delivery_to']);
  });

  await knex.schema.createTable('contract_lines', (t) => lineColumns(t, 'contract_id', 'contracts'));

  // Every version of a contract's PDF: 1 rendered, 2 with the buyer's seal, 3 with the seller's (an incremental update).
  await knex.schema.createTable('contract_documents', (t) => {
    t.integer('contract_id').unsigned().notNullable().references('id').inTable('contracts');
    t.integer('version').notNullable();
    t.string('kind', 16).notNullable(); // rendered | buyer_sealed | seller_sealed
    t.specificType('pdf', 'longblob').notNullable();
    t.string('sha256', 64).notNullable();
    t.integer('size').notNullable();
    t.string('certificate_serial', 64).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.primary(['contract_id', 'version']);
  });

  // Each party's consent and each sealing step, with who, when, from where and how the one-time code was checked.
  await knex.schema.createTable('contract_events', (t) => {
    t.bigIncrements('id').primary();
    t.integer('listing_id').unsigned().notNullable();
    t.integer('contract_id').unsigned().nullable();
    t.string('event', 24).notNullable(); // code_sent | code_failed | taken | buyer_sealed | seller_sealed | seal_failed
    t.integer('user_id').unsigned().nullable();
    t.string('username', 64).nullable();
    t.string('ip', 64).nullable();
    t.string('user_agent', 300).nullable();
    t.bigInteger('code_id').nullable();
    t.text('details').nullable(); // JSON
    t.datetime('at', { precision: 3 }).notNullable();
    t.index(['listing_id']);
    t.index(['contract_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('contract_events');
  await knex.schema.dropTable('contract_documents');
  await knex.schema.dropTable('contract_lines');
  await knex.schema.dropTable('contracts');
  await knex.schema.dropTable('listing_lines');
  await knex.schema.dropTable('listings');
  await knex.schema.dropTable('contract_settings');
  await knex.schema.dropTable('contract_party_details');
  await knex.schema.dropTable('contract_templates');
}
