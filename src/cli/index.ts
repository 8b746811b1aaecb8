/** `npm run cli -- <command> …`: headless Reprise (also what benchmarks and end-to-end checks drive). */
import { MODELS_USAGE } from './models-usage.ts';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  generate --model DIR --prompt TEXT [--max-tokens N] [--greedy] [--seed S] [--json]
  chat     --data DIR [--model DIR|NAME] [--conversation ID | --new] [--system TEXT] [--codec exact|int8|int4] [--json] MESSAGE
  list     --data DIR [--json]
  export   --data DIR [--conversation ID] [--format json|markdown|bundle] [--out FILE] [--skip-check]
  import   --data DIR FILE
  verify   --data DIR [--model DIR] --conversation ID [--json]   (check a cache imported from a file)
  api      --data DIR [--model DIR] [--api-port N] [--api-key KEY] [--host ADDR] [--cors ORIGIN,…]
           the local OpenAI-compatible API (key: --api-key, REPRISE_API_KEY, the saved one, or a new one)
${MODELS_USAGE}`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  generate: async () => (await import('./generate.ts')).runGenerate,
  chat: async () => (await import('./chat.ts')).runChat,
  list: async () => (await import('./conversations.ts')).runList,
  export: async () => (await import('./conversations.ts')).runExport,
  import: async () => (await import('./conversations.ts')).runImport,
  api: async () => (await import('./api.ts')).runApi,
  verify: async () => (await import('./verify.ts')).runVerify,
  models: async () => (await import('./models.ts')).runModels,
};

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`reprise: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  return (await load())(rest);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as { title?: string; cause?: unknown; suggestion?: string; message?: string };
    console.error(`reprise: ${e.title ?? e.message ?? String(err)}`);
    if (typeof e.cause === 'string') console.error(`  cause: ${e.cause}`);
    if (e.suggestion) console.error(`  suggestion: ${e.suggestion}`);
    process.exit(1);
  },
);
