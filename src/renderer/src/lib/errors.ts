/** Any failure, as the three things a person needs: what went wrong, why, and what to do about it. */
import { AppError } from '../../../shared/errors.ts';
import type { ErrorCode } from '../../../shared/vocabulary.ts';

export interface UserError {
  title: string;
  cause?: string;
  suggestion?: string;
  code?: ErrorCode;
}

export function toUserError(err: unknown, fallbackTitle = 'Something went wrong'): UserError {
  if (err instanceof AppError) {
    return { title: err.title, cause: err.cause, suggestion: err.suggestion, code: err.code };
  }
  if (err && typeof err === 'object' && 'title' in err && typeof err.title === 'string') {
    const e = err as UserError;
    return { title: e.title, cause: e.cause, suggestion: e.suggestion, code: e.code };
  }
  if (err instanceof Error) return { title: fallbackTitle, cause: err.message };
  return { title: fallbackTitle, cause: String(err) };
}

/** Cancellation is not a failure the user needs to hear about: the one error code says so. */
export { isCancellation } from '../../../shared/errors.ts';
