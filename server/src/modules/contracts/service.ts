// Contract rules: listing an intent contract to its customer (定向挂牌), taking it with a one-time code (摘牌), the
// formal contract and its sealing (customer's seal, then the mill's, each an incremental PDF signature stored with its
// state in one transaction), the ERP hand-over, execution from ERP data, reminders and public verification.
import { createHash, randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  Clause,
  Contract,
  ContractExecution,
  ContractListQuery,
  ContractPage,
  ContractSettings,
  ContractSummary,
  ContractTemplate,
  ContractTemplateList,
  CreateListingBody,
  CreateTemplateBody,
  ErpState,
  ExecutionFigures,
  Listing,
  ListingListQuery,
  ListingPage,
  PartyDetails,
  SigningCodeSent,
  UpdatePartyDetailsBody,
  VerificationReport,
} from '../../../../shared/api/contracts.js';
import type { Variety } from '../../../../shared/erp/payloads.js';
import type { Config } from '../../config.js';
import type { SmsOutbox } from '../../plugins/notifications.js';
import { isCustomer, type Principal } from '../../plugins/access.js';
import { audit, systemActor, unchanged, type Actor } from '../../plugins/audit.js';
import { AppError, Conflict, Forbidden, Invalid, NotFound } from '../../errors.js';
import { forUpdate, fromDbTime, toDbTime } from '../../db/knex.js';
import { addDays, chinaToday } from '../../china-time.js';
import { decimalText } from '../../../../shared/units.js';
import { getIntent, intentNumbers, moveIntent, nextNumber } from '../allocation/intents.js';
import { notify } from '../notifications/service.js';
import { checkCode, maskPhone, sendCode } from '../notifications/codes.js';
import { enqueueOutbox } from '../erp-sync/outbox.js';
import { contractErpDocuments, materialCodesFor, outboxStates, shippedByContract } from '../erp-sync/service.js';
import { millOrganisation } from '../organisations/service.js';
import { certificateFor, recordUse, requireSealRight, sealPdf, verify, type SealConfig } from '../seals/service.js';
import type { AuditTrail } from './audit-trail.js';
import type { ContractDocument, SealPlacement } from './document.js';
import * as store from './store.js';
import type { ContractRow, LineRow, ListingRow } from './store.js';

type Db = Knex | Knex.Transaction;

/** What the module needs from the app: its database, seal settings, the SMS outbox, the code key and the renderer. */
export interface ContractDeps {
  db: Knex;
  config: Pick<Config, 'publicUrl' | 'seals'>;
  sms: Pick<SmsOutbox, 'send'>;
  secret: string;
  render: (doc: ContractDocument) => Promise<{ pdf: Buffer; seals: { buyer: SealPlacement; seller: SealPlacement } }>;
  renderAuditTrail: (trail: AuditTrail) => Promise<Buffer>;
}

/** Where the request came from, for the consent events of the evidence bundle. */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

const num = (v: number | string | null | undefined) => Number(v ?? 0);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const TAKE = 'listing.take';

// ---- state machines (DESIGN.md §4a) ----

const listingTransitions: Record<ListingRow['state'], readonly ListingRow['state'][]> = {
  listed: ['taken', 'expired', 'withdrawn'],
  taken: [],
  expired: [],
  withdrawn: [],
};

async function moveListing(trx: Knex.Transaction, l: ListingRow, to: ListingRow['state'], by: string, at = new Date()): Promise<void> {
  if (!listingTransitions[l.state].includes(to)) throw new Conflict('listing.closed', `The listing is ${l.state}`, { state: l.state });
  if (!(await store.moveListing(trx, l.id, l.state, to, by, at))) throw new Conflict('listing.state_changed', 'The listing changed meanwhile, reload it');
}

// ---- settings and templates ----

export const DEFAULT_SETTINGS: ContractSettings = {
  numberPrefix: 'HT',
  listingDays: 3,
  expiryReminderHours: 24,
  deliveryReminderDays: 7,
  signedPlace: '钢厂销售公司',
};

export async function settings(db: Db): Promise<ContractSettings> {
  const rows = await store.settingRows(db);
  return {
    numberPrefix: rows.numberPrefix ?? DEFAULT_SETTINGS.numberPrefix,
    listingDays: rows.listingDays ? Number(rows.listingDays) : DEFAULT_SETTINGS.listingDays,
    expiryReminderHours: rows.expiryReminderHours ? Number(rows.expiryReminderHours) : DEFAULT_SETTINGS.expiryReminderHours,
    deliveryReminderDays: rows.deliveryReminderDays ? Number(rows.deliveryReminderDays) : DEFAULT_SETTINGS.deliveryReminderDays,
    signedPlace: rows.signedPlace ?? DEFAULT_SETTINGS.signedPlace,
  };
}

export async function updateSettings(trx: Knex.Transaction, actor: Actor, body: ContractSettings): Promise<ContractSettings> {
  const before = await settings(trx);
  await store.putSettings(trx, Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)])));
  await audit(trx, actor, { action: 'contract.settings', entity: 'contract_settings', details: { before, after: body } });
  return settings(trx);
}

function toTemplate(r: any): ContractTemplate {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    state: r.state,
    clauses: JSON.parse(r.clauses),
    createdBy: r.created_by,
    createdAt: fromDbTime(r.created_at)!,
    activatedAt: fromDbTime(r.activated_at),
  };
}

export async function listTemplates(db: Db): Promise<ContractTemplateList> {
  return { items: (await store.templateRows(db)).map(toTemplate) };
}

/** A new version of a template name, as a draft: what listings already copied never changes. */
export async function createTemplate(trx: Knex.Transaction, actor: Actor, body: CreateTemplateBody): Promise<ContractTemplate> {
  const last = await forUpdate(trx, trx('contract_templates').where('name', body.name).orderBy('version', 'desc')).first('version');
  const id = await store.insertTemplate(trx, {
    name: body.name,
    version: num(last?.version) + 1,
    clauses: JSON.stringify(body.clauses),
    state: 'draft',
    created_by: actor.username ?? 'system',
    created_at: toDbTime(new Date()),
  });
  await audit(trx, actor, { action: 'contract.template_created', entity: 'contract_template', entityId: id, details: { name: body.name, version: num(last?.version) + 1 } });
  return toTemplate(await store.templateById(trx, id));
}

/** Makes a version the active standard terms; the version active before is retired. */
export async function activateTemplate(trx: Knex.Transaction, actor: Actor, id: number): Promise<ContractTemplate> {
  const t = await store.templateById(trx, id);
  if (!t) throw new NotFound('template.not_found', 'No such template version');
  if (t.state === 'active') {
    unchanged(actor);
    return toTemplate(t);
  }
  const at = toDbTime(new Date());
  await trx('contract_templates').where('state', 'active').update({ state: 'retired' });
  await trx('contract_templates').where('id', id).update({ state: 'active', activated_at: at });
  await audit(trx, actor, { action: 'contract.template_activated', entity: 'contract_template', entityId: id, details: { name: t.name, version: t.version } });
  return toTemplate(await store.templateById(trx, id));
}

// ---- party details ----

function toParty(r: any): PartyDetails {
  return {
    organisationId: r.id,
    name: r.name,
    creditCode: r.credit_code ?? null,
    address: r.address ?? null,
    legalRepresentative: r.legal_representative ?? null,
    bankName: r.bank_name ?? null,
    bankAccount: r.bank_account ?? null,
    phone: r.phone ?? null,
    complete: Boolean(r.credit_code && r.address && r.bank_name && r.bank_account),
  };
}

/** Staff by their customer scope (the mill's own details to all staff), customers their own organisation. */
async function partyFor(db: Db, p: Principal, organisationId: number) {
  const r = await store.partyRow(db, organisationId);
  const visible =
    r &&
    (isCustomer(p)
      ? r.id === p.organisationId
      : p.role !== 'account_manager' || r.kind === 'mill' || r.account_manager_id === p.userId);
  if (!visible) throw new NotFound('organisation.not_found', 'Organisation not found');
  return r;
}

export async function getParty(db: Db, p: Principal, organisationId: number): Promise<PartyDetails> {
  return toParty(await partyFor(db, p, organisationId));
}

/** Customer admins keep their own organisation's details; sales managers and administrators any organisation's. */
export async function updateParty(trx: Knex.Transaction, p: Principal, actor: Actor, organisationId: number, body: UpdatePartyDetailsBody): Promise<PartyDetails> {
  const r = await partyFor(trx, p, organisationId);
  if (isCustomer(p) ? p.role !== 'customer_admin' : !['sales_manager', 'admin'].includes(p.role)) {
    throw new Forbidden('party.forbidden', 'Only a customer administrator or a sales manager may change contract details');
  }
  const clean = (v: string | null) => (v === null || v.trim() === '' ? null : v.trim());
  await store.upsertParty(trx, {
    organisation_id: organisationId,
    legal_representative: clean(body.legalRepresentative),
    bank_name: clean(body.bankName),
    bank_account: clean(body.bankAccount),
    phone: clean(body.phone),
    updated_by: actor.username ?? 'system',
    updated_at: toDbTime(new Date()),
  });
  await audit(trx, actor, { action: 'contract.party_details', entity: 'organisation', entityId: organisationId, details: { before: toParty(r), after: body } });
  return getParty(trx, p, organisationId);
}

// ---- listings ----

const toLine = (l: LineRow) => ({
  position: l.position,
  variety: l.variety as Variety,
  grade: l.grade,
  spec: l.spec,
  kg: num(l.kg),
  priceFenPerT: num(l.price_fen_per_t),
  amountFen: num(l.amount_fen),
});

function toListingSummary(r: any, intents: Map<number, string>): ListingPage['items'][number] {
  return {
    id: r.id,
    listingNo: r.listing_no,
    intentContractId: r.intent_contract_id,
    intentContractNo: intents.get(r.intent_contract_id) ?? '',
    customerId: r.customer_id,
    customerName: r.customer_name,
    state: r.state,
    deliveryPlace: r.delivery_place,
    deliveryFrom: r.delivery_from,
    deliveryTo: r.delivery_to,
    deliveryMethod: r.delivery_method,
    paymentTerms: r.payment_terms,
    qualityStandard: r.quality_standard,
    templateName: r.template_name,
    templateVersion: r.template_version,
    validFrom: fromDbTime(r.valid_from)!,
    validUntil: fromDbTime(r.valid_until)!,
    totalKg: num(r.total_kg),
    amountFen: num(r.amount_fen),
    createdAt: fromDbTime(r.created_at)!,
    closedAt: fromDbTime(r.closed_at),
    contractId: r.contract_id ?? null,
  };
}

export async function listListings(db: Db, p: Principal, q: ListingListQuery): Promise<ListingPage> {
  const { rows, total, page, pageSize } = await store.listListingRows(db, p, q);
  const intents = await intentNumbers(db, rows.map((r: any) => r.intent_contract_id));
  return { items: rows.map((r: any) => toListingSummary(r, intents)), total, page, pageSize };
}

export async function getListing(db: Db, p: Principal, id: number): Promise<Listing> {
  const r = await store.visibleListing(db, p, id);
  if (!r) throw new NotFound('listing.not_found', 'No such listing');
  const lines = await store.listingLines(db, id);
  return { ...toListingSummary(r, await intentNumbers(db, [r.intent_contract_id])), lines: lines.map(toLine), clauses: JSON.parse(r.clauses) as Clause[] };
}

const PAYMENT_WORDS: Record<string, string> = {
  prepay: '款到发货（先款后货）',
  cash_on_delivery: '货到付款',
  deferred: '赊销，发票开具后 {days} 日内付清',
};

/** A sales manager holding the mill seal's use right lists an open intent contract to its customer. */
export async function createListing(trx: Knex.Transaction, p: Principal, actor: Actor, body: CreateListingBody, now = new Date()): Promise<Listing> {
  await requireSealRight(trx, p, 'use');
  const intent = await getIntent(trx, p, body.intentContractId);
  if (intent.state !== 'open') throw new Conflict('intent_contract.not_open', `The intent contract is ${intent.state}; only an open one can be listed`, { state: intent.state });
  if (body.deliveryFrom > body.deliveryTo) throw new Invalid('listing.delivery_period', 'The delivery period ends before it starts');
  const cfg = await settings(trx);
  const validUntil = body.validUntil ? new Date(body.validUntil) : new Date(now.getTime() + cfg.listingDays * 86_400_000);
  if (validUntil.getTime() <= now.getTime() + 60_000) throw new Invalid('listing.window', 'The listing must stay open for more than a minute');
  if (validUntil.getTime() > now.getTime() + 60 * 86_400_000) throw new Invalid('listing.window', 'A listing stays open for at most 60 days');
  const template = body.templateId ? await store.templateById(trx, body.templateId) : await store.activeTemplate(trx);
  if (!template || template.state !== 'active') throw new Conflict('template.not_active', 'Choose the active version of the standard terms');
  const mill = await store.partyRow(trx, (await millOrganisation(trx)).id);
  if (!toParty(mill).complete) throw new Conflict('contract.party_incomplete', 'The mill’s own contract details (credit code, address, bank) are incomplete', { organisationId: mill.id });
  await moveIntent(trx, intent.id, 'open', 'listed');
  const listingNo = await nextNumber(trx, 'GP', now);
  const id = await store.insertListing(
    trx,
    {
      listing_no: listingNo,
      intent_contract_id: intent.id,
      customer_id: intent.customerId,
      state: 'listed',
      delivery_place: body.deliveryPlace,
      delivery_from: body.deliveryFrom,
      delivery_to: body.deliveryTo,
      delivery_method: body.deliveryMethod,
      payment_terms: body.paymentTerms ?? PAYMENT_WORDS[intent.paymentTerms].replace('{days}', String(intent.paymentDays)),
      quality_standard: body.qualityStandard,
      template_id: template.id,
      clauses: template.clauses,
      valid_from: toDbTime(now),
      valid_until: toDbTime(validUntil),
      total_kg: intent.totalKg,
      amount_fen: intent.amountFen,
      created_by: p.userId,
      created_at: toDbTime(now),
      closed_at: null,
      closed_by: null,
      expiry_reminded_at: null,
    },
    intent.lines.map((l) => ({ position: l.position, variety: l.variety, grade: l.grade, spec: l.spec, kg: l.kg, price_fen_per_t: l.priceFenPerT, amount_fen: l.amountFen })),
  );
  await notify(trx, {
    kind: 'listing.published',
    template: 'listing_published',
    params: { listingNo, tonnes: decimalText(intent.totalKg, 3), validUntil: chinaTime(validUntil) },
    organisationId: intent.customerId,
    right: 'canSign',
    sms: true,
    link: `/listings/${id}`,
    idempotencyKey: `listing.published:${id}`,
  });
  await audit(trx, actor, { action: 'listing.created', entity: 'listing', entityId: id, details: { listingNo, intentContractId: intent.id, validUntil: validUntil.toISOString() } });
  return getListing(trx, p, id);
}

const chinaTime = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');

export async function withdrawListing(trx: Knex.Transaction, p: Principal, actor: Actor, id: number): Promise<Listing> {
  const l = (await forUpdate(trx, trx('listings').where('id', id)).first()) as ListingRow | undefined;
  if (!l || !(await store.visibleListing(trx, p, id))) throw new NotFound('listing.not_found', 'No such listing');
  await moveListing(trx, l, 'withdrawn', actor.username ?? 'system');
  await moveIntent(trx, l.intent_contract_id, 'listed', 'open');
  await audit(trx, actor, { action: 'listing.withdrawn', entity: 'listing', entityId: id });
  return getListing(trx, p, id);
}

/** The listing a customer user may act on, locked; refusals name exactly why. */
async function openListingFor(trx: Knex.Transaction, p: Principal, id: number, now: Date): Promise<ListingRow> {
  const l = (await forUpdate(trx, trx('listings').where('id', id)).first()) as ListingRow | undefined;
  if (!l || !isCustomer(p) || l.customer_id !== p.organisationId) throw new NotFound('listing.not_found', 'No such listing');
  if (l.state === 'taken') {
    const c = await trx('contracts').where('listing_id', id).first('id', 'contract_no');
    throw new Conflict('listing.already_taken', 'This listing has already been taken', { contractId: c?.id ?? null, contractNo: c?.contract_no ?? null });
  }
  if (l.state !== 'listed') throw new Conflict('listing.closed', `The listing is ${l.state}`, { state: l.state });
  if (fromDbTime(l.valid_until)! <= now.toISOString()) throw new Conflict('listing.expired', 'The listing’s window has closed', { validUntil: fromDbTime(l.valid_until) });
  return l;
}

/** The signer: a customer user with the signing right and a verified phone, where the code goes. */
async function signerOf(trx: Knex.Transaction, p: Principal) {
  const u = await store.signerRow(trx, p.userId);
  if (!u || !u.active) throw new NotFound('user.not_found', 'User not found');
  if (!u.can_sign) throw new Forbidden('user.cannot_sign', 'You do not have the right to sign contracts for your organisation');
  if (!u.phone || !u.phone_verified_at) throw new Conflict('user.phone_not_verified', 'Verify your mobile phone before signing: the code goes there');
  return { ...u, phone: u.phone };
}

export async function sendTakeCode(trx: Knex.Transaction, deps: Pick<ContractDeps, 'sms' | 'secret'>, p: Principal, actor: Actor, ctx: RequestContext, id: number, now = new Date()): Promise<SigningCodeSent> {
  const l = await openListingFor(trx, p, id, now);
  const signer = await signerOf(trx, p);
  await requireCompleteParties(trx, l.customer_id);
  const sent = await sendCode(trx, deps, { userId: p.userId, purpose: TAKE, subjectId: id, phone: signer.phone }, { template: 'signing_code', params: { listingNo: l.listing_no } }, now);
  await store.insertEvent(trx, { listing_id: id, event: 'code_sent', user_id: p.userId, username: p.username, ip: ctx.ip, user_agent: ctx.userAgent, code_id: sent.id, details: { phone: maskPhone(signer.phone) }, at: now });
  await audit(trx, actor, { action: 'listing.code_sent', entity: 'listing', entityId: id, details: { codeId: sent.id } });
  return { phone: maskPhone(signer.phone), expiresAt: sent.expiresAt.toISOString(), resendAfterSeconds: 60 };
}

/** Both parties' contract details, refused before a code is sent (and again at the take) when a contract could not print them. */
async function requireCompleteParties(trx: Knex.Transaction, customerId: number) {
  const buyer = await store.partyRow(trx, customerId);
  const seller = await store.partyRow(trx, (await millOrganisation(trx)).id);
  for (const party of [buyer, seller]) {
    if (!toParty(party).complete) {
      throw new Conflict('contract.party_incomplete', `The contract details of ${party.name} (credit code, address, bank) are incomplete`, { organisationId: party.id });
    }
  }
  return { buyer, seller };
}

/** 8 characters from an alphabet without look-alikes, printed as XXXX-XXXX. */
function verifyCode(): string {
  const abc = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let s = '';
  for (let i = 0; i < 8; i++) s += abc[randomInt(abc.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

const VARIETY_ZH: Record<string, string> = { rebar: '螺纹钢', wire_rod: '线材', hot_rolled_coil: '热轧卷板', plate: '中厚板', section: '型钢', other: '其他' };

function partyOf(r: any, agent?: string): ContractDocument['seller'] {
  return {
    name: r.name,
    creditCode: r.credit_code,
    address: r.address,
    legalRepresentative: r.legal_representative ?? undefined,
    agent,
    phone: r.phone ?? undefined,
    bankName: r.bank_name,
    bankAccount: r.bank_account,
  };
}

/**
 * Takes a listing: checks the window, the signer and the one-time code, and creates the formal contract in state
 * 'sealing' with everything its PDF shows fixed now. Returns the code's failure instead of throwing it, so that the
 * caller commits the used-up try and its event; the seals are applied after the commit (sealContract).
 */
export async function takeListing(
  trx: Knex.Transaction,
  deps: Pick<ContractDeps, 'sms' | 'secret' | 'config'>,
  p: Principal,
  actor: Actor,
  ctx: RequestContext,
  id: number,
  code: string,
  now = new Date(),
): Promise<{ contractId: number } | { error: AppError }> {
  const l = await openListingFor(trx, p, id, now);
  const signer = await signerOf(trx, p);
  const check = await checkCode(trx, deps, { userId: p.userId, purpose: TAKE, subjectId: id, phone: signer.phone }, code, now);
  if (!check.ok) {
    await store.insertEvent(trx, { listing_id: id, event: 'code_failed', user_id: p.userId, username: p.username, ip: ctx.ip, user_agent: ctx.userAgent, code_id: check.codeId, details: { code: check.error.code }, at: now });
    return { error: check.error };
  }
  const { buyer, seller } = await requireCompleteParties(trx, l.customer_id);
  await moveListing(trx, l, 'taken', p.username, now);
  await moveIntent(trx, l.intent_contract_id, 'listed', 'contracted');
  const cfg = await settings(trx);
  const contractNo = await nextNumber(trx, cfg.numberPrefix, now);
  const lines = await store.listingLines(trx, id);
  const code8 = verifyCode();
  const doc: ContractDocument = {
    contractNo,
    signedDate: chinaToday(now),
    signedPlace: cfg.signedPlace,
    seller: partyOf(seller),
    buyer: partyOf(buyer, signer.display_name),
    lines: lines.map((x) => ({
      lineNo: x.position,
      variety: VARIETY_ZH[x.variety] ?? x.variety,
      grade: x.grade,
      spec: x.spec,
      quantityKg: num(x.kg),
      unitPriceFen: num(x.price_fen_per_t),
      amountFen: num(x.amount_fen),
    })),
    totalKg: num(l.total_kg),
    totalFen: num(l.amount_fen),
    deliveryPlace: l.delivery_place,
    deliveryFrom: l.delivery_from,
    deliveryTo: l.delivery_to,
    deliveryMethod: l.delivery_method,
    paymentTerms: l.payment_terms,
    qualityStandard: l.quality_standard,
    clauses: JSON.parse(l.clauses),
    templateName: (await store.templateById(trx, l.template_id)).name,
    templateVersion: (await store.templateById(trx, l.template_id)).version,
    verifyCode: code8,
    verifyUrl: `${deps.config.publicUrl}/verify?contractNo=${encodeURIComponent(contractNo)}&code=${code8}`,
    sealTitles: { buyer: `${buyer.name} 合同专用章`, seller: `${seller.name} 合同专用章` },
  };
  const at = toDbTime(now);
  const contractId = await store.insertContract(
    trx,
    {
      contract_no: contractNo,
      listing_id: id,
      intent_contract_id: l.intent_contract_id,
      customer_id: l.customer_id,
      state: 'sealing',
      total_kg: l.total_kg,
      amount_fen: l.amount_fen,
      delivery_from: l.delivery_from,
      delivery_to: l.delivery_to,
      verify_code: code8,
      document: JSON.stringify(doc),
      buyer_signer_id: p.userId,
      buyer_signed_at: at,
      seller_authoriser_id: l.created_by,
      seller_signed_at: null,
      seal_placements: null,
      version: 0,
      sha256: null,
      seal_attempts: 0,
      seal_error: null,
      next_seal_at: at,
      outbox_id: null,
      delivery_reminded_at: null,
      created_at: at,
      updated_at: at,
    },
    lines.map((x) => ({ position: x.position, variety: x.variety, grade: x.grade, spec: x.spec, kg: x.kg, price_fen_per_t: x.price_fen_per_t, amount_fen: x.amount_fen })),
  );
  await store.insertEvent(trx, {
    listing_id: id,
    contract_id: contractId,
    event: 'taken',
    user_id: p.userId,
    username: p.username,
    ip: ctx.ip,
    user_agent: ctx.userAgent,
    code_id: check.codeId,
    details: { codeVerified: true, phone: maskPhone(signer.phone), contractNo },
    at: now,
  });
  await audit(trx, actor, { action: 'listing.taken', entity: 'listing', entityId: id, details: { contractNo, contractId } });
  return { contractId };
}

// ---- sealing ----

const sealing = new Set<number>();

/**
 * Brings a contract in 'sealing' to 'signed': renders version 1, applies the buyer's seal (version 2, signing time =
 * the take), then the mill's (version 3, an incremental update that leaves the first signature intact). Each step
 * stores its PDF bytes together with the contract's version in one transaction, guarded by the version it started
 * from, so a crash or a concurrent run never leaves a half-signed contract or a duplicate version. A failure (e.g.
 * the timestamp authority is down) is recorded and retried by the sealing job; nothing is signed with a made-up time.
 */
export async function sealContract(deps: ContractDeps, id: number): Promise<void> {
  if (sealing.has(id)) return;
  sealing.add(id);
  try {
    for (;;) {
      const c = await store.contractById(deps.db, id);
      if (!c || c.state !== 'sealing') return;
      await sealStep(deps, c);
    }
  } catch (err) {
    const message = err instanceof AppError ? `${err.code}: ${err.message}` : String((err as Error).message ?? err);
    const c = await store.contractById(deps.db, id);
    if (c && c.state === 'sealing') {
      const attempts = c.seal_attempts + 1;
      const wait = Math.min(3600, 30 * 2 ** Math.min(attempts - 1, 7));
      await deps.db.transaction(async (trx) => {
        await trx('contracts')
          .where({ id, state: 'sealing' })
          .update({ seal_attempts: attempts, seal_error: message.slice(0, 1000), next_seal_at: toDbTime(new Date(Date.now() + wait * 1000)), updated_at: toDbTime(new Date()) });
        await store.insertEvent(trx, { listing_id: c.listing_id, contract_id: id, event: 'seal_failed', details: { attempt: attempts, error: message.slice(0, 300) }, at: new Date() });
      });
    }
    throw err;
  } finally {
    sealing.delete(id);
  }
}

async function sealStep(deps: ContractDeps, c: ContractRow): Promise<void> {
  const db = deps.db;
  const doc = JSON.parse(c.document) as ContractDocument;
  const now = new Date();
  if (c.version === 0) {
    const rendered = await deps.render(doc);
    const hash = sha256(rendered.pdf);
    await db.transaction(async (trx) => {
      if (!(await store.advanceVersion(trx, c.id, 0, { version: 1, sha256: hash, seal_placements: JSON.stringify(rendered.seals), updated_at: toDbTime(now) }))) return;
      await store.insertDocument(trx, { contract_id: c.id, version: 1, kind: 'rendered', pdf: rendered.pdf, sha256: hash, size: rendered.pdf.length, certificate_serial: null, created_at: toDbTime(now) });
    });
    return;
  }
  const placements = JSON.parse(c.seal_placements!) as { buyer: SealPlacement; seller: SealPlacement };
  const current = await store.documentPdf(db, c.id, c.version);
  if (!current) throw new Error(`contract ${c.id}: version ${c.version} is missing`);
  const pdf = Buffer.from(current.pdf);
  if (c.version === 1) {
    const cert = await certificateFor(db, deps.config.seals, c.customer_id, 'contract');
    const signer = await store.signerRow(db, c.buyer_signer_id);
    const signingTime = new Date(fromDbTime(c.buyer_signed_at)!);
    const signed = await sealPdf(db, deps.config.seals, {
      pdf,
      certificate: cert,
      fieldName: 'BuyerSeal',
      page: placements.buyer.page,
      rect: placements.buyer.rect,
      signingTime,
      name: `${doc.buyer.name} (${signer?.display_name ?? ''})`,
      reason: `需方签署合同 ${c.contract_no}`,
      location: doc.signedPlace,
    });
    const hash = sha256(signed);
    await db.transaction(async (trx) => {
      if (!(await store.advanceVersion(trx, c.id, 1, { version: 2, sha256: hash, updated_at: toDbTime(now) }))) return;
      await store.insertDocument(trx, { contract_id: c.id, version: 2, kind: 'buyer_sealed', pdf: signed, sha256: hash, size: signed.length, certificate_serial: cert.serial, created_at: toDbTime(now) });
      await recordUse(trx, { certificateId: cert.id, subjectType: 'contract', subjectId: c.id, documentSha256: hash, authorisedBy: c.buyer_signer_id, at: now });
      await store.insertEvent(trx, { listing_id: c.listing_id, contract_id: c.id, event: 'buyer_sealed', user_id: c.buyer_signer_id, details: { serial: cert.serial, sha256: hash }, at: now });
    });
    return;
  }
  if (c.version === 2) {
    const mill = await millOrganisation(db);
    const cert = await certificateFor(db, deps.config.seals, mill.id, 'contract');
    const signed = await sealPdf(db, deps.config.seals, {
      pdf,
      certificate: cert,
      fieldName: 'SellerSeal',
      page: placements.seller.page,
      rect: placements.seller.rect,
      signingTime: now,
      name: doc.seller.name,
      reason: `供方签署合同 ${c.contract_no}`,
      location: doc.signedPlace,
    });
    const hash = sha256(signed);
    const payload = await erpPayload(db, c, doc, now);
    await db.transaction(async (trx) => {
      if (!(await store.advanceVersion(trx, c.id, 2, { version: 3, sha256: hash, state: 'signed', seller_signed_at: toDbTime(now), seal_error: null, next_seal_at: null, updated_at: toDbTime(now) }))) return;
      await store.insertDocument(trx, { contract_id: c.id, version: 3, kind: 'seller_sealed', pdf: signed, sha256: hash, size: signed.length, certificate_serial: cert.serial, created_at: toDbTime(now) });
      await recordUse(trx, { certificateId: cert.id, subjectType: 'contract', subjectId: c.id, documentSha256: hash, authorisedBy: c.seller_authoriser_id, at: now });
      await store.insertEvent(trx, { listing_id: c.listing_id, contract_id: c.id, event: 'seller_sealed', user_id: c.seller_authoriser_id, details: { serial: cert.serial, sha256: hash, automatic: true }, at: now });
      const outboxId = await enqueueOutbox(trx, 'contract', c.contract_no, { ...payload, documentSha256: hash });
      await trx('contracts').where('id', c.id).update({ outbox_id: outboxId });
      const params = { contractNo: c.contract_no, customer: doc.buyer.name, tonnes: decimalText(num(c.total_kg), 3) };
      await notify(trx, { kind: 'contract.signed', template: 'contract_signed', params, organisationId: c.customer_id, link: `/contracts/${c.id}`, idempotencyKey: `contract.signed:${c.id}` });
      await notify(trx, { kind: 'contract.signed', template: 'contract_signed', params, userIds: await staffConcerned(trx, c), link: `/staff/contracts/${c.id}`, idempotencyKey: `contract.signed.staff:${c.id}` });
      await audit(trx, systemActor('contracts.seal'), { action: 'contract.signed', entity: 'contract', entityId: c.id, details: { contractNo: c.contract_no, sha256: hash } });
    });
  }
}

/** The listing's author and the customer's account manager. */
async function staffConcerned(db: Db, c: { customer_id: number; seller_authoriser_id?: number; listing_id: number }): Promise<number[]> {
  const l = await db('listings').where('id', c.listing_id).first('created_by');
  const o = await db('organisations').where('id', c.customer_id).first('account_manager_id');
  return [...new Set([l?.created_by, o?.account_manager_id].filter((x): x is number => Boolean(x)))];
}

/** The contract as the ERP takes it (docs/erp-interfaces.md §4): each line names the ERP's material where one matches. */
async function erpPayload(db: Knex, c: ContractRow, doc: ContractDocument, at: Date) {
  const lines = await store.contractLines(db, [c.id]);
  const customer = await db('organisations').where('id', c.customer_id).first('code');
  const codes = await materialCodesFor(db, lines);
  return {
    contractNo: c.contract_no,
    customerCode: customer.code,
    signedAt: at.toISOString(),
    deliveryPlace: doc.deliveryPlace,
    deliveryFrom: c.delivery_from,
    deliveryTo: c.delivery_to,
    paymentTerms: doc.paymentTerms,
    lines: lines.map((l, i) => ({
      lineNo: l.position,
      materialCode: codes[i] ?? undefined,
      variety: l.variety,
      grade: l.grade,
      spec: l.spec,
      quantityKg: num(l.kg),
      unitPriceFen: num(l.price_fen_per_t),
      amountFen: num(l.amount_fen),
    })),
    totalWeightKg: num(c.total_kg),
    totalAmountFen: num(c.amount_fen),
  };
}

// ---- contracts: reading ----

function erpStateOf(c: ContractRow, acks: Map<number, { ackState: string; erpDocNo: string | null; rejectReason: string | null }>) {
  if (!c.outbox_id) return { erpState: 'not_sent' as ErpState, erpDocNo: null, erpRejectReason: null };
  const a = acks.get(num(c.outbox_id));
  return { erpState: (a?.ackState ?? 'pending') as ErpState, erpDocNo: a?.erpDocNo ?? null, erpRejectReason: a?.rejectReason ?? null };
}

async function summaries(db: Knex, rows: any[]): Promise<ContractSummary[]> {
  const acks = await outboxStates(db, rows.map((r) => num(r.outbox_id)).filter(Boolean));
  const shipped = await shippedByContract(db, rows.map((r) => r.contract_no));
  const lines = await store.contractLines(db, rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id,
    contractNo: r.contract_no,
    listingId: r.listing_id,
    customerId: r.customer_id,
    customerName: r.customer_name,
    accountManagerName: r.account_manager_name ?? null,
    state: r.state,
    ...erpStateOf(r, acks),
    totalKg: num(r.total_kg),
    amountFen: num(r.amount_fen),
    varieties: [...new Set(lines.filter((l) => l.contract_id === r.id).map((l) => l.variety as Variety))],
    deliveryFrom: r.delivery_from,
    deliveryTo: r.delivery_to,
    signedAt: fromDbTime(r.buyer_signed_at)!,
    sellerSignedAt: fromDbTime(r.seller_signed_at),
    shippedKg: shipped.get(r.contract_no) ?? 0,
  }));
}

export async function listContracts(db: Knex, p: Principal, q: ContractListQuery): Promise<ContractPage> {
  const { rows, total, page, pageSize } = await store.listContractRows(db, p, q);
  return { items: await summaries(db, rows), total, page, pageSize };
}

async function visibleContractRow(db: Db, p: Principal, id: number) {
  const r = await store.visibleContract(db, p, id);
  if (!r) throw new NotFound('contract.not_found', 'No such contract');
  return r;
}

export async function getContract(db: Knex, p: Principal, id: number): Promise<Contract> {
  const r = await visibleContractRow(db, p, id);
  const [summary] = await summaries(db, [r]);
  const lines = await store.contractLines(db, [id]);
  const versions = await store.documentVersions(db, id);
  const events = await store.eventsOf(db, r.listing_id);
  return {
    ...summary,
    listingNo: r.listing_no,
    intentContractId: r.intent_contract_id,
    intentContractNo: (await intentNumbers(db, [r.intent_contract_id])).get(r.intent_contract_id) ?? '',
    sellerName: (JSON.parse(r.document) as ContractDocument).seller.name,
    verifyCode: r.verify_code,
    sha256: r.sha256,
    sealError: r.seal_error,
    lines: lines.map(toLine),
    versions: versions.map((v: any) => ({
      version: v.version,
      kind: v.kind,
      sha256: v.sha256,
      size: v.size,
      certificateSerial: v.certificate_serial,
      createdAt: fromDbTime(v.created_at)!,
    })),
    events: events.map((e: any) => ({
      event: e.event,
      username: e.username,
      ip: isCustomer(p) && e.user_id !== p.userId ? null : e.ip,
      userAgent: isCustomer(p) && e.user_id !== p.userId ? null : e.user_agent,
      at: fromDbTime(e.at)!,
      details: e.details ? JSON.parse(e.details) : null,
    })),
  };
}

/** A stored version of the contract's PDF (the newest by default), served from storage, never re-rendered. */
export async function contractPdf(db: Knex, p: Principal, id: number, version?: number): Promise<{ pdf: Buffer; contractNo: string; version: number; sha256: string }> {
  const r = await visibleContractRow(db, p, id);
  const v = version ?? r.version;
  const doc = v >= 1 && v <= r.version ? await store.documentPdf(db, id, v) : undefined;
  if (!doc) throw new NotFound('contract.no_document', r.version === 0 ? 'The contract’s document is being prepared' : 'No such document version');
  return { pdf: Buffer.from(doc.pdf), contractNo: r.contract_no, version: v, sha256: doc.sha256 };
}

// ---- execution ----

const emptyFigures = (): ExecutionFigures => ({ contractedKg: 0, scheduledKg: 0, producedKg: 0, shippedKg: 0, settledKg: 0, contractedFen: 0, settledFen: 0, shippedBp: 0 });
const bp = (part: number, whole: number) => (whole > 0 ? Math.min(10_000, Math.floor((part * 10_000) / whole)) : 0);

/**
 * Contract execution from the synced ERP documents: scheduled (production orders' planned tonnage, cancelled ones
 * left out), produced, shipped (delivery notes) and settled (invoices, not cancelled). Production and deliveries are
 * matched to a line by grade and spec (a blank grade or spec on the line matches any) and variety; invoices carry no
 * lines, so the settled amount is shared over lines by their amount, and settled tonnage is the settled share of the
 * contracted tonnage, never more than was shipped.
 */
export async function contractExecution(db: Knex, p: Principal, id: number): Promise<ContractExecution> {
  const r = await visibleContractRow(db, p, id);
  const lines = (await store.contractLines(db, [id])).map(toLine);
  const erp = await contractErpDocuments(db, r.contract_no);
  const figures = lines.map((l) => ({ ...emptyFigures(), contractedKg: l.kg, contractedFen: l.amountFen }));
  const lineOf = (materialCode: string, grade: string, spec: string) => {
    const variety = erp.varieties.get(materialCode);
    return lines.findIndex((l) => (!l.grade || l.grade === grade) && (!l.spec || l.spec === spec) && (!variety || l.variety === variety));
  };
  for (const po of erp.productionOrders) {
    if (po.status === 'cancelled') continue;
    const i = lineOf(po.materialCode, po.grade, po.spec);
    if (i < 0) continue;
    figures[i].scheduledKg += po.plannedKg;
    figures[i].producedKg += po.producedKg;
  }
  const shippedSeries = new Map<string, number>();
  for (const d of erp.deliveries) {
    for (const dl of d.lines ?? []) {
      const i = lineOf(dl.materialCode, dl.grade, dl.spec);
      if (i >= 0) figures[i].shippedKg += dl.weightKg;
    }
    shippedSeries.set(d.deliveryDate, (shippedSeries.get(d.deliveryDate) ?? 0) + d.totalWeightKg);
  }
  const settledFen = erp.invoices.filter((i) => i.status !== 'cancelled').reduce((s, i) => s + num(i.totalFen), 0);
  const totalFen = num(r.amount_fen);
  let given = 0;
  figures.forEach((f, i) => {
    const share = i === figures.length - 1 ? settledFen - given : totalFen > 0 ? Math.floor((settledFen * f.contractedFen) / totalFen) : 0;
    given += share;
    f.settledFen = share;
    f.settledKg = Math.min(f.shippedKg, f.contractedFen > 0 ? Math.floor((share * f.contractedKg) / f.contractedFen) : 0);
    f.shippedBp = bp(f.shippedKg, f.contractedKg);
  });
  const totals = figures.reduce((t, f) => {
    for (const k of Object.keys(t) as (keyof ExecutionFigures)[]) if (k !== 'shippedBp') t[k] += f[k];
    return t;
  }, emptyFigures());
  // Deliveries that match no line still count for the contract as a whole.
  totals.shippedKg = Math.max(totals.shippedKg, erp.deliveries.reduce((s, d) => s + num(d.totalWeightKg), 0));
  totals.settledFen = settledFen;
  totals.shippedBp = bp(totals.shippedKg, totals.contractedKg);
  let cumulative = 0;
  const series = [...shippedSeries.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, kg]) => ({ date, cumulativeKg: (cumulative += kg) }));
  return {
    contractId: id,
    contractNo: r.contract_no,
    totals,
    lines: lines.map((l, i) => ({ ...l, figures: figures[i] })),
    salesOrders: erp.salesOrders.map((o) => ({ docNo: o.orderNo, date: o.orderDate, kg: o.totalWeightKg, amountFen: o.totalAmountFen, status: o.status, detail: null })),
    production: erp.productionOrders.map((o) => ({ docNo: o.productionNo, date: o.plannedStart, kg: o.plannedKg, amountFen: null, status: o.status, detail: `${o.grade} ${o.spec} · ${decimalText(o.producedKg, 3)} t` })),
    deliveries: erp.deliveries.map((d) => ({ docNo: d.deliveryNo, date: d.deliveryDate, kg: d.totalWeightKg, amountFen: null, status: null, detail: `${d.destination?.province ?? ''}${d.destination?.city ?? ''} · ${d.vehicleNo ?? ''}` })),
    invoices: erp.invoices.map((v) => ({ docNo: v.invoiceNo, date: v.invoiceDate, kg: null, amountFen: v.totalFen, status: v.status, detail: null })),
    shippedSeries: series,
    asOf: erp.asOf,
  };
}

// ---- scheduled work ----

/** Listings past their window expire; their intent contract opens again; the customer and the staff are told. */
export async function expireListings(db: Knex, now = new Date()): Promise<number> {
  let n = 0;
  for (const due of await store.dueListings(db, now)) {
    await db.transaction(async (trx) => {
      const l = (await forUpdate(trx, trx('listings').where('id', due.id)).first()) as ListingRow;
      if (l.state !== 'listed') return;
      await moveListing(trx, l, 'expired', 'system:contracts.expire', now);
      await moveIntent(trx, l.intent_contract_id, 'listed', 'open');
      const customer = await trx('organisations').where('id', l.customer_id).first('name');
      const params = { listingNo: l.listing_no, customer: customer.name };
      await notify(trx, { kind: 'listing.expired', template: 'listing_expired', params, organisationId: l.customer_id, right: 'canSign', link: `/listings/${l.id}`, idempotencyKey: `listing.expired:${l.id}` });
      await notify(trx, { kind: 'listing.expired', template: 'listing_expired', params, userIds: await staffConcerned(trx, { customer_id: l.customer_id, listing_id: l.id }), link: `/staff/listings`, idempotencyKey: `listing.expired.staff:${l.id}` });
      await audit(trx, systemActor('contracts.expire'), { action: 'listing.expired', entity: 'listing', entityId: l.id });
      n++;
    });
  }
  return n;
}

/** Reminders: listings about to expire (to the customer's signers, SMS too), contracts near their delivery end with tonnage open. */
export async function sendReminders(db: Knex, now = new Date()): Promise<{ listings: number; contracts: number }> {
  const cfg = await settings(db);
  let listings = 0;
  for (const l of await store.listingsToRemind(db, now, new Date(now.getTime() + cfg.expiryReminderHours * 3600_000))) {
    await db.transaction(async (trx) => {
      if (!(await store.markListingReminded(trx, l.id, now))) return;
      await notify(trx, {
        kind: 'listing.expiring',
        template: 'listing_expiring',
        params: { listingNo: l.listing_no, validUntil: chinaTime(new Date(fromDbTime(l.valid_until)!)) },
        organisationId: l.customer_id,
        right: 'canSign',
        sms: true,
        link: `/listings/${l.id}`,
        idempotencyKey: `listing.expiring:${l.id}`,
      });
      listings++;
    });
  }
  let contracts = 0;
  const until = addDays(chinaToday(now), cfg.deliveryReminderDays);
  const due = await store.contractsNearDeliveryEnd(db, until);
  const shipped = await shippedByContract(db, due.map((c) => c.contract_no));
  for (const c of due) {
    const open = num(c.total_kg) - (shipped.get(c.contract_no) ?? 0);
    if (open <= 0) continue;
    await db.transaction(async (trx) => {
      if (!(await store.markDeliveryReminded(trx, c.id, now))) return;
      const params = { contractNo: c.contract_no, deliveryTo: c.delivery_to, openTonnes: decimalText(open, 3) };
      await notify(trx, { kind: 'contract.delivery_due', template: 'contract_delivery_due', params, organisationId: c.customer_id, link: `/contracts/${c.id}`, idempotencyKey: `contract.delivery_due:${c.id}` });
      await notify(trx, { kind: 'contract.delivery_due', template: 'contract_delivery_due', params, userIds: await staffConcerned(trx, c), link: `/staff/contracts/${c.id}`, idempotencyKey: `contract.delivery_due.staff:${c.id}` });
      contracts++;
    });
  }
  return { listings, contracts };
}

/** Retries contracts left in 'sealing' (a failed seal, a crash between steps): each step commits on its own. */
export async function sealPending(deps: ContractDeps, now = new Date()): Promise<{ sealed: number; failed: number }> {
  let sealed = 0;
  let failed = 0;
  for (const c of await store.contractsToSeal(deps.db, now)) {
    try {
      await sealContract(deps, c.id);
      sealed++;
    } catch {
      failed++;
    }
  }
  return { sealed, failed };
}

// ---- verification ----

/** The public check of a PDF: who sealed it, when, with which certificate, and whether it is unchanged since. */
export async function verifyDocument(db: Knex, pdf: Buffer): Promise<VerificationReport> {
  const hash = sha256(pdf);
  const result = await verify(db, pdf);
  const stored = await store.documentBySha(db, hash);
  return {
    valid: result.intact,
    modifiedAfterSigning: result.modifiedAfterSigning,
    signatures: result.signatures,
    contractNo: stored?.contract_no ?? null,
    sha256: hash,
    matchesStored: Boolean(stored && stored.version === stored.latest),
    checkedAt: new Date().toISOString(),
  };
}

/** The check by contract number and the code printed on it: verifies the stored final document. */
export async function verifyByCode(db: Knex, contractNo: string, code: string): Promise<VerificationReport> {
  const c = await store.contractByNo(db, contractNo);
  const normal = code.toUpperCase().replace(/^(.{4})-?(.{4})$/, '$1-$2');
  if (!c || c.verify_code !== normal) throw new NotFound('verify.not_found', 'No contract with this number and code');
  if (c.state !== 'signed') throw new Conflict('verify.not_signed', 'The contract is not sealed by both parties yet', { state: c.state });
  const doc = await store.documentPdf(db, c.id, c.version);
  return verifyDocument(db, Buffer.from(doc!.pdf));
}

export async function contractNumbersById(db: Db, type: string, ids: number[]): Promise<Map<number, string>> {
  if (type !== 'contract') return new Map();
  return new Map((await store.contractNumbers(db, ids)).map((r) => [r.id, r.contract_no]));
}

