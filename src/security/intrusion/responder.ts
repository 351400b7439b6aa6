import type { FastifyRequest } from 'fastify';

import type { AppContext } from '../../app/context.js';
import { SYSTEM_ACTOR } from '../../audit/events.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, sourceOf } from '../authz/principal.js';
import { clientAddress } from '../rate-limit/client.js';
import type { AddressPolicy } from './address-policy.js';
import type { BlockList, BlockReason } from './block-list.js';
import type { BlockedIpRow } from './blocked-ips-repository.js';
import type { ThreatHit } from './detector.js';
import { SlidingWindowLog } from './sliding-window.js';
import { countIntrusion } from './state.js';

/** When a source's probes and failed sign-ins get it blocked, and for how long. */
export interface IntrusionSettings {
  /** Probes within the window that block the source. */
  threatThreshold: number;
  windowMinutes: number;
  blockMinutes: number;
  /** Failed credential checks and throttled sign-ins within the window that block the source ... */
  bruteForceFailures: number;
  /** ... when they name at least this many distinct accounts. */
  bruteForceAccounts: number;
  /** `false` counts and blocks nothing (benchmarks measuring what detection costs). */
  enabled?: boolean;
}

/**
 * What happens after a probe or a failed credential check: it is counted against its source
 * address (a score that decays as events leave the window), audited, and past the thresholds
 * the source is blocked for a while, in every process.
 */
export class IntrusionResponder {
  readonly #context: AppContext;
  readonly #blockList: BlockList;
  readonly #policy: AddressPolicy;
  readonly #settings: IntrusionSettings;
  readonly #probes: SlidingWindowLog;
  readonly #failures: SlidingWindowLog;

  constructor(
    context: AppContext,
    blockList: BlockList,
    policy: AddressPolicy,
    settings: IntrusionSettings,
  ) {
    this.#context = context;
    this.#blockList = blockList;
    this.#policy = policy;
    this.#settings = settings;
    const windowMs = settings.windowMinutes * 60_000;
    this.#probes = new SlidingWindowLog(context.clock, { windowMs });
    this.#failures = new SlidingWindowLog(context.clock, { windowMs });
  }

  /**
   * Audits a detected probe (a security alert with the suspicious-pattern risk) and blocks its
   * source once it reaches the threshold. The caller refuses the request.
   */
  async threatDetected(request: FastifyRequest, hit: ThreatHit): Promise<void> {
    const address = clientAddress(request);
    const { events } = this.#probes.record(address);
    const blocking = events >= this.#settings.threatThreshold && this.#policy.isBlockable(address);
    const principal = request.principal;

    const block = await inTransaction(this.#context.database, async (tx) => {
      await this.#context.audit.record(tx, {
        type: 'security_alert',
        action: 'intrusion.detected',
        outcome: 'denied',
        restaurantId: principal?.restaurantId ?? null,
        actor: actorOf(principal),
        source: sourceOf(request),
        resource: { type: 'route', id: routeOf(request) },
        details: { kind: hit.kind, location: hit.location, detections: events, blocked: blocking },
        risk: { suspiciousPattern: true },
      });
      if (!blocking) return null;
      return this.#block(tx, request, address, 'threat_detected', { detections: events });
    });

    if (block) {
      this.#blockList.publish([block]);
      this.#probes.forget(address);
    }
  }

  /**
   * Counts a sign-in the auth rate limit refused (429) as a failed attempt of its source. With
   * SPEC 5.4's auth limit (5 per 300 s per address) about ten attempts in the default ten-minute
   * window ever reach the credential check, half the failures that block, so on failures alone
   * no sweep would ever be blocked; a source that keeps pushing past the limit is that sweep.
   * The limit refuses before the body is read, so the attempt names no account: the
   * distinct-account condition still rests on real credential failures, and one user retrying
   * their own account through the 429s is left to its lockout.
   */
  async signInThrottled(request: FastifyRequest): Promise<void> {
    await this.credentialFailed(request, undefined);
  }

  /**
   * Counts a failed credential check (a login, a manager approval, an API key) for `account`,
   * when the attempt names one, and blocks the source once it has failed often, across several
   * accounts: one account's failures are the account lockout's business, many accounts from one
   * source is a sweep.
   */
  async credentialFailed(request: FastifyRequest, account: string | undefined): Promise<void> {
    if (this.#settings.enabled === false) return;
    const address = clientAddress(request);
    const { events, distinctTags } = this.#failures.record(address, account);
    if (events < this.#settings.bruteForceFailures) return;
    if (distinctTags < this.#settings.bruteForceAccounts) return;
    if (!this.#policy.isBlockable(address)) return;

    const block = await inTransaction(this.#context.database, (tx) =>
      this.#block(tx, request, address, 'brute_force', {
        failures: events,
        accounts: distinctTags,
      }),
    );
    this.#blockList.publish([block]);
    this.#failures.forget(address);
  }

  async #block(
    tx: Executor,
    request: FastifyRequest,
    address: string,
    reason: BlockReason,
    counts: Record<string, number>,
  ): Promise<BlockedIpRow> {
    const restaurantId = request.principal?.restaurantId ?? null;
    const minutes = this.#settings.blockMinutes;
    const block = await this.#blockList.block(tx, {
      address,
      reason,
      minutes,
      restaurantId,
      createdBy: null,
    });
    countIntrusion('automaticBlocks');
    await this.#context.audit.record(tx, {
      type: 'security_alert',
      action: 'ip.block',
      outcome: 'success',
      restaurantId,
      actor: SYSTEM_ACTOR,
      source: sourceOf(request),
      resource: { type: 'blocked_ip', id: block.id },
      details: { reason, minutes, ...counts },
      risk: { suspiciousPattern: true, repeatedFailures: counts.failures ?? 0 },
    });
    return block;
  }
}

function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;
}
