/** Starts browser mode as a real child process and reads the URL (with its fresh token) it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningServer {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), as a crash would: nothing gets to finish or clean up. */
  crash(): Promise<void>;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'reprise-e2e-'));
}

export async function startServer(
  opts: { dataDir?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const child: ChildProcess = spawn(
    process.execPath,
    ['out/main/serve.js', '--data-dir', dataDir, ...(opts.args ?? [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    },
  );
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser mode did not start:\n${log}`)), 60_000);
    const onData = (b: Buffer): void => {
      log += b.toString();
      const m = /Open: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`browser mode exited with ${code}:\n${log}`));
    });
  });
  const u = new URL(url);
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return {
    url,
    origin: u.origin,
    token: new URLSearchParams(u.hash.slice(1)).get('token')!,
    dataDir,
    stop: () => end('SIGTERM'),
    crash: () => end('SIGKILL'),
  };
}
