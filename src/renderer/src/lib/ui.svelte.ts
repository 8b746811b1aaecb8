/** Layout state that several components share: panels, dialogs and focus targets. */
import { tick } from 'svelte';

const NARROW = 860;

export class UiState {
  sidebarOpen = $state(true);
  /** The window's width (App keeps it current on resize). */
  width = $state(window.innerWidth);
  /** A narrow window: the sidebar is a drawer over the chat. */
  readonly narrow = $derived(this.width < NARROW);
  settingsOpen = $state(false);
  aboutOpen = $state(false);
  localApiOpen = $state(false);
  modelsOpen = $state(false);
  modelDialogOpen = $state(false);
  /** Elements other components focus from keyboard shortcuts. */
  searchInput = $state<HTMLInputElement | null>(null);
  composerInput = $state<HTMLTextAreaElement | null>(null);
  /** The button that opens the sidebar again once it is hidden. */
  showSidebarButton = $state<HTMLButtonElement | null>(null);

  focusSearch(): void {
    this.sidebarOpen = true;
    // The input may only exist after the sidebar re-renders.
    queueMicrotask(() => {
      this.searchInput?.focus();
      this.searchInput?.select();
    });
  }

  focusComposer(): void {
    queueMicrotask(() => this.composerInput?.focus());
  }

  /**
   * Closes the sidebar when it is a drawer (narrow windows). Focus inside it would fall to the page with it,
   * so it moves to `then`: the button that reopens the drawer, or nowhere when focus is already elsewhere.
   */
  closeDrawer(then: 'toggle' | 'none' = 'toggle'): void {
    if (!this.narrow || !this.sidebarOpen) return;
    this.sidebarOpen = false;
    if (then === 'toggle') void tick().then(() => this.showSidebarButton?.focus());
  }
}

export const ui = new UiState();
