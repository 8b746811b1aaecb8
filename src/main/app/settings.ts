/** App settings: a small JSON file in the data directory, validated on read; a bad file falls back to defaults. */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { codecSchema } from '../../shared/vocabulary.ts';
import type { Settings } from '../../shared/views.ts';

const fileSchema = z.object({
  cacheBudgetMb: z.number().int().min(16).default(2048),
  defaultCodec: codecSchema.default('exact'),
  threads: z.number().int().min(0).default(0),
  modelDir: z.string().nullable().default(null),
  /** After a bundle import, check its cache against a recomputation in the background (import-verifier.ts). */
  verifyImports: z.boolean().default(false),
  /** The local OpenAI-compatible API: off until the user turns it on. */
  apiEnabled: z.boolean().default(false),
  apiPort: z.number().int().min(1).max(65535).default(1435),
  /** Generated on first enable; clients send it as a Bearer token. */
  apiKey: z.string().min(16).nullable().default(null),
  /** Hugging Face access token for gated repos (HF_TOKEN in the environment wins). Never sent to the UI. */
  hfToken: z.string().nullable().default(null),
});
export type SettingsFile = z.infer<typeof fileSchema>;

export class SettingsStore {
  private readonly file: string;
  private value: SettingsFile;
  private readonly listeners = new Set<(next: SettingsFile, prev: SettingsFile) => void>();

  constructor(
    dataDir: string,
    private readonly warn: (msg: string) => void = console.warn,
  ) {
    this.file = join(dataDir, 'settings.json');
    this.value = this.read();
  }

  private read(): SettingsFile {
    if (!existsSync(this.file)) return fileSchema.parse({});
    try {
      return fileSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (err) {
      // never the parser's message: it quotes the file's text, and the file holds the API key and the hub token
      const why =
        err instanceof z.ZodError
          ? `bad value for ${err.issues.map((i) => i.path.join('.')).join(', ')}`
          : err instanceof SyntaxError
            ? 'not valid JSON'
            : String(err);
      this.warn(`settings: ${this.file} is unreadable (${why}); using defaults`);
      return fileSchema.parse({});
    }
  }

  get all(): SettingsFile {
    return { ...this.value };
  }

  view(): Settings {
    const { cacheBudgetMb, defaultCodec, threads, verifyImports } = this.value;
    const saved = this.value.hfToken !== null;
    return {
      cacheBudgetMb,
      defaultCodec,
      threads,
      verifyImports,
      hfToken: { inUse: hfTokenSource(this.value), saved },
    };
  }

  /** The token the hub calls use: HF_TOKEN from the environment, else the saved one (as huggingface_hub does). */
  hubToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
    return env.HF_TOKEN || this.value.hfToken || undefined;
  }

  /** Every change, after it is saved: the settings' users read them here instead of keeping copies. */
  onChange(listener: (next: SettingsFile, prev: SettingsFile) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  update(patch: Partial<SettingsFile>): SettingsFile {
    const previous = this.value;
    this.value = fileSchema.parse({
      ...this.value,
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    });
    // Write-then-rename: a crash mid-write never leaves a truncated settings file.
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.value, null, 2));
      renameSync(tmp, this.file);
    } catch (err) {
      rmSync(tmp, { force: true }); // no 0-byte leftover
      this.value = previous; // what is kept is what is on disk
      throw settingsWriteError(err, this.file);
    }
    for (const l of this.listeners) l(this.all, { ...previous });
    return this.all;
  }
}

function hfTokenSource(s: SettingsFile, env: NodeJS.ProcessEnv = process.env): 'env' | 'settings' | null {
  return env.HF_TOKEN ? 'env' : s.hfToken ? 'settings' : null;
}

/** A failed settings write in the database's words: what, why, what to do. */
function settingsWriteError(err: unknown, file: string): AppError {
  const code = (err as { code?: string }).code;
  const cause = `writing ${file} failed: ${(err as Error).message}`;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new AppError({
      code: 'diskFull',
      title: 'The disk is full',
      cause,
      suggestion: 'Free some disk space, then change the setting again. The previous settings are kept.',
    });
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM')
    return new AppError({
      code: 'readOnly',
      title: 'The data folder is read-only',
      cause,
      suggestion: 'Check the permissions of the data folder. The previous settings are kept.',
    });
  return new AppError({
    code: 'settingsWrite',
    title: 'The settings could not be saved',
    cause,
    suggestion: 'The previous settings are kept.',
  });
}
