/** The Models page's methods: hub search and details, pulls with progress and cancel, the installed library. */
import { join } from 'node:path';
import type { Backend } from '../app/backend.ts';
import {
  fingerprintsOf,
  listInstalled,
  modelsDir,
  pullModel,
  recentFolders,
  recordUse,
  removeModel,
  repoDetails,
  searchModels,
  STARTERS,
  thisMachine,
  type ModelErrorCode,
} from '../models/index.ts';
import { AppError } from '../../shared/errors.ts';
import type { ErrorCode } from '../../shared/vocabulary.ts';
import type { ServiceMethods, ServiceStreams } from './dispatcher.ts';

// Every ModelError code is an ErrorCode, so a hub failure keeps its code and advice across the wire.
void (true satisfies ModelErrorCode extends ErrorCode ? true : false);

type LibraryMethods = Pick<
  ServiceMethods,
  'models.starters' | 'models.search' | 'models.details' | 'models.installed' | 'models.remove'
>;

export function modelLibraryService(backend: Backend): {
  methods: LibraryMethods;
  streams: Pick<ServiceStreams, 'models.pull'>;
} {
  const { dataDir, chat, models, settings } = backend;
  // HF_TOKEN from the environment wins over the one saved in the settings (as huggingface_hub does).
  const hub = () => ({ accessToken: settings.hubToken() });
  const loadedDir = (): string | null => (models.status.state === 'ready' ? models.status.model.dir : null);
  const cacheOf = (dir: string) => {
    const fps = fingerprintsOf(dataDir, dir);
    return fps.length ? chat.store.blocks.usageByFingerprint(fps) : { blocks: 0, storedBytes: 0 };
  };

  return {
    methods: {
      'models.starters': async () => STARTERS.map((s) => ({ ...s, sizesMB: { ...s.sizesMB } })),
      'models.search': async ({ query, sort }) => searchModels(query, { sort, ...hub() }),
      'models.details': async ({ repo }) => {
        const d = await repoDetails(repo, thisMachine(), hub());
        const installed: Record<string, string> = {};
        for (const m of listInstalled(dataDir)) if (m.repo === repo && m.variant) installed[m.variant] = m.name;
        return {
          repo: d.repo,
          revision: d.revision,
          variants: d.variants.map((v) => ({
            name: v.name,
            onnx: v.onnx,
            downloadBytes: v.downloadBytes,
            description: v.description,
          })),
          recommended: d.recommended && { variant: d.recommended.variant.name, reason: d.recommended.reason },
          installed,
        };
      },
      'models.installed': async () => {
        const loaded = loadedDir();
        const list = listInstalled(dataDir).map((m) => {
          const cache = cacheOf(m.dir);
          return {
            name: m.name,
            dir: m.dir,
            repo: m.repo,
            variant: m.variant,
            sizeBytes: m.sizeBytes,
            contextLength: m.contextLength,
            kvDtype: m.kvDtype,
            lastUsedAt: m.lastUsedAt,
            loaded: m.dir === loaded,
            cacheBlocks: cache.blocks,
            cacheBytes: cache.storedBytes,
          };
        });
        const listed = new Set([models.defaultDir, ...list.map((m) => m.dir)]);
        const recent = recentFolders(dataDir)
          .filter((r) => !listed.has(r.dir))
          .map((r) => ({ name: r.name, dir: r.dir, lastUsedAt: r.lastUsedAt }));
        return { models: list, builtInDir: models.defaultDir, recent };
      },
      'models.remove': async ({ name, withCache }) => {
        const dir = join(modelsDir(dataDir), name);
        if (dir === loadedDir())
          throw new AppError({
            code: 'badArgument',
            title: 'This model is in use',
            cause: `${name} is the loaded model.`,
            suggestion: 'Switch to another model (or the built-in one) first, then delete it.',
          });
        const cache = cacheOf(dir);
        const removed = removeModel(dataDir, name);
        // Kept by default: conversations made with it resume without re-reading if it is installed again.
        const dropped = withCache === true && removed.fingerprints.length > 0;
        if (dropped) chat.store.blocks.dropByFingerprint(removed.fingerprints);
        return {
          name,
          freedBytes: removed.freedBytes,
          cacheBlocks: cache.blocks,
          cacheBytes: cache.storedBytes,
          cacheDeleted: dropped,
        };
      },
    },
    streams: {
      'models.pull': async ({ repo, variant }, sink) => {
        const r = await pullModel({
          dataDir,
          repo,
          variant,
          machine: thisMachine(),
          ...hub(),
          signal: sink.signal,
          onProgress: (p) =>
            sink.progress({
              phase: p.phase,
              file: p.file,
              bytesDone: p.bytesDone,
              bytesTotal: p.bytesTotal,
              bytesResumed: p.bytesResumed,
              bytesPerSecond: p.bytesPerSecond,
              etaSeconds: p.etaSeconds,
            }),
        });
        return {
          name: r.model.name,
          dir: r.model.dir,
          variant: r.variant.name,
          reason: r.reason,
          alreadyInstalled: r.alreadyInstalled,
          bytesFetched: r.bytesFetched,
          bytesResumed: r.bytesResumed,
        };
      },
    },
  };
}

/** After a successful load: "last used", recent folders, and the fingerprint a chat's model is found by. */
export function rememberUse(backend: Backend, dir: string): void {
  const fingerprint = backend.models.engine?.info.fingerprint;
  try {
    recordUse(backend.dataDir, { dir, fingerprint });
  } catch (err) {
    // a read-only data folder costs the "last used" column, not the model that just loaded
    backend.logger.warn('models: could not record the use of a model folder', { dir, error: String(err) });
  }
}
