// The engine worker's loop: owns the ORT session (whose run() would block the main event loop) and all
// sequences. Requests run one at a time in arrival order; cancel goes through shared memory so it is seen
// between steps even while this thread is busy. worker.ts runs it as is; a worker entry of the bench adds
// operations of its own (`extensions`) that run in the same queue, on the same session.
import { parentPort, workerData } from 'node:worker_threads';
import { chatTurnDelta } from './chat-delta.ts';
import { EngineError, serializeError } from './errors.ts';
import { generate } from './generation.ts';
import { loadModel, type LoadedModel } from './model.ts';
import type { FromWorker, Request, ToWorker, WorkerData } from './protocol.ts';
import { Sampler } from './sampling/sampler.ts';
import { Sequence } from './sequence.ts';
import { TokenBatcher } from './token-batcher.ts';

/** Operations a worker entry adds by name (Request `extension`); none in the product's worker. */
export type Extensions = Record<string, (model: LoadedModel, args: unknown) => Promise<unknown>>;

export function serveEngine(extensions: Extensions = {}): void {
  const port = parentPort!;
  const flags = new Int32Array((workerData as WorkerData).cancelFlags);
  let model: LoadedModel | null = null;
  const seqs = new Map<number, Sequence>();
  let nextSeq = 1;

  const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

  function need(): LoadedModel {
    if (!model)
      throw new EngineError({
        code: 'internal',
        title: 'No model loaded',
        cause: 'The worker received a request before load.',
        suggestion: '',
      });
    return model;
  }
  function seqOf(id: number): Sequence {
    const s = seqs.get(id);
    if (!s)
      throw new EngineError({
        code: 'disposed',
        title: 'Generator disposed',
        cause: `Generator ${id} no longer exists.`,
        suggestion: 'Create a new generator.',
      });
    return s;
  }

  async function handle(
    id: number,
    slot: number,
    req: Request,
  ): Promise<{ result: unknown; transfer?: ArrayBuffer[] }> {
    const cancelled = (): boolean => Atomics.load(flags, slot) !== 0;
    switch (req.op) {
      case 'load':
        model = await loadModel(req.dir, req.opts);
        return { result: model.info };
      case 'newSeq':
        seqs.set(nextSeq, new Sequence(need()));
        return { result: nextSeq++ };
      case 'dropSeq':
        seqs.get(req.seq)?.release();
        seqs.delete(req.seq);
        return { result: undefined };
      case 'append': {
        const s = seqOf(req.seq);
        s.append(req.ids);
        await s.flush({
          chunkSize: req.chunkSize,
          cancelled,
          onProgress: req.progress ? (done, total) => post({ id, type: 'progress', done, total }) : undefined,
        });
        return { result: undefined };
      }
      case 'next': {
        const s = seqOf(req.seq);
        await s.ensureLogits({ cancelled });
        const tok = new Sampler(req.sampling).sample(s.logits, s.tokens);
        s.tokens.push(tok);
        return { result: tok };
      }
      case 'generate': {
        const batch = new TokenBatcher((events) => post({ id, type: 'tokens', events }));
        try {
          return { result: await generate(need(), seqOf(req.seq), req.opts, (e) => batch.push(e), cancelled) };
        } finally {
          batch.flush(); // on errors too: the main thread's token log mirror must see every sampled id
        }
      }
      case 'rewind':
        seqOf(req.seq).rewindTo(req.n);
        return { result: undefined };
      case 'logits': {
        const s = seqOf(req.seq);
        await s.ensureLogits({ cancelled });
        const copy = s.logits.slice();
        return { result: copy, transfer: [copy.buffer] };
      }
      case 'exportKv': {
        const slice = await seqOf(req.seq).exportKv(req.start, req.end);
        return {
          result: slice,
          transfer: slice.layers.flatMap((l) => [l.key.buffer as ArrayBuffer, l.value.buffer as ArrayBuffer]),
        };
      }
      case 'restoreKv':
        seqOf(req.seq).restoreKv(req.slices);
        return { result: undefined };
      case 'loadKvFiles':
        return { result: await seqOf(req.seq).loadRowFiles(req.files, req.tokens) };
      case 'saveKvFiles':
        return { result: await seqOf(req.seq).saveRowFiles(req.files) };
      case 'tokenize':
        return { result: need().tokenizer.encode(req.text, req.special) };
      case 'detokenize':
        return { result: need().tokenizer.decode(req.ids, req.skipSpecial) };
      case 'renderChat':
        return { result: need().tokenizer.renderChat(req.messages, req.addGenerationPrompt) };
      case 'chatDelta':
        return { result: chatTurnDelta(need().tokenizer, req.messages, req.log) };
      case 'extension': {
        const run = Object.hasOwn(extensions, req.name) ? extensions[req.name] : undefined;
        if (!run)
          throw new EngineError({
            code: 'internal',
            title: 'Unknown engine operation',
            cause: `This engine worker has no operation "${req.name}".`,
            suggestion: '',
          });
        return { result: await run(need(), req.args) };
      }
    }
  }

  let queue: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    queue = queue.then(async () => {
      const seqId = 'seq' in msg.req ? msg.req.seq : undefined;
      const count = (): number | undefined => (seqId === undefined ? undefined : seqs.get(seqId)?.tokens.length);
      try {
        const { result, transfer } = await handle(msg.id, msg.slot, msg.req);
        post({ id: msg.id, type: 'result', result, tokenCount: count() }, transfer);
      } catch (e) {
        post({ id: msg.id, type: 'error', error: serializeError(e), tokenCount: count() });
      }
    });
  });
}
