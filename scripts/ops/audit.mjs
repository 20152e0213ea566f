// Dependency check run by CI before the tests (`node scripts/ops/audit.mjs`):
//   1. no --legacy-peer-deps anywhere (.npmrc, package.json): peer dependencies are resolved, not ignored;
//   2. `npm ls --omit=dev --all` is clean: the installed production tree is the one package-lock.json describes;
//   3. `npm audit --omit=dev` reports no high or critical advisory.
// When the registry's advisory service cannot be reached (some networks proxy the registry for GET only, and the
// audit is a POST), step 3 says so loudly and passes, unless AUDIT_REQUIRED=true, so an unreachable service is
// never mistaken for a clean report.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const fail = (msg) => {
  console.error(`audit: FAILED: ${msg}`);
  process.exit(1);
};

for (const file of ['.npmrc', 'package.json']) {
  const p = path.join(root, file);
  if (existsSync(p) && /legacy-peer-deps/.test(readFileSync(p, 'utf8'))) fail(`${file} sets legacy-peer-deps`);
}

const ls = spawnSync('npm', ['ls', '--omit=dev', '--all'], { cwd: root, encoding: 'utf8' });
if (ls.status !== 0) fail(`npm ls --omit=dev reports an inconsistent tree:\n${ls.stderr || ls.stdout}`);
console.log('audit: production dependency tree consistent (npm ls --omit=dev --all)');

const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
let report;
try {
  report = JSON.parse(audit.stdout);
} catch {
  report = { message: (audit.stderr || audit.stdout || 'no output').trim().split('\n').pop() };
}
if (report.metadata?.vulnerabilities) {
  const v = report.metadata.vulnerabilities;
  console.log(`audit: npm audit --omit=dev: ${JSON.stringify(v)}`);
  const bad = Object.entries(report.vulnerabilities ?? {}).filter(([, x]) => x.severity === 'high' || x.severity === 'critical');
  if (bad.length) fail(`high or critical advisories in production dependencies: ${bad.map(([name, x]) => `${name} (${x.severity})`).join(', ')}`);
  console.log('audit: no high or critical advisory');
} else {
  const why = report.message ?? report.error?.summary ?? 'unknown error';
  const msg = `npm audit could not reach the registry's advisory service (${why}): advisories were NOT checked`;
  if (process.env.AUDIT_REQUIRED === 'true') fail(msg);
  console.warn(`audit: WARNING: ${msg}`);
}
