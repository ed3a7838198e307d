// Columns the accounts gained after their first release: a file made by an older canhazgpu gains
// them when it is next opened for writing (SQLite's CREATE TABLE IF NOT EXISTS leaves it as it was).
import type Database from 'better-sqlite3';

/** Definitions `ALTER TABLE … ADD COLUMN` accepts: constant defaults, no constraints. */
const ADDED: Record<string, Record<string, string>> = {
  users: {
    disabled_at: 'INTEGER',
    deleted_at: 'INTEGER',
    // Bumped by a password change, a disable or a revocation: login tokens carry it and die with it.
    token_generation: 'INTEGER NOT NULL DEFAULT 0',
    failed_logins: 'INTEGER NOT NULL DEFAULT 0',
    locked_until: 'INTEGER',
  },
};

/** Adds what is missing, in one write transaction: two processes opening an old file add each column once. */
export function addMissingColumns(db: Database.Database): void {
  db.transaction(() => {
    for (const [table, columns] of Object.entries(ADDED)) {
      const have = new Set((db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name));
      for (const [name, type] of Object.entries(columns)) {
        if (!have.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
      }
    }
  }).immediate();
}
