// The live request log the app's Local API panel shows: the last requests, newest first.
export interface RequestLogEntry {
  time: number;
  endpoint: string;
  status: number;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  ttftMs: number | null;
  tokS: number | null;
  /** What went wrong, for failed requests. */
  error?: string;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  constructor(private readonly size = 100) {}

  add(e: RequestLogEntry): void {
    this.entries.unshift(e);
    if (this.entries.length > this.size) this.entries.length = this.size;
  }

  list(): RequestLogEntry[] {
    return [...this.entries];
  }
}
