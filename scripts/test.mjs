// `npm test`: type checks, every server test on SQLite and on a MariaDB server it starts itself, then the browser tests.
// With CI=true a missing MariaDB or Chromium fails the run instead of skipping those parts.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { findMariadbd, startMariadb } from './lib/mariadb.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CI = process.env.CI === 'true';
const filters = process.argv.slice(2);
const only = (process.env.TEST_ONLY ?? 'typecheck,sqlite,mariadb,browser').split(',');
const totals = { pass: 0, fail: 0, skipped: 0 };
const problems = [];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

function run(cmd, args, env = {}, { count = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      tail = (tail + d).slice(-4000);
    });
    child.on('exit', (code) => {
      if (count) {
        const n = (k) => Number(new RegExp(`ℹ ${k} (\\d+)`).exec(tail)?.[1] ?? 0);
        totals.pass += n('pass');
        totals.fail += n('fail') + n('cancelled');
        totals.skipped += n('skipped');
      }
      resolve(code ?? 1);
    });
  });
}

async function nodeTests(label, files, env) {
  if (!files.length) return;
  console.log(`\n=== ${label}: ${files.length} test files ===`);
  const code = await run(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
    env,
    { count: true },
  );
  if (code !== 0) problems.push(`${label} failed (exit ${code})`);
}

const all = [...walk(path.join(root, 'server')), ...walk(path.join(root, 'shared')), ...walk(path.join(root, 'scripts'))];
const pick = (files) => (filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files);
const serverFiles = pick(all);
const browserFiles = pick(existsSync(path.join(root, 'web', 'e2e')) ? walk(path.join(root, 'web', 'e2e')) : []);

if (only.includes('typecheck') && !filters.length) {
  console.log('=== type check ===');
  if ((await run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'])) !== 0) problems.push('server type check failed');
  if ((await run('npx', ['vue-tsc', '-p', 'web/tsconfig.json', '--noEmit'])) !== 0) problems.push('web type check failed');
}

if (only.includes('sqlite')) await nodeTests('server tests on SQLite', serverFiles, { TEST_DB: 'sqlite', NODE_ENV: 'test' });

if (only.includes('mariadb') && serverFiles.length) {
  if (!findMariadbd()) {
    if (CI) problems.push('MariaDB is not installed (mariadbd missing) and CI=true: the MariaDB tests cannot be skipped');
    else console.log('\n!!! mariadbd not found: skipping the MariaDB run (apt-get install mariadb-server)');
  } else {
    const server = await startMariadb({ log: console.log });
    try {
      await nodeTests('server tests on MariaDB', serverFiles, { TEST_DB: 'mariadb', TEST_MARIADB_URL: server.url, NODE_ENV: 'test' });
    } finally {
      await server.stop();
    }
  }
}

if (only.includes('browser') && browserFiles.length) {
  if (!existsSync('/usr/bin/chromium')) {
    if (CI) problems.push('Chromium is not installed (/usr/bin/chromium missing) and CI=true: the browser tests cannot be skipped');
    else console.log('\n!!! /usr/bin/chromium not found: skipping the browser tests (apt-get install chromium)');
  } else {
    console.log('\n=== building the web portal for the browser tests ===');
    if ((await run('npm', ['run', '--silent', 'build:web'])) !== 0) problems.push('web build failed');
    else await nodeTests('browser tests (Chromium)', browserFiles, { TEST_DB: 'sqlite', NODE_ENV: 'test' });
  }
}

console.log('');
for (const p of problems) console.log(`FAILED: ${p}`);
if (problems.length && totals.fail === 0) totals.fail = problems.length;
console.log(`total: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(problems.length || totals.fail ? 1 : 0);
