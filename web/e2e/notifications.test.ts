// The bell in a real browser: a notification created for hengda.admin shows in the unread count and is read by clicking it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD } from '../../server/src/demo.js';
import { notify } from '../../server/src/modules/notifications/service.js';
import { signIn, startPortal, type Portal } from './harness.js';

let portal: Portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

test('a new notification shows in the bell count and clicking it marks it read and opens its link', async () => {
  const user = await portal.stores.db('users').where('username', 'hengda.admin').first('id');
  assert.ok(user, 'the demo user exists');
  const page = await portal.newPage();
  await signIn(page, 'hengda.admin', DEMO_PASSWORD);
  const before = Number(await portal.stores.db('notifications').where('user_id', user.id).whereNull('read_at').count({ n: '*' }).first().then((r) => r?.n ?? 0));

  await portal.stores.db.transaction((trx) =>
    notify(trx, { kind: 'demand.answered', template: 'demand_answered', params: { demandNo: 'D-E2E' }, userIds: [user.id], link: '/', idempotencyKey: 'e2e:bell' }),
  );
  // A route change refreshes the count without waiting for the 30-second poll.
  await page.goto('/notifications');
  const badge = page.locator('[data-testid="notification-count"] sup');
  await badge.filter({ hasText: String(before + 1) }).waitFor();

  await page.getByTestId('notification-bell').click();
  const item = page.locator('[data-testid="notification-item"]', { hasText: '需求 D-E2E 已答复' });
  await item.waitFor();
  assert.equal(await item.getAttribute('data-unread'), 'true');
  await item.click();
  await page.waitForURL((url) => url.pathname === '/');
  if (before === 0) await badge.waitFor({ state: 'hidden' });
  else await badge.filter({ hasText: String(before) }).waitFor();
  const row = await portal.stores.db('notifications').where({ user_id: user.id, idempotency_key: 'e2e:bell' }).first();
  assert.ok(row.read_at, 'marked read in the database');
});
