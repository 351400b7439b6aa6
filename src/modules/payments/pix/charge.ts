import { AppError } from '../../../core/errors.js';
import type { Restaurant } from '../../restaurants/repository.js';
import { buildPixPayload, generatePixTxid, type RandomBytes } from './br-code.js';

export interface PixCharge {
  txid: string;
  payload: string;
}

/**
 * A single-use PIX charge for one payment: a fresh txid and the BR Code payload with the
 * restaurant's PIX key, name and city. Without a PIX key the restaurant cannot take PIX (409).
 */
export function createPixCharge(
  restaurant: Restaurant,
  amountCents: number,
  random?: RandomBytes,
): PixCharge {
  if (!restaurant.pixKey) {
    throw new AppError('POS_ERR_CONFLICT', {
      message: 'No PIX key is configured for this restaurant.',
    });
  }

  const txid = generatePixTxid(random);
  const payload = buildPixPayload({
    key: restaurant.pixKey,
    merchantName: restaurant.name,
    merchantCity: merchantCity(restaurant),
    amountCents,
    txid,
  });
  return { txid, payload };
}

/**
 * The city printed in the BR Code: the restaurant's `pixMerchantCity` or `city` setting, else the
 * city of its time zone (`America/Sao_Paulo` → `Sao Paulo`), which is right for most restaurants
 * and only shown to the payer as a label.
 */
export function merchantCity(restaurant: Restaurant): string {
  for (const name of ['pixMerchantCity', 'city']) {
    const value = restaurant.settings[name];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return (restaurant.timezone.split('/').at(-1) ?? 'Brasil').replace(/_/g, ' ');
}
