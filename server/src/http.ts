// Small helpers for route definitions: the error responses every route may give.
import { ErrorBody } from '../../shared/api/common.js';

/** Adds the shared error body for 4xx and 5xx answers to a route's response schemas. */
export function withErrors<T extends Record<number, unknown>>(responses: T): T & { '4xx': typeof ErrorBody; '5xx': typeof ErrorBody } {
  return { ...responses, '4xx': ErrorBody, '5xx': ErrorBody };
}
