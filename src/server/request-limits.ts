// What one request may ask for, written once: the HTTP schemas, the gRPC checks, the service and the
// account commands all read these.

/** GPUs one reservation request may ask for. */
export const MAX_GPUS_PER_REQUEST = 16;
/** The `num_gpus` filter's bound (GPUs per instance: a marketplace's multi-GPU machine). */
export const MAX_GPUS_PER_INSTANCE = 64;
/** A reservation's duration when the request names none, and its bounds (one minute to 30 days). */
export const DEFAULT_DURATION_HOURS = 8;
export const MIN_DURATION_HOURS = 1 / 60;
export const MAX_DURATION_HOURS = 24 * 30;

/** RFC 5321's longest address. */
export const MAX_EMAIL_LENGTH = 320;
/** Bounds the scrypt work one login may ask for. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_KEY_NAME_LENGTH = 128;
/** Provider and strategy names. */
export const MAX_NAME_LENGTH = 64;
/** Free text of a filter (GPU model, location) and contract ids. */
export const MAX_TEXT_LENGTH = 128;

/** Ledger entries per page, and the page size when a request names none. */
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 50;
