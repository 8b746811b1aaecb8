/** Small, locale-aware formatting helpers for numbers, sizes, durations and dates. */
const int = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export function formatInt(n: number): string {
  return int.format(n);
}

/** "1 block", "2 blocks", "1,024 tokens": a count with its noun. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${int.format(n)} ${n === 1 ? noun : nouns}`;
}

export function formatRate(n: number): string {
  return one.format(n);
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? int.format(v) : one.format(v)} ${units[u]}`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 10) return `${one.format(ms)} ms`;
  if (ms < 1000) return `${int.format(ms)} ms`;
  return `${one.format(ms / 1000)} s`;
}

/** Timestamps may be seconds or milliseconds since the epoch; the UI always works in milliseconds. */
export function toMillis(t: number): number {
  return t < 1e12 ? t * 1000 : t;
}

/** 'Today', 'Yesterday', 'Previous 7 days', 'Previous 30 days', then a month of this year, then a year. */
export type DateGroup = string;

const monthFmt = new Intl.DateTimeFormat(undefined, { month: 'long' });

export function dateGroup(t: number, nowMs: number = Date.now()): DateGroup {
  const now = new Date(nowMs);
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 24 * 60 * 60 * 1000;
  const ms = toMillis(t);
  if (ms >= startOfToday) return 'Today';
  if (ms >= startOfToday - day) return 'Yesterday';
  if (ms >= startOfToday - 7 * day) return 'Previous 7 days';
  if (ms >= startOfToday - 30 * day) return 'Previous 30 days';
  const d = new Date(ms);
  return d.getFullYear() === now.getFullYear() ? monthFmt.format(d) : String(d.getFullYear());
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatWhen(t: number, now: number = Date.now()): string {
  const g = dateGroup(t, now);
  return g === 'Today' ? timeFmt.format(toMillis(t)) : dateFmt.format(toMillis(t));
}

export function formatFull(t: number): string {
  return fullFmt.format(toMillis(t));
}
