/**
 * Everything behind the contract, assembled once per process: the store in the data directory, the
 * settings, the model manager (engine in its worker) and the chat service that joins them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ChatService } from '../chat/index.ts';
import type { KvLogger } from '../kv/context.ts';
import { Store } from '../store/store.ts';
import { ImportVerifier } from './import-verifier.ts';
import { ModelManager } from './model-manager.ts';
import { SettingsStore } from './settings.ts';

export interface BackendOptions {
  dataDir: string;
  /** The embedded default model. */
  defaultModelDir: string;
  /** A model folder asked for on the command line; beats the one remembered in settings. */
  modelDir?: string;
  /** The engine worker's built file (the bundles pass theirs; from source the engine finds its own). */
  workerPath?: string | URL;
  log?: (msg: string) => void;
}

export interface Backend {
  dataDir: string;
  chat: ChatService;
  models: ModelManager;
  settings: SettingsStore;
  /** Warnings about the cache (a bad block, a failed save): logged, never shown as errors. */
  logger: KvLogger;
  /** Background verification of imported caches (the "verify imported caches" setting). */
  verifier: ImportVerifier;
  /** Resolves when the first model load has finished (ready or failed). */
  firstLoad: Promise<unknown>;
  close(): Promise<void>;
}

export function openBackend(o: BackendOptions): Backend {
  const log = o.log ?? ((m: string) => console.log(m));
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 }); // conversations and settings: owner only
  const settings = new SettingsStore(o.dataDir, log);
  const store = Store.open(o.dataDir);
  const s = settings.all;
  const logger: KvLogger = { warn: (m, d) => log(`kv: ${m}${d === undefined ? '' : ` ${JSON.stringify(d)}`}`) };
  const chat = new ChatService({ store, prefs: () => settings.all, logger });
  const models = new ModelManager({
    defaultDir: o.defaultModelDir,
    workerPath: o.workerPath,
    threads: () => settings.all.threads,
    fingerprintCachePath: join(o.dataDir, 'fingerprints.json'),
    log,
  });
  models.onSwap((engine) => void chat.setEngine(engine));
  const verifier = new ImportVerifier(chat, models, log);
  settings.onChange((next, prev) => {
    if (next.cacheBudgetMb < prev.cacheBudgetMb) chat.enforceBudget();
    // threads apply at load: reload the model now, so the setting does what the dialog says
    if (next.threads !== prev.threads) void models.reload();
  });
  const firstLoad = models.open(o.modelDir ?? s.modelDir ?? o.defaultModelDir).then(async (status) => {
    // A remembered folder that no longer loads should not leave the app without a model.
    if (status.state === 'error' && !o.modelDir && s.modelDir && s.modelDir !== o.defaultModelDir) {
      log(`model: falling back to the default model`);
      await models.open(o.defaultModelDir);
    }
  });
  return {
    dataDir: o.dataDir,
    chat,
    models,
    settings,
    logger,
    verifier,
    firstLoad,
    async close() {
      await firstLoad.catch(() => undefined);
      await verifier.close();
      await chat.close();
      await models.dispose();
      store.close();
    },
  };
}
