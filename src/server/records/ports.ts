// The server's records as ports: what GpuService, Identity and the account commands need of them.
// SQLite (sqlite/) keeps them in the accounts file, memory/ in a Map for tests. No I/O here.
import type { GpuInstance } from '../../domain/instances.js';

export interface User {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  passwordHash: string | null;
  createdAt: number;
  /** Neither keys nor tokens work while set. */
  disabledAt: number | null;
  /** A deleted user's row stays for the ledger; its email is freed (see deleteUser). */
  deletedAt: number | null;
  /** Login tokens carry it; a token of another generation is refused. */
  tokenGeneration: number;
  /** Failed logins in a row, and until when the next login is refused. */
  failedLogins: number;
  lockedUntil: number | null;
}

export interface ApiKey {
  id: string;
  userId: string;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface ServerReservation {
  contractId: string;
  provider: string;
  userId: string;
  instance: GpuInstance;
  pricePerHour: number;
  createdAt: number;
  expiresAt: number;
  endedAt: number | null;
}

export interface Transaction {
  id: string;
  userId: string;
  type: string;
  amount: number;
  currency: string;
  timestamp: number;
  status: string;
  description: string;
}

/** Users, with what a login and a token check read of them (lockout, token generation). */
export interface UserRecords {
  /** Throws CanhazError when a live user has this email (any case). */
  addUser(email: string, name: string, isAdmin: boolean, passwordHash: string | null, now: number): Promise<User>;
  /** Case-insensitive; deleted users' emails are freed, so they are not found. */
  userByEmail(email: string): Promise<User | null>;
  userById(id: string): Promise<User | null>;
  /** Every user but the deleted ones, by email. */
  listUsers(): Promise<User[]>;
  /** A new password; login tokens made with the old one stop working, and a login lock is lifted. */
  setPassword(userId: string, passwordHash: string): Promise<void>;
  /** Disabling kills the user's login tokens for good; enabling lets keys work again and lifts a login lock. */
  setDisabled(userId: string, disabled: boolean, now: number): Promise<void>;
  /** Every login token the user holds stops working (API keys are revoked one by one). */
  revokeTokens(userId: string): Promise<void>;
  /**
   * Deletes a user who holds no active reservation (throws CanhazError otherwise). The row stays for
   * the ledger; keys are revoked, tokens and password die, and the email is freed.
   */
  deleteUser(user: User, now: number): Promise<void>;
  /** One more failed login in a row; `lockMs(failures)` says for how long the next one is refused. */
  recordLoginFailure(userId: string, now: number, lockMs: (failures: number) => number): Promise<void>;
  resetLoginFailures(userId: string): Promise<void>;
}

/** API keys; only their hash is ever stored. */
export interface ApiKeyRecords {
  addApiKey(userId: string, name: string, keyHash: string, now: number): Promise<ApiKey>;
  /** The live key with this hash and its user. */
  userByKeyHash(keyHash: string): Promise<{ user: User; keyId: string } | null>;
  /** The user's keys, revoked ones too, oldest first. */
  listApiKeys(userId: string): Promise<ApiKey[]>;
  /** Revokes one of the user's keys; false when the user has no such live key. */
  revokeApiKey(userId: string, keyId: string, now: number): Promise<boolean>;
}

/** Active reservations per provider and location (hostKey's parts). */
export interface HostCount {
  provider: string;
  location: string;
  n: number;
}

/** The server's reservations and the ledger their ends are charged to. */
export interface ReservationRecords {
  addReservation(r: ServerReservation): Promise<void>;
  /** Records one request's reservations together, or none of them. */
  addReservations(list: ServerReservation[]): Promise<void>;
  reservation(provider: string, contractId: string): Promise<ServerReservation | null>;
  /** Active (not ended) reservations, of one user or of everyone, oldest first. */
  activeReservations(userId?: string): Promise<ServerReservation[]>;
  /** Of these contracts of `provider`, those with an active reservation on record. */
  recordedActive(provider: string, contractIds: readonly string[]): Promise<Set<string>>;
  // Synchronous: the strategies read them where nothing may await (see GpuService.reserveNow).
  /** Reservations ever made, per provider. */
  countByProvider(): Map<string, number>;
  activeCountsByHost(): HostCount[];
  /** What its provider says of an active reservation now: its status, and metadata merged in. */
  setInstanceState(
    provider: string,
    contractId: string,
    status: string,
    metadata: Record<string, string>,
  ): Promise<void>;
  /** Ends a reservation and charges its real cost (price × time held), once; null when it had ended. */
  endReservation(r: ServerReservation, endedAt: number): Promise<Transaction | null>;
  /** The user's ledger, newest first. */
  transactions(userId: string, limit: number, offset: number): Promise<{ items: Transaction[]; total: number }>;
}

/** Where a cloud reservation is: recorded before the provider is asked, so no creation goes unseen. */
export type CloudState = 'creating' | 'running' | 'destroying' | 'destroyed' | 'failed';

/**
 * One reservation of a cloud marketplace, from before its creation to its confirmed end. Its id is the
 * one in the instance's label (`canhazgpu:<id>:<expiry>`), so an instance made by a server that died
 * before hearing the answer is found again. The active reservation (ServerReservation) exists while
 * it runs: addReservations moves a `creating` one with that contract id to `running`, endReservation
 * a `running` or `destroying` one to `destroyed`, in the same write.
 */
export interface CloudReservation {
  id: string;
  userId: string;
  provider: string;
  /** The offer chosen (a replacement offer may be rented instead: the active reservation says). */
  offer: GpuInstance;
  pricePerHour: number;
  createdAt: number;
  expiresAt: number;
  state: CloudState;
  /** Known once the provider answered the creation. */
  contractId: string | null;
  updatedAt: number;
  /** Why it failed, one line. */
  error: string | null;
}

export interface CloudRecords {
  /** Records a creation about to be asked for (state `creating`). */
  addCloudReservation(c: CloudReservation): Promise<void>;
  /** The contract id a creation was answered with; it stays `creating` until recorded as active. */
  setCloudContract(id: string, contractId: string, now: number): Promise<void>;
  /** Moves it from one of `from` to `to` (with why, for `failed`); false when it was in none of them. */
  moveCloudReservation(id: string, from: CloudState[], to: CloudState, now: number, error?: string): Promise<boolean>;
  cloudReservation(id: string): Promise<CloudReservation | null>;
  cloudReservationByContract(provider: string, contractId: string): Promise<CloudReservation | null>;
  /** Those in one of `states`, of every provider or one, oldest first. */
  cloudReservations(states: CloudState[], provider?: string): Promise<CloudReservation[]>;
}

/** Small named values the server keeps (strategy, local price, token secret). */
export interface SettingRecords {
  /** Synchronous: read through a cache, this process being their only writer. */
  setting(key: string): string | null;
  setSetting(key: string, value: string): Promise<void>;
  /** The setting, made by `make` and stored when it has none yet. */
  settingOrMake(key: string, make: () => string): Promise<string>;
}

/** Everything, as one opened set of records (the accounts file, or memory). */
export interface Records extends UserRecords, ApiKeyRecords, ReservationRecords, SettingRecords, CloudRecords {
  close(): void;
}

export interface RecordsOpenOptions {
  /** create (the default): make them when missing; existing: never; read: never, and read-only. */
  mode?: 'create' | 'existing' | 'read';
  /** The server: waits for another process's lock asleep, never on its event loop. */
  longLived?: boolean;
}
