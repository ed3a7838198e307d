/** Where the embedded store lives unless told otherwise. */
export const DEFAULT_STORE = '/var/lib/canhazgpu/state.db';

/** The server's accounts (users, API keys, ledger): readable by the server's user alone. */
export const DEFAULT_ACCOUNTS = '/var/lib/canhazgpu/server.db';
