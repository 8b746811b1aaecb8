/** Any failure, as the three things a person needs: what went wrong, why, and what to do about it. */
import { RepriseError } from '../../../main/api/errors.ts';

export interface UserError {
  title: string;
  cause?: string;
  suggestion?: string;
  code?: string;
}

export function toUserError(err: unknown, fallbackTitle = 'Something went wrong'): UserError {
  if (err instanceof RepriseError) {
    return { title: err.title, cause: err.cause, suggestion: err.suggestion, code: err.code };
  }
  if (err && typeof err === 'object' && 'title' in err && typeof err.title === 'string') {
    const e = err as UserError;
    return { title: e.title, cause: e.cause, suggestion: e.suggestion, code: e.code };
  }
  if (err instanceof Error) return { title: fallbackTitle, cause: err.message };
  return { title: fallbackTitle, cause: String(err) };
}

/** Cancellation is not a failure the user needs to hear about. */
export function isCancellation(err: unknown): boolean {
  const e = toUserError(err);
  return /cancel|abort|stopped/i.test(`${e.code ?? ''} ${e.title}`);
}
