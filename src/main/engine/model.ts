// Loading a model folder into a session + IO map + tokenizer, and the ModelInfo the app sees.
import { readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { parseConfig, type ModelConfig } from './config.ts';
import { fingerprintModel } from './fingerprint.ts';
import { mapIo, type IoMap } from './io-map.ts';
import type { KeyRotation, KvLayout } from '../tensor/kv-types.ts';
import { findModelFiles, type ModelFiles, type ProviderKind } from './model-files.ts';
import { probeMaskedSlots } from './mask-probe.ts';
import { rewriteForNewKv } from './new-kv-graph.ts';
import { createSession, type ProviderRequest } from './providers.ts';
import { ModelTokenizer } from './tokenizer.ts';

export interface LoadOptions {
  /** 'auto' (default) tries CUDA then CPU; 'cuda' also falls back to CPU, with the reason in info.providerReason. */
  provider?: ProviderRequest;
  /** Intra-op threads (default: available parallelism). */
  threads?: number;
  /** Intra-op threads spin-wait instead of sleeping between parallel sections (default true, ORT's; providers.ts). */
  spinThreads?: boolean;
  /** Force a variant file, e.g. 'model_fp16.onnx' (default: chosen per provider, reason in info.variantReason). */
  variant?: string;
  /** JSON file caching per-file SHA-256 by path+size+mtime; null disables the cache. Default: <tmpdir>/reprise-fingerprints.json */
  fingerprintCachePath?: string | null;
  /** Cap the context below config.json's max_position_embeddings (memory). */
  maxContextLength?: number;
  /**
   * Rewrite the graph at load so it outputs only the new tokens' K/V and the engine keeps the past in place
   * (new-kv-graph.ts, slot-kv.ts), when the graph allows it. Default true; false keeps concat(past, new).
   */
  kvInPlace?: boolean;
  /**
   * With kvInPlace: attention reads past and new K/V apart where the graph allows (new-kv-graph.ts). Default
   * true: it saves a copy of the whole past per decode step, but costs copies of the score matrix in long
   * prefill chunks (measured ~1.2x slower cold prefill of 2k tokens on bench-100m, contended machine).
   */
  kvSplitAttention?: boolean;
}

export interface ModelInfo {
  name: string;
  dir: string;
  /** Chosen ONNX file name (e.g. 'model.onnx') and why. */
  variant: string;
  variantReason: string;
  variants: string[];
  onnxFile: string;
  externalDataFiles: string[];
  /** hex SHA-256 over onnx + external data + tokenizer.json + config.json bytes, plus the KV dtype/layout. */
  fingerprint: string;
  layout: KvLayout;
  /** RoPE per config.json; the lossy KV codecs quantize keys with it undone (kv/codec/rope.ts). */
  rope: KeyRotation | null;
  contextLength: number;
  vocabSize: number;
  eosTokenIds: number[];
  bosTokenId: number | null;
  modelType: string;
  provider: ProviderKind;
  providerReason: string;
  hasPositionIds: boolean;
  hasChatTemplate: boolean;
  threads: number;
  /** 'inPlace': the past lives in engine buffers and the graph outputs new K/V only; 'concat': the graph's own present outputs. */
  kvMode: 'inPlace' | 'concat';
  kvModeReason: string;
  generationDefaults: ModelConfig['generationDefaults'];
  loadMs: number;
}

export interface LoadedModel {
  files: ModelFiles;
  config: ModelConfig;
  io: IoMap;
  session: ort.InferenceSession;
  tokenizer: ModelTokenizer;
  info: ModelInfo;
}

export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const t0 = performance.now();
  const request = opts.provider ?? 'auto';
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  // Variant preference depends on the provider; CUDA is only preferred when it is requested explicitly,
  // since on most machines 'auto' ends up on CPU.
  const files = findModelFiles(dir, { variant: opts.variant, provider: request === 'cuda' ? 'cuda' : 'cpu' });
  const config = parseConfig(files.config, files.generationConfig);
  const tokenizer = ModelTokenizer.load(files.tokenizer, files.tokenizerConfig);
  let kvMode: ModelInfo['kvMode'] = 'concat';
  let kvModeReason = 'kvInPlace: false';
  let bytes: Uint8Array | undefined;
  if (opts.kvInPlace !== false) {
    const r = rewriteForNewKv(await readFile(files.onnx).catch(() => new Uint8Array()), {
      splitAttention: opts.kvSplitAttention !== false,
    });
    if ('bytes' in r) {
      ({ bytes } = r);
      kvMode = 'inPlace';
      kvModeReason = `graph rewritten to output the new tokens’ K/V only; attention reads past and new K/V apart in ${r.splitLayers} of ${r.layers} layers`;
    } else kvModeReason = r.reason;
  }
  let { session, provider, providerReason } = await createSession(
    files.onnx,
    request,
    threads,
    bytes,
    opts.spinThreads,
  );
  const io = mapIo(session.inputMetadata, session.outputMetadata, config, files.onnx);
  if (kvMode === 'inPlace') {
    const probe = await probeMaskedSlots(session, io);
    if (!probe.ok) {
      // This graph attends to masked slots: use it as exported, with its own concat(past, new) outputs.
      await session.release();
      ({ session, provider, providerReason } = await createSession(
        files.onnx,
        request,
        threads,
        undefined,
        opts.spinThreads,
      ));
      kvMode = 'concat';
      kvModeReason = `the graph does not mask zeros in attention_mask (probe logits differed by ${probe.diff.toPrecision(3)})`;
    }
  }
  const cachePath =
    opts.fingerprintCachePath === undefined ? join(tmpdir(), 'reprise-fingerprints.json') : opts.fingerprintCachePath;
  const { fingerprint } = await fingerprintModel(
    [files.onnx, ...files.externalData, files.tokenizer, files.config],
    io.layout,
    cachePath,
  );
  const contextLength = Math.min(config.contextLength, opts.maxContextLength ?? Infinity);
  const info: ModelInfo = {
    name: files.name,
    dir: files.dir,
    variant: files.variant,
    variantReason: files.variantReason,
    variants: files.variants,
    onnxFile: files.onnx,
    externalDataFiles: files.externalData,
    fingerprint,
    layout: io.layout,
    rope: config.rope && config.rope.dims <= io.layout.headDim ? config.rope : null,
    contextLength,
    vocabSize: config.vocabSize,
    eosTokenIds: config.eosTokenIds,
    bosTokenId: config.bosTokenId,
    modelType: config.modelType,
    provider,
    providerReason,
    hasPositionIds: io.positionIds !== null,
    hasChatTemplate: tokenizer.hasChatTemplate,
    threads,
    kvMode,
    kvModeReason,
    generationDefaults: config.generationDefaults,
    loadMs: Math.round(performance.now() - t0),
  };
  return { files, config, io, session, tokenizer, info };
}
