import { closeContext, createContext } from '../app/bootstrap.js';
import type { AppContext } from '../app/context.js';
import { loadConfig, type AppConfig } from '../config/index.js';
import { ConfigError } from '../config/load.js';
import { AppError } from '../core/errors.js';
import { createLogger } from '../infra/logging/logger.js';

/** Flags every command accepts; they override the environment. */
export interface GlobalFlags {
  dataDir?: string;
}

/** Builds the configuration from the environment with the command's flags on top. */
export function configFrom(flags: GlobalFlags & { host?: string; port?: string }): AppConfig {
  return loadConfig(process.env, {
    ...(flags.dataDir ? { CHEFIA_DATA_DIR: flags.dataDir } : {}),
    ...(flags.host ? { CHEFIA_HOST: flags.host } : {}),
    ...(flags.port ? { CHEFIA_PORT: flags.port } : {}),
  });
}

/**
 * Runs a command against the database: opens a context (migrating first), runs `work`, and always
 * closes the connections. Command logs go to standard error so standard output stays parseable.
 */
export async function withContext<T>(
  flags: GlobalFlags,
  work: (context: AppContext) => Promise<T>,
): Promise<T> {
  const config = configFrom(flags);
  const logger = createLogger(
    config.logging.level === 'info' ? 'warn' : config.logging.level,
    process.stderr,
  );
  const context = await createContext(config, { logger });
  try {
    return await work(context);
  } finally {
    await closeContext(context);
  }
}

/** One line saying what went wrong, without a stack trace or internal details. */
export function describeFailure(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof AppError) {
    const fields = error.fields?.map((field) => `${field.path} ${field.message}`).join('; ');
    return fields ? `${error.message} (${fields})` : error.message;
  }
  if (error instanceof Error && error.name === 'CommanderError') return error.message;
  // Unknown errors may quote data (database errors quote values), so only their kind is shown.
  const kind = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  return `the command failed (${kind}${typeof code === 'string' ? ` ${code}` : ''})`;
}
