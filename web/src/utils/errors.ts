// Turns any thrown error into a message in the user's language (errors.<code> in the i18n files).
import { i18n } from '@/i18n';
import { isApiError } from '@/api/client';
import { formatWait } from './format';

// Plain values of an error's details (e.g. triesLeft of a wrong code) that its message may name as {triesLeft}.
function detailParams(details: unknown): Record<string, string | number> {
  if (typeof details !== 'object' || details === null) return {};
  return Object.fromEntries(
    Object.entries(details).filter((entry): entry is [string, string | number] => typeof entry[1] === 'string' || typeof entry[1] === 'number'),
  );
}

function retryAfterSeconds(details: unknown): number | null {
  if (typeof details !== 'object' || details === null) return null;
  const value = (details as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function errorMessage(error: unknown): string {
  const { t, te } = i18n.global;
  if (!isApiError(error)) return t('errors.unknown');
  const key = `errors.${error.code}`;
  if (!te(key)) return error.message || t('errors.unknown');
  // Lockouts and rate limits (sign-in, SMS codes) say how long to wait.
  const seconds = retryAfterSeconds(error.details);
  if (seconds !== null || error.code === 'auth.locked' || error.code === 'auth.rate_limited') {
    return t(key, { ...detailParams(error.details), wait: seconds === null ? t('duration.later') : formatWait(seconds) });
  }
  return t(key, detailParams(error.details));
}
