// The live request log the app's Local API panel shows: the last requests, newest first.
import type { ApiRequestLogEntry as RequestLogEntry } from '../../shared/views.ts';

export type { RequestLogEntry };

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
