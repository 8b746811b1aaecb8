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

/** SQLite's result codes that a person can act on (better-sqlite3 puts them in `code`). */
const SQLITE_ERRORS: Record<string, Omit<SerializedError, 'cause'>> = {
  SQLITE_FULL: {
    title: 'The disk is full',
    suggestion: 'Free some disk space or lower the cache budget, then try again. Nothing already saved was lost.',
    code: 'disk_full',
  },
  SQLITE_READONLY: {
    title: 'The data folder is read-only',
    suggestion: 'Check the permissions of the data folder.',
    code: 'read_only',
  },
  SQLITE_CORRUPT: {
    title: 'The database file is damaged',
    suggestion: 'Restore reprise.db from a backup, or move it away to start afresh.',
    code: 'corrupt_db',
  },
};

/** Anything thrown on the main side becomes a SerializedError; fields of domain errors are kept. */
export function serializeError(err: unknown): SerializedError {
  if (err && typeof err === 'object') {
    const e = err as Partial<SerializedError> & { message?: unknown };
    const known = typeof e.code === 'string' ? SQLITE_ERRORS[e.code] : undefined;
    if (known) return { ...known, cause: typeof e.message === 'string' ? e.message : undefined };
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
