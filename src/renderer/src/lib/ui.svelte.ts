/** Layout state that several components share: panels, dialogs and focus targets. */
export class UiState {
  sidebarOpen = $state(true);
  settingsOpen = $state(false);
  aboutOpen = $state(false);
  modelDialogOpen = $state(false);
  /** Elements other components focus from keyboard shortcuts. */
  searchInput = $state<HTMLInputElement | null>(null);
  composerInput = $state<HTMLTextAreaElement | null>(null);

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
}

export const ui = new UiState();
