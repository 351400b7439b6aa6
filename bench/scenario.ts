/**
 * A benchmark scenario is a module in `bench/scenarios/` exporting `name`, `description`, an
 * optional `compareTo` (the baseline its throughput is divided by) and `setup`, which starts the
 * server under test on 127.0.0.1 and says what request to send it.
 */
export interface BenchTarget {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /**
   * Replace every `[<id>]` in the headers and body with a fresh id per request (autocannon's
   * `idReplacement`), for requests that must differ, such as one `Idempotency-Key` each.
   */
  idReplacement?: boolean;
  close(): Promise<void>;
}

export interface Scenario {
  /** Short identifier, used in BENCH_ONLY and as the `compareTo` of other scenarios. */
  name: string;
  description: string;
  /** Baseline scenario this one is compared with; baselines leave it out. */
  compareTo?: string;
  setup(): Promise<BenchTarget>;
}

/** The address every benchmark server binds to: load never leaves the machine. */
export const BENCH_HOST = '127.0.0.1';
