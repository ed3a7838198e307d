// Where settings files are looked for: apart from config.ts, so that the agent's small client (agent-client.ts)
// finds them the same way without loading the rest.
import { join } from 'node:path';
import { homedir } from 'node:os';

/** The settings every user shares: root's. */
export const SYSTEM_CONFIG_PATH = '/etc/canhazgpu/config.json';

/** Where a config file is looked for when neither --config nor CANHAZGPU_CONFIG names one, in order. */
export function defaultConfigPaths(env: NodeJS.ProcessEnv): string[] {
  const home = env['HOME'] || homedir();
  return [join(home, '.canhazgpu.json'), SYSTEM_CONFIG_PATH];
}
