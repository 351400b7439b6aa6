import type { Command } from 'commander';

import { ConfigError } from '../../config/load.js';
import { rotateDataKey } from '../../security/keys/data-key-rotation.js';
import { withContext, type GlobalFlags } from '../run.js';

interface RotateDataKeyFlags {
  batchSize: string;
  propagationSeconds?: string;
}

function wholeNumber(value: string, flag: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new ConfigError(`${flag} must be a whole number from ${min} to ${max}.`);
  }
  return parsed;
}

/**
 * `chefia keys rotate-data-key`: a new data-encryption key for new writes, then online
 * re-encryption of every stored value. Run it again after an interruption: it resumes the
 * unfinished rotation instead of adding another key. Progress goes to standard error and the
 * summary, as JSON, to standard output.
 */
export function registerDataKeyCommands(keys: Command, program: Command): void {
  keys
    .command('rotate-data-key')
    .description(
      'add a data-encryption key and re-encrypt stored values with it (resumes an interrupted run)',
    )
    .option('--batch-size <rows>', 'rows re-encrypted per transaction', '200')
    .option(
      '--propagation-seconds <seconds>',
      'wait before re-encrypting, so running servers load the new key ' +
        '(default: twice CHEFIA_DATA_KEY_RELOAD_SECONDS)',
    )
    .action(async (flags: RotateDataKeyFlags) => {
      const batchSize = wholeNumber(flags.batchSize, '--batch-size', 1, 10_000);
      const propagationMs =
        flags.propagationSeconds === undefined
          ? undefined
          : wholeNumber(flags.propagationSeconds, '--propagation-seconds', 0, 86_400) * 1000;

      const report = await withContext(program.opts<GlobalFlags>(), (context) =>
        rotateDataKey(context, {
          batchSize,
          ...(propagationMs === undefined ? {} : { propagationMs }),
          onWait: (ms, keyId) => {
            process.stderr.write(
              `waiting ${Math.ceil(ms / 1000)} s for running servers to load key ${keyId}\n`,
            );
          },
          afterBatch: (batch) => {
            process.stderr.write(
              `${batch.table}.${batch.column}: ${batch.rowsReencrypted} re-encrypted\n`,
            );
          },
        }),
      );

      console.log(JSON.stringify(report));
      if (report.status !== 'completed') {
        throw new ConfigError(
          `${report.remaining} values still use an older key; run the command again to resume.`,
        );
      }
    });
}
