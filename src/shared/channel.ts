/** The one IPC channel name; kept apart so the preload bundle carries nothing else of the contract. */
export const IPC_CHANNEL = 'reprise:rpc';
