// Prepared statements kept per connection: preparing costs more than running the small statements
// canhazgpu issues, and a busy server runs the same few thousands of times.
import type Database from 'better-sqlite3';

export type Sql = (text: string) => Database.Statement;

export function statementCache(db: Database.Database): Sql {
  const statements = new Map<string, Database.Statement>();
  return (text) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
}
