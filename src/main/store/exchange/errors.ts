import type { z } from 'zod';

/** An import/export failure the user can act on; serializes as title/cause/suggestion (see api/errors.ts). */
export class ImportError extends Error {
  override readonly cause: string;
  constructor(
    readonly title: string,
    cause: string,
    readonly suggestion = 'Check that the file is an unmodified Reprise export, a Reprise bundle, or a ChatGPT conversations.json.',
    readonly code = 'IMPORT_INVALID',
  ) {
    super(`${title}: ${cause}`);
    this.name = 'ImportError';
    this.cause = cause;
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
