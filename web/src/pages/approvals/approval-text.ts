// Words a rule in the user's language: its conditions and its step chain, for tables and the version history.
import type { RuleConditions, RuleStep } from '@shared/index';
import { formatMoney, formatTonnes } from '@/utils/format';

type T = (key: string, named?: Record<string, unknown>) => string;

const range = (r: { min?: number; max?: number } | undefined, fmt: (v: number) => string) =>
  !r ? null : r.min !== undefined && r.max !== undefined ? `${fmt(r.min)} ~ ${fmt(r.max)}` : r.min !== undefined ? `≥ ${fmt(r.min)}` : `≤ ${fmt(r.max!)}`;

export function conditionsText(c: RuleConditions, t: T): string {
  const parts: string[] = [];
  if (c.customerClasses) parts.push(`${t('approvals.cond.classes')}: ${c.customerClasses.join(', ')}`);
  if (c.creditGrades) parts.push(`${t('approvals.cond.grades')}: ${c.creditGrades.join(', ')}`);
  if (c.varieties) parts.push(`${t('approvals.cond.varieties')}: ${c.varieties.map((v) => t(`customers.varieties.${v}`)).join(', ')}`);
  const kg = range(c.tonnageKg, (v) => `${formatTonnes(v)} t`);
  if (kg) parts.push(`${t('approvals.cond.tonnage')} ${kg}`);
  const fen = range(c.amountFen, formatMoney);
  if (fen) parts.push(`${t('approvals.cond.amount')} ${fen}`);
  const bp = range(c.priceDeviationBp, (v) => `${v} bp`);
  if (bp) parts.push(`${t('approvals.cond.deviation')} ${bp}`);
  return parts.length ? parts.join('; ') : t('approvals.cond.none');
}

export function stepText(s: RuleStep, t: T, userName: (id: number) => string): string {
  const who = [...(s.approvers.roles ?? []).map((r) => t(`roles.${r}`)), ...(s.approvers.userIds ?? []).map(userName)].join(', ');
  return `${t(`approvals.mode.${s.mode}`)}: ${who}`;
}
