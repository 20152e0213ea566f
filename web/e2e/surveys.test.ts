// Surveys in a real browser: the sales manager builds a survey (a single-choice question and an NPS question shown
// only after the first answer), previews it, schedules and publishes it to every customer; a customer user of 恒达
// answers it at phone width (draft, then submit once); the sales manager sees the answer in the result chart and NPS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { field, signIn, startPortal, type Portal } from './harness.js';

let portal: Portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

const TITLE = `端到端问卷 ${process.pid}`;
const wall = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
let surveyId = 0;

test('staff build, preview and publish a survey; a customer answers it on a phone; staff see the result chart', async () => {
  const staff = await portal.newPage();
  await signIn(staff, 'sales.manager', DEMO_PASSWORD);
  await staff.goto('/staff/surveys');
  await staff.getByTestId('survey-new').click();
  await staff.waitForURL(/\/staff\/surveys\/\d+$/);
  surveyId = Number(/\/staff\/surveys\/(\d+)$/.exec(staff.url())![1]);

  await field(staff, 'survey-title').fill(TITLE);
  // A single-choice question (the default type), then an NPS question shown when the first answer is its option A.
  await staff.getByTestId('add-question-0').click();
  await staff.getByTestId('question-type').click();
  await staff.getByTestId('question-type-nps').click();
  await staff.getByTestId('add-question-0').click();
  await field(staff, 'question-title-q1').fill('贵司对产品质量是否满意？');
  await field(staff, 'option-label-q1-o1').fill('满意');
  await field(staff, 'option-label-q1-o2').fill('不满意');
  await field(staff, 'question-title-q2').fill('推荐我厂的可能性（0–10）');
  // Show-if on q1: its first option (满意) is the answer that shows q2.
  await staff.getByTestId('showif-q2').click();
  await staff.getByTestId('showif-q2-q1').click();

  // Opens an hour ago, closes in a week (China wall-clock time in the pickers).
  await field(staff, 'survey-opens').fill(wall(new Date(Date.now() - 3600_000)));
  await field(staff, 'survey-opens').press('Enter');
  await field(staff, 'survey-closes').fill(wall(new Date(Date.now() + 7 * 86400_000)));
  await field(staff, 'survey-closes').press('Enter');
  await staff.getByTestId('page-title').click();
  await staff.getByTestId('survey-save').click();
  await staff.locator('.el-message--success').first().waitFor();

  // Preview: the customer's view, where the NPS question appears only after the first answer.
  await staff.getByTestId('survey-preview').click();
  await staff.getByTestId('survey-preview-card').waitFor();
  assert.equal(await staff.getByTestId('question-q2').count(), 0);
  await staff.getByTestId('option-q1-o1').click();
  await staff.getByTestId('question-q2').waitFor();
  await staff.getByTestId('survey-preview').click();

  await staff.getByTestId('survey-publish').click();
  await staff.getByTestId('survey-state').filter({ hasText: '进行中' }).waitFor();
  const invited = await portal.stores.db('survey_invitations').where('survey_id', surveyId).count({ n: '*' }).first();
  assert.ok(Number(invited!.n) >= 3, 'every demo customer is invited');

  // The customer, on a phone-sized screen.
  const customer = await portal.newPage();
  await customer.setViewportSize({ width: 390, height: 844 });
  await signIn(customer, 'hengda.user', DEMO_PASSWORD);
  await customer.goto('/surveys');
  await customer.getByTestId(`invitation-state-${surveyId}`).filter({ hasText: '待填写' }).waitFor();
  await customer.getByTestId(`invitation-open-${surveyId}`).click();
  await customer.getByTestId('survey-form').waitFor();
  assert.equal(await customer.getByTestId('page-title').innerText(), TITLE);
  await customer.getByTestId('option-q1-o1').click();
  await customer.getByTestId('answer-draft').click();
  await customer.locator('.el-message--success').first().waitFor();
  await customer.getByTestId('score-q2-9').click();
  await customer.getByTestId('answer-submit').click();
  await customer.locator('.el-message-box__btns .el-button--primary').click();
  await customer.getByTestId('answer-submitted').waitFor();
  const stored = await portal.stores.db('survey_responses').where({ survey_id: surveyId, state: 'submitted' });
  assert.equal(stored.length, 1);
  assert.deepEqual(JSON.parse(stored[0].answers), { q1: 'o1', q2: 9 });
  await customer.goto('/surveys');
  await customer.getByTestId(`invitation-state-${surveyId}`).filter({ hasText: '已提交' }).waitFor();
  await customer.context().close();

  // The result chart: one answer on 满意, NPS 100 over the one who answered.
  await staff.goto(`/staff/surveys/${surveyId}/results`);
  const bar = staff.locator(`[data-testid="chart-q1"] [data-testid="bar"][data-key="o1"]`);
  await bar.waitFor();
  assert.equal(await bar.getAttribute('data-value'), '1');
  assert.equal(await staff.locator(`[data-testid="chart-q1"] [data-testid="bar"][data-key="o2"]`).getAttribute('data-value'), '0');
  assert.match(await staff.getByTestId('nps-q2').innerText(), /100/);
  assert.match(await staff.getByTestId('results-rate').innerText(), /1/);
  await staff.context().close();
});
