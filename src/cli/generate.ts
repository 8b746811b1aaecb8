// `npm run cli -- generate --model DIR --prompt TEXT [--max-tokens N] [--greedy] [--seed S] [--json]`
import { parseArgs } from 'node:util';
import { Engine, EngineError, type ProviderRequest } from '../main/engine/index.ts';

const USAGE = `usage: generate --model DIR --prompt TEXT [--max-tokens N] [--greedy] [--seed S] [--temperature T]
                [--top-k K] [--top-p P] [--threads N] [--provider auto|cpu|cuda] [--raw] [--json]
  --raw   feed the prompt as-is instead of rendering it with the model's chat template`;

export async function runGenerate(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        prompt: { type: 'string' },
        'max-tokens': { type: 'string', default: '128' },
        greedy: { type: 'boolean', default: false },
        seed: { type: 'string' },
        temperature: { type: 'string' },
        'top-k': { type: 'string' },
        'top-p': { type: 'string' },
        threads: { type: 'string' },
        provider: { type: 'string', default: 'auto' },
        raw: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (a.help || !a.model || a.prompt === undefined) {
    process.stderr.write(USAGE + '\n');
    return a.help ? 0 : 2;
  }
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  if (!['auto', 'cpu', 'cuda'].includes(a.provider)) {
    process.stderr.write(`--provider must be auto, cpu or cuda\n`);
    return 2;
  }
  let engine: Engine | null = null;
  const ac = new AbortController();
  const onSig = (): void => ac.abort();
  process.once('SIGINT', onSig);
  try {
    engine = await Engine.load(a.model, { provider: a.provider as ProviderRequest, threads: num(a.threads) });
    const info = engine.info;
    const useTemplate = !a.raw && info.hasChatTemplate;
    const ids = useTemplate
      ? (await engine.chatDelta([{ role: 'user', content: a.prompt }], [])).append
      : await engine.tokenize(a.prompt);
    const gen = await engine.createGenerator();
    const t0 = performance.now(); // time to first token includes the prompt's prefill
    let tFirst = 0;
    await gen.appendTokens(ids, { signal: ac.signal });
    const d = info.generationDefaults;
    const greedy = a.greedy || (a.temperature === undefined && a.seed === undefined && d.doSample === false);
    const prediction = gen.generate({
      maxTokens: num(a['max-tokens']),
      signal: ac.signal,
      onFragment: (f) => void (f.tokenId !== null && tFirst === 0 && (tFirst = performance.now())),
      sampling: {
        greedy,
        seed: num(a.seed),
        temperature: num(a.temperature) ?? d.temperature,
        topK: num(a['top-k']) ?? d.topK,
        topP: num(a['top-p']) ?? d.topP,
        minP: d.minP,
        repetitionPenalty: d.repetitionPenalty,
      },
    });
    if (!a.json) for await (const f of prediction) process.stdout.write(f.text);
    const r = await prediction;
    const ttft = tFirst ? tFirst - t0 : 0;
    if (a.json) {
      const out = {
        text: r.text,
        token_ids: r.tokenIds,
        stop_reason: r.stopReason,
        stats: {
          prompt_tokens: ids.length,
          generated_tokens: r.generatedTokens,
          ttft_ms: round(ttft),
          decode_tok_s: round(r.decodeTokS),
          provider: info.provider,
        },
      };
      process.stdout.write(JSON.stringify(out) + '\n');
    } else {
      process.stdout.write('\n');
      process.stderr.write(
        `[${r.stopReason}] ${ids.length} prompt + ${r.generatedTokens} generated tokens, ttft ${round(ttft)} ms, ${round(r.decodeTokS)} tok/s on ${info.provider} (${info.variant})\n`,
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof EngineError) process.stderr.write(`${e.title}\n  ${e.cause}\n  ${e.suggestion}\n`);
    else process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSig);
    await engine?.dispose();
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;
