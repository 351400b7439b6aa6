import type { Executor } from '../../infra/db/database.js';
import type {
  OrdersTable,
  PaymentMethod,
  PaymentStatus,
  PaymentsTable,
  RefundsTable,
} from '../../infra/db/schema.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';

export type PaymentRow = PaymentsTable;
export type RefundRow = RefundsTable;
export type OrderRow = OrdersTable;

/** A position in the newest-first list: the last payment of the previous page. */
export interface PaymentCursor {
  createdAt: string;
  id: string;
}

export interface PaymentListFilter {
  limit: number;
  after?: PaymentCursor;
  orderId?: string;
  method?: PaymentMethod;
  status?: PaymentStatus;
  cashierSessionId?: string;
  /** Inclusive lower and exclusive upper bound on `created_at` (ISO strings). */
  from?: string;
  to?: string;
}

const PAGE_MAX = 100;

/** Payments, refunds and the payment side of orders, of one restaurant. */
export class PaymentsRepository extends TenantRepository {
  readonly #lock: boolean;

  /** `lock` takes row locks (FOR UPDATE) on reads meant for update: PostgreSQL only. */
  constructor(db: Executor, restaurantId: RestaurantId, options: { lock: boolean }) {
    super(db, restaurantId);
    this.#lock = options.lock;
  }

  /** The order, deleted or not (payments must say why a deleted order cannot be paid). */
  async findOrderForUpdate(id: string): Promise<OrderRow | null> {
    let query = this.db
      .selectFrom('orders')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id);
    if (this.#lock) query = query.forUpdate();
    return (await query.executeTakeFirst()) ?? null;
  }

  /**
   * Writes the order's new balance (and status) if nobody changed it since it was read; false
   * otherwise. The row lock already excludes that on PostgreSQL; this is the second net.
   */
  async updateOrderBalance(
    order: OrderRow,
    changes: Pick<OrderRow, 'paid_cents' | 'status' | 'closed_at' | 'updated_at'>,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('orders')
      .set(changes)
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', order.id)
      .where('paid_cents', '=', order.paid_cents)
      .where('status', '=', order.status)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** What pending PIX charges of the order hold back from its balance. */
  async pendingCents(orderId: string): Promise<number> {
    const row = await this.db
      .selectFrom('payments')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_cents'), eb.lit(0)).as('total'))
      .where('restaurant_id', '=', this.restaurantId)
      .where('order_id', '=', orderId)
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(row.total);
  }

  async insertPayment(row: Omit<PaymentRow, 'restaurant_id'>): Promise<PaymentRow> {
    const full = { ...row, restaurant_id: this.restaurantId };
    await this.db.insertInto('payments').values(full).execute();
    return full;
  }

  async findPayment(id: string): Promise<PaymentRow | null> {
    const row = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ?? null;
  }

  async findPaymentForUpdate(id: string): Promise<PaymentRow | null> {
    let query = this.db
      .selectFrom('payments')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id);
    if (this.#lock) query = query.forUpdate();
    return (await query.executeTakeFirst()) ?? null;
  }

  /** Moves a payment out of `from`; false when it was no longer in that status. */
  async transitionPayment(
    id: string,
    from: PaymentStatus,
    changes: Partial<Pick<PaymentRow, 'status' | 'captured_at' | 'captured_by' | 'cancelled_at'>>,
    updatedAt: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('payments')
      .set({ ...changes, updated_at: updatedAt })
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Adds a refund to the payment's refunded total, only if the total is still what was read and
   * stays within the payment (the table's CHECK constraint is the last net).
   */
  async addRefunded(payment: PaymentRow, amountCents: number, updatedAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('payments')
      .set({ refunded_cents: payment.refunded_cents + amountCents, updated_at: updatedAt })
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', payment.id)
      .where('refunded_cents', '=', payment.refunded_cents)
      .where('amount_cents', '>=', payment.refunded_cents + amountCents)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async insertRefund(row: Omit<RefundRow, 'restaurant_id'>): Promise<RefundRow> {
    const full = { ...row, restaurant_id: this.restaurantId };
    await this.db.insertInto('refunds').values(full).execute();
    return full;
  }

  /** Newest first, then by id, after the cursor. */
  async list(filter: PaymentListFilter): Promise<PaymentRow[]> {
    let query = this.db
      .selectFrom('payments')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(filter.limit, PAGE_MAX + 1));
    if (filter.orderId) query = query.where('order_id', '=', filter.orderId);
    if (filter.method) query = query.where('method', '=', filter.method);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.cashierSessionId) {
      query = query.where('cashier_session_id', '=', filter.cashierSessionId);
    }
    if (filter.from) query = query.where('created_at', '>=', filter.from);
    if (filter.to) query = query.where('created_at', '<', filter.to);
    const after = filter.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    return query.execute();
  }
}

/**
 * The payment a PIX charge id belongs to, across restaurants. Only the signed webhook uses this:
 * it has no principal, and the txid (about 148 random bits, unique) is what the provider sends;
 * the restaurant of everything that follows comes from the row found here.
 */
export async function findPaymentByTxid(db: Executor, txid: string): Promise<PaymentRow | null> {
  const row = await db
    .selectFrom('payments')
    .selectAll()
    .where('pix_txid', '=', txid)
    .executeTakeFirst();
  return row ?? null;
}
