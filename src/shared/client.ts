/**
 * The typed client over any RpcChannel. The renderer, tests and tools use it; it never knows which
 * transport carries the messages. No Node or Electron imports.
 */
import type {
  MethodName,
  MethodParams,
  MethodResults,
  RpcChannel,
  ServerMessage,
  StreamFragment,
  StreamName,
  StreamPacket,
  StreamParams,
  StreamProgress,
  StreamResult,
} from './contract.ts';
import { AppError } from './errors.ts';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

/** A running prediction: await it for the result, iterate it for fragments, cancel it to stop. */
export class Prediction<F, P, R> implements PromiseLike<R>, AsyncIterable<F> {
  private readonly result: Promise<R>;
  private settle!: { resolve: (r: R) => void; reject: (e: unknown) => void };
  private readonly queue: F[] = [];
  private wake: (() => void) | null = null;
  private done = false;
  private readonly progressListeners = new Set<(p: P) => void>();

  constructor(private readonly cancelFn: () => void) {
    this.result = new Promise<R>((resolve, reject) => (this.settle = { resolve, reject }));
    // Awaiting is optional when a caller only iterates: keep an unobserved rejection quiet.
    this.result.catch(() => undefined);
  }

  /** @internal */
  push(packet: StreamPacket<F, P, R>): void {
    if (this.done) return;
    switch (packet.type) {
      case 'fragment':
        this.queue.push(packet.data);
        break;
      case 'progress':
        for (const l of this.progressListeners) l(packet.data);
        break;
      case 'success':
        this.done = true;
        this.settle.resolve(packet.data);
        break;
      case 'error':
        this.done = true;
        this.settle.reject(new AppError(packet.error));
        break;
    }
    this.wake?.();
  }

  /** @internal the transport went away */
  fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.settle.reject(err);
    this.wake?.();
  }

  onProgress(listener: (p: P) => void): this {
    this.progressListeners.add(listener);
    return this;
  }

  cancel(): void {
    if (!this.done) this.cancelFn();
  }

  then<A = R, B = never>(
    onfulfilled?: ((value: R) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onfulfilled, onrejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<F> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.done) {
        await this.result;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
}

export interface ApiClient {
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]>;
  stream<S extends StreamName>(
    method: S,
    params: StreamParams<S>,
  ): Prediction<StreamFragment<S>, StreamProgress<S>, StreamResult<S>>;
  close(): void;
}

export function createClient(channel: RpcChannel): ApiClient {
  let nextId = 1;
  const calls = new Map<number, Pending>();
  const streams = new Map<number, Prediction<unknown, unknown, unknown>>();
  /** Set by close(): from then on nothing would ever answer, so every call fails at once instead of hanging. */
  let closed: AppError | null = null;

  const off = channel.onMessage((msg: ServerMessage) => {
    if (msg.kind === 'result') {
      const p = calls.get(msg.id);
      if (!p) return;
      calls.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new AppError(msg.error));
    } else {
      const s = streams.get(msg.id);
      if (!s) return;
      s.push(msg.packet);
      if (msg.packet.type === 'success' || msg.packet.type === 'error') streams.delete(msg.id);
    }
  });

  return {
    call(method, params) {
      const id = nextId++;
      if (closed) return Promise.reject(closed);
      return new Promise((resolve, reject) => {
        calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
        channel.send({ kind: 'call', id, method, params });
      });
    },
    stream<S extends StreamName>(method: S, params: StreamParams<S>) {
      const id = nextId++;
      const prediction = new Prediction<StreamFragment<S>, StreamProgress<S>, StreamResult<S>>(() =>
        channel.send({ kind: 'cancel', id }),
      );
      if (closed) {
        prediction.fail(closed);
        return prediction;
      }
      streams.set(id, prediction as unknown as Prediction<unknown, unknown, unknown>);
      channel.send({ kind: 'stream', id, method, params });
      return prediction;
    },
    close() {
      off();
      const gone = new AppError({ code: 'connectionClosed', title: 'Connection closed' });
      closed = gone;
      for (const p of calls.values()) p.reject(gone);
      for (const s of streams.values()) s.fail(gone);
      calls.clear();
      streams.clear();
    },
  };
}
