/** Bad command-line arguments: an AppError, shown as title / cause / suggestion like every other error. */
import { AppError } from '../shared/errors.ts';

export class UsageError extends AppError {
  constructor(message: string) {
    super({
      code: 'badArgument',
      title: 'Invalid arguments',
      cause: message,
      suggestion: 'Run `npm run cli -- --help`.',
    });
    this.name = 'UsageError';
  }
}
