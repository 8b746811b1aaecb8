// Model download / library errors carry title / cause / suggestion like EngineError, so the CLI and the
// app show what went wrong, why, and what to do.

export type ModelErrorCode =
  | 'tokenRequired'
  | 'badToken'
  | 'repoNotFound'
  | 'noVariant'
  | 'fileMissing'
  | 'diskFull'
  | 'corrupt'
  | 'cancelled'
  | 'network'
  | 'alreadyInstalled'
  | 'notInstalled'
  | 'badName';

export class ModelError extends Error {
  readonly code: ModelErrorCode;
  readonly title: string;
  override readonly cause: string;
  readonly suggestion: string;

  constructor(e: { code: ModelErrorCode; title: string; cause: string; suggestion: string }) {
    super(`${e.title}: ${e.cause}`);
    this.name = 'ModelError';
    this.code = e.code;
    this.title = e.title;
    this.cause = e.cause;
    this.suggestion = e.suggestion;
  }

  toJSON(): { code: ModelErrorCode; title: string; cause: string; suggestion: string } {
    return { code: this.code, title: this.title, cause: this.cause, suggestion: this.suggestion };
  }
}
