/** Electron's composition root: app lifecycle, the secure window, and wiring. Nothing else. */
import { app, BrowserWindow, ipcMain, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createService } from './service/service.ts';
import { openBackend, type Backend } from './app/backend.ts';
import { LocalApiController } from './local-api/controller.ts';
import { installMenu } from './shell/menu.ts';
import { electronPlatform } from './shell/native-platform.ts';
import { serveIpc } from './transport/ipc.ts';

/** `--name=value` or `--name value`, as browser mode's parseArgs accepts them. */
function flag(name: string): string | undefined {
  const i = process.argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = process.argv[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : process.argv[i + 1];
}

const dataDirFlag = flag('data-dir');
const dataDirOverride = dataDirFlag ?? process.env.REPRISE_DATA_DIR;
if (dataDirOverride) app.setPath('userData', dataDirOverride);

const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const preload = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const devUrl = process.env.ELECTRON_RENDERER_URL;
const trustedPrefix = devUrl ?? pathToFileURL(rendererIndex).href;
const isTrustedUrl = (url: string): boolean =>
  url === trustedPrefix || url.startsWith(`${trustedPrefix}#`) || (devUrl !== undefined && url.startsWith(devUrl));

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 800,
    minHeight: 560,
    title: 'Reprise',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: true,
    },
  });
  win.once('ready-to-show', () => win.show());
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(rendererIndex);
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

// A stray rejection is a bug to log, not a reason to take the user's session down.
process.on('unhandledRejection', (err) => console.error('reprise: unhandled rejection:', err));

let backend: Backend | null = null;
let localApi: LocalApiController | null = null;

void app.whenReady().then(() => {
  backend = openBackend({
    dataDir: app.getPath('userData'),
    defaultModelDir: app.isPackaged
      ? join(process.resourcesPath, 'models', 'reprise-tiny')
      : fileURLToPath(new URL('../../resources/models/reprise-tiny', import.meta.url)),
    modelDir: flag('model'),
    workerPath: new URL('./engine-worker.js', import.meta.url),
  });
  const native = electronPlatform();
  installMenu(native.emitMenu);
  localApi = new LocalApiController(backend, { log: (m) => console.log(m) });
  void localApi.apply(); // on only if the user turned it on
  const service = createService({
    backend,
    native,
    localApi,
    transport: 'ipc',
    electronVersion: process.versions.electron ?? null,
  });
  serveIpc(ipcMain, service, isTrustedUrl);
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('will-quit', () => {
  void localApi?.close().then(() => backend?.close());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
