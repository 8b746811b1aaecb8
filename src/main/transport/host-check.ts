// DNS rebinding: a website whose name resolves to 127.0.0.1 reaches the loopback server as "same
// origin" for the browser, and its requests carry its own name in Host. Browser mode answers only to
// the loopback names, as Jupyter does (and the WebSocket also checks Origin and a token).
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** Whether a Host header names this server by a loopback name (with its port). */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.some((n) => h === `${n}:${port}`);
}
