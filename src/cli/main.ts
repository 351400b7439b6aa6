#!/usr/bin/env node
import { buildProgram } from './program.js';
import { describeFailure } from './run.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`chefia: ${describeFailure(error)}\n`);
    process.exitCode = 1;
  });
