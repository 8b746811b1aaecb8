/** What the service may ask of the local API's front door (the composition root passes one in). */
import type { LocalApiStatus } from '../../shared/views.ts';

export interface LocalApiPort {
  status(): LocalApiStatus;
  /** Turns the server on or off, or moves it to another port; saved in the settings. */
  configure(p: { enabled?: boolean; port?: number }): Promise<LocalApiStatus>;
  /** A new key; the old one stops working at once. */
  regenerateKey(): LocalApiStatus;
}
