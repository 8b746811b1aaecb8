// The resumable bundle: one conversation + the KV blocks its messages reference + the model
// fingerprint, in one file. Imported next to the same model, the next turn prefills only the new message.
//
// Layout: "RPRSBNDL" | u32 version | u32 manifest length | manifest (UTF-8 JSON) | block payloads | sha256(all before)
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BlockError, bodyRawBytes, checkBlock } from '../../kv/block-format.ts';
import type { BlockWithData } from '../../kv/ports.ts';
import { CODEC_NAMES } from '../../kv/codec/types.ts';
import { asBlockHash } from '../../kv/hash.ts';
import type { Store } from '../store.ts';
import type { ErrorCode } from '../../../shared/vocabulary.ts';
import { newCacheSalt, saltBlocks } from './bundle-salt.ts';
import { ImportError, describeZodError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { readJson } from './read-json.ts';
import { type ImportPlan, writeImport } from './import-writer.ts';
import { exportConversation, parseRepriseFile } from './reprise-json.ts';
import { REPRISE_FORMAT, REPRISE_VERSION } from './schema.ts';
import { conversationSchema } from './schema.ts';

export const BUNDLE_MAGIC = Buffer.from('RPRSBNDL', 'latin1');
export const BUNDLE_VERSION = 1;
export const BUNDLE_EXTENSION = '.reprise';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const blockEntry = z
  .object({
    hash: hex64,
    parentHash: hex64,
    kind: z.enum(['full', 'tail']),
    start: z.number().int().min(0),
    count: z.number().int().min(1).max(1_000_000),
    codec: z.enum(CODEC_NAMES),
    fingerprint: z.string().max(200),
    rawBytes: z.number().int().min(0),
    size: z.number().int().min(1).max(LIMITS.maxBlockBytes),
    sha256: hex64,
    messageIds: z.array(z.string().max(200)).max(LIMITS.maxMessagesPerConversation),
  })
  .strict();
const manifestSchema = z
  .object({
    format: z.literal('reprise-bundle'),
    version: z.literal(BUNDLE_VERSION),
    exportedAt: z.number().int().min(0),
    modelFingerprint: z.string().max(200),
    /** The exporter's cache salt when its blocks were themselves imported (their hashes include it). */
    cacheSalt: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .optional(),
    conversation: conversationSchema,
    blocks: z.array(blockEntry).max(LIMITS.maxBlocks),
  })
  .strict();

export function isBundle(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).equals(BUNDLE_MAGIC);
}

export function exportBundle(store: Store, conversationId: string): Buffer {
  const conversation = exportConversation(store, conversationId);
  const salt = store.conversations.require(conversationId).cacheSalt;
  const rows = store.db
    .prepare(
      `SELECT b.hash, b.parent_hash AS parentHash, b.kind, b.token_start AS start, b.token_count AS count, b.codec, b.fingerprint,
              b.raw_bytes AS rawBytes, json_group_array(mb.message_id) AS messageIds
       FROM message_blocks mb JOIN messages m ON m.id = mb.message_id JOIN kv_blocks b ON b.hash = mb.block_hash
       WHERE m.conversation_id = ? GROUP BY b.hash ORDER BY b.token_start, b.hash`,
    )
    .all(conversationId) as Array<
    Omit<z.infer<typeof blockEntry>, 'size' | 'sha256' | 'messageIds'> & { messageIds: string }
  >;
  const payloads: Buffer[] = [];
  const blocks: z.infer<typeof blockEntry>[] = [];
  for (const r of rows) {
    const data = store.blocks.blockData(asBlockHash(r.hash));
    if (!data) continue;
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    payloads.push(buf);
    blocks.push({
      ...r,
      messageIds: JSON.parse(r.messageIds) as string[],
      size: buf.length,
      sha256: createHash('sha256').update(buf).digest('hex'),
    });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      format: 'reprise-bundle',
      version: BUNDLE_VERSION,
      exportedAt: Date.now(),
      modelFingerprint: conversation.modelFingerprint,
      ...(salt ? { cacheSalt: salt } : {}),
      conversation,
      blocks,
    }),
    'utf8',
  );
  const head = Buffer.alloc(16);
  BUNDLE_MAGIC.copy(head, 0);
  head.writeUInt32LE(BUNDLE_VERSION, 8);
  head.writeUInt32LE(manifest.length, 12);
  const body = Buffer.concat([head, manifest, ...payloads]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

const bad = (cause: string, code: ErrorCode = 'importBundle') =>
  new ImportError(
    'The Reprise bundle is invalid',
    cause,
    'Re-export the bundle; the file is damaged, truncated or was modified.',
    code,
  );

export interface ParsedBundle {
  manifest: z.infer<typeof manifestSchema>;
  blocks: BlockWithData[];
  owners: string[][];
}

export function parseBundle(bytes: Uint8Array): ParsedBundle {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length > LIMITS.maxBundleBytes)
    throw bad(`${b.length} bytes exceeds the ${LIMITS.maxBundleBytes}-byte limit`, 'importTooLarge');
  if (!isBundle(b)) throw bad('it does not start with the bundle signature');
  if (b.length < 16 + 32) throw bad(`only ${b.length} bytes: truncated`);
  const version = b.readUInt32LE(8);
  if (version !== BUNDLE_VERSION) {
    throw new ImportError(
      'Unsupported Reprise bundle version',
      `the file is version ${version}; this build reads version ${BUNDLE_VERSION}`,
      version > BUNDLE_VERSION ? 'Update Reprise to import this bundle.' : undefined,
      'importVersion',
    );
  }
  const digest = createHash('sha256')
    .update(b.subarray(0, b.length - 32))
    .digest();
  if (!digest.equals(b.subarray(b.length - 32)))
    throw bad('file checksum mismatch: the file is truncated or was modified');
  const mlen = b.readUInt32LE(12);
  if (16 + mlen > b.length - 32) throw bad(`its header gives a ${mlen}-byte manifest, longer than the file`);
  if (mlen > LIMITS.maxManifestBytes)
    throw new ImportError(
      'The Reprise bundle is too large to import',
      `its manifest (the conversation's text and block list) is ${mlen} bytes; the limit is ${LIMITS.maxManifestBytes} bytes`,
      'Split the conversation: export a shorter branch, or export it as JSON.',
      'importTooLarge',
    );
  const raw = readJson(b.subarray(16, 16 + mlen), LIMITS.maxManifestBytes, 'The bundle manifest');
  const r = manifestSchema.safeParse(raw);
  if (!r.success) throw bad(`manifest: ${describeZodError(r.error)}`, 'importSchema');
  const manifest = r.data;
  // reuse the JSON import's tree checks
  parseRepriseFile({
    format: REPRISE_FORMAT,
    version: REPRISE_VERSION,
    exportedAt: manifest.exportedAt,
    conversations: [manifest.conversation],
  });
  const messageIds = new Set(manifest.conversation.messages.map((m) => m.id));
  let off = 16 + mlen;
  const end = b.length - 32;
  const blocks: BlockWithData[] = [];
  const owners: string[][] = [];
  const seen = new Set<string>();
  for (const [i, e] of manifest.blocks.entries()) {
    const where = `block ${i} (${e.hash.slice(0, 12)}…)`;
    if (seen.has(e.hash)) throw bad(`${where} is listed twice`);
    seen.add(e.hash);
    if (off + e.size > end) throw bad(`${where} runs past the end of the file`);
    const data = Buffer.from(b.subarray(off, off + e.size));
    off += e.size;
    if (createHash('sha256').update(data).digest('hex') !== e.sha256)
      throw bad(`${where}: data does not match its checksum (tampered or damaged)`);
    try {
      // checkBlock proves from the zstd headers that the body cannot inflate past its stated size
      const h = checkBlock(data);
      if (h.hash !== e.hash || h.start !== e.start || h.count !== e.count || h.kind !== e.kind || h.codec !== e.codec)
        throw new BlockError('mismatch', 'header disagrees with the manifest');
      if (bodyRawBytes(h) > LIMITS.maxBlockRawBytes)
        throw new BlockError(
          'header',
          `its header implies ${bodyRawBytes(h)} bytes of KV, over the ${LIMITS.maxBlockRawBytes}-byte limit`,
        );
    } catch (err) {
      if (err instanceof BlockError && err.reason === 'bomb') throw bad(`${where}: ${err.message}`, 'importBundleBomb');
      throw bad(`${where}: ${(err as Error).message}`);
    }
    // blocks are keyed by the model that made them: one naming another model than the manifest would
    // restore where the conversation says its cache cannot be reused
    if (e.fingerprint !== manifest.modelFingerprint)
      throw bad(
        `${where} was made by another model than the bundle's conversation (fingerprint ${e.fingerprint.slice(0, 12)}…)`,
      );
    for (const m of e.messageIds)
      if (!messageIds.has(m)) throw bad(`${where} is referenced by unknown message ${JSON.stringify(m)}`);
    blocks.push({
      hash: asBlockHash(e.hash),
      parentHash: asBlockHash(e.parentHash),
      kind: e.kind,
      start: e.start,
      count: e.count,
      codec: e.codec,
      fingerprint: e.fingerprint,
      rawBytes: e.rawBytes,
      storedBytes: data.length,
      data,
    });
    owners.push(e.messageIds);
  }
  if (off !== end) throw bad(`${end - off} unexpected bytes after the last block`);
  return { manifest, blocks, owners };
}

/**
 * Validates everything; what to write: the conversation and its blocks re-keyed with a fresh cache salt
 * (bundle-salt.ts), so that they serve only this conversation.
 */
export function planBundle(bytes: Uint8Array): ImportPlan {
  const parsed = parseBundle(bytes);
  const { manifest } = parsed;
  const salt = newCacheSalt();
  const { blocks, owners } = saltBlocks(manifest.conversation, parsed.blocks, parsed.owners, salt, (why) => bad(why), {
    sourceSalt: manifest.cacheSalt ?? null,
  });
  return { conversations: [manifest.conversation], blocks: { list: blocks, owners, salt } };
}

/** Validates everything first, then writes conversation + blocks + references in one transaction. */
export function importBundle(store: Store, bytes: Uint8Array): { conversationId: string; importedBlocks: number } {
  const w = writeImport(store, planBundle(bytes));
  return { conversationId: w.ids[0]!, importedBlocks: w.importedBlocks };
}
