// Loads the Lua scripts (lua/*.lua), resolving `--- @include "path"` lines once each, as BullMQ does.
import { readFileSync } from 'node:fs';

// Beside this module in src/, in dist/lua/ beside the bundle (the build copies them).
const LUA_ROOT = new URL('./lua/', import.meta.url);

function expand(name: string, seen: Set<string>): string {
  if (seen.has(name)) return '';
  seen.add(name);
  const source = readFileSync(new URL(`${name}.lua`, LUA_ROOT), 'utf8');
  return source.replace(/^--- @include "([^"]+)"$/gm, (_, include: string) => expand(include, seen));
}

/** Each script's text, read once a process: a long-lived one keeps the scripts it started with. */
const texts = new Map<string, string>();

export function loadScript(name: string): string {
  const text = texts.get(name) ?? expand(name, new Set());
  texts.set(name, text);
  return text;
}

export const SCRIPT_NAMES = [
  'allocate',
  'allocate-queued',
  'heartbeat',
  'set-owner',
  'release-token',
  'release-manual',
  'extend-manual',
  'initialize',
  'register-host',
  'add-unreserved',
  'claim-probe',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];
