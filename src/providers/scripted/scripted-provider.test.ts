// The scripted market passes the provider contract, so tests built on it hold for real providers too.
import { runProviderContract } from '../contract.case.test.js';
import { ScriptedMarketplace } from './scripted-marketplace.js';
import { ScriptedProvider } from './scripted-provider.js';

const offer = (id: string) => ({ id, pricePerHour: 1, vramGb: 24, gpuModel: 'RTX 4090', numGpus: 1, location: 'lab' });

runProviderContract('scripted', {
  open: async () => ({
    provider: new ScriptedProvider('market', [offer('a'), offer('b'), offer('c')]),
    close: async () => undefined,
  }),
});

runProviderContract('scripted marketplace', {
  open: async () => ({
    provider: new ScriptedMarketplace('market', [offer('a'), offer('b'), offer('c')]),
    close: async () => undefined,
  }),
});
