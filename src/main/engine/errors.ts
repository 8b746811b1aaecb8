// Engine errors carry title / cause / suggestion (lmstudio-js style) so the app can show and serialize them.

import { AppError, type SerializedError } from '../../shared/errors.ts';
import type { ErrorCode } from '../../shared/vocabulary.ts';

/** The codes the engine raises (a part of the one ErrorCode list). */
export type EngineErrorCode = Extract<
  ErrorCode,
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
  | 'diskFull'
  | 'internal'
>;

export interface SerializedEngineError extends SerializedError {
  code: EngineErrorCode;
  cause: string;
  suggestion: string;
}

/** An AppError whose cause and suggestion are always set (every engine failure says what to do). */
export class EngineError extends AppError {
  declare readonly code: EngineErrorCode;
  declare readonly cause: string;
  declare readonly suggestion: string;

  constructor(e: SerializedEngineError) {
    super(e);
    this.name = 'EngineError';
  }

  override toJSON(): SerializedEngineError {
    return super.toJSON() as SerializedEngineError;
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
