// Searches take % _ and ! literally on both databases (SQLite has no default LIKE escape character, MySQL's is \).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStores } from '../../test/helpers.js';
import { LIKE, likeContains, likePrefix } from './knex.js';

test('a search for 50%, a_b or 100! matches those characters literally, anywhere or as a prefix', async () => {
  const s = await createStores();
  try {
    await s.db.schema.createTable('like_probe', (t) => {
      t.increments('id');
      t.string('v', 50);
    });
    await s.db('like_probe').insert(['含税50%', '含税500', 'a_b', 'axb', '100!', '100', 'back\\slash', '江苏省'].map((v) => ({ v })));
    const find = async (pattern: string) => (await s.db('like_probe').whereRaw(LIKE, ['v', pattern]).orderBy('id')).map((r) => r.v);
    assert.deepEqual(await find(likeContains('50%')), ['含税50%']);
    assert.deepEqual(await find(likeContains('a_b')), ['a_b']);
    assert.deepEqual(await find(likeContains('100!')), ['100!']);
    assert.deepEqual(await find(likeContains('k\\s')), ['back\\slash']);
    assert.deepEqual(await find(likePrefix('江苏')), ['江苏省']);
    assert.deepEqual(await find(likePrefix('100')), ['100!', '100']);
  } finally {
    await s.cleanup();
  }
});
