/** Where Reprise keeps its data: Electron's `userData` convention, computed without Electron so browser mode agrees. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_NAME = 'Reprise';

export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), APP_NAME);
}

/** `--data-dir` beats `REPRISE_DATA_DIR` beats the platform default. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.REPRISE_DATA_DIR ?? defaultDataDir(process.platform, env);
}
