-- The server's accounts, in a file of their own that only the server's user may read (mode 0600):
-- the pool's store is writable by every local user, these records must not be.
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  is_admin INTEGER NOT NULL DEFAULT 0,
  password_hash TEXT,
  created_at INTEGER NOT NULL
  -- and the columns migrate.ts adds to files of every age: disabled_at, deleted_at, token_generation,
  -- failed_logins, locked_until
);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS reservations (
  contract_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  instance_json TEXT NOT NULL,
  price_per_hour REAL NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER,
  PRIMARY KEY (provider, contract_id)
);
CREATE INDEX IF NOT EXISTS reservations_active ON reservations (ended_at, user_id);
CREATE TABLE IF NOT EXISTS transactions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  type TEXT NOT NULL,
  amount REAL NOT NULL,
  currency TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  status TEXT NOT NULL,
  description TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_by_user ON transactions (user_id, timestamp);
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- Cloud reservations from before their creation to their confirmed end (CloudReservation in ports.ts).
CREATE TABLE IF NOT EXISTS cloud_reservations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  provider TEXT NOT NULL,
  offer_json TEXT NOT NULL,
  price_per_hour REAL NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  contract_id TEXT,
  updated_at INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX IF NOT EXISTS cloud_reservations_by_state ON cloud_reservations (state, provider);
CREATE INDEX IF NOT EXISTS cloud_reservations_by_contract ON cloud_reservations (provider, contract_id);
