// The servers under load: the real portal app (buildApp) and a bare node:http server answering the same JSON.
// Each runs in a child process by default so that autocannon (in the bench process) and the server do not share
// one event loop; BENCH_INPROCESS=1 runs them inside the bench process instead.
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

export type TargetSpec =
  | {
      kind: 'portal';
      dataDir: string;
      jwtSecret: string;
      /** mysql:// URLs with a database name; both undefined for SQLite files under dataDir */
      databaseUrl?: string;
      stagingDatabaseUrl?: string;
      /** run the scheduled jobs (the ERP sync on its default schedule) as `npm start` does */
      jobs?: boolean;
      /** more environment for the portal's configuration, e.g. a rate limit the load must not trip */
      env?: Record<string, string>;
      /** serve the production build compiled into this directory (tsc -p tsconfig.build.json) instead of the sources */
      build?: string;
    }
  | {
      kind: 'bare';
      /** the body GET /api/me answers (the portal's own answer, captured before) */
      meBody?: string;
    };

export interface Target {
  url: string;
  /** the process serving it */
  pid: number;
  stop(): Promise<void>;
}

export interface LocalTarget {
  port: number;
  stop(): Promise<void>;
}

/** The bench-only route: schema-validated query and response, public, no database. */
/** Production config needs a CA passphrase; the bench's throwaway databases need no secret one. */
export const BENCH_CA_PASSPHRASE = 'bench-ca-passphrase-not-secret';

export const ECHO_PATH = '/api/bench/echo';

/** Generous sign-in limits: the bench signs in 20 times a second from one address. */
export const BENCH_LOGIN_LIMITS = {
  maxFailures: 5,
  lockSeconds: 900,
  perAccountPerWindow: 1_000_000,
  perAddressPerWindow: 1_000_000,
  windowSeconds: 60,
};

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** A node:http server doing the least a server can: route by path, parse the query, answer JSON. */
export async function startBareLocal(spec: Extract<TargetSpec, { kind: 'bare' }>): Promise<LocalTarget> {
  const json = 'application/json; charset=utf-8';
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (req.method === 'GET' && pathname === ECHO_PATH) {
      const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
      const x = params.get('x');
      const n = Number(params.get('n') ?? '0');
      if (x === null || !Number.isInteger(n)) {
        res.writeHead(400, { 'content-type': json });
        res.end('{"error":{"code":"validation","message":"bad query"}}');
        return;
      }
      res.writeHead(200, { 'content-type': json });
      res.end(JSON.stringify({ x, n }));
      return;
    }
    if (req.method === 'GET' && pathname === '/api/me' && spec.meBody) {
      if (!req.headers.authorization?.startsWith('Bearer ')) {
        res.writeHead(401, { 'content-type': json });
        res.end('{"error":{"code":"auth.unauthenticated","message":"Sign in first"}}');
        return;
      }
      res.writeHead(200, { 'content-type': json, 'cache-control': 'no-store' });
      res.end(spec.meBody);
      return;
    }
    res.writeHead(404, { 'content-type': json });
    res.end('{"error":{"code":"not_found","message":"no route"}}');
  });
  const port = await listen(server);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The real app as production builds it (argon2id at the OWASP settings, no logging), plus the echo route. */
export async function startPortalLocal(spec: Extract<TargetSpec, { kind: 'portal' }>): Promise<LocalTarget> {
  // The compiled modules have the sources' types; only where they are loaded from differs.
  const from = <T>(module: string, source: () => Promise<T>): Promise<T> => (spec.build ? import(pathToFileURL(path.join(spec.build, 'server/src', module)).href) : source());
  const { buildApp } = await from('app.js', () => import('../../server/src/app.js'));
  const { loadConfig } = await from('config.js', () => import('../../server/src/config.js'));
  const { loadDemoData } = await from('demo.js', () => import('../../server/src/demo.js'));
  const { allow } = await from('plugins/access.js', () => import('../../server/src/plugins/access.js'));
  const { withErrors } = await from('http.js', () => import('../../server/src/http.js'));
  const { Type } = await import('typebox');

  const config = loadConfig(
    {
      NODE_ENV: 'production',
      DATA_DIR: spec.dataDir,
      JWT_SECRET: spec.jwtSecret,
      CA_PASSPHRASE: BENCH_CA_PASSPHRASE,
      DATABASE_URL: spec.databaseUrl,
      STAGING_DATABASE_URL: spec.stagingDatabaseUrl,
      LOG_LEVEL: 'silent',
      ...spec.env,
    },
    { login: BENCH_LOGIN_LIMITS },
  );
  const app = await buildApp({ config, migrate: true, startJobs: spec.jobs ?? false });
  app.withTypeProvider<import('@fastify/type-provider-typebox').TypeBoxTypeProvider>().get(
    ECHO_PATH,
    {
      config: { access: allow.public('benchmark') },
      schema: {
        querystring: Type.Object(
          { x: Type.String({ minLength: 1, maxLength: 64 }), n: Type.Optional(Type.Integer({ minimum: 0, default: 0 })) },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ x: Type.String(), n: Type.Integer() }) }),
      },
    },
    async (request) => ({ x: request.query.x, n: request.query.n ?? 0 }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  await loadDemoData(app.db, config);
  return { port: (app.server.address() as AddressInfo).port, stop: () => app.close() };
}

export function startLocal(spec: TargetSpec): Promise<LocalTarget> {
  return spec.kind === 'portal' ? startPortalLocal(spec) : startBareLocal(spec);
}

const inProcess = process.env.BENCH_INPROCESS === '1';
export const targetMode = inProcess ? 'in-process' : 'child-process';

/** Starts a target and returns its base URL. */
export async function startTarget(spec: TargetSpec): Promise<Target> {
  if (inProcess) {
    const t = await startLocal(spec);
    return { url: `http://127.0.0.1:${t.port}`, pid: process.pid, stop: t.stop };
  }
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'target-child.ts'), [JSON.stringify(spec)], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // The bench's stdout carries only the JSON lines.
  child.stdout?.pipe(process.stderr);
  child.stderr?.pipe(process.stderr);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number; error?: string }) => {
      if (m.port) resolve(m.port);
      else reject(new Error(`${spec.kind} target failed to start: ${m.error}`));
    });
    child.once('exit', (code) => reject(new Error(`${spec.kind} target exited with code ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ stop: true });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
