// Code lists and rules of the Feedback pages, mirrored from shared/api/feedback.ts (the web bundle does not ship
// TypeBox); the type checks below fail when these copies drift from the shared ones.
import { CUSTOMER_ROLES, STAFF_ROLES, type Role } from '@shared/roles';
import type {
  ATTACHMENT_TYPES as SHARED_TYPES,
  FEEDBACK_CATEGORIES as SHARED_CATEGORIES,
  FEEDBACK_STATES as SHARED_STATES,
  FeedbackState,
} from '@shared/api/feedback';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export const FEEDBACK_CATEGORIES = ['quality_objection', 'delivery', 'documents', 'service', 'suggestion'] as const;
export const FEEDBACK_STATES = ['new', 'in_progress', 'waiting_for_customer', 'resolved', 'closed'] as const;
export const ATTACHMENT_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'] as const;
export type CodeListsMatchShared = [
  Assert<Same<(typeof FEEDBACK_CATEGORIES)[number], (typeof SHARED_CATEGORIES)[number]>>,
  Assert<Same<(typeof FEEDBACK_STATES)[number], (typeof SHARED_STATES)[number]>>,
  Assert<Same<(typeof ATTACHMENT_TYPES)[number], (typeof SHARED_TYPES)[number]>>,
];

/** Who reaches the pages: customers their own items, every staff role within its reach (server routes.ts). */
export const FEEDBACK_CUSTOMER_ROLES: readonly Role[] = CUSTOMER_ROLES;
export const FEEDBACK_STAFF_ROLES: readonly Role[] = STAFF_ROLES;

/** What the file picker offers; the server decides by content anyway. */
export const ACCEPT = '.png,.jpg,.jpeg,.gif,.webp,.pdf,image/png,image/jpeg,image/gif,image/webp,application/pdf';

// Field limits of CreateFeedbackBody.
export const SUBJECT_MAX = 200;
export const DESCRIPTION_MAX = 4000;
export const RESOLUTION_MAX = 2000;

export function stateTag(state: FeedbackState): 'primary' | 'warning' | 'info' | 'success' | 'danger' {
  switch (state) {
    case 'new':
      return 'danger';
    case 'in_progress':
      return 'primary';
    case 'waiting_for_customer':
      return 'warning';
    case 'resolved':
      return 'success';
    default:
      return 'info';
  }
}

export const isImage = (contentType: string) => contentType.startsWith('image/');

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
