import { runRecordsContract } from '../contract.case.test.js';
import { memoryRecords } from './memory-records.js';

runRecordsContract('memory', { open: () => memoryRecords() });
