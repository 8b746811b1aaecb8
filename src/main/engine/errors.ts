// Engine errors carry title / cause / suggestion (lmstudio-js style) so the app can show and serialize them.

export type EngineErrorCode =
  | 'modelFolderMissing'
  | 'fileMissing'
  | 'noOnnxFile'
  | 'corruptModel'
  | 'unsupportedLayout'
  | 'badConfig'
  | 'tokenizer'
  | 'kvMismatch'
  | 'contextFull'
  | 'badArgument'
  | 'workerFailed'
  | 'disposed'
  | 'cancelled'
  | 'internal';

export interface SerializedEngineError {
  code: EngineErrorCode;
  title: string;
  cause: string;
  suggestion: string;
  file?: string | undefined;
}

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly title: string;
  override readonly cause: string;
  readonly suggestion: string;
  /** The file or input at fault, when there is one. */
  readonly file: string | undefined;

  constructor(e: SerializedEngineError) {
    super(`${e.title}: ${e.cause}`);
    this.name = 'EngineError';
    this.code = e.code;
    this.title = e.title;
    this.cause = e.cause;
    this.suggestion = e.suggestion;
    this.file = e.file;
  }

  toJSON(): SerializedEngineError {
    return { code: this.code, title: this.title, cause: this.cause, suggestion: this.suggestion, file: this.file };
  }
}

/** Anything thrown inside the worker crosses the thread boundary as a SerializedEngineError. */
export function serializeError(err: unknown): SerializedEngineError {
  if (err instanceof EngineError) return err.toJSON();
  const msg = err instanceof Error ? err.message : String(err);
  return {
    code: 'internal',
    title: 'Inference engine error',
    cause: msg,
    suggestion: 'This is a bug in Reprise; please report it with the model you used.',
  };
}

export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (
    msg
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? msg
  );
}
