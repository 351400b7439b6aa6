/**
 * CPU-time measurement for the in-process benchmarks. Process CPU rather than wall time: the
 * figure then holds on a busy machine, where throughput drifts with whatever else runs.
 */

/** Microseconds of process CPU per call over `calls` sequential calls of `call`. */
export async function cpuMicrosPerCall(
  call: () => Promise<unknown>,
  calls: number,
): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i += 1) await call();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
