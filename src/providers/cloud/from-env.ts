// Which marketplaces the server reserves from: each one that has a key (the GPU proxy specification's
// names, VASTAI_API_KEY=k1,k2 and IONET_API_KEY=k1), at the base URL its *_API_URL says.
import type { Clock } from '../../domain/ports.js';
import { pick } from './api-client.js';
import { IonetProvider } from '../ionet/ionet-provider.js';
import type { Provider } from '../provider.js';
import { VastAiProvider } from '../vastai/vastai-provider.js';

export interface CloudSettings {
  clock: Clock;
  /** One line per key trouble, naming keys by position only. */
  warn?: (line: string) => void;
  timeoutMs?: number;
}

/** `k1, k2,,k3` → three keys. */
export const keyList = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);

export function cloudProvidersFromEnv(env: NodeJS.ProcessEnv, s: CloudSettings): Provider[] {
  const common = { clock: s.clock, ...pick(s, ['warn', 'timeoutMs']) };
  const providers: Provider[] = [];
  const vast = keyList(env.VASTAI_API_KEY);
  if (vast.length) providers.push(new VastAiProvider({ keys: vast, ...common, ...url(env.VASTAI_API_URL) }));
  const ionet = keyList(env.IONET_API_KEY);
  if (ionet.length) providers.push(new IonetProvider({ keys: ionet, ...common, ...url(env.IONET_API_URL) }));
  return providers;
}

const url = (text: string | undefined) => (text?.trim() ? { baseUrl: text.trim() } : {});

/** "vast.ai (2 keys), io.net (1 key)": what `serve` says at start, never the keys. */
export function describeCloud(env: NodeJS.ProcessEnv): string {
  const on = [
    ['vast.ai', keyList(env.VASTAI_API_KEY).length],
    ['io.net', keyList(env.IONET_API_KEY).length],
  ] as const;
  return on
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} (${n} key${n === 1 ? '' : 's'})`)
    .join(', ');
}
