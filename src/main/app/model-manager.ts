/**
 * Owns the loaded model. Opening another folder loads it beside the current one and swaps only on
 * success, so a bad folder leaves the working model in place and says what is wrong.
 */
import { Engine, type ModelInfo } from '../engine/index.ts';
import { AppError, serializeError } from '../../shared/errors.ts';
import type { LoadProgress, ModelStatus, ModelView } from '../../shared/views.ts';

export interface ModelManagerOptions {
  defaultDir: string;
  workerPath?: string | URL;
  /** Intra-op threads for the next load (0 or absent: automatic); read at each load. */
  threads?: () => number;
  fingerprintCachePath?: string;
  log?: (msg: string) => void;
}

export function modelView(info: ModelInfo, defaultDir: string): ModelView {
  return {
    name: info.name,
    dir: info.dir,
    variant: info.variant,
    provider: info.provider,
    providerReason: info.providerReason,
    contextLength: info.contextLength,
    kvDtype: info.layout.dtype,
    layers: info.layout.numLayers,
    isDefault: info.dir === defaultDir,
    threads: info.threads,
    fingerprint: info.fingerprint,
  };
}

export class ModelManager {
  private current: Engine | null = null;
  private state: ModelStatus;
  private loading: Promise<ModelStatus> | null = null;
  private readonly listeners = new Set<(engine: Engine | null) => void>();
  private readonly statusListeners = new Set<(status: ModelStatus) => void>();

  constructor(private readonly opts: ModelManagerOptions) {
    this.state = { state: 'loading', dir: opts.defaultDir, message: 'Not loaded yet' };
  }

  get status(): ModelStatus {
    return this.state;
  }

  private set status(s: ModelStatus) {
    this.state = s;
    for (const l of this.statusListeners) l(s);
  }

  /** Every status change (loading, ready, error), for pushing to the UI. */
  onStatus(listener: (status: ModelStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** The built-in model's folder ("switch back" on the Models page). */
  get defaultDir(): string {
    return this.opts.defaultDir;
  }

  get engine(): Engine | null {
    return this.current;
  }

  /** Called after a swap, so holders of generators can drop them. */
  onSwap(listener: (engine: Engine | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async open(dir: string, onProgress: (p: LoadProgress) => void = () => {}): Promise<ModelStatus> {
    while (this.loading) await this.loading.catch(() => undefined);
    const previous =
      this.state.state === 'ready' ? this.state.model : this.state.state === 'error' ? this.state.previous : null;
    this.status = { state: 'loading', dir, message: 'Loading model…' };
    onProgress({ message: `Loading ${dir}`, fraction: 0 });
    const run = (async (): Promise<ModelStatus> => {
      try {
        const engine = await Engine.load(dir, {
          workerPath: this.opts.workerPath,
          threads: this.opts.threads?.() || undefined,
          fingerprintCachePath: this.opts.fingerprintCachePath,
        });
        const old = this.current;
        this.current = engine;
        this.status = { state: 'ready', model: modelView(engine.info, this.opts.defaultDir) };
        this.opts.log?.(
          `model: ${engine.info.name} (${engine.info.variant}) on ${engine.info.provider}: ${engine.info.providerReason}`,
        );
        for (const l of this.listeners) l(engine);
        await old?.dispose();
        onProgress({ message: 'Model ready', fraction: 1 });
      } catch (err) {
        // Keep the previous engine running: the status says both what failed and what is still loaded.
        const still = this.current ? modelView(this.current.info, this.opts.defaultDir) : previous;
        this.status = { state: 'error', dir, error: serializeError(err), previous: still };
        this.opts.log?.(`model: could not load ${dir}: ${serializeError(err).cause ?? ''}`);
      }
      return this.state;
    })();
    this.loading = run;
    try {
      return await run;
    } finally {
      this.loading = null;
    }
  }

  /** Loads the current model again (after a setting that applies at load, such as threads, changed). */
  async reload(): Promise<ModelStatus> {
    await this.settled();
    return this.current ? this.open(this.current.info.dir) : this.state;
  }

  /** Resolves once no load is in progress (a turn asked for during start-up waits instead of failing). */
  async settled(): Promise<void> {
    while (this.loading) await this.loading.catch(() => undefined);
  }

  /** The engine, or a clear error saying why there is none. */
  require(): Engine {
    if (this.current) return this.current;
    const s = this.state;
    if (s.state === 'error') throw new AppError({ ...s.error, title: `No model loaded: ${s.error.title}` });
    throw new AppError({
      code: 'modelLoading',
      title: 'The model is still loading',
      suggestion: 'Try again in a moment.',
    });
  }

  async dispose(): Promise<void> {
    await this.current?.dispose();
    this.current = null;
  }
}
