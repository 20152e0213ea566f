// Feedback attachments: the type is read from the content (a disguised name or content is refused), the size limit
// answers 413 with its own code, names with path traversal never reach the filesystem, and nobody outside the
// item's reach uploads or downloads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createTestApp, makeOrganisation, makeUser, makeWorld, testConfig, type TestApp } from '../../../test/helpers.js';
import { contentDisposition, sanitiseName } from './attachments.js';

const MAX = 4096;
let t: TestApp;
let w: Awaited<ReturnType<typeof makeWorld>>;
const tokens: Record<string, string> = {};
let itemId: number;

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const HTML = Buffer.from('<!doctype html><script>alert(1)</script>');
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 1)]);

const upload = (who: string, id: number, name: string, data: Buffer, extra = '') =>
  t.as(tokens[who], {
    method: 'POST',
    url: `/api/feedback/${id}/attachments?name=${encodeURIComponent(name)}${extra}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: data,
  });
const code = (res: { json(): { error: { code: string } } }) => res.json().error.code;

/** Every file under the attachment folder, relative to it. */
function storedFiles(): string[] {
  const dir = t.app.feedback.attachmentDir;
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

before(async () => {
  t = await createTestApp({ feedback: { ...testConfig().feedback, maxAttachmentBytes: MAX } });
  w = await makeWorld(t.db);
  const otherAm = await makeUser(t.db, { organisationId: w.mill, role: 'account_manager' });
  await makeOrganisation(t.db, { accountManagerId: otherAm.id });
  for (const [k, u] of Object.entries({ userA: w.userA, userB: w.userB, am: w.accountManager, otherAm, quality: w.quality, admin: w.admin })) {
    tokens[k] = (await t.signIn(u.username)).token;
  }
  const res = await t.as(tokens.userA, { method: 'POST', url: '/api/feedback', payload: { category: 'quality_objection', subject: '表面裂纹', description: '螺纹钢表面有裂纹' } });
  assert.equal(res.statusCode, 201, res.body);
  itemId = res.json().id;
});

after(async () => {
  await t?.close();
});

test('a customer attaches a photo and downloads it under its own name, as a download that cannot run as a page', async () => {
  const res = await upload('userA', itemId, '裂纹 照片.png', PNG);
  assert.equal(res.statusCode, 201, res.body);
  const a = res.json();
  assert.equal(a.contentType, 'image/png');
  assert.equal(a.name, '裂纹 照片.png');
  assert.equal(a.size, PNG.length);
  const dl = await t.as(tokens.am, { method: 'GET', url: `/api/feedback/${itemId}/attachments/${a.id}` });
  assert.equal(dl.statusCode, 200);
  assert.deepEqual(dl.rawPayload, PNG);
  assert.equal(dl.headers['content-type'], 'image/png');
  assert.equal(dl.headers['x-content-type-options'], 'nosniff');
  assert.match(String(dl.headers['content-disposition']), /^attachment; filename="__ __\.png"; filename\*=UTF-8''%E8%A3%82/);
  const detail = (await t.as(tokens.userA, { method: 'GET', url: `/api/feedback/${itemId}` })).json();
  assert.equal(detail.attachments.length, 1);
});

test('a name without an extension gets the one of its content, and a JPEG may be called .jpeg', async () => {
  const res = await upload('userA', itemId, 'scan', PDF);
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().name, 'scan.pdf');
  const jpeg = await upload('userA', itemId, 'IMG_1.JPEG', JPEG);
  assert.equal(jpeg.statusCode, 201, jpeg.body);
  assert.equal(jpeg.json().contentType, 'image/jpeg');
});

test('a .png name with PDF content is refused: the content decides, and the name may not disguise it', async () => {
  const res = await upload('userA', itemId, 'photo.png', PDF);
  assert.equal(res.statusCode, 415);
  assert.equal(code(res), 'feedback.attachment_name_mismatch');
});

test('HTML or an executable named .png is refused whatever the declared content type', async () => {
  for (const data of [HTML, EXE]) {
    const res = await t.as(tokens.userA, {
      method: 'POST',
      url: `/api/feedback/${itemId}/attachments?name=photo.png`,
      headers: { 'content-type': 'image/png' },
      payload: data,
    });
    assert.equal(res.statusCode, 415, res.body);
    assert.equal(code(res), 'feedback.attachment_type');
  }
  const svg = await upload('userA', itemId, 'x.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'));
  assert.equal(code(svg), 'feedback.attachment_type');
});

test('a file over the configured size is refused with 413 feedback.attachment_too_large, and nothing is stored', async () => {
  const before = storedFiles().length;
  const big = Buffer.concat([PNG, Buffer.alloc(MAX)]);
  const res = await upload('userA', itemId, 'big.png', big);
  assert.equal(res.statusCode, 413);
  assert.equal(code(res), 'feedback.attachment_too_large');
  assert.equal(res.json().error.details.maxBytes, MAX);
  const empty = await upload('userA', itemId, 'empty.png', Buffer.alloc(0));
  assert.equal(empty.statusCode, 400);
  assert.equal(storedFiles().length, before);
});

test('path traversal in a name never reaches the filesystem: files are stored under generated names only', async () => {
  const cases: [string, Buffer, string][] = [
    ['../../etc/passwd', PNG, 'passwd.png'],
    ['..\\x.pdf', PDF, 'x.pdf'],
    ['..\\..\\..\\windows\\system32\\evil.pdf', PDF, 'evil.pdf'],
    ['/tmp/../../.bashrc.png', PNG, 'bashrc.png'],
    ['....//....//x\u0000y.png', PNG, 'xy.png'],
  ];
  for (const [name, data, shown] of cases) {
    const res = await upload('userA', itemId, name, data);
    assert.equal(res.statusCode, 201, `${name}: ${res.body}`);
    assert.equal(res.json().name, shown, name);
  }
  for (const f of storedFiles()) assert.match(f, /^[0-9a-f]{2}[\\/][0-9a-f]{32}$/);
  const rows = await t.db('feedback_attachments').select('storage_name');
  for (const r of rows) assert.match(r.storage_name, /^[0-9a-f]{32}$/);
});

test('sanitised names keep Chinese, drop control and reserved characters and leading dots; the header never breaks', () => {
  assert.equal(sanitiseName('C:\\Users\\张三\\质保书.pdf'), '质保书.pdf');
  assert.equal(sanitiseName('..'), '');
  assert.equal(sanitiseName('a\r\nb".pdf'), 'ab.pdf');
  assert.equal(sanitiseName('x\u202egnp.pdf'), 'xgnp.pdf');
  const h = contentDisposition('a"b;c%.pdf');
  assert.equal(h, `attachment; filename="a_b_c_.pdf"; filename*=UTF-8''a%22b%3Bc%25.pdf`);
});

test('another customer and an account manager of another customer can neither download nor attach: not found', async () => {
  const [first] = await t.db('feedback_attachments').where('feedback_id', itemId).orderBy('id').select('id');
  for (const who of ['userB', 'otherAm']) {
    const dl = await t.as(tokens[who], { method: 'GET', url: `/api/feedback/${itemId}/attachments/${first.id}` });
    assert.equal(dl.statusCode, 404, who);
    assert.equal(code(dl), 'feedback.not_found');
    const up = await upload(who, itemId, 'x.png', PNG);
    assert.equal(up.statusCode, 404, who);
  }
  const anon = await t.app.inject({ method: 'GET', url: `/api/feedback/${itemId}/attachments/${first.id}` });
  assert.equal(anon.statusCode, 401);
  const anonUp = await t.app.inject({ method: 'POST', url: `/api/feedback/${itemId}/attachments?name=x.png`, headers: { 'content-type': 'application/octet-stream' }, payload: PNG });
  assert.equal(anonUp.statusCode, 401);
});

test('an attachment of another item cannot be fetched through this one', async () => {
  const other = await t.as(tokens.userA, { method: 'POST', url: '/api/feedback', payload: { category: 'service', subject: 's', description: 'd' } });
  const otherId = other.json().id;
  const a = (await upload('userA', otherId, 'o.png', PNG)).json();
  const res = await t.as(tokens.userA, { method: 'GET', url: `/api/feedback/${itemId}/attachments/${a.id}` });
  assert.equal(res.statusCode, 404);
  assert.equal(code(res), 'feedback.attachment_not_found');
});

test('an internal attachment of the mill is not shown to, nor downloadable by, the customer; customers cannot add one', async () => {
  const res = await upload('quality', itemId, 'lab.pdf', PDF, '&internal=true');
  assert.equal(res.statusCode, 201, res.body);
  const id = res.json().id;
  const detail = (await t.as(tokens.userA, { method: 'GET', url: `/api/feedback/${itemId}` })).json();
  assert.ok(!detail.attachments.some((a: { id: number }) => a.id === id));
  const dl = await t.as(tokens.userA, { method: 'GET', url: `/api/feedback/${itemId}/attachments/${id}` });
  assert.equal(dl.statusCode, 404);
  const own = await upload('userA', itemId, 'x.png', PNG, '&internal=true');
  assert.equal(own.statusCode, 403);
  assert.equal(code(own), 'feedback.internal_staff_only');
});

test('the number of attachments per item is limited', async () => {
  const item = (await t.as(tokens.userA, { method: 'POST', url: '/api/feedback', payload: { category: 'suggestion', subject: 's', description: 'd' } })).json();
  const limit = t.app.feedback.config.maxAttachmentsPerItem;
  t.app.feedback.config.maxAttachmentsPerItem = 2;
  try {
    assert.equal((await upload('userA', item.id, 'a.png', PNG)).statusCode, 201);
    assert.equal((await upload('userA', item.id, 'b.png', PNG)).statusCode, 201);
    const third = await upload('userA', item.id, 'c.png', PNG);
    assert.equal(third.statusCode, 409);
    assert.equal(code(third), 'feedback.attachment_limit');
  } finally {
    t.app.feedback.config.maxAttachmentsPerItem = limit;
  }
});
