// The one HTTP client of the portal: JSON over fetch, bearer token in memory, one shared token refresh.
import type { ErrorBody, LoginReply } from '@shared/index';

const API_BASE = '/api';

// Codes after which a fresh access token may succeed; any other 401 ends the session.
const REFRESHABLE_CODES: ReadonlySet<string> = new Set(['auth.token_expired', 'auth.token_invalid']);
const SESSION_ENDING_CODES: ReadonlySet<string> = new Set([
  'auth.token_expired',
  'auth.token_invalid',
  'auth.unauthenticated',
  'auth.session_revoked',
  'auth.refresh_invalid',
  'auth.refresh_reused',
  'auth.disabled',
]);

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

// The auth store plugs itself in here, so this module needs neither pinia nor the router.
export interface SessionHooks {
  getAccessToken(): string | null;
  onRefreshed(reply: LoginReply): void;
  onSessionLost(error: ApiError): void;
}

let hooks: SessionHooks = {
  getAccessToken: () => null,
  onRefreshed: () => undefined,
  onSessionLost: () => undefined,
};

export function bindSession(sessionHooks: SessionHooks): void {
  hooks = sessionHooks;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  query?: object;
  body?: unknown;
  signal?: AbortSignal;
  // Sign-in and refresh calls must not trigger a refresh themselves.
  skipRefresh?: boolean;
  // What the caller wants back; JSON unless a file is downloaded.
  accept?: string;
  // A file sent as it is (e.g. a PDF to verify) instead of a JSON body.
  file?: { data: Blob; contentType: string };
}

function buildUrl(path: string, query?: object): string {
  const url = API_BASE + path;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query) as [string, QueryValue][]) {
    if (value === undefined || value === null || value === '') continue;
    params.append(key, String(value));
  }
  const search = params.toString();
  return search ? `${url}?${search}` : url;
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toApiError(response: Response, body: unknown): ApiError {
  if (isErrorBody(body)) {
    const { code, message, details } = body.error;
    return new ApiError(response.status, code, message, details);
  }
  // A proxy or gateway answered instead of the API (HTML error page, empty body).
  const code = response.status === 502 || response.status === 503 || response.status === 504
    ? 'service.unavailable'
    : 'internal';
  return new ApiError(response.status, code, response.statusText || `HTTP ${response.status}`);
}

async function send(method: string, path: string, options: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | Blob | undefined;
  if (options.file) {
    headers['Content-Type'] = options.file.contentType;
    body = options.file.data;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  try {
    return await fetch(buildUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', error instanceof Error ? error.message : 'network error');
  }
}

let refreshInFlight: Promise<LoginReply> | null = null;

async function postRefresh(): Promise<LoginReply> {
  const response = await send('POST', '/auth/refresh', {}, null);
  const body = await readBody(response);
  if (!response.ok) throw toApiError(response, body);
  return body as LoginReply;
}

async function lockedRefresh(locks: LockManager): Promise<LoginReply> {
  let reply: LoginReply | undefined;
  await locks.request('ssp.auth.refresh', async () => {
    reply = await postRefresh();
  });
  return reply as LoginReply;
}

// The server revokes the whole token chain when a refresh token is used twice, so concurrent
// callers share one refresh, and tabs of the same browser take turns through a Web Lock
// (the later tab then sends the cookie the earlier one received).
export function refreshSession(): Promise<LoginReply> {
  if (!refreshInFlight) {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    const run = locks ? lockedRefresh(locks) : postRefresh();
    refreshInFlight = run
      .then((reply) => {
        hooks.onRefreshed(reply);
        return reply;
      })
      .finally(() => {
        refreshInFlight = null;
      });
  }
  return refreshInFlight;
}

// Sends with the access token; a refreshable 401 is retried once with a fresh token, any other 401 ends the
// session when its code says so. Answers other than 401 are returned as they are.
async function sendWithSession(method: string, path: string, options: RequestOptions): Promise<Response> {
  let token = hooks.getAccessToken();
  let response = await send(method, path, options, token);
  if (response.status !== 401 || options.skipRefresh) return response;

  let error = toApiError(response, await readBody(response));
  if (REFRESHABLE_CODES.has(error.code)) {
    try {
      // Another caller may have refreshed while this request was on the wire.
      const current = hooks.getAccessToken();
      token = current && current !== token ? current : (await refreshSession()).accessToken;
    } catch (refreshError) {
      // A refused refresh ends the session; a network or server failure may pass, so keep it.
      if (isApiError(refreshError) && refreshError.status >= 400 && refreshError.status < 500) {
        hooks.onSessionLost(refreshError);
      }
      throw refreshError;
    }
    response = await send(method, path, options, token);
    if (response.status !== 401) return response;
    error = toApiError(response, await readBody(response));
  }
  if (SESSION_ENDING_CODES.has(error.code)) hooks.onSessionLost(error);
  throw error;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await sendWithSession(method, path, options);
  const body = await readBody(response);
  if (!response.ok) throw toApiError(response, body);
  return body as T;
}

export interface DownloadedFile {
  blob: Blob;
  // From Content-Disposition, when the server named the file.
  filename: string | null;
}

function filenameOf(disposition: string | null): string | null {
  if (!disposition) return null;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // Fall through to the plain name.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(disposition);
  return plain?.[1]?.trim() || null;
}

// A file behind an access rule (CSV exports): fetched with the bearer token like any call, so a bare link,
// which would carry no token, is never needed.
export async function download(path: string, query?: object, accept = 'text/csv'): Promise<DownloadedFile> {
  const response = await sendWithSession('GET', path, { query, accept });
  if (!response.ok) throw toApiError(response, await readBody(response));
  return { blob: await response.blob(), filename: filenameOf(response.headers.get('content-disposition')) };
}

// A file answered to a POST (e.g. a certificate copy printed through a share link).
export async function downloadPost(path: string, body?: unknown, accept = 'application/pdf'): Promise<DownloadedFile> {
  const response = await sendWithSession('POST', path, { body, accept });
  if (!response.ok) throw toApiError(response, await readBody(response));
  return { blob: await response.blob(), filename: filenameOf(response.headers.get('content-disposition')) };
}

export const http = {
  get: <T>(path: string, query?: object, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  delete: <T>(path: string) => request<T>('DELETE', path),
  postFile: <T>(path: string, data: Blob, contentType: string) => request<T>('POST', path, { file: { data, contentType } }),
};
