// Imported blocks get their own identity. A bundle's blocks are keyed by (parent, tokens, model, layout,
// codec) like every local block, so stored as they are they would be shared with every local
// conversation that has the same prefix — and checksums cannot tell a crafted body from a computed one.
// So each import draws a salt (vLLM's cache_salt), re-keys every block with it (kv/hash.ts) and records it
// on the conversation: the blocks restore only into the conversation they came with, and a locally
// computed block for the same prefix is never replaced (its hash differs) and is preferred on restore
// (kv/restore.ts). Before re-keying, each block's claimed hash is recomputed from the conversation's own
// tokens: a block that does not belong where it says refuses the file.
import { randomBytes } from 'node:crypto';
import { readHeader, rekeyBlock } from '../../kv/block-format.ts';
import type { BlockWithData } from '../../kv/ports.ts';
import type { CodecName } from '../../kv/codec/types.ts';
import { type BlockHash, ROOT_HASH, extraKeysDigest, hashBlock } from '../../kv/hash.ts';

export function newCacheSalt(): string {
  return randomBytes(16).toString('hex');
}

interface MessageTokens {
  id: string;
  parentId: string | null;
  tokenIds?: number[] | null;
  tokenEnd?: number | null;
  logReset?: boolean;
}

/** Token ids [start, end) of the log ending at `ownerId` (tokenEnd values were checked by checkTree). */
function tokensOf(byId: Map<string, MessageTokens>, ownerId: string, start: number, end: number): number[] | null {
  const pieces: Array<{ at: number; ids: number[] }> = [];
  let m = byId.get(ownerId);
  if (!m?.tokenIds || m.tokenEnd == null || m.tokenEnd < end) return null;
  while (m) {
    if (!m.tokenIds || m.tokenEnd == null) return null;
    const at = m.logReset ? 0 : m.tokenEnd - m.tokenIds.length;
    if (at < end) pieces.push({ at, ids: m.tokenIds });
    if (at <= start || m.logReset) break;
    m = m.parentId === null ? undefined : byId.get(m.parentId);
  }
  const out: number[] = [];
  for (const p of pieces.reverse()) {
    const from = Math.max(start - p.at, 0);
    const to = Math.min(end - p.at, p.ids.length);
    for (let i = from; i < to; i++) out.push(p.ids[i]!);
  }
  return out.length === end - start ? out : null;
}

export interface SaltedBlocks {
  blocks: BlockWithData[];
  /** owners[i] are the (bundle) message ids referencing blocks[i]. */
  owners: string[][];
  /** Blocks left out: their chain has a gap before them (a parent the bundle lacks), so no restore reaches them. */
  unreachable: number;
}

/**
 * Verifies each block's place in the conversation's token chain and re-keys it with `salt`. Returns the
 * re-keyed blocks; throws `refuse(message)` for a block whose hash does not match its tokens.
 */
export function saltBlocks(
  conversation: { codec: CodecName; messages: MessageTokens[] },
  blocks: BlockWithData[],
  owners: string[][],
  salt: string,
  refuse: (why: string) => Error,
  /**
   * The salt the exporter's hashes include (its own cache was imported). It only serves to check each
   * claimed hash against the tokens; the blocks are re-keyed with `salt` all the same.
   */
  o: { sourceSalt?: string | null } = {},
): SaltedBlocks {
  const byId = new Map(conversation.messages.map((m) => [m.id, m]));
  const order = blocks.map((_, i) => i).sort((a, b) => blocks[a]!.start - blocks[b]!.start);
  // unsalted (claimed, verified) hash -> salted hash, for the parents of later blocks
  const salted = new Map<string, BlockHash>([[ROOT_HASH, ROOT_HASH]]);
  const extras = new Map<string, [Buffer, Buffer]>();
  const out: SaltedBlocks = { blocks: [], owners: [], unreachable: 0 };
  for (const i of order) {
    const b = blocks[i]!;
    const where = `block ${i} (${b.hash.slice(0, 12)}…)`;
    const parent = salted.get(b.parentHash);
    if (!parent || (b.start === 0) !== (b.parentHash === ROOT_HASH)) {
      out.unreachable++;
      continue;
    }
    const owner = owners[i]![0];
    const tokens = owner === undefined ? null : tokensOf(byId, owner, b.start, b.start + b.count);
    if (!tokens) throw refuse(`${where} covers tokens its message's token log does not have`);
    const layout = readHeader(b.data).layout;
    const key = `${b.fingerprint}|${JSON.stringify(layout)}`;
    let ex = extras.get(key);
    if (!ex) {
      const base = { fingerprint: b.fingerprint, layout, codec: conversation.codec };
      ex = [extraKeysDigest({ ...base, salt: o.sourceSalt ?? null }), extraKeysDigest({ ...base, salt })];
      extras.set(key, ex);
    }
    if (hashBlock(b.parentHash, tokens, ex[0], b.kind) !== b.hash)
      throw refuse(`${where} does not belong to the conversation's tokens at ${b.start} (misplaced or crafted)`);
    const hash = hashBlock(parent, tokens, ex[1], b.kind);
    salted.set(b.hash, hash);
    out.blocks.push({ ...b, hash, parentHash: parent, data: rekeyBlock(b.data, hash) });
    out.owners.push(owners[i]!);
  }
  return out;
}
