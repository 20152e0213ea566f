// Quality certificates (质保书): the search, the certificate as issued, its EN 10168 JSON, and withdrawal.
// Values travel as the text the ERP sent ("0.0050" stays "0.0050"); weights are integer kilograms (DESIGN.md §3).
import { Type, type Static, type TSchema } from 'typebox';
import { CERTIFICATE_DOCUMENT_TYPES, RESULT_GROUPS, RESULT_OPERATORS, VERDICTS } from '../erp/payloads.js';
import { Page, PageQuery, Timestamp } from './common.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Day = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'YYYY-MM-DD' });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const DocumentTypeSchema = Type.Unsafe<(typeof CERTIFICATE_DOCUMENT_TYPES)[number]>({ type: 'string', enum: [...CERTIFICATE_DOCUMENT_TYPES] });
export const ResultGroupSchema = Type.Unsafe<(typeof RESULT_GROUPS)[number]>({ type: 'string', enum: [...RESULT_GROUPS] });
export const OperatorSchema = Type.Unsafe<(typeof RESULT_OPERATORS)[number]>({ type: 'string', enum: [...RESULT_OPERATORS] });
export const VerdictSchema = Type.Unsafe<(typeof VERDICTS)[number]>({ type: 'string', enum: [...VERDICTS] });
export const IDENTIFIER_KINDS = ['heat', 'batch', 'coil', 'bundle'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export const CertificateListQuery = Type.Object(
  {
    /** prefix of the certificate number */
    certificateNo: Type.Optional(Text(32)),
    contractNo: Type.Optional(Text(64)),
    deliveryNo: Type.Optional(Text(32)),
    /** a heat number, or any batch, coil or bundle number printed on the certificate */
    heatNo: Type.Optional(Text(30)),
    grade: Type.Optional(Text(30)),
    spec: Type.Optional(Text(60)),
    /** issue date from, inclusive */
    from: Type.Optional(Day),
    /** issue date to, inclusive */
    to: Type.Optional(Day),
    /** staff: one customer's certificates (a customer only ever sees its own) */
    customerId: Type.Optional(Type.Integer({ minimum: 1 })),
    withdrawn: Type.Optional(Type.Boolean()),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type CertificateListQuery = Static<typeof CertificateListQuery>;

export const Withdrawal = Type.Object({
  at: Timestamp,
  /** a username, or 'erp' when the ERP deleted the certificate */
  by: Type.String(),
  reason: Type.String(),
});
export type Withdrawal = Static<typeof Withdrawal>;

export const CertificateCustomer = Type.Object({ id: Nullable(Type.Integer()), code: Type.String(), name: Nullable(Type.String()) });

export const CertificateSummary = Type.Object({
  id: Type.Integer(),
  certificateNo: Type.String(),
  documentType: DocumentTypeSchema,
  issueDate: Type.String(),
  standard: Type.String(),
  productName: Type.String(),
  customer: CertificateCustomer,
  contractNo: Nullable(Type.String()),
  deliveryNo: Nullable(Type.String()),
  vehicleNo: Nullable(Type.String()),
  grades: Type.Array(Type.String()),
  specs: Type.Array(Type.String()),
  heatNos: Type.Array(Type.String()),
  pieces: Type.Integer(),
  weightKg: Type.Integer({ description: 'kilograms' }),
  /** 不合格 when any batch is */
  result: VerdictSchema,
  withdrawal: Type.Union([Withdrawal, Type.Null()]),
});
export type CertificateSummary = Static<typeof CertificateSummary>;

export const CertificatePage = Page(CertificateSummary);
export type CertificatePage = Static<typeof CertificatePage>;

export const CertificateResultView = Type.Object({
  group: ResultGroupSchema,
  symbol: Type.String(),
  /** measured: a decimal value; verdict: a test judged 合格/不合格 (value holds the verdict) */
  kind: Type.Union([Type.Literal('measured'), Type.Literal('verdict')]),
  /** exactly as the ERP sent it */
  value: Type.String(),
  operator: Nullable(OperatorSchema),
  unit: Nullable(Type.String()),
  min: Nullable(Type.String()),
  max: Nullable(Type.String()),
  /** where min/max come from: the certificate itself, or the product standard's table for the grade */
  limitSource: Nullable(Type.Union([Type.Literal('certificate'), Type.Literal('standard')])),
  method: Nullable(Type.String()),
  /** null: no limit known, or the operator leaves it open */
  inSpec: Nullable(Type.Boolean()),
});
export type CertificateResultView = Static<typeof CertificateResultView>;

export const CertificateBatchView = Type.Object({
  position: Type.Integer(),
  heatNo: Type.String(),
  batchNo: Type.String(),
  coilNos: Type.Array(Type.String()),
  bundleNos: Type.Array(Type.String()),
  grade: Type.String(),
  spec: Type.String(),
  pieces: Type.Integer(),
  weightKg: Type.Integer({ description: 'kilograms' }),
  result: VerdictSchema,
  /** erp: the mill's verdict as sent; derived: from the results */
  resultSource: Type.Union([Type.Literal('erp'), Type.Literal('derived')]),
  results: Type.Array(CertificateResultView),
});
export type CertificateBatchView = Static<typeof CertificateBatchView>;

export const CertificateDetail = Type.Object({
  id: Type.Integer(),
  certificateNo: Type.String(),
  documentType: DocumentTypeSchema,
  issueDate: Type.String(),
  standard: Type.String(),
  productName: Type.String(),
  customer: CertificateCustomer,
  contractNo: Nullable(Type.String()),
  deliveryNo: Nullable(Type.String()),
  salesOrderNo: Nullable(Type.String()),
  vehicleNo: Nullable(Type.String()),
  inspector: Type.String(),
  pieces: Type.Integer(),
  weightKg: Type.Integer({ description: 'kilograms' }),
  result: VerdictSchema,
  withdrawal: Type.Union([Withdrawal, Type.Null()]),
  syncedAt: Timestamp,
  batches: Type.Array(CertificateBatchView),
});
export type CertificateDetail = Static<typeof CertificateDetail>;

export const WithdrawBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }) }, { additionalProperties: false });
export type WithdrawBody = Static<typeof WithdrawBody>;

// ---- EN 10168 ----
// Field codes of EN 10168:2004 (Steel products — Inspection documents — List of information and description) as
// listed by the open digital mill certificate schema (s1seven/SEP EN10168/README.md; material-identity.github.io
// docs/en10168): A01 manufacturer, A02 type of document, A03 document number, A06 purchaser, A07 order number,
// A08 manufacturer's work number, A98 delivery note; B01 product, B02 steel designation and product standard,
// B07 identification (heat/batch), B08 pieces, B09 dimensions, B13 actual mass; C00 heat, C11 yield, C12 tensile
// strength, C13 elongation, C16–C29 tensile supplementary, C43 impact mean, C50–C69 other mechanical tests, C71–C109
// chemical elements (C71–C92 in the standard, extended by that schema); D50–D99 other product tests; Z01 statement
// of compliance, Z02 date of issue, Z03 inspection representative. Unlike that schema, values stay strings.

export const En10168Measurement = Type.Object({
  Property: Type.String(),
  /** exactly as printed */
  Value: Type.String(),
  Operator: Type.Optional(OperatorSchema),
  Unit: Type.Optional(Type.String()),
  Minimum: Type.Optional(Type.String()),
  Maximum: Type.Optional(Type.String()),
  Method: Type.Optional(Type.String()),
  InSpec: Nullable(Type.Boolean()),
});
export type En10168Measurement = Static<typeof En10168Measurement>;

export const En10168Item = Type.Object({
  ProductDescription: Type.Object({
    B02: Type.Object({ SteelDesignation: Type.String(), ProductNorm: Type.String() }),
    B07: Type.Object({ Heat: Type.String(), Batch: Type.String(), Coils: Type.Array(Type.String()), Bundles: Type.Array(Type.String()) }),
    B08: Type.Integer(),
    B09: Type.String(),
    B13: Type.Object({ Value: Type.String(), Unit: Type.Literal('kg') }),
  }),
  Inspection: Type.Record(Type.String({ pattern: '^C\\d{2,3}$' }), Type.Union([Type.String(), En10168Measurement])),
  OtherTests: Type.Record(Type.String({ pattern: '^D\\d{2}$' }), En10168Measurement),
  Result: VerdictSchema,
});
export type En10168Item = Static<typeof En10168Item>;

export const En10168Document = Type.Object({
  Standard: Type.Literal('EN 10168:2004'),
  CommercialTransaction: Type.Object({
    A01: Type.String(),
    A02: Type.String(),
    A03: Type.String(),
    A06: Type.Object({ Name: Nullable(Type.String()), Code: Type.String() }),
    A07: Nullable(Type.String()),
    A08: Nullable(Type.String()),
    A98: Nullable(Type.String()),
    A10: Type.Optional(Type.Object({ Key: Type.Literal('VehicleNo'), Value: Type.String() })),
  }),
  ProductDescription: Type.Object({ B01: Type.String() }),
  Items: Type.Array(En10168Item),
  Validation: Type.Object({
    Z01: Type.String(),
    Z02: Type.String(),
    Z03: Type.Object({ Name: Type.String() }),
  }),
  Withdrawal: Type.Union([Withdrawal, Type.Null()]),
});
export type En10168Document = Static<typeof En10168Document>;

// ---- authorised remote printing, share links, public verification (issue 7) ----
// A copy's codes: the QR encodes `${origin}/verify/<code>` with a 32-character code (Crockford base32, 160 bits);
// the short code printed for typing is its first 16 characters as XXXX-XXXX-XXXX-XXXX (80 bits). Both are accepted
// by GET/POST /api/certificate-verify/:code (case, dashes and spaces ignored; I, L → 1, O → 0 as Crockford reads them).

export const CustomerIdParams = Type.Object({ customerId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
export type CustomerIdParams = Static<typeof CustomerIdParams>;

export const PrintRights = Type.Object({
  customerId: Type.Integer(),
  allowed: Type.Boolean(),
  copiesPerCertificate: Type.Integer({ minimum: 1, maximum: 50 }),
  /** true: no decision stored for this customer, the configured default applies */
  isDefault: Type.Boolean(),
});
export type PrintRights = Static<typeof PrintRights>;

export const PrintRightsBody = Type.Object(
  { allowed: Type.Boolean(), copiesPerCertificate: Type.Integer({ minimum: 1, maximum: 50 }) },
  { additionalProperties: false },
);
export type PrintRightsBody = Static<typeof PrintRightsBody>;

export const CertificateCopy = Type.Object({
  /** unique, e.g. ZB20261123001-C0003 */
  copyNo: Type.String(),
  /** 副本 n/m; an office copy printed by quality staff is numbered in its own series (copy number …-S01) with m = n */
  n: Type.Integer(),
  m: Type.Integer(),
  /** office: printed by mill quality staff, not counted against the customer's copies */
  office: Type.Boolean(),
  printedAt: Timestamp,
  /** the printing user's display name, or 分享链接 (<customer name>) for a buyer printing through a share link */
  printedBy: Type.String(),
  /** the customer's name, or the buyer named by the share link */
  printedFor: Type.String(),
  /** the short code printed for typing, XXXX-XXXX-XXXX-XXXX */
  verifyCode: Type.String(),
  /** the QR's URL: `${publicBaseUrl}/verify/<32-character code>` */
  verifyUrl: Type.String(),
  /** API path of the stored PDF, /api/certificate-copies/<copyNo>/pdf */
  pdfUrl: Type.String(),
});
export type CertificateCopy = Static<typeof CertificateCopy>;

export const CopyNoParams = Type.Object({ copyNo: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export type CopyNoParams = Static<typeof CopyNoParams>;

export const PrintLogEntry = Type.Object({
  copyNo: Type.String(),
  certificateId: Type.Integer(),
  certificateNo: Type.String(),
  customer: CertificateCustomer,
  n: Type.Integer(),
  m: Type.Integer(),
  office: Type.Boolean(),
  printedAt: Timestamp,
  printedBy: Type.String(),
  printedFor: Type.String(),
  /** the share link the copy was printed through, or null */
  share: Nullable(Type.Object({ id: Type.Integer(), buyerName: Type.String() })),
  verifyCode: Type.String(),
  pdfUrl: Type.String(),
});
export type PrintLogEntry = Static<typeof PrintLogEntry>;

export const PrintLogPage = Page(PrintLogEntry);
export type PrintLogPage = Static<typeof PrintLogPage>;

export const PrintLogQuery = Type.Object(
  { customerId: Type.Optional(Type.Integer({ minimum: 1 })), ...PageQuery },
  { additionalProperties: false },
);
export type PrintLogQuery = Static<typeof PrintLogQuery>;

export const ShareBody = Type.Object(
  {
    buyerName: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
    /** must lie in the future, at most a year ahead */
    expiresAt: Timestamp,
    maxCopies: Type.Integer({ minimum: 1, maximum: 50 }),
  },
  { additionalProperties: false },
);
export type ShareBody = Static<typeof ShareBody>;

export const CertificateShare = Type.Object({
  id: Type.Integer(),
  certificateId: Type.Integer(),
  /** 32 base64url characters (192 bits); only whoever holds the link can use it */
  token: Type.String(),
  /** `${publicBaseUrl}/shared/<token>` (the web page for the buyer) */
  url: Type.String(),
  buyerName: Type.String(),
  expiresAt: Timestamp,
  maxCopies: Type.Integer(),
  used: Type.Integer(),
  revokedAt: Nullable(Timestamp),
  createdAt: Timestamp,
  createdBy: Type.String(),
});
export type CertificateShare = Static<typeof CertificateShare>;

export const CertificateShareList = Type.Array(CertificateShare);

export const ShareTokenParams = Type.Object({ token: Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) }, { additionalProperties: false });
export type ShareTokenParams = Static<typeof ShareTokenParams>;

/** A batch as a buyer or a verifier sees it: no prices, no results beyond what identifies the steel. */
export const PublicBatch = Type.Object({
  heatNo: Type.String(),
  batchNo: Type.String(),
  grade: Type.String(),
  spec: Type.String(),
  pieces: Type.Integer(),
  weightKg: Type.Integer({ description: 'kilograms' }),
});
export type PublicBatch = Static<typeof PublicBatch>;

/** What a share link shows before printing (never prices). */
export const SharedCertificate = Type.Object({
  certificateNo: Type.String(),
  documentType: DocumentTypeSchema,
  issueDate: Type.String(),
  standard: Type.String(),
  productName: Type.String(),
  mill: Type.String(),
  customerName: Type.String(),
  buyerName: Type.String(),
  batches: Type.Array(PublicBatch),
  weightKg: Type.Integer(),
  copiesLeft: Type.Integer(),
  maxCopies: Type.Integer(),
  expiresAt: Timestamp,
});
export type SharedCertificate = Static<typeof SharedCertificate>;

export const VerifyCodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export type VerifyCodeParams = Static<typeof VerifyCodeParams>;

export const VERIFY_REASONS = ['withdrawn', 'data_changed', 'pdf_not_intact', 'pdf_not_trusted', 'pdf_not_stored'] as const;

export const CopyVerification = Type.Object({
  /** true when the code names a copy, the certificate is not withdrawn, its data still match, and any uploaded PDF checks */
  genuine: Type.Boolean(),
  /** why not genuine (first failing check); absent when genuine */
  reason: Type.Optional(Type.Unsafe<(typeof VERIFY_REASONS)[number]>({ type: 'string', enum: [...VERIFY_REASONS] })),
  copyNo: Type.String(),
  certificateNo: Type.String(),
  documentType: DocumentTypeSchema,
  issueDate: Type.String(),
  standard: Type.String(),
  productName: Type.String(),
  mill: Type.String(),
  customerName: Type.String(),
  batches: Type.Array(PublicBatch),
  weightKg: Type.Integer(),
  printedAt: Timestamp,
  printedFor: Type.String(),
  n: Type.Integer(),
  m: Type.Integer(),
  office: Type.Boolean(),
  withdrawn: Nullable(Type.Object({ at: Timestamp, reason: Type.String() })),
  /** the certificate's data as stored now hash to what was printed on this copy */
  dataMatches: Type.Boolean(),
  /** only on POST (an uploaded copy) */
  pdf: Type.Optional(
    Type.Object({
      /** the signature covers the whole file and its digest matches */
      intact: Type.Boolean(),
      /** signed by a certificate of the portal's CA that was valid at signing */
      trusted: Type.Boolean(),
      /** byte for byte the copy the portal stored */
      matchesStored: Type.Boolean(),
    }),
  ),
});
export type CopyVerification = Static<typeof CopyVerification>;
