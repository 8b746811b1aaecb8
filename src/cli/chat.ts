// `npm run cli -- chat --data DIR [--model DIR|NAME] [--conversation ID | --new] [--system TEXT]
//   [--codec exact|int8|int4] [--max-tokens N] [--temperature T] [--threads N] [--json] MESSAGE`
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.ts';
import { ChatService } from '../main/chat/service.ts';
import type { TurnStats } from '../main/chat/types.ts';
import { Engine } from '../main/engine/index.ts';
import { isCodecName } from '../main/kv/codec/types.ts';
import { recordUse, resolveModelArg } from '../main/models/index.ts';
import { Store } from '../main/store/store.ts';
import type { Sampling } from '../main/store/types.ts';

export const DEFAULT_MODEL_DIR = 'resources/models/reprise-tiny';

export function snakeStats(s: TurnStats): Record<string, number | string | boolean> {
  return {
    restored_tokens: s.restoredTokens,
    prefilled_tokens: s.prefilledTokens,
    restore_ms: s.restoreMs,
    prefill_ms: s.prefillMs,
    ttft_ms: s.ttftMs,
    generated_tokens: s.generatedTokens,
    decode_tok_s: s.decodeTokS,
    stop_reason: s.stopReason,
    codec: s.codec,
    snapshot_raw_bytes: s.snapshotRawBytes,
    snapshot_stored_bytes: s.snapshotStoredBytes,
    dropped_messages: s.droppedMessages,
    context_overflow: s.droppedMessages > 0,
    context_tokens: s.contextTokens,
    context_length: s.contextLength,
    restore_source: s.restoreSource,
    cache_origin: s.cacheOrigin,
  };
}

export async function runChat(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      model: { type: 'string' },
      conversation: { type: 'string' },
      new: { type: 'boolean' },
      system: { type: 'string' },
      codec: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const text = positionals.join(' ');
  if (!values.data) throw new UsageError('--data DIR is required');
  if (!text.trim()) throw new UsageError('MESSAGE is required');
  if (values.conversation && values.new) throw new UsageError('use either --conversation ID or --new');
  if (values.codec !== undefined && !isCodecName(values.codec))
    throw new UsageError(`--codec must be exact, int8 or int4 (got ${values.codec})`);
  const sampling: Sampling = {};
  if (values['max-tokens'] !== undefined) sampling.maxTokens = positiveInt(values['max-tokens'], '--max-tokens');
  if (values.temperature !== undefined) sampling.temperature = Number(values.temperature);
  // --model takes a folder or the name of a model installed with `models pull`.
  const modelDir = values.model ? resolveModelArg(values.data, values.model) : resolve(DEFAULT_MODEL_DIR);
  if (!existsSync(modelDir)) {
    throw Object.assign(new Error(`model folder not found: ${modelDir}`), {
      title: 'Model not found',
      cause: `no folder at ${modelDir}`,
      suggestion: values.model
        ? 'Check the --model path.'
        : 'Pass --model DIR (e.g. fixtures/models/tiny-llama after `npm run fixtures`).',
    });
  }

  const store = Store.open(resolve(values.data));
  let engine: Engine | null = null;
  try {
    engine = await Engine.load(modelDir, values.threads ? { threads: positiveInt(values.threads, '--threads') } : {});
    recordUse(resolve(values.data), { dir: modelDir, fingerprint: engine.info.fingerprint });
    const svc = new ChatService({ store, engine, logger: { warn: (m) => console.error(`warning: ${m}`) } });
    let id = values.conversation;
    if (id) {
      store.conversations.require(id);
      const patch = {
        ...(values.system !== undefined ? { systemPrompt: values.system } : {}),
        ...(values.codec ? { codec: values.codec as 'exact' } : {}),
      };
      const conv = store.conversations.require(id);
      if (Object.keys(patch).length || Object.keys(sampling).length)
        svc.updateConversation(id, { ...patch, sampling: { ...conv.sampling, ...sampling } });
    } else {
      id = svc.createConversation({
        systemPrompt: values.system ?? '',
        sampling,
        ...(values.codec ? { codec: values.codec as 'exact' } : {}),
      }).id;
    }
    const r = await svc.sendMessage(
      { conversationId: id, text },
      { onEvent: (e) => !values.json && e.type === 'fragment' && process.stdout.write(e.text) },
    );
    if (values.json) {
      console.log(
        JSON.stringify({
          conversation_id: id,
          message_id: r.message.id,
          reply: r.message.content,
          stats: snakeStats(r.stats),
        }),
      );
    } else {
      const s = r.stats;
      process.stdout.write('\n');
      console.error(
        `[${id}] restored ${s.restoredTokens} tok (${s.restoreMs} ms), prefilled ${s.prefilledTokens} tok (${s.prefillMs} ms), ttft ${s.ttftMs} ms, ` +
          `${s.generatedTokens} tok at ${s.decodeTokS} tok/s, stop: ${s.stopReason}${s.droppedMessages ? `, context full: dropped ${s.droppedMessages} oldest messages` : ''}`,
      );
    }
    await svc.close();
    return 0;
  } finally {
    await engine?.dispose();
    store.close();
  }
}

function positiveInt(s: string, name: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer (got ${s})`);
  return n;
}
