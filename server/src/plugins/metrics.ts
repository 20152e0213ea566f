// /api/metrics in the Prometheus text format: request rates and latencies per route, the event loop's delay, and
// the portal's queues read at scrape time (sync lag and backlog, ERP outbox depth, quarantine size, SMS outbox).
import { timingSafeEqual } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { INBOUND_INTERFACES, inboundTable } from '../../../shared/erp/interfaces.js';
import { NotFound, Unauthorized } from '../errors.js';
import { allow } from './access.js';

/** Upper bounds in seconds; the targets (100, 250, 500 ms) are bucket edges so their shares can be read off. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

/** Per (method, route pattern, status code) request counts and latency histograms, in this process. */
export class RequestMetrics {
  private readonly series = new Map<string, Series>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method}\u0000${route}\u0000${status}`;
    let s = this.series.get(key);
    if (!s) {
      s = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) s.buckets[i]!++;
  }

  render(): string[] {
    const out = [
      '# HELP ssp_http_requests_total Requests answered, by method, route and status.',
      '# TYPE ssp_http_requests_total counter',
    ];
    const hist = [
      '# HELP ssp_http_request_duration_seconds Time from request to response, by method and route.',
      '# TYPE ssp_http_request_duration_seconds histogram',
    ];
    const byRoute = new Map<string, Series>();
    for (const [key, s] of this.series) {
      const [method, route, status] = key.split('\u0000') as [string, string, string];
      out.push(`ssp_http_requests_total{${labels({ method, route, status })}} ${s.count}`);
      const rk = `${method}\u0000${route}`;
      const agg = byRoute.get(rk) ?? { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      agg.count += s.count;
      agg.sum += s.sum;
      s.buckets.forEach((n, i) => (agg.buckets[i]! += n));
      byRoute.set(rk, agg);
    }
    for (const [rk, s] of byRoute) {
      const [method, route] = rk.split('\u0000') as [string, string];
      BUCKETS.forEach((le, i) => hist.push(`ssp_http_request_duration_seconds_bucket{${labels({ method, route, le: String(le) })}} ${s.buckets[i]}`));
      hist.push(`ssp_http_request_duration_seconds_bucket{${labels({ method, route, le: '+Inf' })}} ${s.count}`);
      hist.push(`ssp_http_request_duration_seconds_sum{${labels({ method, route })}} ${s.sum.toFixed(6)}`);
      hist.push(`ssp_http_request_duration_seconds_count{${labels({ method, route })}} ${s.count}`);
    }
    return [...out, ...hist];
  }
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Record<string, string>) =>
  Object.entries(l)
    .map(([k, v]) => `${k}="${escape(v)}"`)
    .join(',');

function gauge(name: string, help: string, values: Array<[Record<string, string>, number]>): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...values.map(([l, v]) => (Object.keys(l).length ? `${name}{${labels(l)}} ${v}` : `${name} ${v}`))];
}

/** The portal's queues, read at scrape time: every figure is a count or an age, each one indexed query. */
async function queueMetrics(app: FastifyInstance, now: number): Promise<string[]> {
  const state = await app.db('sync_state').select('interface', 'watermark', 'last_success_at');
  const byIface = new Map(state.map((s) => [String(s.interface), s]));
  const lag: Array<[Record<string, string>, number]> = [];
  const backlog: Array<[Record<string, string>, number]> = [];
  for (const iface of INBOUND_INTERFACES) {
    const s = byIface.get(iface);
    const success = s?.last_success_at ? Date.parse(`${String(s.last_success_at).replace(' ', 'T')}Z`) : NaN;
    // Never synced: the lag is unknown, reported as -1 so an alert on "lag > X" does not fire on a fresh install.
    lag.push([{ interface: iface }, Number.isFinite(success) ? Math.max(0, (now - success) / 1000) : -1]);
    const max = Number((await app.staging(inboundTable(iface)).max('id as m').first())?.m ?? 0);
    backlog.push([{ interface: iface }, Math.max(0, max - Number(s?.watermark ?? 0))]);
  }
  const count = async (q: Promise<Array<Record<string, unknown>>>) => Number((await q)[0]?.n ?? 0);
  const outbox = await count(app.db('outbox').whereNull('delivered_at').count({ n: '*' }));
  const rejected = await count(app.db('outbox').where('ack_state', 'rejected').count({ n: '*' }));
  const quarantine = await count(app.db('erp_quarantine').where('state', 'open').count({ n: '*' }));
  const waiting = await count(app.db('erp_waiting').count({ n: '*' }));
  const sms = await count(app.db('sms_messages').where('state', 'pending').count({ n: '*' }));
  const smsFailed = await count(app.db('sms_messages').where('state', 'failed').count({ n: '*' }));
  return [
    ...gauge('ssp_sync_lag_seconds', 'Seconds since the interface last caught up with the staging store (-1: never).', lag),
    ...gauge('ssp_sync_backlog_rows', 'Staging rows of the interface beyond the sync watermark.', backlog),
    ...gauge('ssp_erp_outbox_pending', 'Portal documents not yet delivered to the staging store.', [[{}, outbox]]),
    ...gauge('ssp_erp_outbox_rejected', 'Portal documents the ERP rejected.', [[{}, rejected]]),
    ...gauge('ssp_erp_quarantine_open', 'ERP rows in quarantine waiting for an administrator.', [[{}, quarantine]]),
    ...gauge('ssp_erp_waiting', 'Valid ERP rows waiting for their parent document.', [[{}, waiting]]),
    ...gauge('ssp_sms_pending', 'SMS messages queued and not yet sent.', [[{}, sms]]),
    ...gauge('ssp_sms_failed', 'SMS messages given up after their retries.', [[{}, smsFailed]]),
  ];
}

export default fp(
  async (app) => {
    const requests = new RequestMetrics();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    app.addHook('onClose', async () => loop.disable());
    app.addHook('onResponse', async (request, reply) => {
      // Unknown paths are grouped under one label: a scanner must not grow the series without bound.
      const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
      requests.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });

    const token = app.config.metricsToken;
    app.get(
      '/api/metrics',
      {
        config: { access: allow.public('Prometheus scrapes it with the METRICS_TOKEN bearer token; without a configured token it answers 404') },
        schema: { hide: true },
      },
      async (request, reply) => {
        if (!token) throw new NotFound('metrics.disabled', 'Metrics are not enabled (set METRICS_TOKEN)');
        const given = Buffer.from(String(request.headers.authorization ?? '').replace(/^Bearer\s+/i, ''));
        const want = Buffer.from(token);
        if (given.length !== want.length || !timingSafeEqual(given, want)) throw new Unauthorized('metrics.unauthorized', 'A valid metrics token is required');
        const now = Date.now();
        const mem = process.memoryUsage();
        const lines = [
          ...requests.render(),
          ...gauge('ssp_event_loop_delay_p99_seconds', 'p99 of the event loop delay since the previous scrape.', [[{}, loop.percentile(99) / 1e9]]),
          ...gauge('ssp_process_resident_memory_bytes', 'Resident set size.', [[{}, mem.rss]]),
          ...gauge('ssp_process_uptime_seconds', 'Seconds since the process started.', [[{}, Math.round(process.uptime())]]),
          ...(await queueMetrics(app, now)),
        ];
        loop.reset();
        return reply.type('text/plain; version=0.0.4; charset=utf-8').send(lines.join('\n') + '\n');
      },
    );
  },
  { name: 'metrics', dependencies: ['config', 'db'] },
);
