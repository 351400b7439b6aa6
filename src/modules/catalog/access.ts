import type { AppContext } from '../../app/context.js';
import { forbidden } from '../../core/errors.js';
import { recordDenial } from '../../security/authz/denials.js';
import type { Principal, RequestSource } from '../../security/authz/principal.js';

/**
 * The staff catalog (unavailable items, stock, images of hidden products) is for the people who
 * run the restaurant: every signed-in principal except a customer login, which sees the public
 * menu instead. The route is declared `{ authenticated: true }` because no permission of the
 * matrix says "staff"; this is the one object rule on top, and its denials are audited like the
 * route-level ones.
 */
export async function assertStaffReader(
  context: AppContext,
  principal: Principal,
  source: RequestSource,
  route: string,
): Promise<void> {
  if (principal.role !== 'customer') return;

  await recordDenial(context, principal, source, { type: 'route', id: route }, 'staff_catalog');
  throw forbidden();
}
