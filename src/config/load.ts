import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

import { SETTINGS, type SettingDefinition, type SettingName } from './settings.js';

/** Stops the start: names the setting and why, never its value. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type RawSettings = Partial<Record<SettingName, string>>;

const CONFIG_FILE_VARIABLE = 'CHEFIA_CONFIG_FILE';
const KNOWN = new Map<string, SettingDefinition>(SETTINGS.map((s) => [s.env, s]));

/**
 * Reads the settings from the environment and, when `CHEFIA_CONFIG_FILE` names one, a JSON file
 * whose keys are the same variable names. The environment wins over the file; command-line flags
 * are applied by the caller as overrides and win over both.
 */
export function readRawSettings(env: NodeJS.ProcessEnv, overrides: RawSettings = {}): RawSettings {
  const raw: RawSettings = {};

  const file = env[CONFIG_FILE_VARIABLE];
  if (file) {
    Object.assign(raw, readConfigFile(file));
  }

  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (KNOWN.has(name)) {
      raw[name as SettingName] = value;
    } else if (name.startsWith('CHEFIA_') && name !== CONFIG_FILE_VARIABLE) {
      throw new ConfigError(`Unknown setting ${name}.`);
    }
  }

  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) raw[name as SettingName] = value;
  }
  return raw;
}

function readConfigFile(file: string): RawSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ConfigError(`${CONFIG_FILE_VARIABLE} could not be read as a JSON object.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${CONFIG_FILE_VARIABLE} must hold a JSON object.`);
  }

  const raw: RawSettings = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!KNOWN.has(name)) {
      throw new ConfigError(`Unknown setting ${name} in ${CONFIG_FILE_VARIABLE}.`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(`Setting ${name} must be a string, number or boolean.`);
    }
    raw[name as SettingName] = String(value);
  }
  return raw;
}

/** Typed access to the raw settings, validating each one against its definition. */
export class SettingReader {
  readonly #raw: RawSettings;

  constructor(raw: RawSettings) {
    this.#raw = raw;
  }

  /** True when the operator set the value (rather than leaving the default). */
  isSet(name: SettingName): boolean {
    return this.#raw[name] !== undefined && this.#raw[name] !== '';
  }

  string(name: SettingName): string | undefined {
    const value = this.#raw[name] ?? definition(name).default;
    return value === undefined || value === '' ? undefined : value;
  }

  requiredString(name: SettingName): string {
    const value = this.string(name);
    if (value === undefined) throw new ConfigError(`Setting ${name} is required.`);
    return value;
  }

  integer(name: SettingName): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const def = definition(name);
    if (!/^-?\d+$/.test(value)) throw new ConfigError(`Setting ${name} must be an integer.`);
    const parsed = Number(value);
    if (def.min !== undefined && parsed < def.min) {
      throw new ConfigError(`Setting ${name} must be at least ${def.min}.`);
    }
    if (def.max !== undefined && parsed > def.max) {
      throw new ConfigError(`Setting ${name} must be at most ${def.max}.`);
    }
    return parsed;
  }

  requiredInteger(name: SettingName): number {
    const value = this.integer(name);
    if (value === undefined) throw new ConfigError(`Setting ${name} is required.`);
    return value;
  }

  boolean(name: SettingName): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const normalized = value.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
    if (['false', '0', 'no', 'off'].includes(normalized)) return false;
    throw new ConfigError(`Setting ${name} must be true or false.`);
  }

  list(name: SettingName): string[] {
    const value = this.string(name);
    if (value === undefined) return [];
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  enumValue<T extends string>(name: SettingName): T {
    const value = this.requiredString(name);
    const allowed = definition(name).values ?? [];
    if (!allowed.includes(value)) {
      throw new ConfigError(`Setting ${name} must be one of: ${allowed.join(', ')}.`);
    }
    return value as T;
  }
}

function definition(name: SettingName): SettingDefinition {
  const def = KNOWN.get(name);
  if (!def) throw new ConfigError(`Unknown setting ${name}.`);
  return def;
}

/** Resolves a path setting against the working directory. */
export function resolvePath(value: string): string {
  return path.resolve(value);
}

/** True for an address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}
