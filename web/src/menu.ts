// The side menu as data: each module adds its entries here with the roles that see them.
import type { Component } from 'vue';
import {
  Calendar,
  ChatLineSquare,
  Checked,
  CollectionTag,
  Connection,
  DataAnalysis,
  Document,
  DocumentAdd,
  DocumentChecked,
  DocumentCopy,
  EditPen,
  Files,
  HomeFilled,
  Link,
  Notebook,
  OfficeBuilding,
  Postcard,
  Printer,
  Sell,
  SetUp,
  Stamp,
  Share,
  Tickets,
  User,
  UserFilled,
  Warning,
  Wallet,
  CreditCard,
  TrendCharts,
  Histogram,
  MapLocation,
  PieChart,
  ChatDotSquare,
} from '@element-plus/icons-vue';
import { CUSTOMER_ROLES, ROLES, STAFF_ROLES, type Role } from '@shared/roles';
import type { MessageSchema } from '@/i18n/zh-CN';
import { DEMAND_STAFF_ROLES } from '@/pages/demands/demand-codes';
import { INTENT_READ_ROLES, PLAN_READ_ROLES } from '@/pages/allocation/allocation-codes';
import { CONTRACT_STAFF_ROLES, SEAL_MENU_ROLES } from '@/pages/contracts/contract-codes';
import { CERTIFICATE_STAFF_ROLES, PRINT_RIGHTS_ROLES } from '@/pages/certificates/certificate-codes';
import { QUERY_ROLES, REPORT_ROLES } from '@/pages/reports/report-codes';
import { SURVEY_RESULT_ROLES } from '@/pages/surveys/survey-codes';
import { FEEDBACK_CUSTOMER_ROLES, FEEDBACK_STAFF_ROLES } from '@/pages/feedback/feedback-codes';

type NavLabelKey = `nav.${keyof MessageSchema['nav']}`;

export interface MenuEntry {
  // Used for data-testid="nav-<key>"; keep stable, end-to-end tests rely on it.
  key: string;
  path: string;
  labelKey: NavLabelKey;
  icon: Component;
  roles: readonly Role[];
}

export const MENU: readonly MenuEntry[] = [
  { key: 'home', path: '/', labelKey: 'nav.home', icon: HomeFilled, roles: ROLES },
  { key: 'org-users', path: '/org/users', labelKey: 'nav.orgUsers', icon: User, roles: ['customer_admin'] },
  {
    key: 'organisations',
    path: '/staff/organisations',
    labelKey: 'nav.organisations',
    icon: OfficeBuilding,
    roles: STAFF_ROLES,
  },
  { key: 'profile', path: '/profile', labelKey: 'nav.profile', icon: Postcard, roles: CUSTOMER_ROLES },
  { key: 'customers', path: '/staff/customers', labelKey: 'nav.customers', icon: Files, roles: STAFF_ROLES },
  { key: 'credit-warnings', path: '/staff/credit-warnings', labelKey: 'nav.creditWarnings', icon: Warning, roles: STAFF_ROLES },
  { key: 'customer-stats', path: '/staff/customer-stats', labelKey: 'nav.customerStats', icon: DataAnalysis, roles: STAFF_ROLES },
  { key: 'customer-groups', path: '/staff/customer-groups', labelKey: 'nav.customerGroups', icon: Share, roles: STAFF_ROLES },
  {
    key: 'admin-customer-matching',
    path: '/admin/customer-matching',
    labelKey: 'nav.customerMatching',
    icon: Link,
    roles: ['admin', 'sales_manager'],
  },
  { key: 'admin-customer-classes', path: '/admin/customer-classes', labelKey: 'nav.customerClasses', icon: CollectionTag, roles: ['admin'] },
  { key: 'plans', path: '/staff/plans', labelKey: 'nav.plans', icon: Calendar, roles: PLAN_READ_ROLES },
  { key: 'allocations', path: '/allocations', labelKey: 'nav.allocations', icon: Tickets, roles: CUSTOMER_ROLES },
  { key: 'demands', path: '/demands', labelKey: 'nav.demands', icon: EditPen, roles: CUSTOMER_ROLES },
  { key: 'staff-demands', path: '/staff/demands', labelKey: 'nav.staffDemands', icon: EditPen, roles: DEMAND_STAFF_ROLES },
  { key: 'intent-contracts', path: '/intent-contracts', labelKey: 'nav.intentContracts', icon: DocumentChecked, roles: INTENT_READ_ROLES },
  { key: 'listings', path: '/listings', labelKey: 'nav.listings', icon: Sell, roles: CUSTOMER_ROLES },
  { key: 'staff-listings', path: '/staff/listings', labelKey: 'nav.staffListings', icon: Sell, roles: CONTRACT_STAFF_ROLES },
  { key: 'contracts', path: '/contracts', labelKey: 'nav.contracts', icon: Notebook, roles: CUSTOMER_ROLES },
  { key: 'staff-contracts', path: '/staff/contracts', labelKey: 'nav.staffContracts', icon: Notebook, roles: CONTRACT_STAFF_ROLES },
  { key: 'certificates', path: '/certificates', labelKey: 'nav.certificates', icon: DocumentAdd, roles: CUSTOMER_ROLES },
  { key: 'staff-certificates', path: '/staff/certificates', labelKey: 'nav.staffCertificates', icon: DocumentAdd, roles: CERTIFICATE_STAFF_ROLES },
  { key: 'certificate-print-rights', path: '/staff/certificate-print-rights', labelKey: 'nav.printRights', icon: Printer, roles: PRINT_RIGHTS_ROLES },
  { key: 'query-funds', path: '/queries/funds', labelKey: 'nav.queryFunds', icon: Wallet, roles: QUERY_ROLES },
  { key: 'query-credit', path: '/queries/credit', labelKey: 'nav.queryCredit', icon: CreditCard, roles: QUERY_ROLES },
  { key: 'query-contract-progress', path: '/queries/contract-progress', labelKey: 'nav.queryProgress', icon: TrendCharts, roles: QUERY_ROLES },
  { key: 'report-managers', path: '/staff/reports/managers', labelKey: 'nav.reportManagers', icon: Histogram, roles: REPORT_ROLES },
  { key: 'report-regional-flow', path: '/staff/reports/regional-flow', labelKey: 'nav.reportFlow', icon: MapLocation, roles: REPORT_ROLES },
  { key: 'report-overview', path: '/staff/reports/overview', labelKey: 'nav.reportOverview', icon: PieChart, roles: REPORT_ROLES },
  { key: 'feedback', path: '/feedback', labelKey: 'nav.feedback', icon: ChatLineSquare, roles: FEEDBACK_CUSTOMER_ROLES },
  { key: 'staff-feedback', path: '/staff/feedback', labelKey: 'nav.staffFeedback', icon: ChatLineSquare, roles: FEEDBACK_STAFF_ROLES },
  { key: 'feedback-analysis', path: '/staff/feedback-analysis', labelKey: 'nav.feedbackAnalysis', icon: DataAnalysis, roles: FEEDBACK_STAFF_ROLES },
  { key: 'surveys', path: '/staff/surveys', labelKey: 'nav.surveys', icon: ChatDotSquare, roles: SURVEY_RESULT_ROLES },
  { key: 'my-surveys', path: '/surveys', labelKey: 'nav.mySurveys', icon: ChatDotSquare, roles: CUSTOMER_ROLES },
  { key: 'approvals', path: '/staff/approvals', labelKey: 'nav.approvals', icon: Checked, roles: STAFF_ROLES },
  { key: 'admin-approval-rules', path: '/admin/approval-rules', labelKey: 'nav.approvalRules', icon: SetUp, roles: ['admin'] },
  { key: 'admin-contract-templates', path: '/admin/contract-templates', labelKey: 'nav.contractTemplates', icon: DocumentCopy, roles: ['admin'] },
  { key: 'admin-seals', path: '/admin/seals', labelKey: 'nav.seals', icon: Stamp, roles: SEAL_MENU_ROLES },
  { key: 'admin-users', path: '/admin/users', labelKey: 'nav.adminUsers', icon: UserFilled, roles: ['admin'] },
  { key: 'admin-audit', path: '/admin/audit', labelKey: 'nav.adminAudit', icon: Document, roles: ['admin'] },
  { key: 'admin-erp', path: '/admin/erp', labelKey: 'nav.adminErp', icon: Connection, roles: ['admin'] },
];

export function menuFor(role: Role | null): MenuEntry[] {
  if (!role) return [];
  return MENU.filter((entry) => entry.roles.includes(role));
}

// The entry to highlight for a path: the longest entry path that is a prefix of it.
export function activeEntry(entries: readonly MenuEntry[], path: string): MenuEntry | undefined {
  return entries
    .filter((entry) => path === entry.path || (entry.path !== '/' && path.startsWith(`${entry.path}/`)))
    .sort((a, b) => b.path.length - a.path.length)[0];
}
