// Small named values in memory.
import type { SettingRecords } from '../ports.js';
import type { Tables } from './tables.js';

export class MemorySettings implements SettingRecords {
  constructor(private readonly t: Tables) {}

  setting(key: string): string | null {
    return this.t.settings.get(key) ?? null;
  }

  async setSetting(key: string, value: string) {
    this.t.settings.set(key, value);
  }

  async settingOrMake(key: string, make: () => string) {
    if (!this.t.settings.has(key)) this.t.settings.set(key, make());
    return this.t.settings.get(key)!;
  }
}
