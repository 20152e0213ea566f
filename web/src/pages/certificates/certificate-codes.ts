// Code lists, access and small helpers of the certificate pages (质保书). shared/api/certificates.ts defines the
// lists, but that module loads TypeBox, which the web bundle does not ship; the checks below fail the type check
// when these copies drift.
import type { Role } from '@shared/roles';
import type { Me } from '@shared/index';
import type { CertificateDetail, CertificateResultView, CopyVerification } from '@shared/api/certificates';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export const DOCUMENT_TYPES = ['2.2', '3.1', '3.2', 'zh_quality_certificate'] as const;
export const RESULT_GROUPS = ['chemical', 'mechanical', 'other'] as const;
export const VERIFY_REASONS = ['withdrawn', 'data_changed', 'pdf_not_intact', 'pdf_not_trusted', 'pdf_not_stored'] as const;

export type ResultGroup = (typeof RESULT_GROUPS)[number];
export type VerifyReason = (typeof VERIFY_REASONS)[number];

export type CodeListsMatchShared = [
  Assert<Same<(typeof DOCUMENT_TYPES)[number], CertificateDetail['documentType']>>,
  Assert<Same<ResultGroup, CertificateResultView['group']>>,
  Assert<Same<VerifyReason, NonNullable<CopyVerification['reason']>>>,
];

// Who may do what, as the access rules of the certificate routes say (the server decides; the pages only hide what
// it would refuse). Customers read their own certificates, account managers their customers', the others all.
export const CERTIFICATE_STAFF_ROLES: readonly Role[] = ['account_manager', 'sales_manager', 'quality_staff', 'admin'];
/** Withdrawal: the quality department (DESIGN.md §5). */
export const QUALITY_ROLES: readonly Role[] = ['quality_staff'];
/** Print rights per customer and the print log across customers: quality staff, and administrators as the route allows. */
export const PRINT_RIGHTS_ROLES: readonly Role[] = ['quality_staff', 'admin'];

const isCustomer = (me: Me) => me.role === 'customer_user' || me.role === 'customer_admin';

/** A customer user whom the customer administrator let print (the mill's right per customer is checked on print). */
export function mayPrint(me: Me | null): boolean {
  return !!me && isCustomer(me) && me.canPrint;
}

/** Share links are made by the customer's own users who may print. */
export const mayShare = mayPrint;

/**
 * The web page a printed copy's QR code leads to (the server prints `${publicBaseUrl}/verify/<code>`); the one
 * place the web knows that address.
 */
export const COPY_VERIFY_PATH = '/verify/';
export const copyVerifyPath = (code: string) => `${COPY_VERIFY_PATH}${encodeURIComponent(code)}`;

/** The code of a copy from its QR's URL (its last path segment), else the short code without dashes. */
export function copyCode(copy: { verifyUrl: string; verifyCode: string }): string {
  const last = copy.verifyUrl.split('?')[0].split('/').filter(Boolean).pop();
  return last && copy.verifyUrl.includes(COPY_VERIFY_PATH) ? decodeURIComponent(last) : copy.verifyCode.replace(/[-\s]/g, '');
}

/** A copy's short code as typed: Crockford base32 letters and digits, dashes and spaces ignored. */
export const COPY_CODE_PATTERN = /^[0-9A-Za-z]{16}([0-9A-Za-z]{16})?$/;
export const normaliseCopyCode = (code: string) => code.replace(/[-\s]/g, '').toUpperCase();

export const CERTIFICATE_NO_MAX = 32;
export const CONTRACT_NO_MAX = 64;
export const DELIVERY_NO_MAX = 32;
export const HEAT_NO_MAX = 30;
export const GRADE_MAX = 30;
export const SPEC_MAX = 60;
export const BUYER_NAME_MAX = 100;
export const WITHDRAW_REASON_MAX = 500;
/** Copies per certificate and per share link, as the schemas allow. */
export const COPIES_MAX = 50;
/** The largest PDF the verification accepts. */
export const VERIFY_MAX_BYTES = 10 * 1024 * 1024;

/** The i18n key of a document type (vue-i18n reads the dot of "3.1" as a path). */
export function documentTypeKey(type: CertificateDetail['documentType']): string {
  return type === 'zh_quality_certificate' ? type : `d${type.replace('.', '_')}`;
}

/** The operator as printed before a value ("< 0.005"); "=" is implied and left out. */
export function valueWithOperator(r: Pick<CertificateResultView, 'operator' | 'value'>): string {
  return r.operator && r.operator !== '=' ? `${r.operator} ${r.value}` : r.value;
}

/** "≥ 400", "≤ 0.25", "0.8 – 1.6", or '' when no limit is known. */
export function limitText(r: Pick<CertificateResultView, 'min' | 'max'>): string {
  if (r.min !== null && r.max !== null) return `${r.min} – ${r.max}`;
  if (r.min !== null) return `≥ ${r.min}`;
  if (r.max !== null) return `≤ ${r.max}`;
  return '';
}
