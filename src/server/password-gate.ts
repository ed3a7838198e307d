// Each password check is a scrypt (tens of ms of a CPU core): logins from many addresses for many
// emails pass the per-email and per-address limits, so the checks running at once are bounded too.
import { ConcurrencyLimit } from '../domain/concurrency-limit.js';
import { ApiError } from './errors.js';

/** At most `concurrency` checks at once and `queue` waiting; beyond that a login is refused at once. */
export class PasswordGate extends ConcurrencyLimit {
  constructor(concurrency = 2, queue = 8) {
    super(concurrency, queue, () => new ApiError('RESOURCE_EXHAUSTED', 'too many logins at once; retry shortly'));
  }
}
