/**
 * The one error type. Every layer throws AppError (or a subclass that only fixes its defaults) with a code
 * from the closed ErrorCode list; every transport carries it as a SerializedError: what went wrong, why,
 * and what the user can do. No Node or Electron imports.
 */
import { type ErrorCode, ERROR_CODES } from './vocabulary.ts';

export interface SerializedError {
  code: ErrorCode;
  title: string;
  cause?: string;
  suggestion?: string;
  /** The file or input at fault, when there is one. */
  file?: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly title: string;
  override readonly cause?: string;
  readonly suggestion?: string;
  readonly file?: string;

  constructor(e: SerializedError) {
    super(e.cause ? `${e.title}: ${e.cause}` : e.title);
    this.name = 'AppError';
    this.code = e.code;
    this.title = e.title;
    this.cause = e.cause;
    this.suggestion = e.suggestion;
    this.file = e.file;
  }

  toJSON(): SerializedError {
    const out: SerializedError = { code: this.code, title: this.title };
    if (this.cause !== undefined) out.cause = this.cause;
    if (this.suggestion !== undefined) out.suggestion = this.suggestion;
    if (this.file !== undefined) out.file = this.file;
    return out;
  }
}

const DISK_FULL: Omit<SerializedError, 'cause'> = {
  title: 'The disk is full',
  suggestion: 'Free some disk space or lower the cache budget, then try again. Nothing already saved was lost.',
  code: 'diskFull',
};

const CORRUPT_DB: Omit<SerializedError, 'cause'> = {
  title: 'The database file is damaged',
  suggestion: 'Restore reprise.db from a backup, or move it away to start afresh.',
  code: 'corruptDb',
};

/**
 * SQLite's result codes (better-sqlite3 puts them in `code`) and file-system errors (KV block files) that a
 * person can act on.
 */
const SQLITE_ERRORS: Record<string, Omit<SerializedError, 'cause'>> = {
  SQLITE_FULL: DISK_FULL,
  ENOSPC: DISK_FULL,
  EDQUOT: DISK_FULL,
  SQLITE_READONLY: {
    title: 'The data folder is read-only',
    suggestion: 'Check the permissions of the data folder.',
    code: 'readOnly',
  },
  SQLITE_CORRUPT: CORRUPT_DB,
  SQLITE_NOTADB: CORRUPT_DB, // its header overwritten while the app runs
};

const isErrorCode = (c: unknown): c is ErrorCode =>
  typeof c === 'string' && (ERROR_CODES as readonly string[]).includes(c);

/** The one serializer: anything thrown becomes a SerializedError; fields of AppErrors are kept. */
export function serializeError(err: unknown, fallbackTitle = 'Unexpected error'): SerializedError {
  if (err instanceof AppError) return err.toJSON();
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; title?: unknown; cause?: unknown; suggestion?: unknown; message?: unknown };
    // better-sqlite3 gives extended result codes (SQLITE_CORRUPT_INDEX, SQLITE_READONLY_DBMOVED): the primary one decides
    const known = typeof e.code === 'string' ? SQLITE_ERRORS[e.code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')] : undefined;
    if (known) return { ...known, cause: typeof e.message === 'string' ? e.message : undefined };
    // an AppError that crossed a structured clone (a worker, the wire) arrives as plain data
    if (typeof e.title === 'string' && isErrorCode(e.code)) {
      return new AppError({
        code: e.code,
        title: e.title,
        cause: typeof e.cause === 'string' ? e.cause : undefined,
        suggestion: typeof e.suggestion === 'string' ? e.suggestion : undefined,
      }).toJSON();
    }
    if (typeof e.message === 'string') return { code: 'unexpected', title: fallbackTitle, cause: e.message };
  }
  return { code: 'unexpected', title: fallbackTitle, cause: String(err) };
}

/** Data back into an AppError (what a client rethrows). */
export const toAppError = (e: SerializedError): AppError => new AppError(e);

/** A stopped turn or import is the user's own doing, not a failure to report. */
export const isCancellation = (err: unknown): boolean =>
  (err instanceof AppError || (typeof err === 'object' && err !== null)) &&
  (err as { code?: unknown }).code === 'cancelled';
