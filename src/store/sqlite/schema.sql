-- canhazgpu's embedded store. Times are Unix milliseconds.
CREATE TABLE IF NOT EXISTS pool (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  gpu_count INTEGER NOT NULL,
  initialized_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS gpus (
  id INTEGER PRIMARY KEY,
  user TEXT,
  type TEXT CHECK (type IN ('run', 'manual')),
  start_time INTEGER,
  last_heartbeat INTEGER,
  expiry_time INTEGER,
  token TEXT,
  owner_host TEXT,
  owner_pid INTEGER,
  owner_start TEXT,
  last_released INTEGER
);
CREATE INDEX IF NOT EXISTS gpus_by_token ON gpus (token);
CREATE INDEX IF NOT EXISTS gpus_by_user ON gpus (user);
