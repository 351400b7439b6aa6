import type { AppContext } from '../../app/context.js';
import { cardBrand, maskPan, normalizePan } from '../../security/cards/pan.js';
import { blindIndex, encryptField } from '../../security/crypto/index.js';
import { encryptionContextOf } from '../../security/keys/encrypted-columns.js';
import type { PaymentRow } from './repository.js';
import type { KeyedCard, TerminalCard } from './schemas.js';

/** The card columns of a payment row. */
export type CardColumns = Pick<
  PaymentRow,
  | 'card_entry'
  | 'card_brand'
  | 'card_last4'
  | 'card_masked'
  | 'authorization_code'
  | 'nsu'
  | 'pan_encrypted'
  | 'pan_hash'
>;

/** The blind-index field name of keyed card numbers. */
export const PAN_INDEX_FIELD = 'payments.pan';

export function isKeyedCard(card: TerminalCard | KeyedCard): card is KeyedCard {
  return 'pan' in card;
}

/**
 * What a card payment stores (SPEC 5.6). A terminal reference is kept as given. A keyed PAN is
 * Luhn-checked, then kept only three ways: encrypted under the data key ring, as a keyed hash for
 * lookups, and truncated to first 6 and last 4 for display. The digits themselves go nowhere else.
 */
export function cardColumns(context: AppContext, card: TerminalCard | KeyedCard): CardColumns {
  if (!isKeyedCard(card)) {
    return {
      card_entry: 'terminal',
      card_brand: card.brand,
      card_last4: card.last4,
      card_masked: null,
      authorization_code: card.authorizationCode,
      nsu: card.nsu,
      pan_encrypted: null,
      pan_hash: null,
    };
  }

  const pan = normalizePan(card.pan);
  return {
    card_entry: 'manual',
    card_brand: cardBrand(pan),
    card_last4: pan.slice(-4),
    card_masked: maskPan(pan),
    authorization_code: card.authorizationCode ?? null,
    nsu: card.nsu ?? null,
    // The ring may be replaced by a key rotation: read it at the moment of use.
    pan_encrypted: encryptField(
      context.keyRing,
      pan,
      encryptionContextOf('payments', 'pan_encrypted'),
    ),
    pan_hash: blindIndex(context.keys.blindIndexKey, PAN_INDEX_FIELD, pan),
  };
}
