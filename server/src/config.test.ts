// Configuration is validated at start, with one clear message per bad or missing value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './config.js';

test('production refuses to start without a JWT secret', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }), (e: unknown) => e instanceof ConfigError && e.message.includes('JWT_SECRET is required'));
});

test('every bad value is reported at once, each with its name', () => {
  try {
    loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short', PORT: 'eighty', DATABASE_URL: 'postgres://x/y', LOGIN_MAX_FAILURES: '0' });
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const text = e.problems.join('\n');
    for (const name of ['JWT_SECRET', 'PORT', 'DATABASE_URL', 'LOGIN_MAX_FAILURES']) assert.match(text, new RegExp(name));
  }
});

test('a database URL must name its database', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'development', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'c-')), DATABASE_URL: 'mysql://u:p@db:3306' }), /must name a database/);
});

test('in development a JWT secret is generated once and kept under the data directory', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
  const a = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
  const b = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
  assert.equal(a.jwt.secret, b.jwt.secret);
  assert.ok(a.jwt.secret.length >= 32);
  assert.equal(readFileSync(path.join(dir, 'jwt-secret'), 'utf8').trim(), a.jwt.secret);
});

test('the password hash cannot be configured below the OWASP minimum', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), PASSWORD_HASH_MEMORY_KIB: '4096' }), /PASSWORD_HASH_MEMORY_KIB/);
});

test('SMS go to the log provider under the data directory unless configured, and an unknown provider is refused', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
  const cfg = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
  assert.equal(cfg.sms.provider, 'log');
  assert.equal(cfg.sms.logFile, path.join(dir, 'sms.log'));
  assert.equal(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, SMS_LOG_FILE: '/var/log/portal-sms.log' }).sms.logFile, '/var/log/portal-sms.log');
  assert.throws(() => loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, SMS_PROVIDER: 'carrier-pigeon' }), /SMS_PROVIDER must be one of log/);
});
