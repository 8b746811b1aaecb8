// Errors in OpenAI's shape ({ error: { message, type, param, code } }), so clients show them as they
// would the real API's. Every AppError maps to a status by its code.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, serializeError } from '../../shared/errors.ts';
import type { ErrorCode } from '../../shared/vocabulary.ts';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, 'invalid_request_error', param, code);

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  contextFull: 400,
  contextTooSmall: 400,
  badArgument: 400,
  emptyMessage: 400,
  invalidParams: 400,
  tokenizer: 400,
  notFound: 404,
  noModel: 503,
  modelLoading: 503,
  diskFull: 507,
  cancelled: 499 as ContentfulStatusCode,
};

/** Anything thrown by a handler, as an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err instanceof AppError ? err.toJSON() : serializeError(err);
  const status = STATUS[e.code] ?? 500;
  const message = [e.title, e.cause, e.suggestion].filter(Boolean).join(': ');
  const type = status >= 500 ? 'server_error' : 'invalid_request_error';
  const code = e.code === 'contextFull' ? 'context_length_exceeded' : e.code;
  return new ApiError(status, message, type, null, code);
}

export const sendError = (c: Context, err: unknown) => {
  const e = toApiError(err);
  return c.json(e.body(), e.status);
};
