// Errors are values with a stable code; the error plugin maps them to HTTP statuses and the JSON error shape.
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(400, code, message, details);
  }
}
export class Unauthorized extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(401, code, message, details);
  }
}
export class Forbidden extends AppError {
  constructor(code = 'access.forbidden', message = 'You are not allowed to do this', details?: unknown) {
    super(403, code, message, details);
  }
}
export class NotFound extends AppError {
  constructor(code = 'not_found', message = 'Not found', details?: unknown) {
    super(404, code, message, details);
  }
}
export class Conflict extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(409, code, message, details);
  }
}
export class Locked extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(423, code, message, details);
  }
}
export class TooManyRequests extends AppError {
  constructor(code: string, message: string, readonly retryAfterSeconds: number) {
    super(429, code, message, { retryAfterSeconds });
  }
}
export class Unavailable extends AppError {
  constructor(code = 'service.unavailable', message = 'The service is temporarily unavailable', details?: unknown) {
    super(503, code, message, details);
  }
}
