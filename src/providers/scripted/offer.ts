// A scripted offer for tests: one 24 GB RTX 4090 in `eu` at `pricePerHour`, unless told otherwise.
import type { ScriptedOffer } from './scripted-provider.js';

export const scriptedOffer = (id: string, pricePerHour: number, over: Partial<ScriptedOffer> = {}): ScriptedOffer => ({
  id,
  pricePerHour,
  vramGb: 24,
  gpuModel: 'RTX 4090',
  numGpus: 1,
  location: 'eu',
  ...over,
});
