// Execution providers: CUDA first when requested/available, else CPU, reporting which one runs and why.
// onnxruntime-node's ['cuda', 'cpu'] THROWS when the CUDA provider libraries are absent (no silent fallback).
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
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

/**
 * `spin`: ORT's intra-op threads spin-wait between parallel sections (its default, kept) or sleep. Sleeping
 * made decode 2x faster in wall time with half the CPU per step on this project's loaded 2-core machine; on
 * a quieter one it was even or 8 % slower at short context (README, Benchmarks).
 * `bytes`: the model already in memory (a rewritten graph, new-kv-graph.ts); `file` still names it in errors,
 * and its folder is where external weights are read from.
 */
export async function createSession(
  file: string,
  request: ProviderRequest,
  threads: number,
  bytes?: Uint8Array,
  spin = true,
): Promise<SessionResult> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: {
      session: {
        // ORT resolves external data of a model loaded from memory against this folder (not the cwd).
        ...(bytes ? { model_external_initializers_file_folder_path: dirname(file) } : {}),
        'intra_op.allow_spinning': spin ? '1' : '0',
      },
    },
  };
  const create = (opts: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> =>
    bytes ? ort.InferenceSession.create(bytes, opts) : ort.InferenceSession.create(file, opts);
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
      const session = await create({ ...base, executionProviders: ['cuda', 'cpu'] });
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
    const session = await create({ ...base, executionProviders: ['cpu'] });
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
