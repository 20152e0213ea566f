// Online contracts (在线合同): the mill's standard terms, directed listings (定向挂牌) and taking them (摘牌) with a
// one-time code, formal contracts with their sealed PDF versions, ERP hand-over, execution from ERP data, the seals
// (CA电子签章) and public verification. Tonnage is integer kilograms, money integer fen (DESIGN.md §3).
import { Type, type Static } from 'typebox';
import { Page, PageQuery, Timestamp } from './common.js';
import { VarietySchema } from './customers.js';
import { IntentLine } from './allocation.js';

const Nullable = <T extends ReturnType<typeof Type.String | typeof Type.Integer | typeof Type.Boolean>>(t: T) => Type.Union([t, Type.Null()]);
const Kg = Type.Integer({ minimum: 0, description: 'kilograms' });
const Fen = Type.Integer({ description: 'fen (0.01 yuan)' });
const Day = Type.String({ pattern: '^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description: 'YYYY-MM-DD (China time)' });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

// ---- standard terms ----

export const Clause = Type.Object({ title: Text(100), body: Text(4000) }, { additionalProperties: false });
export type Clause = Static<typeof Clause>;

export const TEMPLATE_STATES = ['draft', 'active', 'retired'] as const;
export type TemplateState = (typeof TEMPLATE_STATES)[number];

export const ContractTemplate = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  version: Type.Integer(),
  state: Type.Unsafe<TemplateState>({ type: 'string', enum: [...TEMPLATE_STATES] }),
  clauses: Type.Array(Clause),
  createdBy: Type.String(),
  createdAt: Timestamp,
  activatedAt: Nullable(Timestamp),
});
export type ContractTemplate = Static<typeof ContractTemplate>;
export const ContractTemplateList = Type.Object({ items: Type.Array(ContractTemplate) });
export type ContractTemplateList = Static<typeof ContractTemplateList>;

/** A new version of a template (or the first version of a new name); it starts as a draft. */
export const CreateTemplateBody = Type.Object(
  { name: Text(100), clauses: Type.Array(Clause, { minItems: 1, maxItems: 60 }) },
  { additionalProperties: false },
);
export type CreateTemplateBody = Static<typeof CreateTemplateBody>;

// ---- party details and settings ----

export const PartyDetails = Type.Object({
  organisationId: Type.Integer(),
  name: Type.String(),
  creditCode: Nullable(Type.String()),
  address: Nullable(Type.String()),
  legalRepresentative: Nullable(Type.String()),
  bankName: Nullable(Type.String()),
  bankAccount: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  /** what a contract cannot be made without: credit code, address, bank name and account */
  complete: Type.Boolean(),
});
export type PartyDetails = Static<typeof PartyDetails>;

export const UpdatePartyDetailsBody = Type.Object(
  {
    legalRepresentative: Type.Union([Type.String({ maxLength: 60 }), Type.Null()]),
    bankName: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    bankAccount: Type.Union([Type.String({ maxLength: 40, pattern: '^[0-9 -]*$' }), Type.Null()]),
    phone: Type.Union([Type.String({ maxLength: 30, pattern: '^[0-9+() -]*$' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type UpdatePartyDetailsBody = Static<typeof UpdatePartyDetailsBody>;

export const ContractSettings = Type.Object(
  {
    /** contract numbers are prefix + YYYYMM + a 4-digit monthly sequence, e.g. HT2026120001 */
    numberPrefix: Type.String({ pattern: '^[A-Z]{1,6}$' }),
    /** the default validity window of a new listing, in days */
    listingDays: Type.Integer({ minimum: 1, maximum: 60 }),
    /** remind the customer this many hours before a listing expires */
    expiryReminderHours: Type.Integer({ minimum: 1, maximum: 240 }),
    /** remind about contracts whose delivery period ends within this many days with tonnage still open */
    deliveryReminderDays: Type.Integer({ minimum: 1, maximum: 60 }),
    /** 签订地点 printed on contracts */
    signedPlace: Text(100),
  },
  { additionalProperties: false },
);
export type ContractSettings = Static<typeof ContractSettings>;

// ---- listings ----

export const LISTING_STATES = ['listed', 'taken', 'expired', 'withdrawn'] as const;
export type ListingState = (typeof LISTING_STATES)[number];
export const ListingStateSchema = Type.Unsafe<ListingState>({ type: 'string', enum: [...LISTING_STATES] });

/** A line of a listing or contract is the line of the intent contract it came from. */
export const ContractLine = IntentLine;
export type ContractLine = Static<typeof ContractLine>;

export const CreateListingBody = Type.Object(
  {
    intentContractId: Type.Integer({ minimum: 1 }),
    deliveryPlace: Text(200),
    deliveryFrom: Day,
    deliveryTo: Day,
    deliveryMethod: Text(60),
    /** default: the intent contract's payment terms in words */
    paymentTerms: Type.Optional(Text(500)),
    qualityStandard: Text(200),
    /** default: the active version of the standard terms */
    templateId: Type.Optional(Type.Integer({ minimum: 1 })),
    /** default: now + the configured listing days */
    validUntil: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type CreateListingBody = Static<typeof CreateListingBody>;

export const Listing = Type.Object({
  id: Type.Integer(),
  listingNo: Type.String(),
  intentContractId: Type.Integer(),
  intentContractNo: Type.String(),
  customerId: Type.Integer(),
  customerName: Type.String(),
  state: ListingStateSchema,
  deliveryPlace: Type.String(),
  deliveryFrom: Type.String(),
  deliveryTo: Type.String(),
  deliveryMethod: Type.String(),
  paymentTerms: Type.String(),
  qualityStandard: Type.String(),
  templateName: Type.String(),
  templateVersion: Type.Integer(),
  validFrom: Timestamp,
  validUntil: Timestamp,
  totalKg: Kg,
  amountFen: Fen,
  createdAt: Timestamp,
  closedAt: Nullable(Timestamp),
  contractId: Nullable(Type.Integer()),
  lines: Type.Array(ContractLine),
  clauses: Type.Array(Clause),
});
export type Listing = Static<typeof Listing>;

export const ListingListQuery = Type.Object(
  { ...PageQuery, state: Type.Optional(ListingStateSchema), customerId: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);
export type ListingListQuery = Static<typeof ListingListQuery>;
export const ListingPage = Page(Type.Omit(Listing, ['lines', 'clauses']));
export type ListingPage = Static<typeof ListingPage>;

export const SigningCodeSent = Type.Object({
  phone: Type.String({ description: 'masked, e.g. 138****0000' }),
  expiresAt: Timestamp,
  resendAfterSeconds: Type.Integer(),
});
export type SigningCodeSent = Static<typeof SigningCodeSent>;

export const TakeListingBody = Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false });
export type TakeListingBody = Static<typeof TakeListingBody>;

// ---- contracts ----

export const CONTRACT_STATES = ['sealing', 'signed', 'cancelled'] as const;
export type ContractState = (typeof CONTRACT_STATES)[number];
export const ContractStateSchema = Type.Unsafe<ContractState>({ type: 'string', enum: [...CONTRACT_STATES] });

export const ERP_STATES = ['not_sent', 'pending', 'accepted', 'rejected'] as const;
export type ErpState = (typeof ERP_STATES)[number];

export const ContractVersion = Type.Object({
  version: Type.Integer(),
  kind: Type.Unsafe<'rendered' | 'buyer_sealed' | 'seller_sealed'>({ type: 'string', enum: ['rendered', 'buyer_sealed', 'seller_sealed'] }),
  sha256: Type.String(),
  size: Type.Integer(),
  certificateSerial: Nullable(Type.String()),
  createdAt: Timestamp,
});
export type ContractVersion = Static<typeof ContractVersion>;

export const ContractEvent = Type.Object({
  event: Type.String(),
  username: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  at: Timestamp,
  details: Type.Unknown(),
});
export type ContractEvent = Static<typeof ContractEvent>;

/** Figures of one line or of the whole contract (DESIGN.md §6: 排产量 / 发货量 / 结算量). */
export const ExecutionFigures = Type.Object({
  contractedKg: Kg,
  scheduledKg: Kg,
  producedKg: Kg,
  shippedKg: Kg,
  settledKg: Kg,
  contractedFen: Fen,
  settledFen: Fen,
  /** shipped share in basis points (10000 = all) */
  shippedBp: Type.Integer(),
});
export type ExecutionFigures = Static<typeof ExecutionFigures>;

export const ContractSummary = Type.Object({
  id: Type.Integer(),
  contractNo: Type.String(),
  listingId: Type.Integer(),
  customerId: Type.Integer(),
  customerName: Type.String(),
  accountManagerName: Nullable(Type.String()),
  state: ContractStateSchema,
  erpState: Type.Unsafe<ErpState>({ type: 'string', enum: [...ERP_STATES] }),
  erpDocNo: Nullable(Type.String()),
  erpRejectReason: Nullable(Type.String()),
  totalKg: Kg,
  amountFen: Fen,
  varieties: Type.Array(VarietySchema),
  deliveryFrom: Type.String(),
  deliveryTo: Type.String(),
  signedAt: Timestamp,
  sellerSignedAt: Nullable(Timestamp),
  shippedKg: Kg,
});
export type ContractSummary = Static<typeof ContractSummary>;

export const Contract = Type.Object({
  ...ContractSummary.properties,
  listingNo: Type.String(),
  intentContractId: Type.Integer(),
  intentContractNo: Type.String(),
  /** the mill, as the contract names it (供方) */
  sellerName: Type.String(),
  verifyCode: Type.String(),
  sha256: Nullable(Type.String()),
  sealError: Nullable(Type.String()),
  lines: Type.Array(ContractLine),
  versions: Type.Array(ContractVersion),
  events: Type.Array(ContractEvent),
});
export type Contract = Static<typeof Contract>;

export const ContractListQuery = Type.Object(
  {
    ...PageQuery,
    state: Type.Optional(ContractStateSchema),
    /** signed on or after / before or on, YYYY-MM-DD China time */
    from: Type.Optional(Day),
    to: Type.Optional(Day),
    variety: Type.Optional(VarietySchema),
    accountManagerId: Type.Optional(Type.Integer({ minimum: 1 })),
    customerId: Type.Optional(Type.Integer({ minimum: 1 })),
    q: Type.Optional(Type.String({ maxLength: 32, description: 'contract number, or part of it' })),
  },
  { additionalProperties: false },
);
export type ContractListQuery = Static<typeof ContractListQuery>;
export const ContractPage = Page(ContractSummary);
export type ContractPage = Static<typeof ContractPage>;

export const ContractPdfQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });
export type ContractPdfQuery = Static<typeof ContractPdfQuery>;

export const ExecutionLine = Type.Object({ ...ContractLine.properties, figures: ExecutionFigures });
export const ExecutionDoc = Type.Object({
  docNo: Type.String(),
  date: Type.String(),
  kg: Nullable(Type.Integer()),
  amountFen: Nullable(Type.Integer()),
  status: Nullable(Type.String()),
  detail: Nullable(Type.String()),
});
export type ExecutionDoc = Static<typeof ExecutionDoc>;

export const ContractExecution = Type.Object({
  contractId: Type.Integer(),
  contractNo: Type.String(),
  totals: ExecutionFigures,
  lines: Type.Array(ExecutionLine),
  salesOrders: Type.Array(ExecutionDoc),
  production: Type.Array(ExecutionDoc),
  deliveries: Type.Array(ExecutionDoc),
  invoices: Type.Array(ExecutionDoc),
  /** cumulative shipped kilograms by delivery date */
  shippedSeries: Type.Array(Type.Object({ date: Type.String(), cumulativeKg: Kg })),
  /** the newest ERP data this rests on */
  asOf: Nullable(Timestamp),
});
export type ContractExecution = Static<typeof ContractExecution>;

// ---- seals and verification ----

export const SEAL_RIGHTS = ['manage', 'use', 'audit'] as const;
export type SealRight = (typeof SEAL_RIGHTS)[number];
export const SealRightSchema = Type.Unsafe<SealRight>({ type: 'string', enum: [...SEAL_RIGHTS] });

export const SealCertificate = Type.Object({
  id: Type.Integer(),
  organisationId: Type.Integer(),
  organisationName: Type.String(),
  purpose: Type.Unsafe<'root' | 'contract' | 'quality'>({ type: 'string', enum: ['root', 'contract', 'quality'] }),
  serial: Type.String(),
  subject: Type.String(),
  notBefore: Timestamp,
  notAfter: Timestamp,
  state: Type.Unsafe<'active' | 'revoked'>({ type: 'string', enum: ['active', 'revoked'] }),
  revokedAt: Nullable(Timestamp),
  revokedBy: Nullable(Type.String()),
  revokeReason: Nullable(Type.String()),
  uses: Type.Integer(),
});
export type SealCertificate = Static<typeof SealCertificate>;
export const SealCertificateList = Type.Object({ items: Type.Array(SealCertificate) });
export type SealCertificateList = Static<typeof SealCertificateList>;

export const RevokeBody = Type.Object({ reason: Text(500) }, { additionalProperties: false });
export type RevokeBody = Static<typeof RevokeBody>;

export const SealUse = Type.Object({
  id: Type.Integer(),
  serial: Type.String(),
  subjectType: Type.String(),
  subjectId: Type.Integer(),
  subjectNo: Nullable(Type.String()),
  documentSha256: Type.String(),
  authorisedBy: Nullable(Type.String()),
  usedAt: Timestamp,
});
export const SealUseQuery = Type.Object(
  { ...PageQuery, serial: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{1,64}$' })) },
  { additionalProperties: false },
);
export type SealUseQuery = Static<typeof SealUseQuery>;
export const SealUsePage = Page(SealUse);
export type SealUsePage = Static<typeof SealUsePage>;

export const SealRightGrant = Type.Object({ userId: Type.Integer(), username: Type.String(), displayName: Type.String(), right: SealRightSchema, grantedBy: Type.String(), grantedAt: Timestamp });
export const SealRightList = Type.Object({ items: Type.Array(SealRightGrant) });
export type SealRightList = Static<typeof SealRightList>;
export const SealRightBody = Type.Object({ userId: Type.Integer({ minimum: 1 }), right: SealRightSchema }, { additionalProperties: false });
export type SealRightBody = Static<typeof SealRightBody>;

export const VerifiedSignature = Type.Object({
  fieldName: Type.String(),
  signerName: Type.String(),
  signerSubject: Type.String(),
  serial: Type.String(),
  issuerSubject: Type.String(),
  signingTime: Nullable(Timestamp),
  timestampTime: Nullable(Timestamp),
  /** the signed bytes are unchanged and the signature matches the certificate's key */
  intact: Type.Boolean(),
  /** the certificate chains to the portal's root */
  trusted: Type.Boolean(),
  /** the certificate was within its validity and not revoked at the signing time */
  validAtSigning: Type.Boolean(),
  revokedAt: Nullable(Timestamp),
});
export type VerifiedSignature = Static<typeof VerifiedSignature>;

export const VerificationReport = Type.Object({
  /** every signature intact, trusted and valid at signing, and nothing added after the last one */
  valid: Type.Boolean(),
  modifiedAfterSigning: Type.Boolean(),
  signatures: Type.Array(VerifiedSignature),
  /** the portal's record of the document, when it is one of its contracts */
  contractNo: Nullable(Type.String()),
  sha256: Type.String(),
  /** the document is the stored final version of that contract */
  matchesStored: Type.Boolean(),
  checkedAt: Timestamp,
});
export type VerificationReport = Static<typeof VerificationReport>;

export const VerifyByCodeQuery = Type.Object(
  { contractNo: Type.String({ minLength: 1, maxLength: 32 }), code: Type.String({ pattern: '^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$' }) },
  { additionalProperties: false },
);
export type VerifyByCodeQuery = Static<typeof VerifyByCodeQuery>;
