/**
 * Whether the service is reachable. Only browser mode can lose it: the page outlives the server, and every
 * server start mints a new token, so the page's old one is refused from then on.
 */

/**
 * Why the WebSocket is gone. A browser does not expose the status of a refused upgrade (401 and "nothing
 * listening" both end as close code 1006), so the page asks its own origin over HTTP: the static files are
 * not token-guarded, so an answer means the service runs and refused this page's token.
 *  - checking: not known yet;
 *  - token: the service answers but refuses the token (it restarted since this page was opened);
 *  - down: nothing answers at this address.
 */
export type LostReason = 'checking' | 'token' | 'down';

export class Connection {
  lost = $state(false);
  reason = $state<LostReason>('checking');
  private probing = 0;

  /** The socket closed or was refused; finds out which, so the banner can say what helps. */
  async closed(origin: string = window.location.origin): Promise<void> {
    this.lost = true;
    this.reason = 'checking';
    const seq = ++this.probing;
    let reason: LostReason;
    try {
      const res = await fetch(`${origin}/`, { method: 'HEAD', cache: 'no-store' });
      reason = res.ok ? 'token' : 'down';
    } catch {
      reason = 'down';
    }
    if (seq === this.probing) this.reason = reason;
  }
}

export const connection = new Connection();
