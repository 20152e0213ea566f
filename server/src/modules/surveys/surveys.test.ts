// Surveys over the API: builder validation for every question type and the show-if rule, templates, targeting,
// opening/closing/notices/reminders by the scheduler (run twice, notify once), drafts and one answer under concurrent
// submits, versions once answered, results and exports, event-triggered surveys, and the access matrix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeOrganisation, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';
import { toDbTime } from '../../db/knex.js';
import type { Question, Survey, SurveyInput, SurveyResults, InvitationList } from '../../../../shared/api/surveys.js';
import { erpEvents } from './service.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
let customerC: number;
const tokens: Record<string, string> = {};
type Method = 'GET' | 'POST' | 'PUT';
const as = (who: string, method: Method, url: string, payload?: unknown) => t.as(tokens[who], { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
const hours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();
let classes: Record<string, number>;

const QS: Question[] = [
  { id: 'pick', type: 'single', title: '是否满意', required: true, options: [{ id: 'yes', label: '是' }, { id: 'no', label: '否' }] },
  { id: 'why', type: 'short_text', title: '原因', required: true, showIf: { questionId: 'pick', anyOf: ['no'] } },
  { id: 'many', type: 'multiple', title: '品种', required: false, options: [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }, { id: 'c', label: 'C' }], minChoices: 1, maxChoices: 2 },
  { id: 'rate', type: 'rating', title: '质量', required: true },
  { id: 'nps', type: 'nps', title: '推荐', required: false },
  { id: 'grid', type: 'matrix', title: '各方面', required: false, items: [{ id: 'q', label: '质量' }, { id: 'd', label: '交货' }] },
  { id: 'note', type: 'long_text', title: '建议', required: false },
];

function input(o: Partial<SurveyInput> = {}): SurveyInput {
  return {
    title: '测试问卷',
    introduction: '请填写',
    kind: 'campaign',
    triggerEvent: null,
    answerPer: 'organisation',
    anonymous: false,
    opensAt: hours(-1),
    closesAt: hours(24 * 7),
    target: { all: true },
    sections: [{ id: 's1', title: '一', questions: QS }],
    ...o,
  };
}

async function create(o: Partial<SurveyInput> = {}): Promise<Survey> {
  const res = await as('sales', 'POST', '/api/surveys', input(o));
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}
async function published(o: Partial<SurveyInput> = {}): Promise<Survey> {
  const s = await create(o);
  const res = await as('sales', 'POST', `/api/surveys/${s.id}/publish`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}
async function invitationOf(who: string, surveyId: number): Promise<number> {
  const list: InvitationList = (await as(who, 'GET', '/api/my-surveys')).json();
  const inv = list.items.find((i) => i.surveyId === surveyId);
  assert.ok(inv, `${who} is invited to survey ${surveyId}`);
  return inv.id;
}
const good = { pick: 'yes', rate: 4, nps: 9 };
const tick = () => t.app.scheduler.runNow('surveys.tick');
const notices = async (key: string) => Number((await t.db('notifications').where('idempotency_key', 'like', `${key}%`).count({ n: '*' }).first())!.n);

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
  classes = Object.fromEntries((await t.db('customer_classes').select('id', 'code')).map((c: { id: number; code: string }) => [c.code, Number(c.id)]));
  customerC = await makeOrganisation(t.db, { code: 'SURVEYC' });
  const userC = await makeUser(t.db, { organisationId: customerC, role: 'customer_user' });
  const userA2 = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user' });
  await t.db('organisations').where('id', w.customerB).update({ province: '山东省' });
  for (const [id, cls, grade, variety] of [[w.customerA, 'strategic', 'AA', 'rebar'], [w.customerB, 'agreement', 'B', 'plate'], [customerC, 'agreement', 'A', 'rebar']] as const) {
    await t.db('customer_profiles').insert({ organisation_id: id }).onConflict('organisation_id').ignore();
    await t.db('customer_profiles').where('organisation_id', id).update({ class_id: classes[cls], grade });
    await t.db('customer_varieties').insert({ organisation_id: id, variety, monthly_kg: 1000 });
  }
  const cast = { admin: w.admin, sales: w.salesManager, am: w.accountManager, quality: w.quality, userA: w.userA, userA2, adminA: w.adminA, userB: w.userB, userC };
  for (const [k, u] of Object.entries(cast)) tokens[k] = (await t.signIn(u.username)).token;
});
after(() => t.close());

test('a survey with every question type and a show-if on an earlier answer is accepted', async () => {
  const s = await create();
  assert.equal(s.state, 'draft');
  assert.equal(s.sections[0].questions.length, 7);
});

test('the builder refuses each kind of malformed question with its own code', async () => {
  const bad: [string, Question[], string][] = [
    ['single with one option', [{ id: 'a', type: 'single', title: 't', required: true, options: [{ id: 'x', label: 'x' }] }], 'survey.options_required'],
    ['multiple without options', [{ id: 'a', type: 'multiple', title: 't', required: true }], 'survey.options_required'],
    ['multiple allowing more than it has', [{ id: 'a', type: 'multiple', title: 't', required: true, options: [{ id: 'x', label: 'x' }, { id: 'y', label: 'y' }], maxChoices: 3 }], 'survey.choice_limits'],
    ['multiple with min above max', [{ id: 'a', type: 'multiple', title: 't', required: true, options: [{ id: 'x', label: 'x' }, { id: 'y', label: 'y' }], minChoices: 2, maxChoices: 1 }], 'survey.choice_limits'],
    ['rating with options', [{ id: 'a', type: 'rating', title: 't', required: true, options: [{ id: 'x', label: 'x' }, { id: 'y', label: 'y' }] }], 'survey.options_unexpected'],
    ['nps with choice limits', [{ id: 'a', type: 'nps', title: 't', required: true, maxChoices: 2 }], 'survey.choice_limits'],
    ['matrix without items', [{ id: 'a', type: 'matrix', title: 't', required: true, items: [] }], 'survey.items_required'],
    ['matrix with a repeated item', [{ id: 'a', type: 'matrix', title: 't', required: true, items: [{ id: 'x', label: 'x' }, { id: 'x', label: 'y' }] }], 'survey.duplicate_id'],
    ['short text with items', [{ id: 'a', type: 'short_text', title: 't', required: true, items: [{ id: 'x', label: 'x' }] }], 'survey.items_unexpected'],
    ['long text with options', [{ id: 'a', type: 'long_text', title: 't', required: true, options: [{ id: 'x', label: 'x' }, { id: 'y', label: 'y' }] }], 'survey.options_unexpected'],
    ['two questions with one id', [{ id: 'a', type: 'rating', title: 't', required: true }, { id: 'a', type: 'nps', title: 't', required: true }], 'survey.duplicate_id'],
    ['show-if on a later question', [{ id: 'a', type: 'rating', title: 't', required: true, showIf: { questionId: 'b', anyOf: [1] } }, { id: 'b', type: 'rating', title: 't', required: true }], 'survey.logic_not_earlier'],
    ['show-if on itself', [{ id: 'a', type: 'rating', title: 't', required: true, showIf: { questionId: 'a', anyOf: [1] } }], 'survey.logic_not_earlier'],
    ['show-if on a missing question', [{ id: 'a', type: 'rating', title: 't', required: true, showIf: { questionId: 'zz', anyOf: [1] } }], 'survey.logic_not_earlier'],
    ['show-if on a text answer', [{ id: 'a', type: 'short_text', title: 't', required: true }, { id: 'b', type: 'rating', title: 't', required: true, showIf: { questionId: 'a', anyOf: ['x'] } }], 'survey.logic_source_type'],
    ['show-if on a score a rating cannot have', [{ id: 'a', type: 'rating', title: 't', required: true }, { id: 'b', type: 'rating', title: 't', required: true, showIf: { questionId: 'a', anyOf: [7] } }], 'survey.logic_value'],
    ['show-if on an option that does not exist', [QS[0], { id: 'b', type: 'rating', title: 't', required: true, showIf: { questionId: 'pick', anyOf: ['maybe'] } }], 'survey.logic_value'],
  ];
  for (const [what, questions, code] of bad) {
    const res = await as('sales', 'POST', '/api/surveys', input({ sections: [{ id: 's', title: '', questions }] }));
    assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
    assert.equal(res.json().error.code, code, what);
  }
  // A show-if across sections on an earlier section's question is fine.
  const ok = await as('sales', 'POST', '/api/surveys', input({ sections: [{ id: 's1', title: '', questions: [QS[0]] }, { id: 's2', title: '', questions: [{ ...QS[1] }] }] }));
  assert.equal(ok.statusCode, 201, ok.body);
  const rev = await as('sales', 'POST', '/api/surveys', input({ sections: [{ id: 's1', title: '', questions: [{ ...QS[1] }] }, { id: 's2', title: '', questions: [QS[0]] }] }));
  assert.equal(rev.json().error.code, 'survey.logic_not_earlier');
  const unknownType = await as('sales', 'POST', '/api/surveys', input({ sections: [{ id: 's', title: '', questions: [{ id: 'a', type: 'slider' as never, title: 't', required: true }] }] }));
  assert.equal(unknownType.statusCode, 400);
  // A draft may start empty; it is published only with a question.
  const empty = await as('sales', 'POST', '/api/surveys', input({ sections: [{ id: 's', title: '', questions: [] }] }));
  assert.equal(empty.statusCode, 201);
  assert.equal((await as('sales', 'POST', `/api/surveys/${empty.json().id}/publish`)).json().error.code, 'survey.no_questions');
  const event = await as('sales', 'POST', '/api/surveys', input({ kind: 'event' }));
  assert.equal(event.json().error.code, 'survey.trigger_required');
});

test('the product-quality and service-quality templates are valid surveys ready to copy', async () => {
  const res = await as('sales', 'GET', '/api/survey-templates');
  assert.deepEqual(res.json().items.map((x: { code: string }) => x.code), ['product_quality', 'service_quality']);
  for (const tpl of res.json().items) await create({ ...tpl.survey, opensAt: hours(-1), closesAt: hours(48) });
});

test('targeting: all, classes, provinces, varieties, credit grades, hand-picked, and their combination', async () => {
  const count = async (target: object) => (await as('sales', 'POST', '/api/surveys/target-count', target)).json().customers;
  const all = await count({ all: true });
  assert.ok(all >= 3);
  assert.equal(await count({ all: false }), 0);
  assert.equal(await count({ all: false, classIds: [classes.agreement] }), 2);
  assert.equal(await count({ all: false, provinces: ['山东'] }), 1);
  assert.equal(await count({ all: false, varieties: ['rebar'] }), 2);
  assert.equal(await count({ all: false, grades: ['AA', 'B'] }), 2);
  assert.equal(await count({ all: false, customerIds: [w.customerA, customerC] }), 2);
  assert.equal(await count({ all: false, classIds: [classes.agreement], varieties: ['rebar'] }), 1);
});

test('the scheduler opens a scheduled survey, invites only the targeted customers, notifies once, and closes it', async () => {
  const s = await create({ opensAt: hours(1), target: { all: false, classIds: [classes.agreement] } });
  const pub = await as('sales', 'POST', `/api/surveys/${s.id}/publish`);
  assert.equal(pub.json().state, 'scheduled');
  assert.equal(pub.json().invited, 0);
  await tick();
  assert.equal((await as('sales', 'GET', `/api/surveys/${s.id}`)).json().state, 'scheduled', 'not before its time');
  await t.db('surveys').where('id', s.id).update({ opens_at: toDbTime(new Date(Date.now() - 1000)) });
  await tick();
  const open: Survey = (await as('sales', 'GET', `/api/surveys/${s.id}`)).json();
  assert.equal(open.state, 'open');
  assert.equal(open.invited, 2);
  const invs = await t.db('survey_invitations').where('survey_id', s.id);
  const sent = await notices('survey.invited:');
  const sms = Number((await t.db('sms_messages').where('idempotency_key', 'like', 'survey.invited:%').count({ n: '*' }).first())!.n);
  assert.ok(sent >= 2 && sms >= 2, 'in-app and SMS notices');
  await tick();
  await tick();
  assert.equal(await notices('survey.invited:'), sent, 'run again, notified once');
  assert.equal((await t.db('survey_invitations').where('survey_id', s.id)).length, invs.length);
  // Customer A (strategic) is not targeted: it does not see it, and cannot reach its invitations.
  assert.equal((await as('userA', 'GET', '/api/my-surveys')).json().items.some((i: { surveyId: number }) => i.surveyId === s.id), false);
  const invC = await invitationOf('userC', s.id);
  const stolen = await as('userA', 'POST', `/api/my-surveys/${invC}/submit`, { answers: good });
  assert.equal(stolen.statusCode, 404);
  assert.equal((await as('userA', 'GET', `/api/my-surveys/${invC}`)).statusCode, 404);
  // Closing time passes: the scheduler closes it, and answers are refused.
  await t.db('surveys').where('id', s.id).update({ closes_at: toDbTime(new Date(Date.now() - 1000)) });
  await tick();
  assert.equal((await as('sales', 'GET', `/api/surveys/${s.id}`)).json().state, 'closed');
  const late = await as('userC', 'POST', `/api/my-surveys/${invC}/submit`, { answers: good });
  assert.equal(late.statusCode, 409);
  assert.equal(late.json().error.code, 'survey.closed');
});

test('staff may move an open survey\'s closing time, and answering follows it', async () => {
  const s = await published({ target: { all: false, customerIds: [w.customerA] } });
  const inv = await invitationOf('userA', s.id);
  const kept = { opensAt: s.opensAt, target: s.target };
  assert.equal((await as('sales', 'PUT', `/api/surveys/${s.id}`, input({ ...kept, closesAt: hours(-0.01) }))).statusCode, 200);
  assert.equal((await as('userA', 'POST', `/api/my-surveys/${inv}/submit`, { answers: good })).json().error.code, 'survey.closed');
  assert.equal((await as('userA', 'GET', `/api/my-surveys/${inv}`)).json().invitation.state, 'closed');
  assert.equal((await as('sales', 'PUT', `/api/surveys/${s.id}`, input({ ...kept, closesAt: hours(2) }))).statusCode, 200);
  assert.equal((await as('userA', 'POST', `/api/my-surveys/${inv}/submit`, { answers: good })).statusCode, 200);
});

test('a customer saves a draft, submits once, and the answers are checked against the questions', async () => {
  const s = await published({ target: { all: false, customerIds: [w.customerA] } });
  const inv = await invitationOf('userA', s.id);
  const draft = await as('userA', 'PUT', `/api/my-surveys/${inv}/draft`, { answers: { pick: 'no', rate: 2 } });
  assert.equal(draft.statusCode, 200, draft.body);
  assert.equal(draft.json().invitation.state, 'draft');
  // The organisation shares its draft: another user of it sees the saved answers.
  assert.deepEqual((await as('userA2', 'GET', `/api/my-surveys/${inv}`)).json().answers, { pick: 'no', rate: 2 });
  const missing = await as('userA', 'POST', `/api/my-surveys/${inv}/submit`, { answers: { pick: 'no', rate: 2 } });
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.json().error.code, 'survey.answer_required');
  assert.deepEqual(missing.json().error.details.questionIds, ['why'], 'the shown follow-up is required');
  for (const answers of [{ ...good, rate: 6 }, { ...good, nps: 11 }, { ...good, pick: 'maybe' }, { ...good, many: ['a', 'b', 'c'] }, { ...good, grid: { x: 3 } }, { ...good, note: 'x'.repeat(4001) }]) {
    assert.equal((await as('userA', 'POST', `/api/my-surveys/${inv}/submit`, { answers })).statusCode, 400, JSON.stringify(answers).slice(0, 80));
  }
  const ok = await as('userA', 'POST', `/api/my-surveys/${inv}/submit`, { answers: { ...good, why: 'hidden, dropped', many: ['a'], grid: { q: 5 } } });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json().invitation.state, 'submitted');
  assert.equal(ok.json().answers.why, undefined, 'an answer to a hidden question is dropped');
  const again = await as('userA2', 'POST', `/api/my-surveys/${inv}/submit`, { answers: good });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().error.code, 'survey.already_answered');
  assert.equal((await as('userA', 'PUT', `/api/my-surveys/${inv}/draft`, { answers: good })).json().error.code, 'survey.already_answered');
});

test('two concurrent submits for one organisation store exactly one answer; per-user surveys take one per user', async () => {
  const s = await published({ target: { all: false, customerIds: [w.customerA] } });
  const inv = await invitationOf('userA', s.id);
  const both = await Promise.all([as('userA', 'POST', `/api/my-surveys/${inv}/submit`, { answers: good }), as('userA2', 'POST', `/api/my-surveys/${inv}/submit`, { answers: good })]);
  assert.deepEqual(both.map((r) => r.statusCode).sort(), [200, 409], both.map((r) => r.body).join('\n'));
  assert.equal(both.find((r) => r.statusCode === 409)!.json().error.code, 'survey.already_answered');
  assert.equal((await t.db('survey_responses').where({ survey_id: s.id, state: 'submitted' })).length, 1);

  // With a draft saved first the race is on the draft row's update.
  const s2 = await published({ target: { all: false, customerIds: [w.customerA] } });
  const inv2 = await invitationOf('userA', s2.id);
  await as('userA', 'PUT', `/api/my-surveys/${inv2}/draft`, { answers: { rate: 3 } });
  const race = await Promise.all([1, 2, 3].map((i) => as(i === 2 ? 'userA2' : 'userA', 'POST', `/api/my-surveys/${inv2}/submit`, { answers: good })));
  assert.deepEqual(race.map((r) => r.statusCode).sort(), [200, 409, 409]);
  assert.equal((await t.db('survey_responses').where({ survey_id: s2.id })).length, 1);

  const perUser = await published({ answerPer: 'user', target: { all: false, customerIds: [w.customerA] } });
  const inv3 = await invitationOf('userA', perUser.id);
  const users = await Promise.all([as('userA', 'POST', `/api/my-surveys/${inv3}/submit`, { answers: good }), as('userA2', 'POST', `/api/my-surveys/${inv3}/submit`, { answers: good }), as('userA', 'POST', `/api/my-surveys/${inv3}/submit`, { answers: good })]);
  assert.deepEqual(users.map((r) => r.statusCode).sort(), [200, 200, 409]);
  assert.equal((await t.db('survey_responses').where({ survey_id: perUser.id, state: 'submitted' })).length, 2);
});

test('the reminder goes once, before closing, to those who have not answered', async () => {
  const s = await published({ answerPer: 'user', closesAt: hours(24), target: { all: false, customerIds: [w.customerA, customerC] } });
  const invA = await invitationOf('userA', s.id);
  await as('userA', 'POST', `/api/my-surveys/${invA}/submit`, { answers: good });
  await tick();
  await tick();
  const reminded = await t.db('notifications').where('idempotency_key', 'like', 'survey.reminder:%').select('user_id', 'idempotency_key');
  const invC = await invitationOf('userC', s.id);
  const users = (await t.db('users').whereIn('organisation_id', [w.customerA, customerC]).select('id', 'username')).filter((u: { id: number }) =>
    reminded.some((r: { user_id: number; idempotency_key: string }) => r.user_id === u.id && (r.idempotency_key === `survey.reminder:${invA}` || r.idempotency_key === `survey.reminder:${invC}`)),
  );
  const names = users.map((u: { username: string }) => u.username);
  assert.ok(!names.includes(w.userA.username), 'who answered is not reminded');
  assert.ok(names.length >= 2, 'the other users of A and the user of C are reminded');
  assert.equal(reminded.filter((r: { idempotency_key: string }) => r.idempotency_key === `survey.reminder:${invC}`).length, 1, 'once');
});

test('once answered, questions cannot be removed or change type: a new version instead', async () => {
  const s = await published({ target: { all: false, customerIds: [w.customerA] } });
  const inv = await invitationOf('userA', s.id);
  // Times as published: who is asked and when stays as published.
  const kept = { opensAt: s.opensAt, closesAt: s.closesAt, target: s.target };
  const sections = [{ id: 's1', title: '一', questions: QS.slice(0, 6) }];
  // Before answers, a published survey may still lose a question.
  assert.equal((await as('sales', 'PUT', `/api/surveys/${s.id}`, input({ ...kept, sections }))).statusCode, 200);
  await as('userA', 'POST', `/api/my-surveys/${inv}/submit`, { answers: good });
  const removed = await as('sales', 'PUT', `/api/surveys/${s.id}`, input({ ...kept, sections: [{ id: 's1', title: '一', questions: QS.slice(0, 5) }] }));
  assert.equal(removed.statusCode, 409);
  assert.equal(removed.json().error.code, 'survey.has_answers');
  assert.deepEqual(removed.json().error.details.questionIds, ['grid']);
  const retyped = await as('sales', 'PUT', `/api/surveys/${s.id}`, input({ ...kept, sections: [{ id: 's1', title: '一', questions: [...QS.slice(0, 4), { ...QS[4], type: 'rating' }, QS[5]] }] }));
  assert.equal(retyped.json().error.code, 'survey.has_answers');
  const retitled = await as('sales', 'PUT', `/api/surveys/${s.id}`, input({ ...kept, sections: [{ id: 's1', title: '一', questions: [...QS.slice(0, 6), { id: 'extra', type: 'short_text', title: '新增', required: false }] }] }));
  assert.equal(retitled.statusCode, 200, 'adding a question is fine');
  // The same targeting written differently is no change.
  const same = await as('sales', 'PUT', `/api/surveys/${s.id}`, input({ ...kept, target: { customerIds: [w.customerA], grades: [], all: false } as never, sections: retitled.json().sections }));
  assert.equal(same.statusCode, 200, same.body);
  const retarget = await as('sales', 'PUT', `/api/surveys/${s.id}`, input({ ...kept, target: { all: true }, sections: retitled.json().sections }));
  assert.equal(retarget.json().error.code, 'survey.published_locked');
  const v2 = await as('sales', 'POST', `/api/surveys/${s.id}/versions`);
  assert.equal(v2.statusCode, 201);
  assert.equal(v2.json().version, 2);
  assert.equal(v2.json().previousId, s.id);
  assert.equal(v2.json().state, 'draft');
  assert.equal((await as('sales', 'PUT', `/api/surveys/${v2.json().id}`, input({ ...kept, sections: [{ id: 's1', title: '一', questions: QS.slice(0, 2) }] }))).statusCode, 200);
});

test('results: rate, NPS over those who answered, skips apart, breakdowns; account managers see their customers only', async () => {
  const s = await published({ target: { all: false, customerIds: [w.customerA, w.customerB, customerC] } });
  await as('userA', 'POST', `/api/my-surveys/${await invitationOf('userA', s.id)}/submit`, { answers: { pick: 'yes', rate: 5, nps: 10, note: '交货及时' } });
  await as('userB', 'POST', `/api/my-surveys/${await invitationOf('userB', s.id)}/submit`, { answers: { pick: 'no', why: '价格', rate: 2 } });
  const r: SurveyResults = (await as('sales', 'GET', `/api/surveys/${s.id}/results`)).json();
  assert.deepEqual(r.rate, { invited: 3, responded: 2, ratePct: 66.7 });
  const nps = r.questions.find((q) => q.questionId === 'nps')!;
  assert.deepEqual([nps.answered, nps.skipped, nps.nps!.score, nps.nps!.promoters], [1, 1, 100, 1]);
  const rate = r.questions.find((q) => q.questionId === 'rate')!;
  assert.deepEqual([rate.mean, rate.sd], [3.5, 1.5]);
  const why = r.questions.find((q) => q.questionId === 'why')!;
  assert.deepEqual([why.shown, why.answered], [1, 1]);
  assert.deepEqual(r.breakdown.class.map((b) => [b.key, b.invited, b.responded]), [['agreement', 2, 1], ['strategic', 1, 1]]);
  assert.deepEqual(r.breakdown.province.find((b) => b.key === '山东省'), { key: '山东省', label: '山东省', invited: 1, responded: 1, ratePct: 100, nps: null, satisfaction: 2 });
  assert.equal(r.trend.length, 1);
  const searched: SurveyResults = (await as('sales', 'GET', `/api/surveys/${s.id}/results?q=${encodeURIComponent('及时')}`)).json();
  assert.equal(searched.questions.find((q) => q.questionId === 'note')!.texts!.length, 1);
  // The account manager of customer A only.
  const am: SurveyResults = (await as('am', 'GET', `/api/surveys/${s.id}/results`)).json();
  assert.deepEqual(am.rate, { invited: 1, responded: 1, ratePct: 100 });
  assert.equal(am.responses, 1);
  assert.equal((await as('quality', 'GET', `/api/surveys/${s.id}/results`)).statusCode, 200);
});

test('CSV of raw answers has a BOM and, for an anonymous survey, nothing that says who answered', async () => {
  const named = await published({ target: { all: false, customerIds: [w.customerA] } });
  await as('userA', 'POST', `/api/my-surveys/${await invitationOf('userA', named.id)}/submit`, { answers: { ...good, many: ['a', 'b'] } });
  const csv = await as('sales', 'GET', `/api/surveys/${named.id}/export.csv`);
  assert.equal(csv.statusCode, 200);
  assert.match(csv.headers['content-type'] as string, /text\/csv/);
  assert.ok(csv.body.startsWith('\uFEFF'));
  const name = (await t.db('organisations').where('id', w.customerA).first('name')).name as string;
  assert.ok(csv.body.includes(name));
  assert.ok(csv.body.includes('A; B'));

  const anon = await published({ anonymous: true, target: { all: false, customerIds: [w.customerA] } });
  await as('userA', 'POST', `/api/my-surveys/${await invitationOf('userA', anon.id)}/submit`, { answers: good });
  const a = await as('sales', 'GET', `/api/surveys/${anon.id}/export.csv`);
  assert.ok(!a.body.includes(name));
  assert.ok(!a.body.includes('customer_code') && !a.body.includes('user_id'));
  assert.match(a.body.split('\r\n')[1], /^1,\d{4}-\d{2}-\d{2},/);
  const audit = await t.db('audit_log').where({ action: 'survey.answered', entity_id: String(anon.id) }).first('details');
  assert.equal(audit.details, JSON.stringify({ anonymous: true }));
});

test('a printable PDF summary is rendered in the PDF pool', async () => {
  const s = await published({ target: { all: false, customerIds: [w.customerA] } });
  await as('userA', 'POST', `/api/my-surveys/${await invitationOf('userA', s.id)}/submit`, { answers: good });
  const pdf = await as('quality', 'GET', `/api/surveys/${s.id}/summary.pdf`);
  assert.equal(pdf.statusCode, 200);
  assert.equal(pdf.headers['content-type'], 'application/pdf');
  assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
});

test('event surveys: a delivery note, a completed contract or a resolved feedback item invites once, with a minimum interval', async () => {
  const none = await t.app.surveys.onEvent(t.db, { event: 'feedback_resolved', customerId: w.customerA, ref: 'feedback:1' });
  assert.deepEqual(none, { invited: false, reason: 'no_survey' });
  const fb = await published({ kind: 'event', triggerEvent: 'feedback_resolved', opensAt: null, closesAt: null, target: { all: true }, sections: [{ id: 's', title: '', questions: [QS[3]] }] });
  assert.equal(fb.state, 'open');
  const first = await t.app.surveys.onEvent(t.db, { event: 'feedback_resolved', customerId: w.customerB, ref: 'feedback:1' });
  assert.equal(first.invited, true);
  assert.deepEqual(await t.app.surveys.onEvent(t.db, { event: 'feedback_resolved', customerId: w.customerB, ref: 'feedback:1' }), { invited: false, reason: 'duplicate' });
  assert.deepEqual(await t.app.surveys.onEvent(t.db, { event: 'feedback_resolved', customerId: w.customerB, ref: 'feedback:2' }), { invited: false, reason: 'interval' });
  // Within the caller's transaction: a rollback takes the invitation back.
  await t.db.transaction(async (trx) => {
    assert.equal((await t.app.surveys.onEvent(trx, { event: 'feedback_resolved', customerId: w.customerA, ref: 'feedback:3' })).invited, true);
    await trx.rollback();
  }).catch(() => undefined);
  assert.equal((await t.db('survey_invitations').where({ survey_id: fb.id, customer_id: w.customerA })).length, 0);
  const invB = await invitationOf('userB', fb.id);
  assert.equal((await as('userB', 'POST', `/api/my-surveys/${invB}/submit`, { answers: { rate: 5 } })).statusCode, 200);

  // A delivery note synced from the ERP after the delivery survey opened invites its customer (C), once.
  const dv = await published({ kind: 'event', triggerEvent: 'delivery_received', opensAt: null, closesAt: null, target: { all: true }, sections: [{ id: 's', title: '', questions: [QS[3]] }] });
  const code = (await t.db('organisations').where('id', customerC).first('code')).code as string;
  const at = toDbTime(new Date(Date.now() + 1000));
  await t.db('erp_records').insert({ interface: 'delivery_note', doc_key: 'DN-SURVEY-1', seq: 1, staging_id: 1, deleted: false, payload: JSON.stringify({ deliveryNo: 'DN-SURVEY-1', customerCode: code }), customer_code: code, synced_at: at });
  await t.db('erp_records').insert({ interface: 'sales_order', doc_key: 'SO-SURVEY-1', seq: 1, staging_id: 2, deleted: false, payload: JSON.stringify({ orderNo: 'SO-SURVEY-1', customerCode: code, status: 'open' }), customer_code: code, synced_at: at });
  assert.deepEqual(await erpEvents(t.db, t.config.surveys), { invited: 1 });
  assert.deepEqual(await erpEvents(t.db, t.config.surveys), { invited: 0 }, 'the cursor moved on');
  const inv = await t.db('survey_invitations').where({ survey_id: dv.id, customer_id: customerC }).first();
  assert.equal(inv.ref, 'delivery_note:DN-SURVEY-1');
  assert.ok(inv.closes_at, 'an event invitation has its own answering window');
  assert.ok(await invitationOf('userC', dv.id));

  // Two events for one customer at the same moment: the interval lets one through.
  const e = await makeOrganisation(t.db, { code: 'SURVEYE' });
  const race = await Promise.all(['feedback:10', 'feedback:11', 'feedback:12'].map((ref) => t.app.surveys.onEvent(t.db, { event: 'feedback_resolved', customerId: e, ref })));
  assert.equal(race.filter((o) => o.invited).length, 1, JSON.stringify(race));
  assert.equal((await t.db('survey_invitations').where({ customer_id: e })).length, 1);

  // A sales order the ERP closed completes its contract; an open one does not.
  const cc = await published({ kind: 'event', triggerEvent: 'contract_completed', opensAt: null, closesAt: null, target: { all: true }, sections: [{ id: 's', title: '', questions: [QS[3]] }] });
  const d = await makeOrganisation(t.db, { code: 'SURVEYD' });
  const later = toDbTime(new Date(Date.now() + 2000));
  for (const [key, status] of [['SO-SURVEY-2', 'open'], ['SO-SURVEY-3', 'closed']] as const) {
    await t.db('erp_records').insert({ interface: 'sales_order', doc_key: key, seq: 1, staging_id: 3, deleted: false, payload: JSON.stringify({ orderNo: key, customerCode: 'SURVEYD', status }), customer_code: 'SURVEYD', synced_at: later });
  }
  assert.deepEqual(await erpEvents(t.db, t.config.surveys), { invited: 1 });
  assert.deepEqual((await t.db('survey_invitations').where({ survey_id: cc.id, customer_id: d })).map((i: { ref: string; event: string }) => [i.event, i.ref]), [['contract_completed', 'sales_order:SO-SURVEY-3']]);
});

test('access: only sales managers and admins build; customers answer; nobody reads what is not theirs', async () => {
  const s = await published({ target: { all: false, customerIds: [w.customerA] } });
  for (const who of ['quality', 'am', 'userA', 'adminA']) {
    assert.equal((await as(who, 'POST', '/api/surveys', input())).statusCode, 403, `${who} builds`);
    assert.equal((await as(who, 'POST', `/api/surveys/${s.id}/close`)).statusCode, 403, `${who} closes`);
  }
  assert.equal((await as('admin', 'POST', '/api/surveys', input())).statusCode, 201);
  for (const who of ['userA', 'adminA', 'userB']) {
    assert.equal((await as(who, 'GET', '/api/surveys')).statusCode, 403, `${who} lists staff surveys`);
    assert.equal((await as(who, 'GET', `/api/surveys/${s.id}/results`)).statusCode, 403, `${who} reads results`);
    assert.equal((await as(who, 'GET', `/api/surveys/${s.id}/export.csv`)).statusCode, 403, `${who} exports`);
  }
  for (const who of ['sales', 'admin', 'quality', 'am']) assert.equal((await as(who, 'GET', '/api/my-surveys')).statusCode, 403, `${who} answers`);
  const invA = await invitationOf('userA', s.id);
  assert.equal((await as('userB', 'GET', `/api/my-surveys/${invA}`)).statusCode, 404, "another customer's invitation is not found");
  assert.equal((await as('userB', 'PUT', `/api/my-surveys/${invA}/draft`, { answers: good })).statusCode, 404);
  assert.equal((await t.as('', { method: 'GET', url: '/api/my-surveys' })).statusCode, 401);
  // A draft survey is nobody's to answer yet.
  const draft = await create({ target: { all: false, customerIds: [w.customerA] } });
  assert.equal((await as('sales', 'POST', `/api/surveys/${draft.id}/close`)).statusCode, 409);
});
