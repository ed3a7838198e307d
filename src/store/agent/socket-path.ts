/** The agent's socket beside the store it keeps (a store's directory is written by its owner alone). */
export const agentSocketOf = (storePath: string) => `${storePath}.sock`;
