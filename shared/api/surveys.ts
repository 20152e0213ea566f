// Surveys (问卷调查, DESIGN.md §1 customer service): the questionnaire definition, targeting and schedule, customers'
// invitations and answers, and the results. One definition gives server validation and the web client's types.
import { Type, type Static } from 'typebox';
import { Page, PageQuery, Timestamp } from './common.js';
import { CreditGradeSchema, VarietySchema } from './customers.js';

const Text = (max: number) => Type.String({ maxLength: max });
const Title = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
/** Stable keys of questions, options, items and sections: answers and logic refer to them, never to positions. */
const Key = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' });

export const QUESTION_TYPES = ['single', 'multiple', 'rating', 'nps', 'matrix', 'short_text', 'long_text'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];
export const QuestionTypeSchema = Type.Unsafe<QuestionType>({ type: 'string', enum: [...QUESTION_TYPES] });

export const Choice = Type.Object({ id: Key, label: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export type Choice = Static<typeof Choice>;

/** Show the question only when the answer to an EARLIER question is one of these values (option ids or scores). */
export const ShowIf = Type.Object(
  { questionId: Key, anyOf: Type.Array(Type.Union([Type.Integer({ minimum: 0, maximum: 10 }), Type.String({ maxLength: 32 })]), { minItems: 1, maxItems: 20 }) },
  { additionalProperties: false },
);
export type ShowIf = Static<typeof ShowIf>;

export const Question = Type.Object(
  {
    id: Key,
    type: QuestionTypeSchema,
    title: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }),
    help: Type.Optional(Text(500)),
    required: Type.Boolean(),
    /** single and multiple choice */
    options: Type.Optional(Type.Array(Choice, { maxItems: 30 })),
    /** multiple choice: how many options may be chosen */
    minChoices: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 })),
    maxChoices: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
    /** matrix: the rows, each answered on the 1–5 rating scale */
    items: Type.Optional(Type.Array(Choice, { maxItems: 20 })),
    showIf: Type.Optional(ShowIf),
  },
  { additionalProperties: false },
);
export type Question = Static<typeof Question>;

export const Section = Type.Object(
  { id: Key, title: Text(200), description: Type.Optional(Text(1000)), questions: Type.Array(Question, { maxItems: 100 }) },
  { additionalProperties: false },
);
export type Section = Static<typeof Section>;

export const SURVEY_EVENTS = ['contract_completed', 'delivery_received', 'feedback_resolved'] as const;
export type SurveyEvent = (typeof SURVEY_EVENTS)[number];
export const SurveyEventSchema = Type.Unsafe<SurveyEvent>({ type: 'string', enum: [...SURVEY_EVENTS] });

export const SURVEY_KINDS = ['campaign', 'event'] as const;
export type SurveyKind = (typeof SURVEY_KINDS)[number];
export const SURVEY_STATES = ['draft', 'scheduled', 'open', 'closed'] as const;
export type SurveyState = (typeof SURVEY_STATES)[number];
export const SurveyStateSchema = Type.Unsafe<SurveyState>({ type: 'string', enum: [...SURVEY_STATES] });
export const ANSWER_PER = ['organisation', 'user'] as const;
export type AnswerPer = (typeof ANSWER_PER)[number];

/** Who is invited: every active customer, or those matching ALL the given lists (a list left out does not filter), or a hand-picked list. */
export const Target = Type.Object(
  {
    all: Type.Boolean(),
    classIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 50 })),
    provinces: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 30 }), { maxItems: 40 })),
    varieties: Type.Optional(Type.Array(VarietySchema, { maxItems: 10 })),
    /** credit grades of the customers module */
    grades: Type.Optional(Type.Array(CreditGradeSchema, { maxItems: 5 })),
    customerIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 5000 })),
  },
  { additionalProperties: false },
);
export type Target = Static<typeof Target>;

export const SurveyInput = Type.Object(
  {
    title: Title,
    introduction: Text(4000),
    /** campaign: targeted and scheduled; event: a short survey sent after triggerEvent */
    kind: Type.Unsafe<SurveyKind>({ type: 'string', enum: [...SURVEY_KINDS] }),
    triggerEvent: Type.Optional(Type.Union([SurveyEventSchema, Type.Null()])),
    answerPer: Type.Unsafe<AnswerPer>({ type: 'string', enum: [...ANSWER_PER] }),
    anonymous: Type.Boolean(),
    opensAt: Type.Optional(Type.Union([Timestamp, Type.Null()])),
    closesAt: Type.Optional(Type.Union([Timestamp, Type.Null()])),
    target: Target,
    sections: Type.Array(Section, { minItems: 1, maxItems: 20 }),
  },
  { additionalProperties: false },
);
export type SurveyInput = Static<typeof SurveyInput>;

export const Survey = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  introduction: Type.String(),
  kind: Type.Unsafe<SurveyKind>({ type: 'string', enum: [...SURVEY_KINDS] }),
  triggerEvent: Type.Union([SurveyEventSchema, Type.Null()]),
  answerPer: Type.Unsafe<AnswerPer>({ type: 'string', enum: [...ANSWER_PER] }),
  anonymous: Type.Boolean(),
  opensAt: Type.Union([Timestamp, Type.Null()]),
  closesAt: Type.Union([Timestamp, Type.Null()]),
  target: Target,
  sections: Type.Array(Section),
  state: SurveyStateSchema,
  version: Type.Integer(),
  previousId: Type.Union([Type.Integer(), Type.Null()]),
  invited: Type.Integer(),
  responses: Type.Integer(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Survey = Static<typeof Survey>;

export const SurveyListQuery = Type.Object({ state: Type.Optional(SurveyStateSchema), ...PageQuery }, { additionalProperties: false });
export type SurveyListQuery = Static<typeof SurveyListQuery>;
export const SurveySummary = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  kind: Type.Unsafe<SurveyKind>({ type: 'string', enum: [...SURVEY_KINDS] }),
  triggerEvent: Type.Union([SurveyEventSchema, Type.Null()]),
  state: SurveyStateSchema,
  version: Type.Integer(),
  opensAt: Type.Union([Timestamp, Type.Null()]),
  closesAt: Type.Union([Timestamp, Type.Null()]),
  invited: Type.Integer(),
  responses: Type.Integer(),
  updatedAt: Timestamp,
});
export type SurveySummary = Static<typeof SurveySummary>;
export const SurveyPage = Page(SurveySummary);
export type SurveyPage = Static<typeof SurveyPage>;

export const SurveyTemplate = Type.Object({ code: Type.String(), survey: SurveyInput });
export type SurveyTemplate = Static<typeof SurveyTemplate>;
export const SurveyTemplateList = Type.Object({ items: Type.Array(SurveyTemplate) });
export type SurveyTemplateList = Static<typeof SurveyTemplateList>;

export const TargetCount = Type.Object({ customers: Type.Integer() });
export type TargetCount = Static<typeof TargetCount>;

// ---- customers' side ----

/** Answers by question id: an option id, option ids, a score, item id -> score (matrix), or text. */
// Integer first: the app's validator coerces types, and a string branch first would turn every score into text.
export const AnswerValue = Type.Union([
  Type.Integer({ minimum: 0, maximum: 10 }),
  Type.String({ maxLength: 4000 }),
  Type.Array(Type.String({ maxLength: 32 }), { maxItems: 30 }),
  Type.Record(Type.String(), Type.Integer({ minimum: 1, maximum: 5 })),
]);
export type AnswerValue = Static<typeof AnswerValue>;
export const Answers = Type.Record(Type.String(), AnswerValue);
export type Answers = Static<typeof Answers>;
export const AnswersBody = Type.Object({ answers: Answers }, { additionalProperties: false });
export type AnswersBody = Static<typeof AnswersBody>;

export const INVITATION_STATES = ['new', 'draft', 'submitted', 'closed'] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

export const Invitation = Type.Object({
  id: Type.Integer(),
  surveyId: Type.Integer(),
  title: Type.String(),
  introduction: Type.String(),
  anonymous: Type.Boolean(),
  answerPer: Type.Unsafe<AnswerPer>({ type: 'string', enum: [...ANSWER_PER] }),
  closesAt: Type.Union([Timestamp, Type.Null()]),
  state: Type.Unsafe<InvitationState>({ type: 'string', enum: [...INVITATION_STATES] }),
  event: Type.Union([SurveyEventSchema, Type.Null()]),
  ref: Type.String(),
  submittedAt: Type.Union([Timestamp, Type.Null()]),
});
export type Invitation = Static<typeof Invitation>;
export const InvitationList = Type.Object({ items: Type.Array(Invitation) });
export type InvitationList = Static<typeof InvitationList>;
export const InvitationDetail = Type.Object({ invitation: Invitation, sections: Type.Array(Section), answers: Answers });
export type InvitationDetail = Static<typeof InvitationDetail>;

// ---- results ----

const Num = Type.Union([Type.Number(), Type.Null()]);
export const Rate = Type.Object({ invited: Type.Integer(), responded: Type.Integer(), ratePct: Num });
export type Rate = Static<typeof Rate>;

export const QuestionResult = Type.Object({
  questionId: Type.String(),
  type: QuestionTypeSchema,
  title: Type.String(),
  /** responses the question was shown in (show-if logic), answered in, and skipped in (shown, not answered) */
  shown: Type.Integer(),
  answered: Type.Integer(),
  skipped: Type.Integer(),
  /** choice: option id; rating/nps: the score as text; counts over those who answered */
  distribution: Type.Array(Type.Object({ value: Type.String(), label: Type.String(), count: Type.Integer(), pct: Num })),
  mean: Num,
  sd: Num,
  nps: Type.Optional(
    Type.Object({ promoters: Type.Integer(), passives: Type.Integer(), detractors: Type.Integer(), promotersPct: Num, passivesPct: Num, detractorsPct: Num, score: Num }),
  ),
  /** matrix: one row per item, counts per score 1..5 */
  matrix: Type.Optional(Type.Array(Type.Object({ itemId: Type.String(), label: Type.String(), counts: Type.Array(Type.Integer()), answered: Type.Integer(), mean: Num, sd: Num }))),
  /** text answers (filtered by the search) */
  texts: Type.Optional(Type.Array(Type.Object({ text: Type.String(), submittedAt: Timestamp }))),
});
export type QuestionResult = Static<typeof QuestionResult>;

export const TrendPoint = Type.Object({ month: Type.String(), responses: Type.Integer(), nps: Num, npsAnswered: Type.Integer(), satisfaction: Num, satisfactionAnswered: Type.Integer() });
export type TrendPoint = Static<typeof TrendPoint>;

export const BreakdownRow = Type.Object({ key: Type.String(), label: Type.String(), invited: Type.Integer(), responded: Type.Integer(), ratePct: Num, nps: Num, satisfaction: Num });
export type BreakdownRow = Static<typeof BreakdownRow>;

export const SurveyResults = Type.Object({
  surveyId: Type.Integer(),
  title: Type.String(),
  anonymous: Type.Boolean(),
  responses: Type.Integer(),
  rate: Rate,
  questions: Type.Array(QuestionResult),
  trend: Type.Array(TrendPoint),
  breakdown: Type.Object({ class: Type.Array(BreakdownRow), province: Type.Array(BreakdownRow), variety: Type.Array(BreakdownRow) }),
});
export type SurveyResults = Static<typeof SurveyResults>;
export const ResultsQuery = Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false });
export type ResultsQuery = Static<typeof ResultsQuery>;
