// The original manual's usage block, byte for byte, then where to put the store and provider.
export const USAGE = `Usage: canhazgpu [OPTIONS] COMMAND [ARGS]...

Options:
  --help  Show this message and exit.

Commands:
  admin    Initialize GPU pool for this machine
  release  Release all manually reserved GPUs held by the current user
  reserve  Reserve GPUs manually for a specified duration
  run      Reserve GPUs and run a command with CUDA_VISIBLE_DEVICES set
  status   Show current GPU allocation status
`;

export const GLOBAL_OPTIONS = `
More commands:
  queue    Show the requests waiting for GPUs (--json); run and reserve take
           --wait [DURATION] to wait in it when too few GPUs are free

Server commands:
  agent    Keep this host's GPU reading fresh for the other commands
  serve    Serve the HTTP API, dashboard and metrics on this pool
  user     Manage the server's users (user add|list|passwd|disable|enable|
           delete|revoke-tokens)
  apikey   Manage API keys for the server (apikey create|list|revoke)
  cloud    Reserve cloud GPUs through a server (cloud offers|reserve|list|
           destroy|reconcile; --server URL, key in CANHAZGPU_API_KEY)

Global options (any command):
  --store URL        where reservations live: sqlite:/path/state.db or a path
                     (env CANHAZGPU_STORE; default /var/lib/canhazgpu/state.db)
  --provider NAME    how GPUs are read: nvidia (nvidia-smi) or fake
                     (env CANHAZGPU_PROVIDER; the fake reads CANHAZGPU_FAKE_GPUS)
  --config FILE      JSON settings (env CANHAZGPU_CONFIG; else ~/.canhazgpu.json,
                     then /etc/canhazgpu/config.json)
`;
