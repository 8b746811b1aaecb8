// What every endpoint does with a request: check the model, render the prompt's token log with the model's
// own chat template, queue behind the running request (bounded), and run it on the app's engine session
// with the shared prompt cache.
import { randomUUID } from 'node:crypto';
import type { Backend } from '../app/backend.ts';
import { type CompletionResult, runCompletion } from '../chat/completion.ts';
import { engineSampling } from '../chat/sampling.ts';
import type { ChatMessage, Engine } from '../engine/index.ts';
import { findInstalled } from '../models/library.ts';
import type { ApiEntryKind } from '../store/api-entries.ts';
import type { SSEStreamingApi } from 'hono/streaming';
import { ApiError, invalidRequest, toApiError } from './errors.ts';
import type { RequestLog } from './request-log.ts';

export interface RunRequest {
  endpoint: string;
  log: number[];
  temperature?: number | null;
  topP?: number | null;
  seed?: number | null;
  maxTokens?: number | null;
  stop?: string[];
  signal: AbortSignal;
  onText?: (text: string) => void;
  /** The entry that owns the request's blocks ('prompt' entries are pruned, least recently used first). */
  entry?: { id: string; kind: ApiEntryKind; previousId: string | null };
  /** The request's place in the queue (admit()), given up when the run ends. */
  admission: Admission;
}

/** A request's place in the queue; release() gives it up (once, however often it is called). */
export interface Admission {
  release(): void;
}

/** Prompt-cache entries kept (each owns its chain of blocks; the cache budget still applies to all blocks). */
export const PROMPT_ENTRIES_KEPT = 64;
/** Requests waiting or running before new ones get 429. */
export const DEFAULT_MAX_QUEUE = 16;

export class ApiRunner {
  private pending = 0;

  constructor(
    readonly backend: Backend,
    readonly log: RequestLog,
    private readonly maxQueue = DEFAULT_MAX_QUEUE,
  ) {}

  /** Requests waiting or running now. */
  get queued(): number {
    return this.pending;
  }

  /** Logs a failed request. */
  failed(endpoint: string, err: unknown): ApiError {
    const e = toApiError(err);
    this.log.add({
      time: Date.now(),
      endpoint,
      status: e.status,
      promptTokens: 0,
      cachedTokens: 0,
      completionTokens: 0,
      ttftMs: null,
      tokS: null,
      error: e.message,
    });
    return e;
  }

  /** An error after a stream began: the client gets it as a last `data:` line in OpenAI's shape. */
  onStreamError(endpoint: string) {
    return async (err: Error, stream: SSEStreamingApi): Promise<void> => {
      const e = this.failed(endpoint, err);
      if (!stream.aborted) await stream.writeSSE({ data: JSON.stringify(e.body()) });
    };
  }

  /** The id clients use for the loaded model. */
  modelId(): string | null {
    return this.backend.chat.engine?.info.name ?? null;
  }

  /** Resolves once no model load is in progress (a request during start-up waits instead of failing). */
  settled(): Promise<void> {
    return this.backend.models.settled();
  }

  /** The loaded engine, when `requested` names it (ids are the model's name); waits for a load in progress. */
  async engineFor(requested: string): Promise<Engine> {
    await this.settled();
    const engine = this.backend.chat.engine;
    if (!engine)
      throw new ApiError(503, 'No model is loaded in Reprise yet. Open one in the app, then retry.', 'server_error');
    if (requested !== engine.info.name)
      throw new ApiError(
        404,
        findInstalled(this.backend.dataDir, requested)
          ? `The model '${requested}' is installed but not loaded; open it in Reprise (one model runs at a time). The loaded model is '${engine.info.name}'.`
          : `The model '${requested}' is not loaded. The loaded model is '${engine.info.name}' (GET /v1/models lists it).`,
        'invalid_request_error',
        'model',
        'model_not_found',
      );
    return engine;
  }

  /** The chat template's rendering of `messages`, ending with the assistant's generation prompt. */
  async chatLog(engine: Engine, messages: ChatMessage[], previous: number[] = []): Promise<number[]> {
    const d = await engine.chatDelta(messages, previous);
    return [...previous.slice(0, d.keep), ...d.append];
  }

  /**
   * A place in the queue from the request's arrival, or 429. Counted from the start because the chat
   * template and the tokenizer run on the engine's worker too: counted only at the run, any number of
   * requests could pile up behind a generation before the bound saw one.
   */
  admit(): Admission {
    if (this.pending >= this.maxQueue)
      throw new ApiError(
        429,
        `Too many requests: ${this.pending} are already queued for the model (one runs at a time). Retry later.`,
        'rate_limit_error',
        null,
        'rate_limit_exceeded',
      );
    this.pending++;
    let held = true;
    return {
      release: () => {
        if (held) this.pending--;
        held = false;
      },
    };
  }

  /** Admits a request while `prepare` runs (its template, its tokens); on a failure the place is given up. */
  async admitted<T>(prepare: (admission: Admission) => Promise<T>): Promise<T> {
    const admission = this.admit();
    try {
      return await prepare(admission);
    } catch (err) {
      admission.release();
      throw err;
    }
  }

  async run(r: RunRequest): Promise<CompletionResult & { entryId: string; clientGone: boolean }> {
    const { chat, settings } = this.backend;
    const entry = r.entry ?? { id: `prompt-${randomUUID()}`, kind: 'prompt' as const, previousId: null };
    try {
      return await chat.session.withLock(async () => {
        if (r.signal.aborted) throw new ApiError(499 as 400, 'The client went away', 'invalid_request_error');
        const engine = chat.session.requireEngine();
        const prefs = settings.all;
        chat.store.apiEntries.put({ ...entry, model: engine.info.name, tokenLog: null, body: null });
        const sampling = engineSampling(
          { temperature: r.temperature ?? undefined, topP: r.topP ?? undefined, seed: r.seed ?? undefined },
          engine.info.generationDefaults,
        );
        const result = await runCompletion(chat.session, chat.store, this.backend.logger, {
          log: r.log,
          entryId: entry.id,
          sampling,
          maxTokens: Math.min(r.maxTokens ?? engine.info.contextLength, engine.info.contextLength),
          stop: r.stop,
          codec: prefs.defaultCodec,
          blockSize: chat.blockSize,
          cacheBudgetMb: prefs.cacheBudgetMb,
          signal: r.signal,
          onText: r.onText,
        }).catch(async (err: unknown) => {
          // a failed request leaves the engine mid-way: the next one starts clean
          await chat.session.drop();
          throw err;
        });
        chat.store.transaction(() => chat.store.apiEntries.prunePrompts(PROMPT_ENTRIES_KEPT)); // and their blocks' files
        return { ...result, entryId: entry.id, clientGone: r.signal.aborted };
      });
    } finally {
      r.admission.release();
    }
  }
}

/** A stream's body that gives up the request's place when it ends, whether or not its run began. */
export function releasing<A extends unknown[]>(admission: Admission, body: (...a: A) => Promise<void>) {
  return async (...a: A): Promise<void> => {
    try {
      await body(...a);
    } finally {
      admission.release();
    }
  };
}

/** A message's text; image or audio parts are refused (the loaded models read text only). */
export function textOf(content: string | Array<{ type: string; text?: unknown }> | null, param: string): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((p, i) => {
      if (typeof p.text === 'string' && /text$/.test(p.type)) return p.text;
      throw invalidRequest(`Only text content is supported; part ${i} is '${p.type}'.`, `${param}[${i}].type`);
    })
    .join('');
}

/** n, frequency_penalty and presence_penalty: accepted only where they change nothing. */
export function refuseUnsupported(b: {
  n?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
}): void {
  if (b.n != null && b.n !== 1) throw invalidRequest('Only n = 1 is supported (one model, one sequence).', 'n');
  for (const k of ['frequency_penalty', 'presence_penalty'] as const)
    if (b[k] != null && b[k] !== 0)
      throw invalidRequest(
        `${k} is not supported by Reprise's sampler; leave it at 0 (temperature, top_p and seed are supported).`,
        k,
      );
}

export const stopList = (stop: string | string[] | null | undefined): string[] | undefined =>
  stop == null ? undefined : typeof stop === 'string' ? [stop] : stop;

export const FINISH: Record<string, 'stop' | 'length'> = {
  eos: 'stop',
  stopString: 'stop',
  userStopped: 'stop',
  maxTokens: 'length',
  contextFull: 'length',
};
