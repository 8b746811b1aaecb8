// `npm run cli -- verify --data DIR [--model DIR] --conversation ID [--json]`: checks a cache imported from a
// file against a local recomputation, replaces the blocks that differ, and marks the conversation verified.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChatService } from '../main/chat/service.ts';
import { Engine } from '../main/engine/index.ts';
import { Store } from '../main/store/store.ts';
import { DEFAULT_MODEL_DIR } from './chat.ts';
import { UsageError } from './usage-error.ts';

export async function runVerify(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      model: { type: 'string' },
      conversation: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (!values.data) throw new UsageError('--data DIR is required');
  if (!values.conversation) throw new UsageError('--conversation ID is required');
  const modelDir = resolve(values.model ?? DEFAULT_MODEL_DIR);
  if (!existsSync(modelDir)) throw new UsageError(`model folder not found: ${modelDir}`);
  const store = Store.open(resolve(values.data));
  let engine: Engine | null = null;
  try {
    store.conversations.require(values.conversation);
    engine = await Engine.load(modelDir);
    const svc = new ChatService({ store, engine, logger: { warn: (m) => console.error(`warning: ${m}`) } });
    const r = await svc.verifyImportedCache(values.conversation);
    await svc.close();
    if (values.json)
      console.log(
        JSON.stringify({
          conversation_id: r.conversationId,
          checked_blocks: r.checkedBlocks,
          replaced_blocks: r.replacedBlocks,
          recomputed_logs: r.recomputedLogs,
          verified_at: r.verifiedAt,
        }),
      );
    else if (r.verifiedAt === null) console.log('the conversation computed its own cache: nothing to verify');
    else
      console.log(
        `checked ${r.checkedBlocks} imported KV blocks against ${r.recomputedLogs} recomputed branch(es); replaced ${r.replacedBlocks}`,
      );
    return 0;
  } finally {
    await engine?.dispose();
    store.close();
  }
}
