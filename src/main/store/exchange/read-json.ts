// Bytes -> JSON with errors that say what is wrong: too large, not UTF-8 (with the byte offset), not JSON.
import { ImportError } from './errors.ts';

export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // sequence length after the lead byte, and the smallest code point it may encode (no overlongs)
    const [n, min] =
      c >= 0xc2 && c <= 0xdf
        ? [1, 0x80]
        : c >= 0xe0 && c <= 0xef
          ? [2, 0x800]
          : c >= 0xf0 && c <= 0xf4
            ? [3, 0x10000]
            : [0, 0];
    if (n === 0) return i;
    if (i + n >= b.length) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

export function readJson(bytes: Uint8Array, maxBytes: number, what = 'The file'): unknown {
  if (bytes.byteLength > maxBytes) {
    throw new ImportError(
      `${what} is too large`,
      `${bytes.byteLength} bytes; the limit is ${maxBytes} bytes`,
      'Export fewer conversations per file.',
      'importTooLarge',
    );
  }
  let b = bytes;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  const bad = firstInvalidUtf8(b);
  if (bad >= 0)
    throw new ImportError(
      `${what} is not valid UTF-8 text`,
      `invalid byte sequence at byte offset ${bad}`,
      'The file is damaged or not a JSON export.',
      'importBadUtf8',
    );
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  if (text.trim() === '') throw new ImportError(`${what} is empty`, 'no JSON content', undefined, 'importBadJson');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // our own Markdown export starts with its title heading: it is for reading, not re-import
    if (/^\s*# /.test(text))
      throw new ImportError(
        `${what} is a Markdown file, which cannot be imported`,
        (err as Error).message,
        'Markdown exports are for reading. To move a conversation, export it as JSON or as a resumable bundle.',
        'importBadJson',
      );
    throw new ImportError(
      `${what} is not valid JSON (truncated or damaged?)`,
      (err as Error).message,
      undefined,
      'importBadJson',
    );
  }
}
