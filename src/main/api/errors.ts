/** Errors cross every transport as plain data: what went wrong, why, and what the user can do. */
export interface SerializedError {
  title: string;
  cause?: string;
  suggestion?: string;
  code?: string;
}

export class RepriseError extends Error {
  readonly title: string;
  override readonly cause?: string;
  readonly suggestion?: string;
  readonly code?: string;

  constructor(e: SerializedError) {
    super(e.cause ? `${e.title}: ${e.cause}` : e.title);
    this.name = 'RepriseError';
    this.title = e.title;
    this.cause = e.cause;
    this.suggestion = e.suggestion;
    this.code = e.code;
  }

  toJSON(): SerializedError {
    return { title: this.title, cause: this.cause, suggestion: this.suggestion, code: this.code };
  }
}

/** Anything thrown on the main side becomes a SerializedError; fields of domain errors are kept. */
export function serializeError(err: unknown): SerializedError {
  if (err && typeof err === 'object') {
    const e = err as Partial<SerializedError> & { message?: unknown };
    if (typeof e.title === 'string') {
      return {
        title: e.title,
        cause: typeof e.cause === 'string' ? e.cause : undefined,
        suggestion: typeof e.suggestion === 'string' ? e.suggestion : undefined,
        code: typeof e.code === 'string' ? e.code : undefined,
      };
    }
    if (typeof e.message === 'string') return { title: 'Unexpected error', cause: e.message };
  }
  return { title: 'Unexpected error', cause: String(err) };
}
