// The questionnaire's own rules, pure: a definition's checks (every question type, show-if logic pointing only at
// earlier questions), which questions a set of answers shows, and the checks of a customer's answers.
import type { Answers, AnswerValue, Question, Section } from '../../../../shared/api/surveys.js';
import { Invalid } from '../../errors.js';

/** Scores of the rating scale (rating questions and matrix items) and of the Net Promoter question. */
export const RATING = { min: 1, max: 5 } as const;
export const NPS = { min: 0, max: 10 } as const;
/** Questions whose answer a show-if rule can test. */
const LOGIC_SOURCES = new Set(['single', 'multiple', 'rating', 'nps']);

export const questionsOf = (sections: Section[]): Question[] => sections.flatMap((s) => s.questions);

const bad = (code: string, message: string, path: string) => new Invalid(code, message, { path });

/** Checks a definition; throws Invalid with a stable code and the path of the first problem. A draft may have no
 * question yet (complete = false); a published survey needs one. */
export function validateDefinition(sections: Section[], complete = true): void {
  const seenSections = new Set<string>();
  const earlier = new Map<string, Question>();
  const all = new Set(questionsOf(sections).map((q) => q.id));
  if (complete && all.size === 0) throw bad('survey.no_questions', 'A survey needs at least one question', '/sections');
  sections.forEach((s, si) => {
    if (seenSections.has(s.id)) throw bad('survey.duplicate_id', `Section id ${s.id} is used twice`, `/sections/${si}/id`);
    seenSections.add(s.id);
    s.questions.forEach((q, qi) => {
      const path = `/sections/${si}/questions/${qi}`;
      if (earlier.has(q.id)) throw bad('survey.duplicate_id', `Question id ${q.id} is used twice`, `${path}/id`);
      checkQuestion(q, path);
      if (q.showIf) checkLogic(q, earlier, all, path);
      earlier.set(q.id, q);
    });
  });
}

function uniqueIds(list: { id: string }[], what: string, path: string) {
  if (new Set(list.map((o) => o.id)).size !== list.length) throw bad('survey.duplicate_id', `Two ${what} share an id`, path);
}

function checkQuestion(q: Question, path: string): void {
  const choice = q.type === 'single' || q.type === 'multiple';
  if (choice) {
    if (!q.options || q.options.length < 2) throw bad('survey.options_required', 'A choice question needs at least two options', `${path}/options`);
    uniqueIds(q.options, 'options', `${path}/options`);
  } else if (q.options?.length) throw bad('survey.options_unexpected', `A ${q.type} question has no options`, `${path}/options`);
  if (q.type === 'multiple') {
    const n = q.options!.length;
    const min = q.minChoices ?? 0;
    const max = q.maxChoices ?? n;
    if (min > max || max > n) {
      throw bad('survey.choice_limits', `Choose between ${min} and ${max} of ${n} options: the limits do not fit`, `${path}/maxChoices`);
    }
  } else if (q.minChoices !== undefined || q.maxChoices !== undefined) {
    throw bad('survey.choice_limits', 'Only a multiple-choice question has choice limits', `${path}/maxChoices`);
  }
  if (q.type === 'matrix') {
    if (!q.items || q.items.length < 1) throw bad('survey.items_required', 'A matrix question needs at least one item', `${path}/items`);
    uniqueIds(q.items, 'items', `${path}/items`);
  } else if (q.items?.length) throw bad('survey.items_unexpected', `A ${q.type} question has no items`, `${path}/items`);
}

function checkLogic(q: Question, earlier: Map<string, Question>, all: Set<string>, path: string): void {
  const rule = q.showIf!;
  const src = earlier.get(rule.questionId);
  if (!src) {
    // Only earlier questions: a rule on a later one (or itself) could never be decided while answering top to bottom.
    const why = all.has(rule.questionId) ? 'comes later in the survey' : 'does not exist';
    throw bad('survey.logic_not_earlier', `Show-if refers to question ${rule.questionId}, which ${why}; it may only refer to an earlier question`, `${path}/showIf/questionId`);
  }
  if (!LOGIC_SOURCES.has(src.type)) throw bad('survey.logic_source_type', `Show-if cannot test a ${src.type} question`, `${path}/showIf/questionId`);
  for (const v of rule.anyOf) {
    const s = String(v);
    const ok =
      src.type === 'single' || src.type === 'multiple'
        ? src.options!.some((o) => o.id === s)
        : /^\d+$/.test(s) && inRange(Number(s), src.type === 'rating' ? RATING : NPS);
    if (!ok) throw bad('survey.logic_value', `Show-if value ${s} is not an answer of question ${src.id}`, `${path}/showIf/anyOf`);
  }
}

const inRange = (n: number, r: { min: number; max: number }) => Number.isInteger(n) && n >= r.min && n <= r.max;

/** The answer's values as text, for show-if tests. */
function answerTokens(v: AnswerValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'object') return [];
  return [String(v)];
}

/** Which questions these answers show: a question is shown when it has no rule, or its source is shown and matches. */
export function shownQuestions(questions: Question[], answers: Answers): Set<string> {
  const shown = new Set<string>();
  for (const q of questions) {
    if (!q.showIf) {
      shown.add(q.id);
      continue;
    }
    if (!shown.has(q.showIf.questionId)) continue;
    const tokens = answerTokens(answers[q.showIf.questionId]);
    if (q.showIf.anyOf.some((x) => tokens.includes(String(x)))) shown.add(q.id);
  }
  return shown;
}

/** Whether a value counts as an answer (an empty text, list or matrix is a skip). */
export function isAnswered(q: Question, v: AnswerValue | undefined): boolean {
  if (v === undefined || v === null) return false;
  if (q.type === 'short_text' || q.type === 'long_text') return String(v).trim() !== '';
  if (q.type === 'multiple') return Array.isArray(v) && v.length > 0;
  if (q.type === 'matrix') return typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0;
  return true;
}

const TEXT_MAX = { short_text: 200, long_text: 4000 } as const;

/**
 * Cleans and checks answers: values of unknown or hidden questions are dropped, each value must fit its question,
 * and on submit (complete = true) every shown required question must be answered (a matrix: every item).
 */
export function checkAnswers(sections: Section[], input: Answers, complete: boolean): Answers {
  const questions = questionsOf(sections);
  const byId = new Map(questions.map((q) => [q.id, q]));
  const out: Answers = {};
  for (const [id, raw] of Object.entries(input)) {
    const q = byId.get(id);
    if (!q) continue;
    const v = normalise(q, raw);
    if (v !== undefined) out[id] = v;
  }
  const shown = shownQuestions(questions, out);
  for (const id of Object.keys(out)) if (!shown.has(id)) delete out[id];
  if (complete) {
    const missing = questions.filter((q) => q.required && shown.has(q.id) && !(isAnswered(q, out[q.id]) && (q.type !== 'matrix' || matrixComplete(q, out[q.id]))));
    if (missing.length) throw new Invalid('survey.answer_required', 'Answer every required question', { questionIds: missing.map((q) => q.id) });
    for (const q of questions) {
      if (q.type === 'multiple' && shown.has(q.id) && isAnswered(q, out[q.id])) {
        const n = (out[q.id] as string[]).length;
        if (n < (q.minChoices ?? 0)) throw new Invalid('survey.answer_invalid', `Choose at least ${q.minChoices} options`, { questionId: q.id });
      }
    }
  }
  return out;
}

const matrixComplete = (q: Question, v: AnswerValue | undefined) => !!v && typeof v === 'object' && !Array.isArray(v) && q.items!.every((i) => i.id in v);

function invalid(q: Question, message: string): Invalid {
  return new Invalid('survey.answer_invalid', message, { questionId: q.id });
}

/** One value made to fit its question, or an Invalid; undefined for an empty value (a skip). */
function normalise(q: Question, v: AnswerValue): AnswerValue | undefined {
  switch (q.type) {
    case 'single': {
      if (Array.isArray(v) || typeof v === 'object') throw invalid(q, 'Choose one option');
      const s = String(v);
      if (!q.options!.some((o) => o.id === s)) throw invalid(q, `No option ${s}`);
      return s;
    }
    case 'multiple': {
      const list = Array.isArray(v) ? v.map(String) : typeof v === 'object' ? null : [String(v)];
      if (!list) throw invalid(q, 'Choose options');
      if (new Set(list).size !== list.length || list.some((s) => !q.options!.some((o) => o.id === s))) throw invalid(q, 'Unknown or repeated option');
      if (list.length > (q.maxChoices ?? q.options!.length)) throw invalid(q, `Choose at most ${q.maxChoices} options`);
      return list.length ? list : undefined;
    }
    case 'rating':
    case 'nps': {
      const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !inRange(n, q.type === 'rating' ? RATING : NPS)) throw invalid(q, 'Score out of range');
      return n;
    }
    case 'matrix': {
      if (typeof v !== 'object' || Array.isArray(v)) throw invalid(q, 'Rate the items');
      const out: Record<string, number> = {};
      for (const [item, score] of Object.entries(v)) {
        if (!q.items!.some((i) => i.id === item)) throw invalid(q, `No item ${item}`);
        if (!inRange(Number(score), RATING)) throw invalid(q, 'Score out of range');
        out[item] = Number(score);
      }
      return Object.keys(out).length ? out : undefined;
    }
    case 'short_text':
    case 'long_text': {
      if (typeof v === 'object') throw invalid(q, 'Write a text');
      const s = String(v);
      if (s.length > TEXT_MAX[q.type]) throw invalid(q, `At most ${TEXT_MAX[q.type]} characters`);
      return s.trim() ? s : undefined;
    }
  }
}
