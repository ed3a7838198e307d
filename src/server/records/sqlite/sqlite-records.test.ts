import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runRecordsContract } from '../contract.case.test.js';
import { SqliteRecords } from './sqlite-records.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-records-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

// A file each (not :memory:): the contract runs on the file, modes and pragmas the server uses.
runRecordsContract('sqlite', {
  open: () => SqliteRecords.open(join(dir, `records-${++files}.db`), { longLived: true }),
});
