import type { Executor } from '../../infra/db/database.js';
import { PreparedInsert, PreparedQuery } from '../../infra/db/prepared-query.js';
import type {
  OrderItemsTable,
  OrderStatus,
  OrdersTable,
  OrderType,
} from '../../infra/db/schema.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';
import type { TimeCursor } from './cursor.js';

export type OrderRow = OrdersTable;
export type OrderItemRow = OrderItemsTable;
export type OrderChanges = Partial<
  Omit<
    OrdersTable,
    'id' | 'restaurant_id' | 'number' | 'business_date' | 'created_at' | 'created_by'
  >
>;
export type OrderItemChanges = Partial<
  Pick<
    OrderItemsTable,
    'status' | 'sent_at' | 'voided_at' | 'voided_by' | 'void_reason' | 'ticket_id'
  >
>;

export interface OrderListFilter {
  limit: number;
  after?: TimeCursor;
  status?: OrderStatus;
  type?: OrderType;
  /** Inclusive lower and exclusive upper bound on `created_at` (ISO strings). */
  from?: string;
  to?: string;
  /** Only this customer's orders (a customer principal's own). */
  customerId?: string;
}

// The statements every order runs, compiled once (see prepared-query.ts).
const orderById = (db: Executor, value: (name: 'restaurantId' | 'id') => string) =>
  db
    .selectFrom('orders')
    .selectAll()
    .where('restaurant_id', '=', value('restaurantId'))
    .where('id', '=', value('id'))
    .where('deleted_at', 'is', null);
const ORDER_BY_ID = new PreparedQuery<{ restaurantId: string; id: string }, OrderRow>(orderById);
const ORDER_BY_ID_FOR_UPDATE = new PreparedQuery<{ restaurantId: string; id: string }, OrderRow>(
  (db, value) => orderById(db, value).forUpdate(),
);
const NEXT_NUMBER = new PreparedQuery<
  { restaurantId: string; businessDate: string },
  { last_number: number }
>((db, value) =>
  db
    .insertInto('order_counters')
    .values({
      restaurant_id: value('restaurantId'),
      business_date: value('businessDate'),
      last_number: 1,
    })
    .onConflict((oc) =>
      oc
        .columns(['restaurant_id', 'business_date'])
        .doUpdateSet((eb) => ({ last_number: eb('order_counters.last_number', '+', 1) })),
    )
    .returning('last_number'),
);
const INSERT_ORDER = new PreparedInsert('orders');

/** Orders and their items, of one restaurant. Soft-deleted orders are invisible here. */
export class OrdersRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  /** The order, locked for the rest of the transaction when `forUpdate` (PostgreSQL only). */
  async findById(id: string, forUpdate = false): Promise<OrderRow | null> {
    const query = forUpdate ? ORDER_BY_ID_FOR_UPDATE : ORDER_BY_ID;
    return (await query.executeTakeFirst(this.db, { restaurantId: this.restaurantId, id })) ?? null;
  }

  /**
   * The next order number of the business day. The upsert takes the counter row's lock until the
   * transaction ends, so concurrent orders of one restaurant and day get distinct numbers and
   * a rolled-back order gives its number back.
   */
  async nextNumber(businessDate: string): Promise<number> {
    const row = await NEXT_NUMBER.executeTakeFirst(this.db, {
      restaurantId: this.restaurantId,
      businessDate,
    });
    if (!row) throw new Error('The order counter returned no number.');
    return Number(row.last_number);
  }

  async insert(order: Omit<OrderRow, 'restaurant_id'>): Promise<OrderRow> {
    const row = { ...order, restaurant_id: this.restaurantId };
    await INSERT_ORDER.execute(this.db, row);
    return row;
  }

  async insertItems(
    items: readonly Omit<OrderItemRow, 'restaurant_id'>[],
  ): Promise<OrderItemRow[]> {
    const rows = items.map((item) => ({ ...item, restaurant_id: this.restaurantId }));
    if (rows.length > 0) await this.db.insertInto('order_items').values(rows).execute();
    return rows;
  }

  async update(id: string, changes: OrderChanges): Promise<void> {
    await this.db
      .updateTable('orders')
      .set(changes)
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .execute();
  }

  async itemsOf(orderId: string): Promise<OrderItemRow[]> {
    return this.db
      .selectFrom('order_items')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('order_id', '=', orderId)
      .orderBy('position', 'asc')
      .execute();
  }

  async updateItem(orderId: string, itemId: string, changes: OrderItemChanges): Promise<void> {
    await this.db
      .updateTable('order_items')
      .set(changes)
      .where('restaurant_id', '=', this.restaurantId)
      .where('order_id', '=', orderId)
      .where('id', '=', itemId)
      .execute();
  }

  /** Marks every pending item of the order as sent on `ticketId`; returns how many. */
  async markPendingSent(orderId: string, ticketId: string, at: string): Promise<number> {
    const result = await this.db
      .updateTable('order_items')
      .set({ status: 'sent', sent_at: at, ticket_id: ticketId })
      .where('restaurant_id', '=', this.restaurantId)
      .where('order_id', '=', orderId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Orders newest first, at most `limit`, after the cursor. */
  async list(filter: OrderListFilter): Promise<OrderRow[]> {
    let query = this.db
      .selectFrom('orders')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.type) query = query.where('type', '=', filter.type);
    if (filter.from) query = query.where('created_at', '>=', filter.from);
    if (filter.to) query = query.where('created_at', '<', filter.to);
    if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
    if (filter.after) {
      const { createdAt, id } = filter.after;
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
        ]),
      );
    }
    return query.execute();
  }
}
