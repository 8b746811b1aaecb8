import type { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import type { ErrorCode } from '../../../shared/vocabulary.ts';

/** An import/export failure the user can act on; serializes as title/cause/suggestion (an AppError). */
export class ImportError extends AppError {
  declare readonly cause: string;
  constructor(
    title: string,
    cause: string,
    suggestion = 'Check that the file is an unmodified Reprise export, a Reprise bundle, or a ChatGPT conversations.json.',
    code: ErrorCode = 'importInvalid',
  ) {
    super({ code, title, cause, suggestion });
    this.name = 'ImportError';
  }
}

/** "conversations[0].messages[3].role: Invalid option …" for the first few zod issues. */
export function describeZodError(err: z.ZodError, root = ''): string {
  return (
    err.issues
      .slice(0, 5)
      .map((i) => {
        const path = i.path.reduce<string>(
          (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)),
          root,
        );
        return `${path || '(top level)'}: ${i.message}`;
      })
      .join('; ') + (err.issues.length > 5 ? ` (and ${err.issues.length - 5} more problems)` : '')
  );
}
