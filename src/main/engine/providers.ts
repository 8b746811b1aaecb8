// Execution providers: CUDA first when requested/available, else CPU, reporting which one runs and why.
// onnxruntime-node's ['cuda', 'cpu'] THROWS when the CUDA provider libraries are absent (no silent fallback).
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { EngineError, firstLine } from './errors.ts';
import type { ProviderKind } from './model-files.ts';

export type ProviderRequest = 'auto' | 'cpu' | 'cuda';

export interface SessionResult {
  session: ort.InferenceSession;
  provider: ProviderKind;
  providerReason: string;
}

let quieted = false;

export async function createSession(file: string, request: ProviderRequest, threads: number): Promise<SessionResult> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  // ORT logs a failed CUDA load itself at error level; we report it through providerReason instead. Its
  // environment (and log level) is fixed by the first session of the process, so quiet it before any.
  if (!quieted) {
    ort.env.logLevel = 'fatal';
    quieted = true;
  }
  let reason: string;
  if (request === 'cpu') reason = 'CPU requested';
  else {
    try {
      const session = await ort.InferenceSession.create(file, { ...base, executionProviders: ['cuda', 'cpu'] });
      return {
        session,
        provider: 'cuda',
        providerReason: request === 'cuda' ? 'CUDA requested and available' : 'CUDA available (auto)',
      };
    } catch (e) {
      if (!isProviderError(e)) throw loadError(file, e);
      reason = `CUDA ${request === 'cuda' ? 'requested' : 'tried'} but unavailable (${firstLine(e)}); run \`npm run setup:cuda\` on a machine with CUDA 12 + cuDNN 9`;
    }
  }
  try {
    const session = await ort.InferenceSession.create(file, { ...base, executionProviders: ['cpu'] });
    return { session, provider: 'cpu', providerReason: reason };
  } catch (e) {
    throw loadError(file, e);
  }
}

function isProviderError(e: unknown): boolean {
  return /cuda|provider|shared librar/i.test(String(e));
}

function loadError(file: string, e: unknown): EngineError {
  const msg = firstLine(e);
  const external = /external data|_data|GetExtDataFromTensorProto/i.test(msg);
  const dataFile = `${file}_data`;
  const at = external && existsSync(dataFile) ? dataFile : file;
  return new EngineError({
    code: 'corruptModel',
    title: external ? 'Cannot read the model weights (external data)' : 'Cannot load the ONNX model',
    cause: `${at}: ${msg}`,
    suggestion: external
      ? 'The .onnx_data file next to the model is missing or truncated; re-download it.'
      : 'The file is truncated or not an ONNX model; re-download it.',
    file: at,
  });
}
