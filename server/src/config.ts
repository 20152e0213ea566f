// Reads the environment once, validates it, and returns the typed configuration passed down to every plugin.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RATE_LIMIT_STORES, type RateLimitStoreName } from './rate-limit.js';

export type Env = 'development' | 'production' | 'test';

export interface Config {
  env: Env;
  host: string;
  port: number;
  logLevel: string;
  dataDir: string;
  /** mysql://user:pass@host:port/db, or undefined for the embedded SQLite file under dataDir */
  databaseUrl: string | undefined;
  stagingDatabaseUrl: string | undefined;
  webDist: string;
  trustProxy: boolean;
  /** bearer token Prometheus scrapes /api/metrics with; unset: the endpoint answers 404 */
  metricsToken: string | undefined;
  demoData: boolean;
  jwt: { secret: string; issuer: string; audience: string; accessTtlSeconds: number };
  refresh: { ttlSeconds: number; cookieName: string; cookieSecure: boolean };
  login: {
    maxFailures: number;
    lockSeconds: number;
    perAccountPerWindow: number;
    perAddressPerWindow: number;
    windowSeconds: number;
  };
  /** argon2id at the OWASP Password Storage Cheat Sheet minimum: m=19 MiB, t=2, p=1 */
  passwordHash: { memoryKiB: number; timeCost: number; parallelism: number };
  shutdownTimeoutMs: number;
  sync: {
    /** node-cron schedule of the ERP sync (seconds field allowed) */
    schedule: string;
    /** start the scheduled sync in this process */
    enabled: boolean;
    batchSize: number;
    leaseSeconds: number;
    /** how long a document may wait for its parent before it is quarantined */
    parentWaitSeconds: number;
    /** a hole in the staging ids younger than this may be a transaction still committing: wait for it */
    gapGraceMs: number;
    /** run the ERP simulator once on a fresh staging store at start (demo) */
    simulateOnStart: boolean;
  };
  /** HMAC keys of ERPs allowed to post batches over HTTP: key id -> secret */
  erpKeys: Record<string, string>;
  erpClockSkewSeconds: number;
  sms: {
    /** 'log' writes each message as a JSON line to logFile instead of sending it (development, test, trials) */
    provider: SmsProviderName;
    logFile: string;
    /** node-cron schedule of the SMS deliverer (seconds field allowed) */
    schedule: string;
    /** run the scheduled deliverer in this process */
    deliver: boolean;
    /** a message that failed this many times is marked failed and no longer retried */
    maxAttempts: number;
    /** the gateway of SMS_PROVIDER=http; undefined for other providers */
    http: { url: string; token: string; timeoutMs: number; retries: number; backoffMs: number } | undefined;
  };
  /** the address customers reach the portal at, printed on contracts for the verification page */
  publicUrl: string;
  seals: {
    /** protects the root key of the portal's CA and, derived from it, every organisation's key */
    caPassphrase: string;
    /** an RFC 3161 timestamp authority: each signature then carries its token (PAdES B-T) */
    tsaUrl: string | undefined;
    tsaTimeoutMs: number;
    /** how often the sealing job retries contracts left in sealing (seconds field allowed) */
    schedule: string;
  };
  customers: {
    /** node-cron schedule of the nightly grading of all customers (seconds field allowed) */
    gradeSchedule: string;
  };
  certificates: {
    /** print rights of a customer quality staff have not decided on (issue 7: default from configuration) */
    defaultPrintAllowed: boolean;
    defaultCopiesPerCertificate: number;
    /** public copy verification and share-link requests per client address per minute */
    publicPerMinute: number;
  };
  surveys: {
    /** node-cron schedule of the job that opens and closes surveys and sends notices and reminders */
    schedule: string;
    /** event-triggered surveys: at most one to a customer in this many days */
    minIntervalDays: number;
    /** event-triggered surveys: how long the customer may answer */
    eventAnswerDays: number;
    /** the reminder goes to those who have not answered this long before the survey closes */
    reminderHours: number;
  };
  feedback: FeedbackConfig;
  rateLimit: {
    /** where the request counts of the limits below (and CERTIFICATE_PUBLIC_PER_MINUTE) live: the portal DB, shared
     * by every instance, or this process's memory (one instance only) */
    store: RateLimitStoreName;
    /** public contract verification requests (by code, or an uploaded PDF) per client address per minute */
    verifyPerMinute: number;
    /** CSV exports and document downloads (contract and certificate PDFs, evidence bundles) per user per minute */
    exportsPerMinute: number;
  };
}

/** Customer feedback (issue 9): attachment limit, response-time targets per category, default quality assignee. */
export interface FeedbackConfig {
  /** largest attachment accepted, in bytes */
  maxAttachmentBytes: number;
  maxAttachmentsPerItem: number;
  /** hours from submission to the mill's first visible answer, per category */
  firstResponseHours: Record<string, number>;
  /** hours from submission to resolution, per category */
  resolutionHours: Record<string, number>;
  /** username of the quality staff member quality objections go to; unset: the least-loaded quality staff member */
  qualityAssignee: string | undefined;
}

/** SMS gateways the notifications plugin can talk to; a real one (e.g. Aliyun SMS) joins this list with its adapter. */
export const SMS_PROVIDERS = ['log', 'http'] as const;
export type SmsProviderName = (typeof SMS_PROVIDERS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

/** The repository root: the nearest folder above this file with a package.json (works from server/src and dist/server/src). */
export const repoRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above ' + import.meta.url + ')');
    dir = up;
  }
  return dir;
})();

export function loadConfig(source: Source = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const str = (name: string, fallback: string) => {
    const v = source[name];
    return v === undefined || v === '' ? fallback : v;
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = source[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean) => {
    const raw = source[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const dbUrl = (name: string) => {
    const raw = source[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      const u = new URL(raw);
      if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
        problems.push(`${name} must be a mysql:// URL (got protocol "${u.protocol}")`);
      } else if (u.pathname.length <= 1) {
        problems.push(`${name} must name a database, e.g. mysql://user:pass@host:3306/portal`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw.replace(/^mariadb:/, 'mysql:');
  };

  const envRaw = str('NODE_ENV', 'development');
  let env: Env = 'development';
  if (envRaw === 'development' || envRaw === 'production' || envRaw === 'test') env = envRaw;
  else problems.push(`NODE_ENV must be development, production or test (got "${envRaw}")`);

  const dataDir = path.resolve(str('DATA_DIR', path.join(repoRoot, 'data')));
  const port = int('PORT', 3000, 0, 65535);
  const host = str('HOST', '0.0.0.0');

  let secret = source.JWT_SECRET ?? '';
  if (secret && secret.length < 32) problems.push('JWT_SECRET must be at least 32 characters');
  if (!secret) {
    if (env === 'production') problems.push('JWT_SECRET is required in production (at least 32 random characters)');
    else if (overrides.jwt === undefined) secret = developmentSecret(dataDir);
  }

  const config: Config = {
    env,
    host,
    port,
    logLevel: str('LOG_LEVEL', env === 'test' ? 'silent' : 'info'),
    dataDir,
    databaseUrl: dbUrl('DATABASE_URL'),
    stagingDatabaseUrl: dbUrl('STAGING_DATABASE_URL'),
    webDist: path.resolve(str('WEB_DIST', path.join(repoRoot, 'web', 'dist'))),
    trustProxy: bool('TRUST_PROXY', false),
    metricsToken: source.METRICS_TOKEN || undefined,
    demoData: bool('DEMO_DATA', env !== 'production'),
    jwt: {
      secret,
      issuer: str('JWT_ISSUER', 'steel-sales-portal'),
      audience: str('JWT_AUDIENCE', 'steel-sales-portal-api'),
      accessTtlSeconds: int('ACCESS_TOKEN_TTL_SECONDS', 15 * 60, 60, 24 * 3600),
    },
    refresh: {
      ttlSeconds: int('REFRESH_TOKEN_TTL_SECONDS', 7 * 24 * 3600, 300, 90 * 24 * 3600),
      cookieName: 'ssp_refresh',
      cookieSecure: bool('COOKIE_SECURE', env === 'production'),
    },
    login: {
      maxFailures: int('LOGIN_MAX_FAILURES', 5, 1, 100),
      lockSeconds: int('LOGIN_LOCK_SECONDS', 15 * 60, 1, 24 * 3600),
      perAccountPerWindow: int('LOGIN_PER_ACCOUNT_PER_MINUTE', 10, 1, 10_000),
      perAddressPerWindow: int('LOGIN_PER_ADDRESS_PER_MINUTE', 30, 1, 100_000),
      windowSeconds: 60,
    },
    passwordHash: {
      memoryKiB: int('PASSWORD_HASH_MEMORY_KIB', 19 * 1024, 19 * 1024, 1024 * 1024),
      timeCost: int('PASSWORD_HASH_TIME_COST', 2, 2, 20),
      parallelism: 1,
    },
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 120_000),
    sync: {
      schedule: str('SYNC_SCHEDULE', '*/2 * * * * *'),
      enabled: bool('SYNC_ENABLED', true),
      batchSize: int('SYNC_BATCH_SIZE', 1000, 1, 20_000),
      leaseSeconds: int('SYNC_LEASE_SECONDS', 30, 1, 3600),
      parentWaitSeconds: int('ERP_PARENT_WAIT_SECONDS', 24 * 3600, 0, 30 * 24 * 3600),
      gapGraceMs: int('SYNC_GAP_GRACE_MS', 3000, 0, 600_000),
      simulateOnStart: bool('ERP_SIMULATE_ON_START', env === 'development'),
    },
    erpKeys: erpKeys(source.ERP_HMAC_KEYS, problems),
    erpClockSkewSeconds: int('ERP_CLOCK_SKEW_SECONDS', 300, 1, 3600),
    sms: {
      provider: smsProvider(str('SMS_PROVIDER', 'log'), problems),
      logFile: path.resolve(dataDir, str('SMS_LOG_FILE', 'sms.log')),
      schedule: str('SMS_SCHEDULE', '*/5 * * * * *'),
      deliver: bool('SMS_DELIVER', true),
      maxAttempts: int('SMS_MAX_ATTEMPTS', 5, 1, 100),
      http: smsHttp(source, str('SMS_PROVIDER', 'log'), int, problems),
    },
    publicUrl: publicUrl(str('PUBLIC_URL', `http://localhost:${port}`), problems),
    seals: {
      caPassphrase: caPassphrase(source.CA_PASSPHRASE, env, dataDir, problems),
      tsaUrl: optionalHttpUrl('TSA_URL', source.TSA_URL, problems),
      tsaTimeoutMs: int('TSA_TIMEOUT_MS', 10_000, 100, 60_000),
      schedule: str('SEAL_SCHEDULE', '*/30 * * * * *'),
    },
    customers: {
      // Nightly, after the ERP's end-of-day balances have been synced.
      gradeSchedule: str('CUSTOMER_GRADE_SCHEDULE', '30 1 * * *'),
    },
    certificates: {
      defaultPrintAllowed: bool('CERTIFICATE_PRINT_ALLOWED', true),
      defaultCopiesPerCertificate: int('CERTIFICATE_COPIES_PER_CERTIFICATE', 3, 1, 50),
      publicPerMinute: int('CERTIFICATE_PUBLIC_PER_MINUTE', 30, 1, 1_000_000),
    },
    surveys: {
      schedule: str('SURVEY_SCHEDULE', '30 * * * * *'),
      minIntervalDays: int('SURVEY_MIN_INTERVAL_DAYS', 30, 0, 365),
      eventAnswerDays: int('SURVEY_EVENT_ANSWER_DAYS', 14, 1, 90),
      reminderHours: int('SURVEY_REMINDER_HOURS', 48, 1, 720),
    },
    feedback: {
      maxAttachmentBytes: int('FEEDBACK_ATTACHMENT_MAX_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
      maxAttachmentsPerItem: int('FEEDBACK_ATTACHMENTS_PER_ITEM', 20, 1, 200),
      // Quality objections first: a mill's quality department answers an objection within a working day.
      firstResponseHours: hoursPerCategory('FEEDBACK_FIRST_RESPONSE_HOURS', source.FEEDBACK_FIRST_RESPONSE_HOURS, { quality_objection: 8, delivery: 8, documents: 24, service: 24, suggestion: 72 }, problems),
      resolutionHours: hoursPerCategory('FEEDBACK_RESOLUTION_HOURS', source.FEEDBACK_RESOLUTION_HOURS, { quality_objection: 120, delivery: 48, documents: 72, service: 72, suggestion: 240 }, problems),
      qualityAssignee: source.FEEDBACK_QUALITY_ASSIGNEE || undefined,
    },
    rateLimit: {
      store: rateLimitStore(str('RATE_LIMIT_STORE', 'database'), problems),
      verifyPerMinute: int('CONTRACT_VERIFY_PER_MINUTE', 30, 1, 1_000_000),
      exportsPerMinute: int('EXPORTS_PER_MINUTE', 30, 1, 1_000_000),
    },
    ...overrides,
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** For entry points (server, scripts): the configuration, or a clear message per bad value and exit 1. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/** ERP_HMAC_KEYS="erp1:secret,erp2:secret": the keys ERPs sign HTTP batches with (at least 32 characters each). */
function erpKeys(raw: string | undefined, problems: string[]): Record<string, string> {
  const keys: Record<string, string> = {};
  if (!raw) return keys;
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf(':');
    const id = i > 0 ? part.slice(0, i) : '';
    const secret = i > 0 ? part.slice(i + 1) : '';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id) || secret.length < 32) {
      problems.push('ERP_HMAC_KEYS must be "keyId:secret" pairs separated by commas, each secret at least 32 characters');
      continue;
    }
    keys[id] = secret;
  }
  return keys;
}

function smsProvider(raw: string, problems: string[]): SmsProviderName {
  if ((SMS_PROVIDERS as readonly string[]).includes(raw)) return raw as SmsProviderName;
  problems.push(`SMS_PROVIDER must be one of ${SMS_PROVIDERS.join(', ')} (got "${raw}")`);
  return 'log';
}

/** SMS_HTTP_URL (http or https), SMS_HTTP_TOKEN, SMS_HTTP_TIMEOUT_MS, SMS_HTTP_RETRIES, SMS_HTTP_BACKOFF_MS. */
function smsHttp(
  source: Source,
  provider: string,
  int: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
): Config['sms']['http'] {
  if (provider !== 'http') return undefined;
  const url = source.SMS_HTTP_URL ?? '';
  try {
    if (!['http:', 'https:'].includes(new URL(url).protocol)) problems.push('SMS_HTTP_URL must be an http:// or https:// URL');
  } catch {
    problems.push('SMS_PROVIDER=http needs SMS_HTTP_URL, the gateway\'s URL');
  }
  // Three tries of at most 10 s plus waits stay inside the deliverer's 60 s claim.
  return {
    url,
    token: source.SMS_HTTP_TOKEN ?? '',
    timeoutMs: int('SMS_HTTP_TIMEOUT_MS', 10_000, 100, 15_000),
    retries: int('SMS_HTTP_RETRIES', 2, 0, 2),
    backoffMs: int('SMS_HTTP_BACKOFF_MS', 1000, 0, 5000),
  };
}

function rateLimitStore(raw: string, problems: string[]): RateLimitStoreName {
  if ((RATE_LIMIT_STORES as readonly string[]).includes(raw)) return raw as RateLimitStoreName;
  problems.push(`RATE_LIMIT_STORE must be one of ${RATE_LIMIT_STORES.join(', ')} (got "${raw}")`);
  return 'database';
}

function publicUrl(raw: string, problems: string[]): string {
  try {
    const u = new URL(raw);
    if (!['http:', 'https:'].includes(u.protocol)) problems.push('PUBLIC_URL must be an http:// or https:// URL');
  } catch {
    problems.push(`PUBLIC_URL is not a valid URL (got "${raw}")`);
  }
  return raw.replace(/\/+$/, '');
}

function optionalHttpUrl(name: string, raw: string | undefined, problems: string[]): string | undefined {
  if (!raw) return undefined;
  try {
    if (!['http:', 'https:'].includes(new URL(raw).protocol)) problems.push(`${name} must be an http:// or https:// URL`);
  } catch {
    problems.push(`${name} is not a valid URL (got "${raw}")`);
  }
  return raw;
}

/** CA_PASSPHRASE: required in production (at least 16 characters); in development generated once under data/. */
function caPassphrase(raw: string | undefined, env: Env, dataDir: string, problems: string[]): string {
  if (raw) {
    if (raw.length < 16) problems.push('CA_PASSPHRASE must be at least 16 characters');
    return raw;
  }
  if (env === 'production') {
    problems.push('CA_PASSPHRASE is required in production (at least 16 characters): it protects the keys of the electronic seals');
    return '';
  }
  if (env === 'test') return 'test-ca-passphrase-not-secret';
  return keptSecret(dataDir, 'ca-passphrase');
}

/** In development a JWT secret is generated once and kept under data/, so restarts keep sessions. */
function developmentSecret(dataDir: string): string {
  return keptSecret(dataDir, 'jwt-secret');
}

function keptSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

/** "quality_objection:8,delivery:12": hours per feedback category; categories not named keep their default. */
function hoursPerCategory(name: string, raw: string | undefined, defaults: Record<string, number>, problems: string[]): Record<string, number> {
  const out = { ...defaults };
  if (!raw) return out;
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [cat, hours] = part.split(':');
    const n = Number(hours);
    if (!(cat in defaults) || !Number.isInteger(n) || n < 1 || n > 24 * 365) {
      problems.push(`${name} must be "category:hours" pairs (categories ${Object.keys(defaults).join(', ')}; hours 1-8760), got "${part}"`);
      continue;
    }
    out[cat] = n;
  }
  return out;
}
