// `list`, `export`, `import`: the conversation store without a model.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.ts';
import { ChatService, type ExportFormat } from '../main/chat/service.ts';
import { Store } from '../main/store/store.ts';

function withService<T>(data: string | undefined, fn: (svc: ChatService) => T, skipIntegrityCheck = false): T {
  if (!data) throw new UsageError('--data DIR is required');
  const store = Store.open(resolve(data), { skipIntegrityCheck });
  try {
    return fn(new ChatService({ store }));
  } finally {
    store.close();
  }
}

/** `list --data DIR [--json]` */
export async function runList(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, json: { type: 'boolean' } } });
  return withService(values.data, (svc) => {
    const list = svc.listConversations();
    if (values.json) {
      console.log(
        JSON.stringify(
          list.map((c) => ({
            id: c.id,
            title: c.title,
            created_at: c.createdAt,
            updated_at: c.updatedAt,
            messages: c.messageCount,
            model: c.model,
            codec: c.codec,
          })),
        ),
      );
    } else {
      if (list.length === 0) console.log('(no conversations)');
      for (const c of list)
        console.log(
          `${c.id}  ${new Date(c.updatedAt).toISOString().slice(0, 16).replace('T', ' ')}  ${String(c.messageCount).padStart(4)} msgs  ${c.title}`,
        );
    }
    return 0;
  });
}

/** `export --data DIR [--conversation ID]... [--format json|markdown|bundle] [--out FILE]` */
export async function runExport(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      conversation: { type: 'string', multiple: true },
      format: { type: 'string' },
      out: { type: 'string' },
      // a damaged database: export what can still be read
      'skip-check': { type: 'boolean' },
    },
  });
  const format = (values.format ?? 'json') as ExportFormat;
  if (!['json', 'markdown', 'bundle'].includes(format))
    throw new UsageError(`--format must be json, markdown or bundle (got ${format})`);
  if (format === 'bundle' && !values.out) throw new UsageError('a bundle is binary: pass --out FILE');
  return withService(
    values.data,
    (svc) => {
      const r = svc.exportConversations({ format, ...(values.conversation ? { ids: values.conversation } : {}) });
      if (values.out) {
        writeFileSync(resolve(values.out), r.data);
        console.error(`wrote ${values.out} (${r.data.length} bytes)`);
      } else process.stdout.write(r.data);
      return 0;
    },
    values['skip-check'] ?? false,
  );
}

/** `import --data DIR FILE` (Reprise JSON, a Reprise bundle, or ChatGPT's conversations.json) */
export async function runImport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { data: { type: 'string' }, json: { type: 'boolean' } },
  });
  const file = positionals[0];
  if (!file) throw new UsageError('FILE is required');
  const bytes = readFileSync(resolve(file));
  return withService(values.data, (svc) => {
    const r = svc.importFile(bytes);
    if (values.json)
      console.log(
        JSON.stringify({ conversation_ids: r.conversationIds, format: r.format, imported_blocks: r.importedBlocks }),
      );
    else
      console.log(
        `imported ${r.conversationIds.length} conversation(s) from ${r.format}${r.importedBlocks ? ` with ${r.importedBlocks} KV blocks` : ''}:\n${r.conversationIds.join('\n')}`,
      );
    return 0;
  });
}
