// Folder names of installed models: <repo name>-<variant> (Qwen2.5-0.5B-Instruct-q4), safe on every OS.
import { ModelError } from './errors.ts';

export function defaultModelName(repo: string, variant: string): string {
  return `${repo.split('/').pop()}-${variant}`.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export function checkModelName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name))
    throw new ModelError({
      code: 'badName',
      title: 'Invalid model name',
      cause: `"${name}" is not a usable folder name.`,
      suggestion: 'Use letters, digits, dots, dashes and underscores, starting with a letter or digit.',
    });
  return name;
}
