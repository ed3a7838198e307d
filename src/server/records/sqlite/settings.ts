// Small named values in the accounts file (strategy, local price, token secret).
import type { SettingRecords } from '../ports.js';
import type { AccountsDatabase } from './database.js';

export class SqliteSettings implements SettingRecords {
  private readonly settings = new Map<string, string | null>();

  constructor(private readonly db: AccountsDatabase) {}

  /** Settings are read through a cache: this process is their only writer. */
  setting(key: string): string | null {
    if (!this.settings.has(key)) {
      const row = this.db.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
      this.settings.set(key, row?.value ?? null);
    }
    return this.settings.get(key)!;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.db.write(() => {
      this.db
        .sql(`INSERT INTO settings (key, value) VALUES (?, ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
        .run(key, value);
    });
    this.settings.set(key, value);
  }

  /** The setting, made by `make` and stored when it has none yet. */
  async settingOrMake(key: string, make: () => string): Promise<string> {
    const value =
      this.setting(key) ??
      (await this.db.write(() => {
        this.db.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, make());
        return (this.db.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string }).value;
      }));
    this.settings.set(key, value);
    return value;
  }
}
