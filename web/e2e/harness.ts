// Browser test harness: a real portal (built web, fresh database with the demo data) on a free port,
// and Debian's Chromium driven by playwright-core.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/src/app.js';
import { repoRoot } from '../../server/src/config.js';
import { loadDemoData } from '../../server/src/demo.js';
import { createStores, testConfig, type Stores } from '../../server/test/helpers.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export interface Portal {
  url: string;
  app: FastifyInstance;
  stores: Stores;
  browser: Browser;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Pages report policy violations on the console; any of them fails the test file when the portal closes. */
const CSP_VIOLATION = /Content Security Policy|Refused to (load|execute|apply|connect|frame)/i;

export async function startPortal(): Promise<Portal> {
  const webDist = path.join(repoRoot, 'web', 'dist');
  if (!existsSync(path.join(webDist, 'index.html'))) throw new Error('web/dist is missing: run `npm run build:web` first');
  const stores = await createStores();
  const config = { ...testConfig(), webDist };
  const app = await buildApp({ config, db: stores.db, staging: stores.staging, migrate: true });
  await loadDemoData(app.db, config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const violations: string[] = [];
  return {
    url,
    app,
    stores,
    browser,
    async newPage() {
      const context = await browser.newContext({ baseURL: url, viewport: { width: 1366, height: 860 } });
      // The browser reports a blocked resource as an event; echo it to the console where the test collects it.
      await context.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (e) =>
          console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`),
        ),
      );
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('console', (m) => {
        if (CSP_VIOLATION.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await browser.close();
      await app.close();
      await stores.cleanup();
      if (violations.length) throw new Error(`the page broke the Content-Security-Policy:\n${violations.join('\n')}`);
    },
  };
}

/** The text input of an Element Plus field, whichever element carries the test id. */
export function field(page: Page, testId: string) {
  return page.locator(`input[data-testid="${testId}"], [data-testid="${testId}"] input`).first();
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await field(page, 'login-username').fill(username);
  await field(page, 'login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}
