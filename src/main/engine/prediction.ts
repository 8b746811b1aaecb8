// A running generation: awaitable (final result) and async-iterable (text fragments), lmstudio-js style.
import type { GenerationResult } from './generation.ts';

export interface Fragment {
  text: string;
  /** The sampled token behind this fragment; null for text released at the end of the stream. */
  tokenId: number | null;
}

export class Prediction implements PromiseLike<GenerationResult>, AsyncIterable<Fragment> {
  private readonly queue: Fragment[] = [];
  private waiter: (() => void) | null = null;
  private done = false;
  private failure: unknown = null;
  readonly result: Promise<GenerationResult>;

  /** @internal */
  constructor(
    run: (push: (f: Fragment) => void) => Promise<GenerationResult>,
    private readonly cancelFn: () => void,
  ) {
    this.result = run((f) => {
      this.queue.push(f);
      this.wake();
    }).then(
      (r) => {
        this.done = true;
        this.wake();
        return r;
      },
      (e: unknown) => {
        this.done = true;
        this.failure = e;
        this.wake();
        throw e;
      },
    );
    this.result.catch(() => {}); // errors surface through await/iteration, never as unhandled rejections
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Stop generating; the result resolves with stopReason 'userStopped' within one decode step. */
  cancel(): void {
    this.cancelFn();
  }

  then<A = GenerationResult, B = never>(
    onOk?: ((v: GenerationResult) => A | PromiseLike<A>) | null,
    onErr?: ((e: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onOk, onErr);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Fragment> {
    for (;;) {
      const f = this.queue.shift();
      if (f) {
        yield f;
        continue;
      }
      if (this.done) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((r) => (this.waiter = r));
    }
  }
}
