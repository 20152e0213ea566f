// Code lists, roles and the show-if rule of the survey pages. shared/api/surveys.ts defines the lists, but that module
// loads TypeBox, which the web bundle does not ship; the checks below fail the type check when these copies drift.
import type { Role } from '@shared/roles';
import type { Answers, AnswerValue, Question, QuestionType, Section, SurveyEvent, SurveyInput, SurveyState } from '@shared/api/surveys';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export const QUESTION_TYPES = ['single', 'multiple', 'rating', 'nps', 'matrix', 'short_text', 'long_text'] as const;
export const SURVEY_EVENTS = ['contract_completed', 'delivery_received', 'feedback_resolved'] as const;
export const SURVEY_STATES = ['draft', 'scheduled', 'open', 'closed'] as const;
export const VARIETIES = ['rebar', 'wire_rod', 'hot_rolled_coil', 'plate', 'section', 'other'] as const;
export const GRADES = ['AAA', 'AA', 'A', 'B', 'C'] as const;

export type CodeListsMatchShared = [
  Assert<Same<(typeof QUESTION_TYPES)[number], QuestionType>>,
  Assert<Same<(typeof SURVEY_EVENTS)[number], SurveyEvent>>,
  Assert<Same<(typeof SURVEY_STATES)[number], SurveyState>>,
  Assert<Same<(typeof VARIETIES)[number], NonNullable<SurveyInput['target']['varieties']>[number]>>,
  Assert<Same<(typeof GRADES)[number], NonNullable<SurveyInput['target']['grades']>[number]>>,
];

// As the survey routes allow (the server decides; pages only hide what it would refuse).
export const SURVEY_BUILDER_ROLES: readonly Role[] = ['sales_manager', 'admin'];
/** Results: also quality staff, and account managers for their own customers. */
export const SURVEY_RESULT_ROLES: readonly Role[] = ['sales_manager', 'admin', 'quality_staff', 'account_manager'];

/** Which questions the answers show: the server's rule (a rule tests an earlier question's answer). */
export function shownQuestions(sections: Section[], answers: Answers): Set<string> {
  const shown = new Set<string>();
  for (const q of sections.flatMap((s) => s.questions)) {
    if (!q.showIf) {
      shown.add(q.id);
      continue;
    }
    if (!shown.has(q.showIf.questionId)) continue;
    const v: AnswerValue | undefined = answers[q.showIf.questionId];
    const tokens = v === undefined ? [] : Array.isArray(v) ? v.map(String) : typeof v === 'object' ? [] : [String(v)];
    if (q.showIf.anyOf.some((x) => tokens.includes(String(x)))) shown.add(q.id);
  }
  return shown;
}

/** A fresh key for a new question, option or section, unique among those given. */
export function nextKey(prefix: string, taken: { id: string }[]): string {
  let n = taken.length + 1;
  while (taken.some((x) => x.id === `${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

export function blankQuestion(type: QuestionType, taken: { id: string }[], title: string): Question {
  const q: Question = { id: nextKey('q', taken), type, title, required: false };
  if (type === 'single' || type === 'multiple') q.options = [{ id: 'o1', label: 'A' }, { id: 'o2', label: 'B' }];
  if (type === 'matrix') q.items = [{ id: 'i1', label: '1' }];
  return q;
}

export function blankSurvey(title: string): SurveyInput {
  return {
    title,
    introduction: '',
    kind: 'campaign',
    triggerEvent: null,
    answerPer: 'organisation',
    anonymous: false,
    opensAt: null,
    closesAt: null,
    target: { all: true },
    sections: [{ id: 's1', title: '', questions: [] }],
  };
}

/** Moves an element of a list one place up (-1) or down (+1), in place. */
export function move<T>(list: T[], index: number, by: -1 | 1): void {
  const to = index + by;
  if (to < 0 || to >= list.length) return;
  const [x] = list.splice(index, 1);
  list.splice(to, 0, x);
}
