// Free space on the disk that holds a folder (node:fs statfs), checked before a download starts.
import { statfs } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

export type FreeSpaceProbe = (dir: string) => Promise<number>;

/** Bytes available to this user on the filesystem of `dir` (or of its nearest existing parent). */
export const freeSpace: FreeSpaceProbe = async (dir) => {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  const s = await statfs(d);
  return s.bavail * s.bsize;
};

/** Kept free beyond the download itself, so the disk is never filled to the last byte. */
export const DISK_MARGIN_BYTES = 64 * 2 ** 20;

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} kB`;
  return `${n} B`;
}
