import { runRecordsContract } from '../contract.case.test.js';
import { MemoryRecords } from './memory-records.js';

runRecordsContract('memory', { open: () => new MemoryRecords() });
