// The notification service and its routes: writes only on commit, idempotency, templates in both languages, access.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, makeOrganisation, makeUser, makeWorld, type TestApp } from '../../../test/helpers.js';
import { notify, type NotifyInput } from './service.js';
import { checkParams, LOCALES, render, TEMPLATES, type TemplateKey } from './templates.js';

let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
let seq = 0;
const key = (name: string) => `test:${process.pid}:${name}:${++seq}`;

/** A complete set of parameters for a template: each value names its parameter, so renders can be checked. */
const sampleParams = (template: TemplateKey) =>
  Object.fromEntries(TEMPLATES[template].params.map((p) => [p, `<${p}>`])) as Record<string, string>;

const published = (over: Partial<NotifyInput> & Pick<NotifyInput, 'idempotencyKey'>): NotifyInput =>
  ({ kind: 'allocation.published', template: 'allocation_published', params: { period: '2026-12', variety: '螺纹钢', tonnes: '300', deadline: '2026-12-05' }, link: '/allocations/1', ...over }) as NotifyInput;

before(async () => {
  t = await createTestApp();
  w = await makeWorld(t.db);
});
after(() => t.close());

describe('templates', () => {
  test('every template renders in Chinese and English with all its parameters and nothing left unfilled', () => {
    for (const template of Object.keys(TEMPLATES) as TemplateKey[]) {
      const params = sampleParams(template);
      for (const locale of LOCALES) {
        const { title, body } = render(template, params, locale);
        assert.doesNotMatch(title + body, /\{\w+\}/, `${template} ${locale} has an unfilled placeholder`);
        const used = new Set([...`${TEMPLATES[template][locale].title}${TEMPLATES[template][locale].body}`.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
        assert.deepEqual([...used].sort(), [...TEMPLATES[template].params].sort(), `${template} ${locale} uses exactly its parameters`);
      }
      assert.match(render(template, params, 'zh-CN').body, /[\u4e00-\u9fff]/, `${template} has Chinese text`);
    }
  });

  test('a missing, empty or unknown parameter is a programming error', () => {
    assert.throws(() => checkParams('allocation_published', { period: '2026-12' }), /needs parameter variety/);
    assert.throws(() => checkParams('phone_verify', { code: '' }), /needs parameter code/);
    assert.throws(() => checkParams('phone_verify', { code: '1', extra: 'x' }), /no parameter extra/);
    assert.throws(() => checkParams('no_such_template', {}), /unknown notification template/);
  });

  test('notify refuses bad parameters before writing anything', async () => {
    const k = key('bad');
    await assert.rejects(
      t.db.transaction((trx) => notify(trx, published({ idempotencyKey: k, userIds: [w.userA.id], params: { period: 'x' } }))),
      /needs parameter/,
    );
    assert.equal((await t.db('notifications').where('idempotency_key', k)).length, 0);
  });
});

describe('notify', () => {
  test('writes in-app rows and SMS only when the transaction commits', async () => {
    const k = key('rollback');
    await assert.rejects(
      t.db.transaction(async (trx) => {
        const r = await notify(trx, published({ idempotencyKey: k, userIds: [w.userA.id, w.adminA.id], sms: true }));
        assert.deepEqual(r, { recipients: 2, inApp: 2, sms: 2 });
        throw new Error('the caller fails after notifying');
      }),
      /caller fails/,
    );
    assert.equal((await t.db('notifications').where('idempotency_key', k)).length, 0);
    assert.equal((await t.db('sms_messages').where('idempotency_key', 'like', `${k}:%`)).length, 0);

    const k2 = key('commit');
    await t.db.transaction((trx) => notify(trx, published({ idempotencyKey: k2, userIds: [w.userA.id, w.adminA.id], sms: true })));
    assert.equal((await t.db('notifications').where('idempotency_key', k2)).length, 2);
    const sms = await t.db('sms_messages').where('idempotency_key', 'like', `${k2}:%`).orderBy('id');
    assert.equal(sms.length, 2);
    assert.ok(sms.every((m) => m.state === 'pending' && m.template === 'allocation_published'));
  });

  test('notifying again with the same key adds nothing, and a new recipient gets only their own row', async () => {
    const k = key('idem');
    const first = await t.db.transaction((trx) => notify(trx, published({ idempotencyKey: k, userIds: [w.userA.id], sms: true })));
    const again = await t.db.transaction((trx) => notify(trx, published({ idempotencyKey: k, userIds: [w.userA.id], sms: true })));
    assert.deepEqual([first.inApp, first.sms, again.inApp, again.sms], [1, 1, 0, 0]);
    const wider = await t.db.transaction((trx) => notify(trx, published({ idempotencyKey: k, userIds: [w.userA.id, w.adminA.id], sms: true })));
    assert.deepEqual([wider.inApp, wider.sms], [1, 1]);
    assert.equal((await t.db('notifications').where('idempotency_key', k)).length, 2);
    assert.equal((await t.db('sms_messages').where('idempotency_key', 'like', `${k}:%`)).length, 2);
  });

  test('an organisation means its active users, optionally only those holding a right; a role means its active users', async () => {
    const org = await makeOrganisation(t.db);
    const answerer = await makeUser(t.db, { organisationId: org, role: 'customer_user', canAnswer: true });
    await makeUser(t.db, { organisationId: org, role: 'customer_user', canAnswer: false });
    await makeUser(t.db, { organisationId: org, role: 'customer_user', canAnswer: true, active: false });
    const noPhone = await makeUser(t.db, { organisationId: org, role: 'customer_admin', canAnswer: true, phone: null });
    const k = key('org');
    const r = await t.db.transaction((trx) => notify(trx, published({ idempotencyKey: k, organisationId: org, right: 'canAnswer', sms: true })));
    assert.deepEqual(r, { recipients: 2, inApp: 2, sms: 1 }, 'the user without a phone gets no SMS');
    assert.deepEqual((await t.db('notifications').where('idempotency_key', k).orderBy('user_id').pluck('user_id')).map(Number), [answerer.id, noPhone.id]);

    const all = await t.db.transaction((trx) => notify(trx, published({ idempotencyKey: key('org-all'), organisationId: org })));
    assert.equal(all.recipients, 3);
    const staff = await t.db.transaction((trx) =>
      notify(trx, { kind: 'approval.needed', template: 'approval_needed', params: { customer: '甲', subject: '响应' }, role: 'sales_manager', idempotencyKey: key('role') }),
    );
    assert.equal(staff.recipients, 1);
  });

  test('a one-time code goes by SMS only and is never stored in an in-app row', async () => {
    const k = key('code');
    const r = await t.db.transaction((trx) =>
      notify(trx, { kind: 'contract.signing_code', template: 'signing_code', params: { listingNo: 'GP-1', code: '654321' }, userIds: [w.adminA.id], sms: true, inApp: false, idempotencyKey: k }),
    );
    assert.deepEqual(r, { recipients: 1, inApp: 0, sms: 1 });
    const k2 = key('code-inapp');
    await t.db.transaction((trx) =>
      notify(trx, { kind: 'contract.signing_code', template: 'signing_code', params: { listingNo: 'GP-1', code: '654321' }, userIds: [w.adminA.id], idempotencyKey: k2 }),
    );
    const row = await t.db('notifications').where('idempotency_key', k2).first();
    assert.doesNotMatch(row.params, /654321/);
  });
});

describe('routes', () => {
  test('a user lists, counts and reads their own notifications, rendered in the language asked for', async () => {
    const user = await makeUser(t.db, { organisationId: w.customerA, role: 'customer_user' });
    const k1 = key('r1');
    await t.db.transaction((trx) => notify(trx, published({ idempotencyKey: k1, userIds: [user.id] })));
    await t.db.transaction((trx) => notify(trx, { kind: 'demand.answered', template: 'demand_answered', params: { demandNo: 'D-9' }, userIds: [user.id], link: '/demands/9', idempotencyKey: key('r2') }));
    const { token } = await t.signIn(user.username);
    assert.deepEqual((await t.as(token, { method: 'GET', url: '/api/notifications/unread-count' })).json(), { count: 2 });

    const zh = (await t.as(token, { method: 'GET', url: '/api/notifications' })).json();
    assert.equal(zh.total, 2);
    assert.equal(zh.items[0].title, '需求 D-9 已答复', 'newest first, Chinese by default');
    assert.equal(zh.items[0].link, '/demands/9');
    const en = (await t.as(token, { method: 'GET', url: '/api/notifications?lang=en&pageSize=1&page=2' })).json();
    assert.equal(en.items.length, 1);
    assert.equal(en.items[0].title, 'Allocation for 2026-12 published');

    const id = zh.items[0].id;
    const read = await t.as(token, { method: 'POST', url: `/api/notifications/${id}/read?lang=en` });
    assert.equal(read.statusCode, 200);
    assert.ok(read.json().readAt);
    assert.equal((await t.as(token, { method: 'POST', url: `/api/notifications/${id}/read` })).statusCode, 200, 'reading twice is fine');
    assert.deepEqual((await t.as(token, { method: 'GET', url: '/api/notifications/unread-count' })).json(), { count: 1 });
    const unread = (await t.as(token, { method: 'GET', url: '/api/notifications?unread=true' })).json();
    assert.deepEqual(unread.items.map((n: { id: number }) => n.id), [zh.items[1].id]);
    assert.deepEqual((await t.as(token, { method: 'POST', url: '/api/notifications/read-all' })).json(), { updated: 1 });
    assert.deepEqual((await t.as(token, { method: 'GET', url: '/api/notifications/unread-count' })).json(), { count: 0 });
  });

  test('access: nobody sees or reads another user\'s notification (404), signed-out callers get 401', async () => {
    const k = key('mine');
    await t.db.transaction((trx) => notify(trx, published({ idempotencyKey: k, userIds: [w.userA.id] })));
    const id = Number((await t.db('notifications').where('idempotency_key', k).first()).id);
    for (const other of [w.adminA, w.userB, w.admin, w.salesManager, w.accountManager, w.quality]) {
      const { token } = await t.signIn(other.username);
      const read = await t.as(token, { method: 'POST', url: `/api/notifications/${id}/read` });
      assert.equal(read.statusCode, 404, `${other.username} reading someone else's notification`);
      assert.equal(read.json().error.code, 'notification.not_found');
      const list = (await t.as(token, { method: 'GET', url: '/api/notifications?pageSize=200' })).json();
      assert.ok(!list.items.some((n: { id: number }) => n.id === id), `${other.username} does not list it`);
      await t.as(token, { method: 'POST', url: '/api/notifications/read-all' });
    }
    assert.equal((await t.db('notifications').where({ id }).first()).read_at, null, 'read-all by others left it unread');
    for (const [method, url] of [['GET', '/api/notifications'], ['GET', '/api/notifications/unread-count'], ['POST', `/api/notifications/${id}/read`], ['POST', '/api/notifications/read-all']] as const) {
      assert.equal((await t.app.inject({ method, url })).statusCode, 401, `${method} ${url} signed out`);
    }
    const { token } = await t.signIn(w.userA.username);
    assert.equal((await t.as(token, { method: 'POST', url: `/api/notifications/${id}/read` })).statusCode, 200);
    assert.equal((await t.as(token, { method: 'POST', url: '/api/notifications/999999999/read' })).statusCode, 404);
  });
});
