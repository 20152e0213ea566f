// Load generation with autocannon: closed-loop throughput, and fixed-rate runs that record every response's latency.
import autocannon from 'autocannon';

export interface RequestSpec {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** varies each request (another user's token or credentials, another id in the path); merged over headers and body */
  vary?: () => { headers?: Record<string, string>; body?: string; path?: string };
}

export interface LoadResult {
  /** seconds asked for */
  seconds: number;
  responses: number;
  /** 2xx answers */
  ok: number;
  non2xx: number;
  /** connection errors and timeouts */
  errors: number;
  statuses: Record<string, number>;
  /** ms from writing the request to the end of its response, every response */
  latencies: number[];
}

export function emptyResult(): LoadResult {
  return { seconds: 0, responses: 0, ok: 0, non2xx: 0, errors: 0, statuses: {}, latencies: [] };
}

export function merge(...parts: LoadResult[]): LoadResult {
  const out = emptyResult();
  for (const p of parts) {
    out.seconds += p.seconds;
    out.responses += p.responses;
    out.ok += p.ok;
    out.non2xx += p.non2xx;
    out.errors += p.errors;
    for (const [k, v] of Object.entries(p.statuses)) out.statuses[k] = (out.statuses[k] ?? 0) + v;
    for (const l of p.latencies) out.latencies.push(l);
  }
  return out;
}

/** Nearest-rank percentile (q in 0..100) of unsorted samples. */
export function percentile(samples: number[], q: number): number {
  if (!samples.length) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.max(1, Math.ceil((q / 100) * sorted.length));
  return sorted[rank - 1];
}

export function median(samples: number[]): number {
  return percentile(samples, 50);
}

function toRequest(spec: RequestSpec): autocannon.Request {
  const req: autocannon.Request = { method: spec.method ?? 'GET', path: spec.path, headers: { ...(spec.headers ?? {}) } };
  if (spec.body !== undefined) req.body = spec.body;
  if (spec.vary) {
    const vary = spec.vary;
    req.setupRequest = (r) => {
      const v = vary();
      return {
        ...r,
        headers: { ...(r.headers ?? {}), ...(v.headers ?? {}) },
        ...(v.body !== undefined ? { body: v.body } : {}),
        ...(v.path !== undefined ? { path: v.path } : {}),
      };
    };
  }
  return req;
}

async function runOne(opts: autocannon.Options, seconds: number, keepLatencies: boolean): Promise<LoadResult> {
  const out = emptyResult();
  out.seconds = seconds;
  const instance = autocannon({ timeout: 10, ...opts, duration: seconds });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    out.responses++;
    out.statuses[status] = (out.statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) out.ok++;
    else out.non2xx++;
    if (keepLatencies) out.latencies.push(ms);
  });
  instance.on('reqError', () => {
    out.errors++;
  });
  await instance;
  return out;
}

/** As many requests as `connections` non-pipelined connections get answered in `seconds`. */
export function closedLoop(url: string, spec: RequestSpec, o: { connections: number; seconds: number }): Promise<LoadResult> {
  return runOne({ url, connections: o.connections, pipelining: 1, requests: [toRequest(spec)] }, o.seconds, false);
}

export type Pacing = 'staggered' | 'autocannon';

/**
 * `rate` requests a second for `seconds`, every latency recorded.
 *
 * autocannon's rate limit lets each connection send its share of the second back to back and then idle until the
 * next second, and all connections start their second together: at overallRate 500 over 20 connections the whole
 * second's load arrives as one burst 20 requests deep. 'staggered' (default) keeps autocannon but runs `streams`
 * one-connection instances, each at rate/streams a second, started 1/streams of a second apart, so requests arrive
 * spread over the second as a fixed rate means. 'autocannon' is one instance with `streams` connections and overallRate.
 */
export async function fixedRate(
  url: string,
  spec: RequestSpec,
  o: { rate: number; seconds: number; streams: number; pacing: Pacing },
): Promise<LoadResult> {
  const streams = Math.max(1, Math.min(o.streams, o.rate));
  if (o.pacing === 'autocannon') {
    return runOne({ url, connections: streams, overallRate: o.rate, pipelining: 1, requests: [toRequest(spec)] }, o.seconds, true);
  }
  const share = (i: number) => Math.floor(o.rate / streams) + (i < o.rate % streams ? 1 : 0);
  const runs: Promise<LoadResult>[] = [];
  for (let i = 0; i < streams; i++) {
    runs.push(
      new Promise<void>((r) => setTimeout(r, (i * 1000) / streams)).then(() =>
        runOne({ url, connections: 1, overallRate: share(i), pipelining: 1, requests: [toRequest(spec)] }, o.seconds, true),
      ),
    );
  }
  const parts = await Promise.all(runs);
  const total = merge(...parts);
  total.seconds = o.seconds;
  return total;
}
