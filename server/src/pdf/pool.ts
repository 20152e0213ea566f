// A small pool of PDF worker threads: Chinese PDFs take tens of milliseconds of CPU each, off the event loop.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PdfInput, PdfJobMessage, PdfKindName, PdfOutput, PdfWorkerData, PdfWorkerMessage } from './worker.js';

export type { PdfInput, PdfKindName, PdfOutput } from './worker.js';

export interface PdfJobStats {
  kind: string;
  /** time inside the worker, from receiving the job to posting the result */
  renderMs: number;
  /** time from render() to a worker taking the job */
  waitMs: number;
}

export interface PdfPoolOptions {
  /** worker threads; default min(2, available CPUs) */
  size?: number;
  /** per job, counted from when a worker takes it; the worker is then restarted. Default 30 s. */
  timeoutMs?: number;
  /** also register the worker's test-only kinds ('crash-test', 'fail-test', 'hang-test'); for the pool's tests */
  testKinds?: boolean;
  /** called after every successful job, e.g. for logging or a benchmark */
  onJob?: (stats: PdfJobStats) => void;
}

export interface PdfPool {
  render<K extends PdfKindName>(kind: K, input: PdfInput<K>, o?: { timeoutMs?: number }): Promise<PdfOutput<K>>;
  /** Stops taking jobs, lets queued and running ones finish, then stops the threads. */
  close(): Promise<void>;
}

export class PdfRenderTimeout extends Error {
  readonly code = 'pdf.timeout';
  constructor(kind: string, ms: number) {
    super(`rendering a '${kind}' PDF took longer than ${ms} ms; the worker thread was restarted`);
    this.name = 'PdfRenderTimeout';
  }
}

export class PdfWorkerCrash extends Error {
  readonly code = 'pdf.worker_crash';
  constructor(message: string) {
    super(message);
    this.name = 'PdfWorkerCrash';
  }
}

interface Job {
  id: number;
  kind: string;
  input: unknown;
  timeoutMs: number;
  queuedAt: number;
  waitMs: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
  settled: boolean;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | undefined;
  lastError: Error | undefined;
}

// From dist/ this file and the worker are .js. Under tsx (dev and tests) both are .ts, and on Node 20 a worker
// thread does not get the --import hooks of the process (tsx issue #354), so the thread first registers tsx
// itself and then imports the worker.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

function startWorker(workerData: PdfWorkerData): Worker {
  if (!workerUrl.pathname.endsWith('.ts')) return new Worker(workerUrl, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** A structured-cloned Buffer arrives as a plain Uint8Array: view the same memory as a Buffer again, no copy. */
function revive(value: unknown): unknown {
  const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  if (value instanceof Uint8Array) return asBuffer(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const out = value as Record<string, unknown>;
    for (const [key, field] of Object.entries(out)) if (field instanceof Uint8Array) out[key] = asBuffer(field);
  }
  return value;
}

function remoteError(e: { name: string; message: string; stack?: string }): Error {
  const error = new Error(e.message);
  error.name = e.name;
  if (e.stack) error.stack = e.stack;
  return error;
}

export function createPdfPool(options: PdfPoolOptions = {}): PdfPool {
  const size = Math.max(1, options.size ?? Math.min(2, availableParallelism()));
  const defaultTimeoutMs = options.timeoutMs ?? 30_000;
  const workerData: PdfWorkerData = { testKinds: options.testKinds ?? false };
  const slots = new Set<Slot>();
  const queue: Job[] = [];
  let nextId = 1;
  let closing = false;
  let drained: (() => void) | undefined;
  let closed: Promise<void> | undefined;

  function spawn(): void {
    const slot: Slot = { worker: startWorker(workerData), ready: false, job: undefined, lastError: undefined };
    slots.add(slot);
    slot.worker.on('message', (message: PdfWorkerMessage) => {
      if (message.type === 'ready') {
        slot.ready = true;
        // An idle thread must not keep the process alive; a starting or busy one does.
        slot.worker.unref();
        dispatch();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== message.id) return;
      slot.job = undefined;
      slot.worker.unref();
      if (!job.settled) {
        clearTimeout(job.timer);
        job.settled = true;
        if (message.ok) {
          options.onJob?.({ kind: job.kind, renderMs: message.renderMs, waitMs: job.waitMs });
          job.resolve(revive(message.value));
        } else {
          job.reject(remoteError(message.error));
        }
      }
      dispatch();
    });
    slot.worker.on('error', (error) => {
      slot.lastError = error;
    });
    slot.worker.on('exit', (code) => {
      slots.delete(slot);
      const reason = slot.lastError?.message ?? `exit code ${code}`;
      const job = slot.job;
      if (job && !job.settled) {
        clearTimeout(job.timer);
        job.settled = true;
        job.reject(new PdfWorkerCrash(`the PDF worker thread stopped while rendering a '${job.kind}' document: ${reason}`));
      }
      if (!slot.ready) {
        // A thread that cannot even start (fonts missing, a syntax error) would fail again at once: fail the jobs
        // that are waiting instead of restarting in a loop (once no other thread is left to take them); the next
        // render() tries to start threads again.
        if (slots.size === 0) {
          for (const waiting of queue.splice(0)) {
            waiting.settled = true;
            waiting.reject(new PdfWorkerCrash(`the PDF worker thread failed to start: ${reason}`));
          }
        }
      } else if (!closing || queue.length > 0) {
        spawn();
      }
      dispatch();
    });
  }

  function dispatch(): void {
    for (const slot of slots) {
      if (queue.length === 0) break;
      if (!slot.ready || slot.job) continue;
      const job = queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      job.waitMs = performance.now() - job.queuedAt;
      job.timer = setTimeout(() => {
        if (job.settled) return;
        job.settled = true;
        job.reject(new PdfRenderTimeout(job.kind, job.timeoutMs));
        // The render cannot be interrupted inside the thread; the thread goes and a fresh one takes its place.
        void slot.worker.terminate();
      }, job.timeoutMs);
      const message: PdfJobMessage = { id: job.id, kind: job.kind, input: job.input };
      slot.worker.postMessage(message);
    }
    if (closing && queue.length === 0 && ![...slots].some((s) => s.job)) drained?.();
  }

  function ensureWorkers(): void {
    for (let i = slots.size; i < size; i++) spawn();
  }

  ensureWorkers();

  return {
    render(kind, input, o) {
      if (closing) return Promise.reject(new Error('the PDF pool is closed'));
      ensureWorkers();
      return new Promise((resolve, reject) => {
        queue.push({
          id: nextId++,
          kind,
          input,
          timeoutMs: o?.timeoutMs ?? defaultTimeoutMs,
          queuedAt: performance.now(),
          waitMs: 0,
          resolve: resolve as (value: unknown) => void,
          reject,
          settled: false,
        });
        dispatch();
      });
    },

    close() {
      closed ??= (async () => {
        closing = true;
        await new Promise<void>((resolve) => {
          drained = resolve;
          dispatch();
        });
        await Promise.all([...slots].map((slot) => slot.worker.terminate()));
      })();
      return closed;
    },
  };
}
