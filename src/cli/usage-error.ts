/** Bad command-line arguments: shown as title / cause / suggestion like every other error. */
export class UsageError extends Error {
  readonly title = 'Invalid arguments';
  readonly suggestion = 'Run `npm run cli -- --help`.';
  override readonly cause: string;
  constructor(message: string) {
    super(message);
    this.cause = message;
  }
}
