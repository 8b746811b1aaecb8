/** The implementation of the contract: the one place where requests meet the engine and the store. */
import ort from 'onnxruntime-node';
import type { Backend } from '../app/backend.ts';
import { modelView } from '../app/model-manager.ts';
import { typedModelPath } from '../app/model-path.ts';
import type { TurnHandlers, TurnOutcome } from '../chat/index.ts';
import { APP_PRODUCT_NAME, APP_VERSION } from '../app-meta.ts';
import type { AppInfo, TransportKind } from '../../shared/contract.ts';
import type { Service, StreamSink } from './dispatcher.ts';
import type { LocalApiPort } from './local-api-port.ts';
import type { NativePlatform } from './native.ts';
import { AppError } from '../../shared/errors.ts';
import { ChangeFeed } from './change-feed.ts';
import { ImportMemory } from './import-memory.ts';
import { conversationView, messagePage, summary } from './views-of.ts';
import { modelLibraryService, rememberUse } from './models-service.ts';
import { folderOf } from '../models/index.ts';
import type { TurnProgress, TurnResult } from '../../shared/views.ts';

export interface ServiceDeps {
  transport: TransportKind;
  backend: Backend;
  electronVersion?: string | null;
  native?: NativePlatform;
  /** The local OpenAI-compatible API (browser mode and the desktop app pass one). */
  localApi?: LocalApiPort;
}

const noNative = (): never => {
  throw new AppError({
    code: 'notAvailable',
    title: 'Not available in browser mode',
    cause: 'native dialogs exist only in the desktop app',
    suggestion: 'Use the upload and download buttons instead.',
  });
};

export function createService(deps: ServiceDeps): Service {
  const { backend } = deps;
  const { chat, models, settings } = backend;
  const info: AppInfo = {
    appName: APP_PRODUCT_NAME,
    appVersion: APP_VERSION,
    dataDir: backend.dataDir,
    nodeVersion: process.versions.node,
    onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common,
    electronVersion: deps.electronVersion ?? null,
    platform: process.platform,
    arch: process.arch,
    transport: deps.transport,
    nativeDialogs: deps.native !== undefined,
  };
  const native = deps.native;
  const localApi = (): LocalApiPort => {
    if (deps.localApi) return deps.localApi;
    throw new AppError({ code: 'notAvailable', title: 'The local API is not available here' });
  };
  const imports = new ImportMemory(backend.dataDir);
  /** Every window's app.events hears what any of them changed (browser tabs share one service). */
  const changes = new ChangeFeed();
  const library = modelLibraryService(backend);

  /** The model's generation_config decides what an unset temperature means. */
  const modelGreedy = (): boolean => chat.engine?.info.generationDefaults.doSample === false;
  // A chat's model: the loaded one, or the newest folder known to hold it (the banner's one-click switch).
  const locate = (fingerprint: string): string | null => {
    const m = models.status.state === 'ready' ? models.status.model : null;
    return m?.fingerprint === fingerprint ? m.dir : folderOf(backend.dataDir, fingerprint);
  };
  const view = (id: string, around?: string) => conversationView(chat, id, modelGreedy(), around, locate);
  // Every model that loads (the built-in one too) is remembered with its fingerprint, so a chat made with
  // it can find its folder again; the first load may have finished before the service exists.
  models.onStatus((s) => {
    if (s.state === 'ready') rememberUse(backend, s.model.dir);
  });
  if (models.status.state === 'ready') rememberUse(backend, models.status.model.dir);

  const turn = async (
    sink: StreamSink<string, TurnProgress>,
    run: (h: TurnHandlers) => Promise<TurnOutcome>,
  ): Promise<TurnResult> => {
    if (models.status.state === 'loading') sink.progress({ phase: 'restore', done: 0, total: 0 });
    await models.settled();
    models.require(); // a clear "no model" error before anything is written
    let conversationId: string | null = null;
    let outcome: TurnOutcome;
    try {
      outcome = await run({
        signal: sink.signal,
        onEvent: (e) => {
          if (e.type === 'fragment') sink.fragment(e.text);
          else if (e.type === 'progress') {
            if (e.userMessageId) conversationId ??= chat.store.messages.get(e.userMessageId)?.conversationId ?? null;
            sink.progress({ phase: e.phase, done: e.done, total: e.total, userMessageId: e.userMessageId });
          }
        },
      });
    } finally {
      // other windows see the turn once it is over (its messages, the title it gave a new chat), also when it
      // failed or was stopped after the user message was stored
      if (conversationId) changes.publish(conversationId, 'messages');
    }
    changes.publish(outcome.conversationId, 'messages');
    return { conversation: view(outcome.conversationId), assistantMessageId: outcome.message.id, stats: outcome.stats };
  };

  return {
    methods: {
      'app.info': async () => info,
      'model.status': async () => models.status,
      'settings.get': async () => settings.view(),
      'settings.update': async ({ hfToken, ...p }) => {
        // its subscribers apply it (budget: evict now; threads: reload the model)
        settings.update(hfToken === undefined ? p : { ...p, hfToken: checkHfToken(hfToken) });
        return settings.view();
      },
      'cache.usage': async () => chat.cacheUsage(),
      'conversations.list': async () => chat.listConversations().map((c) => summary(chat, c)),
      'conversations.search': async ({ query }) =>
        chat.search(query).map((h) => ({
          conversationId: h.conversationId,
          messageId: h.messageId,
          title: h.conversationTitle,
          snippet: h.snippet,
          updatedAt: h.updatedAt,
        })),
      'conversations.get': async ({ id, around }) => {
        const v = view(id, around);
        // An empty chat has nothing to warm, and asking would skip another chat's queued warm-up.
        if (v.messages.length === 0) return v;
        // opening a conversation warms its cache while the user types (its next turn then restores nothing).
        // Queued now, before this call returns, unless a model is still loading. warmUp logs its own
        // failures; a conversation deleted meanwhile is no error.
        const warm = () => chat.warmUp(id).catch(() => undefined);
        if (models.status.state === 'loading') void models.settled().then(warm);
        else void warm();
        return v;
      },
      'conversations.messages': async ({ id, ...at }) => messagePage(chat, id, at),
      'conversations.create': async (p) => {
        const id = chat.createConversation(p).id;
        changes.publish(id, 'created');
        return view(id);
      },
      'conversations.update': async ({ id, title, systemPrompt, sampling, codec }) => {
        if (title !== undefined) chat.renameConversation(id, title);
        const current = chat.store.conversations.require(id).sampling; // not the path: a chat may be long
        chat.updateConversation(id, {
          systemPrompt,
          codec,
          sampling: sampling ? { ...current, ...sampling } : undefined,
        });
        changes.publish(id, 'updated');
        return view(id);
      },
      'conversations.delete': async ({ id }) => {
        backend.verifier.cancel(id);
        const r = chat.deleteConversation(id);
        if (!r.deleted) throw new AppError({ code: 'notFound', title: 'Conversation not found', cause: id });
        changes.publish(id, 'deleted');
        return { deleted: true, freedBlocks: r.freedBlocks };
      },
      'messages.switchBranch': async ({ messageId }) => {
        const id = chat.switchBranch({ messageId }).id;
        changes.publish(id, 'messages');
        return view(id, messageId); // the page holding the message switched at
      },
      'api.status': async () => localApi().status(),
      'api.configure': async (p) => localApi().configure(p),
      'api.regenerateKey': async () => localApi().regenerateKey(),
      'api.openResponse': async ({ id }) => {
        const conversationId = chat.openApiChain(id).id;
        changes.publish(conversationId, 'created');
        return view(conversationId);
      },
      'native.chooseModelFolder': async () => ({ dir: native ? await native.chooseModelFolder() : noNative() }),
      'native.openFile': async ({ purpose }) => (native ? native.openFile(purpose) : noNative()),
      'native.saveFile': async (file) => ({ path: native ? await native.saveFile(file) : noNative() }),
      ...library.methods,
    },
    streams: {
      'app.events': (_p, sink) =>
        new Promise<null>((resolve) => {
          const offs = [
            models.onStatus((status) => sink.fragment({ type: 'model', status })),
            native?.onMenu((command) => sink.fragment({ type: 'menu', command })) ?? (() => {}),
            backend.verifier.onVerified((r) =>
              sink.fragment({
                type: 'cacheVerified',
                conversationId: r.conversationId,
                checkedBlocks: r.checkedBlocks,
                replacedBlocks: r.replacedBlocks,
              }),
            ),
            changes.subscribe((id, change) => sink.fragment({ type: 'conversation', id, change })),
          ];
          sink.signal.addEventListener('abort', () => {
            offs.forEach((off) => off());
            resolve(null);
          });
        }),
      'model.open': async ({ dir: typed }, sink) => {
        const dir = typedModelPath(typed); // ~ expanded here; a relative path is refused
        const status = await models.open(dir, (p) => sink.progress(p));
        if (status.state === 'ready') settings.update({ modelDir: status.model.isDefault ? null : dir });
        return status;
      },
      'chat.send': (p, sink) => turn(sink, (h) => chat.sendMessage(p, h)),
      'chat.regenerate': (p, sink) =>
        turn(sink, (h) => {
          const m = chat.store.messages.require(p.assistantMessageId);
          return chat.regenerate({ conversationId: m.conversationId, assistantMessageId: m.id }, h);
        }),
      'chat.edit': (p, sink) =>
        turn(sink, (h) => chat.editUserMessage({ messageId: p.userMessageId, text: p.text }, h)),
      'chat.reply': (p, sink) => turn(sink, (h) => chat.replyTo({ userMessageId: p.userMessageId }, h)),
      'chat.continue': (p, sink) =>
        turn(sink, (h) => chat.continueReply({ assistantMessageId: p.assistantMessageId }, h)),
      ...library.streams,
      'io.export': async ({ conversationId, format }, sink) => {
        sink.progress({ phase: 'read', done: 0, total: 1 });
        const file = chat.exportConversations({ ids: conversationId ? [conversationId] : undefined, format });
        sink.progress({ phase: 'read', done: 1, total: 1 });
        const binary = format === 'bundle';
        return {
          filename: file.filename,
          mime: file.mime,
          encoding: binary ? 'base64' : 'utf8',
          data: file.data.toString(binary ? 'base64' : 'utf8'),
        };
      },
      'io.import': async ({ filename, encoding, data, again }, sink) => {
        sink.progress({ phase: 'read', done: 0, total: 3 });
        const bytes = encoding === 'base64' ? Buffer.from(data, 'base64') : Buffer.from(data, 'utf8');
        const hash = ImportMemory.hash(bytes);
        const earlier = again ? null : imports.find(hash, (id) => chat.store.conversations.get(id) !== undefined);
        if (earlier)
          return { conversationIds: [], format: earlier.format, importedBlocks: 0, alreadyImported: earlier };
        sink.progress({ phase: 'validate', done: 1, total: 3 });
        // written in slices between other requests; listed only once complete (import-writer.ts)
        const r = await chat.importFileStaged(bytes, {
          // messages and blocks written of all of them
          onProgress: (done, total) => sink.progress({ phase: 'write', done, total }),
        });
        for (const id of r.conversationIds) changes.publish(id, 'created');
        imports.remember(hash, { at: Date.now(), filename, format: r.format, conversationIds: r.conversationIds });
        // the setting: check an imported cache in the background; the import answers now
        if (settings.all.verifyImports)
          for (const id of r.conversationIds)
            if (chat.store.conversations.get(id)?.cacheSalt) void backend.verifier.queue(id);
        return r;
      },
    },
  };
}

export { modelView };

/** A token to save: "" or null removes it; anything else must look like a Hugging Face token. */
function checkHfToken(token: string | null): string | null {
  if (!token) return null;
  if (!/^hf_\S+$/.test(token))
    throw new AppError({
      code: 'badToken',
      title: 'Invalid Hugging Face token',
      cause: 'Hugging Face access tokens start with "hf_" and contain no spaces; the one given does not.',
      suggestion: 'Copy a read token from https://huggingface.co/settings/tokens. The saved token was not changed.',
    });
  return token;
}
