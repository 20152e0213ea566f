// The operator's configuration reference (docs/operations.md §2) names every environment variable the server reads,
// so a new setting cannot ship undocumented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './config.js';

test('docs/operations.md documents every environment variable config.ts reads', () => {
  const source = readFileSync(path.join(repoRoot, 'server/src/config.ts'), 'utf8');
  const names = new Set<string>();
  for (const m of source.matchAll(/\b(?:str|int|bool|dbUrl)\('([A-Z][A-Z0-9_]+)'/g)) names.add(m[1]);
  for (const m of source.matchAll(/\bsource\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]);
  for (const m of source.matchAll(/'(SMS_HTTP_[A-Z_]+)'/g)) names.add(m[1]);
  assert.ok(names.size > 50, `found ${names.size} variables: the patterns above no longer match config.ts`);
  const reference = readFileSync(path.join(repoRoot, 'docs/operations.md'), 'utf8');
  const section = reference.slice(reference.indexOf('## 2. Configuration'), reference.indexOf('## 3. '));
  const missing = [...names].filter((n) => !section.includes('`' + n + '`')).sort();
  assert.deepEqual(missing, [], 'variables missing from docs/operations.md §2');
});
