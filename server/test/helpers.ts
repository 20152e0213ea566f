// Test fixtures: a fresh portal DB and staging store per test file (SQLite or the MariaDB the runner started), the app, and small factories.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Knex } from 'knex';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createKnex, nowDb } from '../src/db/knex.js';
import { hashPassword } from '../src/modules/auth/passwords.js';
import type { Role } from '../../shared/roles.js';

export const TEST_DB = (process.env.TEST_DB ?? 'sqlite') as 'sqlite' | 'mariadb';
export const TEST_PASSWORD = 'Test-pass-1';

/** Cheap hashing keeps fixtures fast; the OWASP settings themselves are tested in the auth tests. */
export const FAST_HASH = { memoryKiB: 1024, timeCost: 1, parallelism: 1 };

export interface Stores {
  db: Knex;
  staging: Knex;
  /** the URL or file each store lives at, for child processes */
  portalTarget: { url: string | undefined; sqliteFile: string };
  stagingTarget: { url: string | undefined; sqliteFile: string };
  cleanup(): Promise<void>;
}

/** Creates two empty databases (portal and staging) on the database under test. */
export async function createStores(): Promise<Stores> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ssp-test-'));
  if (TEST_DB === 'mariadb') {
    const root = process.env.TEST_MARIADB_URL;
    if (!root) throw new Error('TEST_DB=mariadb needs TEST_MARIADB_URL (the test runner starts MariaDB and sets it)');
    const name = `t_${randomBytes(5).toString('hex')}`;
    const admin = createKnex({ url: `${root}/mysql`, sqliteFile: '' }, { max: 1 });
    await admin.raw(`create database ${name} character set utf8mb4 collate utf8mb4_unicode_ci`);
    await admin.raw(`create database ${name}_stg character set utf8mb4 collate utf8mb4_unicode_ci`);
    const portalTarget = { url: `${root}/${name}`, sqliteFile: '' };
    const stagingTarget = { url: `${root}/${name}_stg`, sqliteFile: '' };
    const db = createKnex(portalTarget);
    const staging = createKnex(stagingTarget);
    return {
      db,
      staging,
      portalTarget,
      stagingTarget,
      async cleanup() {
        await db.destroy();
        await staging.destroy();
        await admin.raw(`drop database if exists ${name}`);
        await admin.raw(`drop database if exists ${name}_stg`);
        await admin.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const portalTarget = { url: undefined, sqliteFile: path.join(dir, 'portal.sqlite') };
  const stagingTarget = { url: undefined, sqliteFile: path.join(dir, 'staging.sqlite') };
  const db = createKnex(portalTarget);
  const staging = createKnex(stagingTarget);
  return {
    db,
    staging,
    portalTarget,
    stagingTarget,
    async cleanup() {
      await db.destroy();
      await staging.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ssp-data-'));
  return loadConfig(
    { NODE_ENV: 'test', DATA_DIR: dataDir, WEB_DIST: path.join(dataDir, 'no-web'), LOG_LEVEL: process.env.TEST_LOG_LEVEL },
    {
      jwt: { secret: randomBytes(32).toString('hex'), issuer: 'steel-sales-portal', audience: 'steel-sales-portal-api', accessTtlSeconds: 900 },
      passwordHash: FAST_HASH,
      // Tests sign in often from one address; the rate-limit tests use the production limits explicitly.
      login: { maxFailures: 5, lockSeconds: 900, perAccountPerWindow: 10_000, perAddressPerWindow: 10_000, windowSeconds: 60 },
      ...overrides,
    },
  );
}

export interface TestApp {
  app: FastifyInstance;
  db: Knex;
  stores: Stores;
  config: Config;
  close(): Promise<void>;
  /** signs in and returns the access token and refresh cookie */
  signIn(username: string, password?: string, ip?: string): Promise<{ token: string; cookie: string; res: LightMyRequestResponse }>;
  /** an authenticated request */
  as(token: string, opts: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function createTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const stores = await createStores();
  const config = testConfig(overrides);
  const app = await buildApp({ config, db: stores.db, staging: stores.staging, migrate: true });
  await app.ready();
  return {
    app,
    db: stores.db,
    stores,
    config,
    async close() {
      await app.close();
      await stores.cleanup();
    },
    async signIn(username, password = TEST_PASSWORD, ip = '10.0.0.1') {
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress: ip });
      if (res.statusCode !== 200) throw new Error(`sign-in of ${username} failed: ${res.statusCode} ${res.body}`);
      const c = res.cookies.find((x) => x.name === config.refresh.cookieName);
      return { token: res.json().accessToken as string, cookie: c ? `${c.name}=${c.value}` : '', res };
    },
    as(token, opts) {
      return app.inject({ ...opts, headers: { ...(opts.headers ?? {}), authorization: `Bearer ${token}` } });
    },
  };
}

let seq = 0;
const unique = (prefix: string) => `${prefix}${process.pid}${++seq}`;

export async function makeOrganisation(
  db: Knex,
  o: Partial<{ kind: 'mill' | 'customer'; code: string; name: string; accountManagerId: number | null; active: boolean }> = {},
): Promise<number> {
  const now = nowDb();
  const [id] = await db('organisations').insert({
    kind: o.kind ?? 'customer',
    code: o.code ?? unique('C'),
    name: o.name ?? unique('测试客户'),
    short_name: null,
    credit_code: null,
    province: '江苏省',
    city: '苏州市',
    address: null,
    account_manager_id: o.accountManagerId ?? null,
    active: o.active ?? true,
    created_at: now,
    updated_at: now,
  });
  return Number(id);
}

let cachedHash: Promise<string> | null = null;
export async function makeUser(
  db: Knex,
  u: {
    organisationId: number;
    role: Role;
    username?: string;
    active?: boolean;
    phone?: string | null;
    canAnswer?: boolean;
    canSign?: boolean;
    canPrint?: boolean;
    /** defaults to canSign: a signer's phone is verified */
    phoneVerified?: boolean;
    mustChangePassword?: boolean;
  },
): Promise<{ id: number; username: string }> {
  cachedHash ??= hashPassword(TEST_PASSWORD, FAST_HASH);
  const now = nowDb();
  const username = u.username ?? unique('user');
  const [id] = await db('users').insert({
    organisation_id: u.organisationId,
    username,
    display_name: username,
    role: u.role,
    phone: u.phone === undefined ? '13800138000' : u.phone,
    phone_verified_at: (u.phoneVerified ?? u.canSign ?? false) ? now : null,
    can_answer: u.canAnswer ?? false,
    must_change_password: u.mustChangePassword ?? false,
    can_sign: u.canSign ?? false,
    can_print: u.canPrint ?? false,
    password_hash: await cachedHash,
    active: u.active ?? true,
    created_at: now,
    updated_at: now,
  });
  return { id: Number(id), username };
}

/** The mill, two customers with a user each, and one staff user per role: the cast most tests need. */
export async function makeWorld(db: Knex) {
  const mill = await makeOrganisation(db, { kind: 'mill', code: 'MILL', name: '测试钢铁' });
  const admin = await makeUser(db, { organisationId: mill, role: 'admin' });
  const salesManager = await makeUser(db, { organisationId: mill, role: 'sales_manager' });
  const accountManager = await makeUser(db, { organisationId: mill, role: 'account_manager' });
  const quality = await makeUser(db, { organisationId: mill, role: 'quality_staff' });
  const customerA = await makeOrganisation(db, { accountManagerId: accountManager.id });
  const customerB = await makeOrganisation(db);
  const userA = await makeUser(db, { organisationId: customerA, role: 'customer_user' });
  const adminA = await makeUser(db, { organisationId: customerA, role: 'customer_admin', canSign: true });
  const userB = await makeUser(db, { organisationId: customerB, role: 'customer_user' });
  const adminB = await makeUser(db, { organisationId: customerB, role: 'customer_admin' });
  return { mill, admin, salesManager, accountManager, quality, customerA, customerB, userA, adminA, userB, adminB };
}

/** A TCP port free on the loopback at this moment, for a server process a test starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
