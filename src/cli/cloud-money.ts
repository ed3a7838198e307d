// The server's reservation hours and spending caps on the marketplaces, from the config file's
// `cloud.*` settings or their CANHAZGPU_CLOUD_* variables.
import { UsageError } from '../domain/errors.js';
import { DEFAULT_CLOUD_MONEY, type CloudMoney } from '../server/service/spending-caps.js';
import { MAX_DURATION_HOURS, MIN_DURATION_HOURS } from '../server/request-limits.js';

export const CLOUD_SETTINGS = {
  'cloud.default_hours': 'CANHAZGPU_CLOUD_DEFAULT_HOURS',
  'cloud.max_hours': 'CANHAZGPU_CLOUD_MAX_HOURS',
  'cloud.cap_usd_per_user_per_day': 'CANHAZGPU_CLOUD_CAP_USD_PER_USER_PER_DAY',
  'cloud.cap_usd_per_user_per_week': 'CANHAZGPU_CLOUD_CAP_USD_PER_USER_PER_WEEK',
} as const;

type Key = keyof typeof CLOUD_SETTINGS;

export function cloudMoneyFrom(raw: (key: Key) => string | undefined, where: (key: Key) => string): CloudMoney {
  const num = (key: Key, min: number, max: number): number | null => {
    const text = raw(key);
    if (text === undefined) return null;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
      throw new UsageError(`${where(key)} must be a number from ${min} to ${max}, got '${text}'`);
    }
    return value;
  };
  const maxHours = num('cloud.max_hours', MIN_DURATION_HOURS, MAX_DURATION_HOURS) ?? DEFAULT_CLOUD_MONEY.maxHours;
  const defaultHours = num('cloud.default_hours', MIN_DURATION_HOURS, maxHours) ?? Math.min(8, maxHours);
  return {
    defaultHours,
    maxHours,
    capPerDay: num('cloud.cap_usd_per_user_per_day', 0, 1e9),
    capPerWeek: num('cloud.cap_usd_per_user_per_week', 0, 1e9),
  };
}
