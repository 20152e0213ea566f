// Code lists, access and small helpers of the contract pages (listings, contracts, standard terms, seals,
// verification). shared/api/contracts.ts defines the lists, but that module loads TypeBox, which the web bundle does
// not ship; the checks below fail the type check when these copies drift.
import type { Role } from '@shared/roles';
import type { Me } from '@shared/index';
import type {
  CONTRACT_STATES as SHARED_CONTRACT_STATES,
  ContractVersion,
  ERP_STATES as SHARED_ERP_STATES,
  LISTING_STATES as SHARED_LISTING_STATES,
  SEAL_RIGHTS as SHARED_SEAL_RIGHTS,
  SealCertificate,
  TEMPLATE_STATES as SHARED_TEMPLATE_STATES,
} from '@shared/api/contracts';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export const LISTING_STATES = ['listed', 'taken', 'expired', 'withdrawn'] as const;
export const CONTRACT_STATES = ['sealing', 'signed', 'cancelled'] as const;
export const ERP_STATES = ['not_sent', 'pending', 'accepted', 'rejected'] as const;
export const TEMPLATE_STATES = ['draft', 'active', 'retired'] as const;
export const SEAL_RIGHTS = ['manage', 'use', 'audit'] as const;
export const VERSION_KINDS = ['rendered', 'buyer_sealed', 'seller_sealed'] as const;
export const CERTIFICATE_STATES = ['active', 'revoked'] as const;

export type ListingState = (typeof LISTING_STATES)[number];
export type ContractState = (typeof CONTRACT_STATES)[number];
export type ErpState = (typeof ERP_STATES)[number];
export type TemplateState = (typeof TEMPLATE_STATES)[number];
export type SealRight = (typeof SEAL_RIGHTS)[number];

export type CodeListsMatchShared = [
  Assert<Same<ListingState, (typeof SHARED_LISTING_STATES)[number]>>,
  Assert<Same<ContractState, (typeof SHARED_CONTRACT_STATES)[number]>>,
  Assert<Same<ErpState, (typeof SHARED_ERP_STATES)[number]>>,
  Assert<Same<TemplateState, (typeof SHARED_TEMPLATE_STATES)[number]>>,
  Assert<Same<SealRight, (typeof SHARED_SEAL_RIGHTS)[number]>>,
  Assert<Same<(typeof VERSION_KINDS)[number], ContractVersion['kind']>>,
  Assert<Same<(typeof CERTIFICATE_STATES)[number], SealCertificate['state']>>,
];

export function isListingState(value: unknown): value is ListingState {
  return typeof value === 'string' && (LISTING_STATES as readonly string[]).includes(value);
}

export function isContractState(value: unknown): value is ContractState {
  return typeof value === 'string' && (CONTRACT_STATES as readonly string[]).includes(value);
}

// Who may do what, as the access rules of the contract routes say (the server decides; the pages only hide what it
// would refuse). Customers see their own listings and contracts, account managers those of their customers.
export const CONTRACT_STAFF_ROLES: readonly Role[] = ['account_manager', 'sales_manager', 'admin'];
/** Listing an intent contract and withdrawing a listing; the server also wants the seal right "use" to list. */
export const LISTING_EDIT_ROLES: readonly Role[] = ['sales_manager', 'admin'];
/** Contract details of any organisation, the mill's included. */
export const PARTY_EDIT_ROLES: readonly Role[] = ['sales_manager', 'admin'];
/** The seals page: what each part shows depends on the user's seal rights, which only the server knows. */
export const SEAL_PAGE_ROLES: readonly Role[] = ['account_manager', 'sales_manager', 'quality_staff', 'admin'];
export const SEAL_MENU_ROLES: readonly Role[] = ['sales_manager', 'admin'];

const isCustomer = (me: Me) => me.role === 'customer_user' || me.role === 'customer_admin';

/** A customer user with the signing right and a phone that has proved to receive the code. */
export function maySign(me: Me | null): boolean {
  return !!me && isCustomer(me) && me.canSign && me.phoneVerified;
}

/** Customer administrators keep their own organisation's contract details; sales managers and admins any. */
export function mayEditParty(me: Me | null, organisationId: number): boolean {
  if (!me) return false;
  if (PARTY_EDIT_ROLES.includes(me.role)) return true;
  return me.role === 'customer_admin' && me.organisation.id === organisationId;
}

type TagType = 'success' | 'primary' | 'warning' | 'danger' | 'info';

export function listingStateTag(state: ListingState): TagType {
  return state === 'listed' ? 'primary' : state === 'taken' ? 'success' : 'info';
}

export function contractStateTag(state: ContractState): TagType {
  return state === 'signed' ? 'success' : state === 'sealing' ? 'warning' : 'info';
}

export function erpStateTag(state: ErpState): TagType {
  return state === 'accepted' ? 'success' : state === 'rejected' ? 'danger' : state === 'pending' ? 'warning' : 'info';
}

export function templateStateTag(state: TemplateState): TagType {
  return state === 'active' ? 'success' : state === 'draft' ? 'warning' : 'info';
}

/** How often an open contract page asks again while the seals are being applied (the issue: every 2 s). */
export const SEALING_POLL_MS = 2_000;

/** "A3F9-7K2Q" as printed on every page of a contract; typed codes may come without the dash or in lower case. */
export const VERIFY_CODE_PATTERN = /^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$/;
export const CONTRACT_NO_MAX = 32;
/** The largest PDF the verification accepts (the route's body limit). */
export const VERIFY_MAX_BYTES = 10 * 1024 * 1024;

/** A SHA-256 in hex, shortened for a table cell; the whole value stays in the title and the copy. */
export function shortHash(hex: string | null): string {
  if (!hex) return '';
  return hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex;
}

