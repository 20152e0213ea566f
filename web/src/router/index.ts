// Routes and the access guard: sign-in required unless public, roles checked on every route record.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { CUSTOMER_ROLES, STAFF_ROLES, type Role } from '@shared/roles';
import { useAuthStore } from '@/stores/auth';
import AppLayout from '@/components/AppLayout.vue';
import HomePage from '@/pages/home/HomePage.vue';
import { DEMAND_STAFF_ROLES } from '@/pages/demands/demand-codes';
import { INTENT_READ_ROLES, PLAN_READ_ROLES } from '@/pages/allocation/allocation-codes';
import { CONTRACT_STAFF_ROLES, SEAL_PAGE_ROLES } from '@/pages/contracts/contract-codes';
import { CERTIFICATE_STAFF_ROLES, PRINT_RIGHTS_ROLES } from '@/pages/certificates/certificate-codes';
import { QUERY_ROLES, REPORT_ROLES } from '@/pages/reports/report-codes';
import { SURVEY_BUILDER_ROLES, SURVEY_RESULT_ROLES } from '@/pages/surveys/survey-codes';
import { FEEDBACK_CUSTOMER_ROLES, FEEDBACK_STAFF_ROLES } from '@/pages/feedback/feedback-codes';

declare module 'vue-router' {
  interface RouteMeta {
    // Roles allowed on this record; absent means any signed-in user.
    roles?: readonly Role[];
    // Reachable without signing in.
    public?: boolean;
    // i18n key of the page name, used for the document title.
    titleKey?: string;
  }
}

const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/pages/auth/LoginPage.vue'),
    meta: { public: true, titleKey: 'login.title' },
  },
  {
    // The address printed on every contract (with its QR code): /verify?contractNo=...&code=...
    path: '/verify',
    name: 'verify',
    component: () => import('@/pages/verify/VerifyPage.vue'),
    meta: { public: true, titleKey: 'verify.title' },
  },
  {
    // The address on every printed certificate copy (its QR code): /verify/<code>; COPY_VERIFY_PATH in
    // certificate-codes.ts. /verify/c without a code asks for the one printed on the copy.
    path: '/verify/:code',
    alias: '/verify/c/:code?',
    name: 'certificate-verify',
    component: () => import('@/pages/verify/CopyVerifyPage.vue'),
    meta: { public: true, titleKey: 'certVerify.title' },
  },
  {
    // A customer's share link for its buyer, who has no account.
    path: '/shared/:token',
    name: 'certificate-shared',
    component: () => import('@/pages/certificates/SharedCertificatePage.vue'),
    props: true,
    meta: { public: true, titleKey: 'sharedCert.title' },
  },
  {
    path: '/',
    component: AppLayout,
    children: [
      { path: '', name: 'home', component: HomePage, meta: { titleKey: 'home.title' } },
      {
        path: 'notifications',
        name: 'notifications',
        component: () => import('@/pages/notifications/NotificationsPage.vue'),
        meta: { titleKey: 'notifications.title' },
      },
      {
        path: 'org/users',
        name: 'org-users',
        component: () => import('@/pages/admin/UsersPage.vue'),
        props: { scope: 'organisation' },
        meta: { roles: ['customer_admin'], titleKey: 'users.titleOrg' },
      },
      {
        path: 'staff/organisations',
        name: 'organisations',
        component: () => import('@/pages/organisations/OrganisationsPage.vue'),
        meta: { roles: STAFF_ROLES, titleKey: 'organisations.title' },
      },
      {
        path: 'demands',
        name: 'demands',
        component: () => import('@/pages/demands/DemandsPage.vue'),
        props: { scope: 'customer' },
        meta: { roles: CUSTOMER_ROLES, titleKey: 'demands.title' },
      },
      {
        // Also the link of demand notifications, for staff as for customers.
        path: 'demands/:id(\\d+)',
        name: 'demand-detail',
        component: () => import('@/pages/demands/DemandDetailPage.vue'),
        props: true,
        meta: { roles: [...CUSTOMER_ROLES, ...DEMAND_STAFF_ROLES], titleKey: 'demands.detailTitle' },
      },
      {
        path: 'staff/demands',
        name: 'staff-demands',
        component: () => import('@/pages/demands/DemandsPage.vue'),
        props: { scope: 'staff' },
        meta: { roles: DEMAND_STAFF_ROLES, titleKey: 'demands.staffTitle' },
      },
      {
        path: 'staff/demands/:id(\\d+)',
        name: 'staff-demand-detail',
        component: () => import('@/pages/demands/DemandDetailPage.vue'),
        props: true,
        meta: { roles: DEMAND_STAFF_ROLES, titleKey: 'demands.detailTitle' },
      },
      {
        path: 'staff/plans',
        name: 'plans',
        component: () => import('@/pages/allocation/PlansPage.vue'),
        meta: { roles: PLAN_READ_ROLES, titleKey: 'plans.title' },
      },
      {
        path: 'staff/plans/:id(\\d+)',
        name: 'plan-detail',
        component: () => import('@/pages/allocation/PlanDetailPage.vue'),
        props: true,
        meta: { roles: PLAN_READ_ROLES, titleKey: 'plans.detailTitle' },
      },
      {
        // Also the link of the SMS and in-app notices of a published round: /allocations?period=YYYY-MM.
        path: 'allocations',
        name: 'allocations',
        component: () => import('@/pages/allocation/MyAllocationsPage.vue'),
        meta: { roles: CUSTOMER_ROLES, titleKey: 'allocation.mine.title' },
      },
      {
        path: 'intent-contracts',
        name: 'intent-contracts',
        component: () => import('@/pages/allocation/IntentContractsPage.vue'),
        meta: { roles: INTENT_READ_ROLES, titleKey: 'intent.title' },
      },
      {
        // Also the link of the notice that an intent contract was made, for the customer and its account manager.
        path: 'intent-contracts/:id(\\d+)',
        name: 'intent-contract-detail',
        component: () => import('@/pages/allocation/IntentContractDetailPage.vue'),
        props: true,
        meta: { roles: INTENT_READ_ROLES, titleKey: 'intent.detailTitle' },
      },
      {
        path: 'listings',
        name: 'listings',
        component: () => import('@/pages/contracts/ListingsPage.vue'),
        props: { scope: 'customer' },
        meta: { roles: CUSTOMER_ROLES, titleKey: 'listings.title' },
      },
      {
        // Also the link of the SMS and in-app notices of a new listing.
        path: 'listings/:id(\\d+)',
        name: 'listing-detail',
        component: () => import('@/pages/contracts/ListingDetailPage.vue'),
        props: (route) => ({ id: String(route.params.id), scope: 'customer' }),
        meta: { roles: CUSTOMER_ROLES, titleKey: 'listings.detailTitle' },
      },
      {
        path: 'staff/listings',
        name: 'staff-listings',
        component: () => import('@/pages/contracts/ListingsPage.vue'),
        props: { scope: 'staff' },
        meta: { roles: CONTRACT_STAFF_ROLES, titleKey: 'listings.staffTitle' },
      },
      {
        path: 'staff/listings/:id(\\d+)',
        name: 'staff-listing-detail',
        component: () => import('@/pages/contracts/ListingDetailPage.vue'),
        props: (route) => ({ id: String(route.params.id), scope: 'staff' }),
        meta: { roles: CONTRACT_STAFF_ROLES, titleKey: 'listings.detailTitle' },
      },
      {
        path: 'contracts',
        name: 'contracts',
        component: () => import('@/pages/contracts/ContractsPage.vue'),
        props: { scope: 'customer' },
        meta: { roles: CUSTOMER_ROLES, titleKey: 'contracts.title' },
      },
      {
        path: 'contracts/:id(\\d+)',
        name: 'contract-detail',
        component: () => import('@/pages/contracts/ContractDetailPage.vue'),
        props: (route) => ({ id: String(route.params.id), scope: 'customer' }),
        meta: { roles: CUSTOMER_ROLES, titleKey: 'contracts.detailTitle' },
      },
      {
        path: 'staff/contracts',
        name: 'staff-contracts',
        component: () => import('@/pages/contracts/ContractsPage.vue'),
        props: { scope: 'staff' },
        meta: { roles: CONTRACT_STAFF_ROLES, titleKey: 'contracts.staffTitle' },
      },
      {
        path: 'staff/contracts/:id(\\d+)',
        name: 'staff-contract-detail',
        component: () => import('@/pages/contracts/ContractDetailPage.vue'),
        props: (route) => ({ id: String(route.params.id), scope: 'staff' }),
        meta: { roles: CONTRACT_STAFF_ROLES, titleKey: 'contracts.detailTitle' },
      },
      {
        // Also the link of a contract's lines and deliveries: /certificates?contractNo=... or ?deliveryNo=...
        path: 'certificates',
        name: 'certificates',
        component: () => import('@/pages/certificates/CertificatesPage.vue'),
        props: { scope: 'customer' },
        meta: { roles: CUSTOMER_ROLES, titleKey: 'certificates.title' },
      },
      {
        path: 'certificates/:id(\\d+)',
        name: 'certificate-detail',
        component: () => import('@/pages/certificates/CertificateDetailPage.vue'),
        props: (route) => ({ id: String(route.params.id), scope: 'customer' }),
        meta: { roles: CUSTOMER_ROLES, titleKey: 'certificates.detailTitle' },
      },
      {
        path: 'staff/certificates',
        name: 'staff-certificates',
        component: () => import('@/pages/certificates/CertificatesPage.vue'),
        props: { scope: 'staff' },
        meta: { roles: CERTIFICATE_STAFF_ROLES, titleKey: 'certificates.staffTitle' },
      },
      {
        path: 'staff/certificates/:id(\\d+)',
        name: 'staff-certificate-detail',
        component: () => import('@/pages/certificates/CertificateDetailPage.vue'),
        props: (route) => ({ id: String(route.params.id), scope: 'staff' }),
        meta: { roles: CERTIFICATE_STAFF_ROLES, titleKey: 'certificates.detailTitle' },
      },
      {
        path: 'staff/certificate-print-rights',
        name: 'certificate-print-rights',
        component: () => import('@/pages/certificates/PrintRightsPage.vue'),
        meta: { roles: PRINT_RIGHTS_ROLES, titleKey: 'printRights.title' },
      },
      {
        path: 'staff/surveys',
        name: 'staff-surveys',
        component: () => import('@/pages/surveys/SurveysPage.vue'),
        meta: { roles: SURVEY_RESULT_ROLES, titleKey: 'surveys.title' },
      },
      {
        path: 'staff/surveys/:id(\\d+)',
        name: 'staff-survey-edit',
        component: () => import('@/pages/surveys/SurveyBuilderPage.vue'),
        meta: { roles: SURVEY_BUILDER_ROLES, titleKey: 'surveys.builder.editTitle' },
      },
      {
        path: 'staff/surveys/:id(\\d+)/results',
        name: 'staff-survey-results',
        component: () => import('@/pages/surveys/SurveyResultsPage.vue'),
        meta: { roles: SURVEY_RESULT_ROLES, titleKey: 'surveys.results.title' },
      },
      {
        path: 'surveys',
        name: 'my-surveys',
        component: () => import('@/pages/surveys/MySurveysPage.vue'),
        meta: { roles: CUSTOMER_ROLES, titleKey: 'surveys.mineTitle' },
      },
      {
        // The link of the invitation notice and SMS.
        path: 'surveys/answer/:id(\\d+)',
        name: 'survey-answer',
        component: () => import('@/pages/surveys/AnswerSurveyPage.vue'),
        meta: { roles: CUSTOMER_ROLES, titleKey: 'surveys.mineTitle' },
      },
      {
        // Customers' business queries (业务信息查询); the filters are kept in the address.
        path: 'queries/funds',
        name: 'query-funds',
        component: () => import('@/pages/queries/FundLedgerPage.vue'),
        meta: { roles: QUERY_ROLES, titleKey: 'reports.funds.title' },
      },
      {
        path: 'queries/credit',
        name: 'query-credit',
        component: () => import('@/pages/queries/CreditPage.vue'),
        meta: { roles: QUERY_ROLES, titleKey: 'reports.credit.title' },
      },
      {
        path: 'queries/contract-progress',
        name: 'query-contract-progress',
        component: () => import('@/pages/queries/ContractProgressPage.vue'),
        meta: { roles: QUERY_ROLES, titleKey: 'reports.progress.title' },
      },
      {
        // Management reports; the server scopes an account manager's to their customers.
        path: 'staff/reports/managers',
        name: 'report-managers',
        component: () => import('@/pages/reports/ManagerProgressPage.vue'),
        meta: { roles: REPORT_ROLES, titleKey: 'reports.managers.title' },
      },
      {
        path: 'staff/reports/regional-flow',
        name: 'report-regional-flow',
        component: () => import('@/pages/reports/RegionalFlowPage.vue'),
        meta: { roles: REPORT_ROLES, titleKey: 'reports.flow.title' },
      },
      {
        path: 'staff/reports/overview',
        name: 'report-overview',
        component: () => import('@/pages/reports/SalesOverviewPage.vue'),
        meta: { roles: REPORT_ROLES, titleKey: 'reports.overview.title' },
      },
      {
        path: 'feedback',
        name: 'feedback',
        component: () => import('@/pages/feedback/FeedbackListPage.vue'),
        props: { scope: 'customer' },
        meta: { roles: FEEDBACK_CUSTOMER_ROLES, titleKey: 'feedback.title' },
      },
      {
        // The link of feedback notices to customers.
        path: 'feedback/:id(\\d+)',
        name: 'feedback-detail',
        component: () => import('@/pages/feedback/FeedbackDetailPage.vue'),
        props: true,
        meta: { roles: FEEDBACK_CUSTOMER_ROLES, titleKey: 'feedback.title' },
      },
      {
        path: 'staff/feedback',
        name: 'staff-feedback',
        component: () => import('@/pages/feedback/FeedbackListPage.vue'),
        props: { scope: 'staff' },
        meta: { roles: FEEDBACK_STAFF_ROLES, titleKey: 'feedback.staffTitle' },
      },
      {
        // The link of feedback notices to staff.
        path: 'staff/feedback/:id(\\d+)',
        name: 'staff-feedback-detail',
        component: () => import('@/pages/feedback/FeedbackDetailPage.vue'),
        props: true,
        meta: { roles: FEEDBACK_STAFF_ROLES, titleKey: 'feedback.staffTitle' },
      },
      {
        path: 'staff/feedback-analysis',
        name: 'feedback-analysis',
        component: () => import('@/pages/feedback/FeedbackAnalysisPage.vue'),
        meta: { roles: FEEDBACK_STAFF_ROLES, titleKey: 'feedback.analysisTitle' },
      },
      {
        path: 'admin/contract-templates',
        name: 'admin-contract-templates',
        component: () => import('@/pages/contracts/ContractSetupPage.vue'),
        meta: { roles: ['admin'], titleKey: 'contractTemplates.pageTitle' },
      },
      {
        path: 'admin/seals',
        name: 'admin-seals',
        component: () => import('@/pages/contracts/SealsPage.vue'),
        meta: { roles: SEAL_PAGE_ROLES, titleKey: 'seals.title' },
      },
      {
        path: 'staff/approvals',
        name: 'approvals',
        component: () => import('@/pages/approvals/ApprovalQueuePage.vue'),
        meta: { roles: STAFF_ROLES, titleKey: 'approvals.queue.title' },
      },
      {
        path: 'admin/approval-rules',
        name: 'admin-approval-rules',
        component: () => import('@/pages/approvals/ApprovalRulesPage.vue'),
        meta: { roles: ['admin'], titleKey: 'approvals.rules.title' },
      },
      {
        path: 'staff/customers',
        name: 'customers',
        component: () => import('@/pages/customers/CustomersPage.vue'),
        meta: { roles: STAFF_ROLES, titleKey: 'customers.title' },
      },
      {
        path: 'staff/customers/:id',
        name: 'customer-detail',
        component: () => import('@/pages/customers/CustomerDetailPage.vue'),
        props: true,
        meta: { roles: STAFF_ROLES, titleKey: 'customers.detailTitle' },
      },
      {
        path: 'staff/credit-warnings',
        name: 'credit-warnings',
        component: () => import('@/pages/customers/CreditWarningsPage.vue'),
        meta: { roles: STAFF_ROLES, titleKey: 'creditWarnings.title' },
      },
      {
        path: 'staff/customer-stats',
        name: 'customer-stats',
        component: () => import('@/pages/customers/CustomerStatsPage.vue'),
        meta: { roles: STAFF_ROLES, titleKey: 'customerStats.title' },
      },
      {
        path: 'staff/customer-groups',
        name: 'customer-groups',
        component: () => import('@/pages/customers/CustomerGroupsPage.vue'),
        meta: { roles: STAFF_ROLES, titleKey: 'customerGroups.title' },
      },
      {
        path: 'admin/customer-classes',
        name: 'admin-customer-classes',
        component: () => import('@/pages/customers/CustomerClassesPage.vue'),
        meta: { roles: ['admin'], titleKey: 'customerClasses.title' },
      },
      {
        path: 'admin/customer-matching',
        name: 'admin-customer-matching',
        component: () => import('@/pages/customers/CustomerMatchingPage.vue'),
        meta: { roles: ['admin', 'sales_manager'], titleKey: 'customerMatching.title' },
      },
      {
        path: 'profile',
        name: 'profile',
        component: () => import('@/pages/customers/MyCustomerProfilePage.vue'),
        meta: { roles: CUSTOMER_ROLES, titleKey: 'profile.title' },
      },
      {
        path: 'admin/users',
        name: 'admin-users',
        component: () => import('@/pages/admin/UsersPage.vue'),
        props: { scope: 'all' },
        meta: { roles: ['admin'], titleKey: 'users.titleAll' },
      },
      {
        path: 'admin/audit',
        name: 'admin-audit',
        component: () => import('@/pages/admin/AuditPage.vue'),
        meta: { roles: ['admin'], titleKey: 'audit.title' },
      },
      {
        path: 'admin/erp',
        name: 'admin-erp',
        component: () => import('@/pages/erp-sync/ErpSyncPage.vue'),
        meta: { roles: ['admin'], titleKey: 'erp.title' },
      },
      {
        path: '403',
        name: 'forbidden',
        component: () => import('@/pages/errors/ForbiddenPage.vue'),
        meta: { titleKey: 'forbidden.title' },
      },
    ],
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/pages/errors/NotFoundPage.vue'),
    meta: { public: true, titleKey: 'notFound.title' },
  },
];

// Only same-origin paths may be redirect targets after sign-in (no open redirect).
export function safeRedirect(value: unknown): string {
  if (typeof value !== 'string') return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (value === '/login' || value.startsWith('/login?')) return '/';
  return value;
}

export function loginLocation(redirect: string) {
  return redirect === '/' ? { name: 'login' } : { name: 'login', query: { redirect } };
}

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
});

router.beforeEach(async (to) => {
  const auth = useAuthStore();
  await auth.restore();

  if (to.meta.public) {
    if (to.name === 'login' && auth.isAuthenticated) return safeRedirect(to.query.redirect);
    return true;
  }
  if (!auth.isAuthenticated) return loginLocation(to.fullPath);
  if (!to.matched.every((record) => auth.hasAnyRole(record.meta.roles))) return { name: 'forbidden' };
  return true;
});
