// A fixed-window request limiter for public routes (verification pages, share links), counted in memory per key.
import { TooManyRequests } from './errors.js';

/** Requests per key (a client address) per window, in memory: one portal process (DESIGN.md §2). */
export function createRateLimiter(perMinute: number, windowMs = 60_000) {
  const windows = new Map<string, { start: number; count: number }>();
  return (key: string, now = Date.now()): void => {
    let w = windows.get(key);
    if (!w || now - w.start >= windowMs) {
      if (windows.size > 50_000) for (const [k, v] of windows) if (now - v.start >= windowMs) windows.delete(k);
      w = { start: now, count: 0 };
      windows.set(key, w);
    }
    if (++w.count > perMinute) {
      throw new TooManyRequests('rate_limited', 'Too many requests from this address, wait and retry', Math.max(1, Math.ceil((w.start + windowMs - now) / 1000)));
    }
  };
}
