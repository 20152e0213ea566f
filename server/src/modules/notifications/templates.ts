// The texts the portal sends, in-app and by SMS, in zh-CN and en: one entry per template key with its parameters.
/**
 * `{name}` in a text is replaced by the parameter of that name. `params` lists every parameter a caller must give;
 * `secret` those that must never be shown again once sent (one-time codes): they are not stored in in-app rows
 * and are redacted from the SMS outbox after delivery. A missing or unknown parameter is a programming error.
 */
export interface TemplateSpec {
  params: readonly string[];
  secret: readonly string[];
  'zh-CN': { title: string; body: string };
  en: { title: string; body: string };
}

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

export const TEMPLATES = {
  allocation_published: {
    params: ['period', 'variety', 'tonnes', 'deadline'],
    secret: [],
    'zh-CN': { title: '{period} 资源分配已发布', body: '贵司 {period} {variety} 分配量 {tonnes} 吨，请于 {deadline} 前在线响应。' },
    en: { title: 'Allocation for {period} published', body: 'Your {period} allocation of {variety} is {tonnes} t. Please answer online by {deadline}.' },
  },
  allocation_offers: {
    params: ['period', 'count', 'tonnes', 'deadline'],
    secret: [],
    'zh-CN': { title: '{period} 资源分配已发布', body: '贵司 {period} 资源分配已发布：{count} 项，共 {tonnes} 吨，请于 {deadline} 前在线响应。' },
    en: { title: 'Allocation for {period} published', body: 'Your {period} allocation is published: {count} items, {tonnes} t in all. Please answer online by {deadline}.' },
  },
  answer_rejected: {
    params: ['period', 'variety', 'comment'],
    secret: [],
    'zh-CN': { title: '{period} 响应未通过审核', body: '贵司 {period} {variety} 的响应未通过审核，意见：{comment}' },
    en: { title: 'Answer for {period} rejected', body: 'Your answer for {period} {variety} was rejected: {comment}' },
  },
  answer_returned: {
    params: ['period', 'variety', 'comment'],
    secret: [],
    'zh-CN': { title: '{period} 响应被退回修改', body: '贵司 {period} {variety} 的响应已退回，意见：{comment}' },
    en: { title: 'Answer for {period} returned', body: 'Your answer for {period} {variety} was returned for change: {comment}' },
  },
  approval_needed: {
    params: ['customer', 'subject'],
    secret: [],
    'zh-CN': { title: '待审核：{customer}', body: '{customer} 的 {subject} 等待您审核。' },
    en: { title: 'Approval needed: {customer}', body: '{subject} of {customer} is waiting for your approval.' },
  },
  approval_done: {
    params: ['subject', 'outcome'],
    secret: [],
    'zh-CN': { title: '审核完成：{subject}', body: '{subject} 的审核结果：{outcome}。' },
    en: { title: 'Approval finished: {subject}', body: 'The approval of {subject} ended: {outcome}.' },
  },
  intent_contract_created: {
    params: ['contractNo', 'tonnes'],
    secret: [],
    'zh-CN': { title: '意向合同 {contractNo} 已生成', body: '意向合同 {contractNo}（{tonnes} 吨）已生成，请查看。' },
    en: { title: 'Intent contract {contractNo} created', body: 'Intent contract {contractNo} ({tonnes} t) has been created.' },
  },
  demand_answered: {
    params: ['demandNo'],
    secret: [],
    'zh-CN': { title: '需求 {demandNo} 已答复', body: '钢厂已答复贵司需求 {demandNo}，请查看。' },
    en: { title: 'Demand {demandNo} answered', body: 'The mill has answered your demand {demandNo}.' },
  },
  demand_submitted: {
    params: ['customer', 'demandNo'],
    secret: [],
    'zh-CN': { title: '新需求提报：{customer}', body: '{customer} 提报了需求 {demandNo}，请及时答复。' },
    en: { title: 'New demand from {customer}', body: '{customer} submitted demand {demandNo}. Please answer it.' },
  },
  demand_replied: {
    params: ['customer', 'demandNo'],
    secret: [],
    'zh-CN': { title: '需求 {demandNo} 有新回复', body: '{customer} 回复了需求 {demandNo}，请查看。' },
    en: { title: 'Demand {demandNo}: new reply', body: '{customer} replied on demand {demandNo}.' },
  },
  survey_invitation: {
    params: ['title', 'closesAt'],
    secret: [],
    'zh-CN': { title: '问卷调查：{title}', body: '钢厂邀请贵司参加问卷调查“{title}”，请于 {closesAt} 前在线填写。' },
    en: { title: 'Survey: {title}', body: 'The mill invites you to answer the survey "{title}" online by {closesAt}.' },
  },
  survey_reminder: {
    params: ['title', 'closesAt'],
    secret: [],
    'zh-CN': { title: '问卷即将截止：{title}', body: '问卷调查“{title}”将于 {closesAt} 截止，贵司尚未提交，请及时填写。' },
    en: { title: 'Survey closes soon: {title}', body: 'The survey "{title}" closes at {closesAt} and has not been answered yet.' },
  },
  phone_verify: {
    params: ['code'],
    secret: ['code'],
    'zh-CN': { title: '手机验证码', body: '您的手机验证码为 {code}，5 分钟内有效。请勿告诉他人。' },
    en: { title: 'Phone verification code', body: 'Your phone verification code is {code}, valid for 5 minutes. Do not share it.' },
  },
  signing_code: {
    params: ['code', 'listingNo'],
    secret: ['code'],
    'zh-CN': { title: '合同签署验证码', body: '您正在签署挂牌 {listingNo} 的合同，验证码 {code}，5 分钟内有效。请勿告诉他人。' },
    en: { title: 'Contract signing code', body: 'You are signing the contract of listing {listingNo}. Your code is {code}, valid for 5 minutes. Do not share it.' },
  },
  listing_published: {
    params: ['listingNo', 'tonnes', 'validUntil'],
    secret: [],
    'zh-CN': { title: '定向挂牌 {listingNo}', body: '钢厂向贵司定向挂牌 {listingNo}，共 {tonnes} 吨，请于 {validUntil} 前在线摘牌签约。' },
    en: { title: 'Directed listing {listingNo}', body: 'The mill has listed {listingNo} for you, {tonnes} t in all. Please take it online by {validUntil}.' },
  },
  listing_expiring: {
    params: ['listingNo', 'validUntil'],
    secret: [],
    'zh-CN': { title: '挂牌 {listingNo} 即将到期', body: '定向挂牌 {listingNo} 将于 {validUntil} 到期，请及时摘牌签约。' },
    en: { title: 'Listing {listingNo} expires soon', body: 'Directed listing {listingNo} expires at {validUntil}. Please take it in time.' },
  },
  listing_expired: {
    params: ['listingNo', 'customer'],
    secret: [],
    'zh-CN': { title: '挂牌 {listingNo} 已到期', body: '{customer} 的定向挂牌 {listingNo} 到期未摘牌，已失效。' },
    en: { title: 'Listing {listingNo} expired', body: 'Directed listing {listingNo} for {customer} expired without being taken.' },
  },
  contract_signed: {
    params: ['contractNo', 'customer', 'tonnes'],
    secret: [],
    'zh-CN': { title: '合同 {contractNo} 已签署', body: '{customer} 的合同 {contractNo}（{tonnes} 吨）已由双方电子签章。' },
    en: { title: 'Contract {contractNo} signed', body: 'Contract {contractNo} of {customer} ({tonnes} t) is sealed by both parties.' },
  },
  contract_delivery_due: {
    params: ['contractNo', 'deliveryTo', 'openTonnes'],
    secret: [],
    'zh-CN': { title: '合同 {contractNo} 交货期将满', body: '合同 {contractNo} 交货期至 {deliveryTo}，尚有 {openTonnes} 吨未发货。' },
    en: { title: 'Contract {contractNo} delivery period ends soon', body: 'The delivery period of contract {contractNo} ends on {deliveryTo} with {openTonnes} t not yet shipped.' },
  },
  // Customer feedback (issue 9): the mill hears through the assignee, the customer through its organisation.
  feedback_submitted: {
    params: ['feedbackNo', 'customer', 'subject'],
    secret: [],
    'zh-CN': { title: '新客户反馈 {feedbackNo}', body: '{customer} 提交了反馈 {feedbackNo}：{subject}，尚未分派，请处理。' },
    en: { title: 'New feedback {feedbackNo}', body: '{customer} submitted feedback {feedbackNo}: {subject}. It is not assigned yet.' },
  },
  feedback_assigned: {
    params: ['feedbackNo', 'customer', 'subject'],
    secret: [],
    'zh-CN': { title: '客户反馈 {feedbackNo} 已分派给您', body: '{customer} 的反馈 {feedbackNo}（{subject}）由您处理。' },
    en: { title: 'Feedback {feedbackNo} assigned to you', body: 'You handle feedback {feedbackNo} of {customer}: {subject}.' },
  },
  feedback_answered: {
    params: ['feedbackNo'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 有新回复', body: '钢厂回复了贵司的反馈 {feedbackNo}，请查看。' },
    en: { title: 'Feedback {feedbackNo}: new reply', body: 'The mill replied to your feedback {feedbackNo}.' },
  },
  feedback_waiting: {
    params: ['feedbackNo'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 待您补充', body: '钢厂需要贵司就反馈 {feedbackNo} 补充信息，请回复。' },
    en: { title: 'Feedback {feedbackNo}: your answer needed', body: 'The mill needs more information on your feedback {feedbackNo}. Please reply.' },
  },
  feedback_resolved: {
    params: ['feedbackNo'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 已处理完毕', body: '贵司的反馈 {feedbackNo} 已处理完毕，请对处理结果评价。' },
    en: { title: 'Feedback {feedbackNo} resolved', body: 'Your feedback {feedbackNo} is resolved. Please rate the resolution.' },
  },
  feedback_closed: {
    params: ['feedbackNo'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 已关闭', body: '钢厂关闭了贵司的反馈 {feedbackNo}。' },
    en: { title: 'Feedback {feedbackNo} closed', body: 'The mill closed your feedback {feedbackNo}.' },
  },
  feedback_customer_replied: {
    params: ['feedbackNo', 'customer'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 客户已回复', body: '{customer} 就反馈 {feedbackNo} 作了回复，请查看。' },
    en: { title: 'Feedback {feedbackNo}: customer replied', body: '{customer} replied on feedback {feedbackNo}.' },
  },
  feedback_reopened: {
    params: ['feedbackNo', 'customer'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 被客户重新打开', body: '{customer} 认为反馈 {feedbackNo} 尚未解决，已重新打开。' },
    en: { title: 'Feedback {feedbackNo} reopened', body: '{customer} reopened feedback {feedbackNo}: it is not resolved for them.' },
  },
  feedback_customer_closed: {
    params: ['feedbackNo', 'customer'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 已由客户关闭', body: '{customer} 关闭了反馈 {feedbackNo}。' },
    en: { title: 'Feedback {feedbackNo} closed by the customer', body: '{customer} closed feedback {feedbackNo}.' },
  },
  feedback_rated: {
    params: ['feedbackNo', 'customer', 'rating'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 已评价', body: '{customer} 对反馈 {feedbackNo} 的处理评价为 {rating} 分（满分 5 分）。' },
    en: { title: 'Feedback {feedbackNo} rated', body: '{customer} rated the resolution of feedback {feedbackNo} {rating} of 5.' },
  },
  feedback_response_overdue: {
    params: ['feedbackNo', 'customer'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 响应超时', body: '{customer} 的反馈 {feedbackNo} 已超过首次响应时限，请尽快回复。' },
    en: { title: 'Feedback {feedbackNo}: response overdue', body: 'Feedback {feedbackNo} of {customer} is past its first-response target.' },
  },
  feedback_resolution_overdue: {
    params: ['feedbackNo', 'customer'],
    secret: [],
    'zh-CN': { title: '反馈 {feedbackNo} 处理超时', body: '{customer} 的反馈 {feedbackNo} 已超过处理时限。' },
    en: { title: 'Feedback {feedbackNo}: resolution overdue', body: 'Feedback {feedbackNo} of {customer} is past its resolution target.' },
  },
} as const satisfies Record<string, TemplateSpec>;

export type TemplateKey = keyof typeof TEMPLATES;
export type TemplateParams = Record<string, string>;

export function isTemplateKey(key: string): key is TemplateKey {
  return Object.prototype.hasOwnProperty.call(TEMPLATES, key);
}

/** Throws when a parameter is missing, empty or not declared: callers find out in their tests, not on a handset. */
export function checkParams(key: string, params: TemplateParams): void {
  if (!isTemplateKey(key)) throw new Error(`unknown notification template ${key}`);
  const spec: TemplateSpec = TEMPLATES[key];
  for (const p of spec.params) {
    if (typeof params[p] !== 'string' || params[p] === '') throw new Error(`template ${key} needs parameter ${p}`);
  }
  for (const p of Object.keys(params)) {
    if (!spec.params.includes(p)) throw new Error(`template ${key} has no parameter ${p}`);
  }
}

/** Product varieties travel as codes (rebar, plate...) and are named in the reader's language. */
const VARIETY_NAMES: Record<Locale, Record<string, string>> = {
  'zh-CN': { rebar: '螺纹钢', wire_rod: '线材', hot_rolled_coil: '热轧卷板', plate: '中厚板', section: '型钢', other: '其他' },
  en: { rebar: 'rebar', wire_rod: 'wire rod', hot_rolled_coil: 'hot-rolled coil', plate: 'plate', section: 'sections', other: 'other' },
};

const fill = (text: string, params: TemplateParams, locale: Locale = DEFAULT_LOCALE) =>
  text.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'variety' ? (VARIETY_NAMES[locale][params[name]] ?? params[name]) : params[name]) ?? `{${name}}`);

/** The title and body of a template in one language; secret parameters the caller redacted show as '***'. */
export function render(key: string, params: TemplateParams, locale: Locale = DEFAULT_LOCALE): { title: string; body: string } {
  if (!isTemplateKey(key)) throw new Error(`unknown notification template ${key}`);
  const text = TEMPLATES[key][locale] ?? TEMPLATES[key][DEFAULT_LOCALE];
  return { title: fill(text.title, params, locale), body: fill(text.body, params, locale) };
}

/** The parameters with secret values replaced, for anything kept after delivery. */
export function redactParams(key: string, params: TemplateParams): TemplateParams {
  if (!isTemplateKey(key)) return params;
  const secret: readonly string[] = TEMPLATES[key].secret;
  if (!secret.length) return params;
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, secret.includes(k) ? '***' : v]));
}

/** Picks the supported locale closest to a requested one (e.g. 'en-US' -> 'en'); anything else is zh-CN. */
export function pickLocale(requested: string | undefined): Locale {
  if (!requested) return DEFAULT_LOCALE;
  return requested.toLowerCase().startsWith('en') ? 'en' : DEFAULT_LOCALE;
}
