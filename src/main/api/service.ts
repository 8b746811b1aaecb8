/** The implementation of the contract: the one place where requests meet the engine and the store. */
import ort from 'onnxruntime-node';
import { APP_PRODUCT_NAME, APP_VERSION } from '../app-meta.ts';
import type { AppInfo, TransportKind } from './contract.ts';
import type { Service } from './dispatcher.ts';

export interface ServiceDeps {
  dataDir: string;
  transport: TransportKind;
  electronVersion?: string | null;
}

export function createService(deps: ServiceDeps): Service {
  const info: AppInfo = {
    appName: APP_PRODUCT_NAME,
    appVersion: APP_VERSION,
    dataDir: deps.dataDir,
    nodeVersion: process.versions.node,
    onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common,
    electronVersion: deps.electronVersion ?? null,
    platform: process.platform,
    arch: process.arch,
    transport: deps.transport,
  };
  return {
    methods: {
      'app.info': async () => info,
    },
    streams: {},
  };
}
