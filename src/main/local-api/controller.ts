// Runs the local API as the settings say: started when enabled (the key generated on first enable),
// stopped when disabled, restarted on a port change. A command-line flag can turn it on for one run.
import { randomBytes } from 'node:crypto';
import type { Backend } from '../app/backend.ts';
import type { LocalApiPort } from '../service/local-api-port.ts';
import { serializeError, type SerializedError } from '../../shared/errors.ts';
import { titleFrom } from '../../shared/title.ts';
import type { LocalApiStatus } from '../../shared/views.ts';
import { RequestLog } from './request-log.ts';
import { ApiRunner } from './runner.ts';
import { type LocalApiServer, startLocalApi } from './server.ts';

export const newApiKey = (): string => `rpr-${randomBytes(24).toString('base64url')}`;

export interface ControllerOptions {
  /** This run only: on (with this port) whatever the setting says (`--api`, `--api-port`). */
  force?: { port?: number };
  /** A key for this run (`--api-key`, REPRISE_API_KEY) instead of the saved one. */
  key?: string;
  host?: string;
  corsOrigins?: string[];
  log?: (msg: string) => void;
}

export class LocalApiController implements LocalApiPort {
  private server: LocalApiServer | null = null;
  private error: SerializedError | null = null;
  private applying: Promise<void> = Promise.resolve();
  readonly requests = new RequestLog();
  private readonly summaries = new Map<string, { title: string; turns: number }>();
  readonly runner: ApiRunner;

  constructor(
    private readonly backend: Backend,
    private readonly o: ControllerOptions = {},
  ) {
    this.runner = new ApiRunner(backend, this.requests);
  }

  private get enabled(): boolean {
    return this.o.force !== undefined || this.backend.settings.all.apiEnabled;
  }

  private get port(): number {
    return this.o.force?.port ?? this.backend.settings.all.apiPort;
  }

  /** The key requests must carry: this run's, or the saved one (generated and saved when there is none). */
  key(): string {
    if (this.o.key) return this.o.key;
    const saved = this.backend.settings.all.apiKey;
    if (saved) return saved;
    const key = newApiKey();
    this.backend.settings.update({ apiKey: key });
    this.o.log?.(`Local API: a new API key was generated and saved: ${key}`);
    return key;
  }

  /** Starts or stops the server to match the settings; one change at a time. */
  apply(): Promise<void> {
    this.applying = this.applying.then(async () => {
      const want = this.enabled;
      const port = this.port;
      if (this.server && (!want || this.server.port !== port)) {
        await this.server.close();
        this.server = null;
      }
      if (want && !this.server) {
        const key = this.key();
        try {
          this.server = await startLocalApi({
            runner: this.runner,
            key: () => this.o.key ?? this.backend.settings.all.apiKey ?? key,
            port,
            host: this.o.host,
            corsOrigins: this.o.corsOrigins,
            warn: this.o.log,
          });
          this.error = null;
          this.o.log?.(`Local API: ${this.server.url}`);
        } catch (err) {
          this.error = serializeError(err);
          this.o.log?.(`Local API: ${this.error.title}${this.error.cause ? `: ${this.error.cause}` : ''}`);
        }
      }
      if (!want) this.error = null;
    });
    return this.applying;
  }

  status(): LocalApiStatus {
    const s = this.backend.settings.all;
    return {
      enabled: this.enabled,
      running: this.server !== null,
      url: this.server?.url ?? null,
      port: this.server?.port ?? this.port,
      key: this.o.key ?? s.apiKey,
      error: this.error,
      requests: this.requests.list(),
      responses: this.listedResponses(),
    };
  }

  /** The newest stored responses with their summaries; the memo keeps only the ones listed. */
  private listedResponses(): LocalApiStatus['responses'] {
    const listed = this.backend.chat.store.apiEntries.responses(50).map((e) => ({ ...e, ...this.chainSummary(e.id) }));
    const ids = new Set(listed.map((r) => r.id));
    for (const id of this.summaries.keys()) if (!ids.has(id)) this.summaries.delete(id);
    return listed;
  }

  /** A stored response's title and turn count; responses never change, so each body is parsed once. */
  private chainSummary(id: string): { title: string; turns: number } {
    let summary = this.summaries.get(id);
    if (!summary) {
      const body = this.backend.chat.store.apiEntries.get(id)?.body ?? '{}';
      const msgs = (JSON.parse(body) as { messages?: Array<{ role: string; content: string }> }).messages ?? [];
      summary = {
        title: titleFrom(msgs.find((m) => m.role === 'user')?.content ?? ''),
        turns: msgs.filter((m) => m.role === 'assistant').length,
      };
      this.summaries.set(id, summary);
    }
    return summary;
  }

  async configure(p: { enabled?: boolean; port?: number }): Promise<LocalApiStatus> {
    this.backend.settings.update({ apiEnabled: p.enabled, apiPort: p.port });
    if (p.enabled) this.key();
    await this.apply();
    return this.status();
  }

  regenerateKey(): LocalApiStatus {
    this.backend.settings.update({ apiKey: newApiKey() });
    return this.status();
  }

  async close(): Promise<void> {
    await this.applying;
    await this.server?.close();
    this.server = null;
  }
}
