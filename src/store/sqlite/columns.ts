// Columns added to the schema after stores were first set up: a store made earlier gets them on its
// first write (ALTER TABLE ... ADD COLUMN keeps every row), so no one has to run admin again.
import type Database from 'better-sqlite3';

const ADDED: ReadonlyArray<readonly [table: string, column: string, type: string]> = [
  ['gpus', 'note', 'TEXT'],
  ['gpus', 'last_released_by', 'TEXT'],
  ['pool', 'policy', 'TEXT'],
  ['readings', 'prober', 'TEXT'],
];

/**
 * Adds what ADDED lists and the tables lack; runs inside the caller's write transaction. A table not made yet
 * (readings are made by the first reading) is left to be made whole.
 */
export function addMissingColumns(db: Database.Database): void {
  const present = new Map<string, Set<string>>();
  for (const [table, column, type] of ADDED) {
    let columns = present.get(table);
    if (!columns) {
      columns = new Set((db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name));
      present.set(table, columns);
    }
    if (columns.size > 0 && !columns.has(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
}
