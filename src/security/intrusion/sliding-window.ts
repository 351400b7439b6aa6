import type { Clock } from '../../core/clock.js';

/** What one subject did within the window, the event just recorded included. */
export interface WindowTally {
  events: number;
  /** Distinct tags among those events (for failed logins: distinct accounts tried). */
  distinctTags: number;
}

interface SubjectLog {
  times: number[];
  tags: Map<string, number>;
}

const DEFAULT_MAX_SUBJECTS = 50_000;
const DEFAULT_MAX_EVENTS = 1_000;

/**
 * Events per subject (a client address) over a sliding window: a subject's score decays as its
 * events age out. Kept in the memory of each process: the blocks it leads to are shared through
 * the database and Redis, but the counting is not, so with N processes a source may get up to N
 * times the threshold before one of them blocks it. Memory is bounded per subject and in the
 * number of subjects.
 */
export class SlidingWindowLog {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #maxSubjects: number;
  readonly #maxEvents: number;
  readonly #subjects = new Map<string, SubjectLog>();

  constructor(
    clock: Clock,
    options: { windowMs: number; maxSubjects?: number; maxEventsPerSubject?: number },
  ) {
    this.#clock = clock;
    this.#windowMs = options.windowMs;
    this.#maxSubjects = options.maxSubjects ?? DEFAULT_MAX_SUBJECTS;
    this.#maxEvents = options.maxEventsPerSubject ?? DEFAULT_MAX_EVENTS;
  }

  /** Records one event of `subject`, optionally tagged, and tallies its window. */
  record(subject: string, tag?: string): WindowTally {
    const now = this.#clock.now().getTime();
    let log = this.#subjects.get(subject);
    if (!log) {
      if (this.#subjects.size >= this.#maxSubjects) this.#makeRoom(now);
      log = { times: [], tags: new Map() };
      this.#subjects.set(subject, log);
    }

    this.#prune(log, now);
    log.times.push(now);
    if (log.times.length > this.#maxEvents) log.times.shift();
    if (tag !== undefined) {
      log.tags.delete(tag);
      log.tags.set(tag, now);
      if (log.tags.size > this.#maxEvents) log.tags.delete(log.tags.keys().next().value ?? '');
    }
    return { events: log.times.length, distinctTags: log.tags.size };
  }

  /** Starts a subject over (after it was blocked). */
  forget(subject: string): void {
    this.#subjects.delete(subject);
  }

  #prune(log: SubjectLog, now: number): void {
    const since = now - this.#windowMs;
    while (log.times.length > 0 && (log.times[0] ?? now) <= since) log.times.shift();
    // Tags are re-inserted when seen again, so the map is in order of last sighting.
    for (const [tag, seenAt] of log.tags) {
      if (seenAt > since) break;
      log.tags.delete(tag);
    }
  }

  #makeRoom(now: number): void {
    for (const [subject, log] of this.#subjects) {
      const last = log.times.at(-1) ?? 0;
      if (last <= now - this.#windowMs) this.#subjects.delete(subject);
    }
    let excess = this.#subjects.size - Math.floor(this.#maxSubjects * 0.9);
    for (const subject of this.#subjects.keys()) {
      if (excess <= 0) break;
      this.#subjects.delete(subject);
      excess -= 1;
    }
  }
}
