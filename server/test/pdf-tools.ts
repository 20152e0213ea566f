// Test helpers around the real PDF tools (poppler-utils, NSS certutil): a temporary folder per test file, pdftotext,
// and an NSS database trusting the portal's CA root, as a relying party would set one up to run pdfsig.
import { after, before } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/** A temporary folder made before the file's tests and removed after them. */
export function useTempDir(prefix: string): { readonly path: string; write(name: string, data: Buffer | string): string } {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), prefix));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    get path() {
      return dir;
    },
    write(name, data) {
      const file = path.join(dir, name);
      writeFileSync(file, data);
      return file;
    },
  };
}

export const pdftotext = (file: string) => execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });

/** An NSS database under `dir` trusting the root the portal serves at /api/seals/root.pem (for `pdfsig -nssdir`). */
export async function trustPortalRoot(app: FastifyInstance, dir: string): Promise<string> {
  const nssDir = path.join(dir, 'nss');
  mkdirSync(nssDir, { recursive: true });
  execFileSync('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
  const root = await app.inject({ method: 'GET', url: '/api/seals/root.pem' });
  if (root.statusCode !== 200) throw new Error(`the portal did not serve its root: ${root.statusCode}`);
  writeFileSync(path.join(dir, 'root.pem'), root.body);
  execFileSync('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'portal-root', '-t', 'CT,C,C', '-i', path.join(dir, 'root.pem')]);
  return nssDir;
}
