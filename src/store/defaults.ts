/** Where the embedded store lives unless told otherwise. */
export const DEFAULT_STORE = '/var/lib/canhazgpu/state.db';
