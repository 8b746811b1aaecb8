// A model folder typed by a person (the Open model folder dialog): `~` is their home folder, and a relative
// path is refused: resolved here it would mean the server's working directory, which nobody can see.
import { homedir } from 'node:os';
import { isAbsolute, join, normalize } from 'node:path';
import { AppError } from '../../shared/errors.ts';

export function typedModelPath(input: string, home: string = homedir()): string {
  const t = input.trim();
  if (t === '~') return home;
  if (t.startsWith('~/') || t.startsWith('~\\')) return join(home, t.slice(2));
  if (isAbsolute(t)) return normalize(t);
  throw new AppError({
    code: 'badArgument',
    title: 'Type the folder’s full path',
    cause: t.startsWith('~')
      ? `“${t}”: only ~ (your home folder, ${home}) is understood, not another user’s`
      : `“${t}” is a relative path, and there is no folder it would be relative to`,
    suggestion: `Start with / or with ~/ for your home folder (${home}), e.g. ~/models/Qwen2.5-0.5B-Instruct.`,
    file: t,
  });
}
