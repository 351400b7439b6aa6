export { AddressPolicy, normalizeAddress } from './address-policy.js';
export { BlockList, type BlockReason, type NewBlock } from './block-list.js';
export { BlockedIpsRepository, type BlockedIpRow } from './blocked-ips-repository.js';
export {
  SCAN_LIMITS,
  detectThreat,
  scanRequest,
  type ThreatClassifier,
  type ThreatHit,
  type ThreatKind,
} from './detector.js';
export { IntrusionResponder, type IntrusionSettings } from './responder.js';
export { intrusionState, type IntrusionState } from './state.js';
