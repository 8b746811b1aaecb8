/**
 * The one service contract. Electron IPC, the loopback WebSocket and the renderer all use these
 * definitions: params are validated with these schemas on the main side, results and packets are typed.
 * This file must stay importable by the renderer: no Node or Electron imports.
 */
import { z } from 'zod';
import type { SerializedError } from './errors.ts';
import { methodParams, streamParams } from './schemas.ts';

export type TransportKind = 'ipc' | 'websocket' | 'memory';

export interface AppInfo {
  appName: string;
  appVersion: string;
  dataDir: string;
  nodeVersion: string;
  onnxruntimeVersion: string;
  electronVersion: string | null;
  platform: string;
  arch: string;
  transport: TransportKind;
  /** Native file and folder dialogs are available (Electron); browser mode uploads and downloads instead. */
  nativeDialogs: boolean;
}

import type {
  AppEvent,
  CacheUsage,
  ConversationSummary,
  ConversationView,
  ExportedFile,
  HubModelView,
  ImportResult,
  ModelLibraryView,
  IoProgress,
  LoadProgress,
  MessagePage,
  LocalApiStatus,
  ModelStatus,
  OpenedFile,
  PullProgressView,
  PullResultView,
  RemovedModelView,
  RepoDetailsView,
  SearchHit,
  Settings,
  StarterView,
  TurnProgress,
  TurnResult,
} from './views.ts';

export { methodParams, streamParams };
export type * from './views.ts';

/** What each request/response method resolves to. */
export interface MethodResults {
  'app.info': AppInfo;
  'model.status': ModelStatus;
  'settings.get': Settings;
  'settings.update': Settings;
  'cache.usage': CacheUsage;
  'conversations.list': ConversationSummary[];
  'conversations.search': SearchHit[];
  'conversations.get': ConversationView;
  'conversations.messages': MessagePage;
  'conversations.create': ConversationView;
  'conversations.update': ConversationView;
  'conversations.delete': { deleted: true; freedBlocks: number };
  'messages.switchBranch': ConversationView;
  'native.chooseModelFolder': { dir: string | null };
  'native.openFile': OpenedFile | null;
  'native.saveFile': { path: string | null };
  'api.status': LocalApiStatus;
  'api.configure': LocalApiStatus;
  'api.regenerateKey': LocalApiStatus;
  'api.openResponse': ConversationView;
  'models.starters': StarterView[];
  'models.search': HubModelView[];
  'models.details': RepoDetailsView;
  'models.installed': ModelLibraryView;
  'models.remove': RemovedModelView;
}

/** Fragment, progress and result types of each streaming method (a prediction). */
export interface StreamTypes {
  'app.events': { fragment: AppEvent; progress: never; result: null };
  'model.open': { fragment: never; progress: LoadProgress; result: ModelStatus };
  'chat.send': { fragment: string; progress: TurnProgress; result: TurnResult };
  'chat.regenerate': { fragment: string; progress: TurnProgress; result: TurnResult };
  'chat.edit': { fragment: string; progress: TurnProgress; result: TurnResult };
  'chat.reply': { fragment: string; progress: TurnProgress; result: TurnResult };
  'chat.continue': { fragment: string; progress: TurnProgress; result: TurnResult };
  'models.pull': { fragment: never; progress: PullProgressView; result: PullResultView };
  'io.export': { fragment: never; progress: IoProgress; result: ExportedFile };
  'io.import': { fragment: never; progress: IoProgress; result: ImportResult };
}

export type MethodName = keyof typeof methodParams & keyof MethodResults;
export type StreamName = keyof typeof streamParams & keyof StreamTypes;
export type MethodParams<M extends MethodName> = z.input<(typeof methodParams)[M]>;
export type StreamParams<S extends StreamName> = z.input<(typeof streamParams)[S]>;

type StreamOf<S extends StreamName> = StreamTypes[S] extends { fragment: infer F; progress: infer P; result: infer R }
  ? { fragment: F; progress: P; result: R }
  : never;
export type StreamFragment<S extends StreamName> = StreamOf<S>['fragment'];
export type StreamProgress<S extends StreamName> = StreamOf<S>['progress'];
export type StreamResult<S extends StreamName> = StreamOf<S>['result'];

/** Packets of a running prediction, server → client. `cancel` goes the other way (ClientMessage). */
export type StreamPacket<F = unknown, P = unknown, R = unknown> =
  | { type: 'fragment'; data: F }
  | { type: 'progress'; data: P }
  | { type: 'success'; data: R }
  | { type: 'error'; error: SerializedError };

/** Wire messages. Every transport carries exactly these, as structured-clone/JSON-safe data. */
export type ClientMessage =
  | { kind: 'call'; id: number; method: string; params: unknown }
  | { kind: 'stream'; id: number; method: string; params: unknown }
  | { kind: 'cancel'; id: number };

export type ServerMessage =
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: SerializedError }
  | { kind: 'packet'; id: number; packet: StreamPacket };

/** What a transport gives the renderer: a message channel, nothing more. */
export interface RpcChannel {
  send(message: ClientMessage): void;
  onMessage(listener: (message: ServerMessage) => void): () => void;
}

export const clientMessageSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('call'),
    id: z.number().int().nonnegative(),
    method: z.string().max(100),
    params: z.unknown(),
  }),
  z.object({
    kind: z.literal('stream'),
    id: z.number().int().nonnegative(),
    method: z.string().max(100),
    params: z.unknown(),
  }),
  z.object({ kind: z.literal('cancel'), id: z.number().int().nonnegative() }),
]);

export { IPC_CHANNEL } from './channel.ts';
