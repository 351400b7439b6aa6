import type { Executor } from '../../infra/db/database.js';
import type {
  KdsEventsTable,
  KitchenTicketStatus,
  KitchenTicketsTable,
  OrderItemsTable,
} from '../../infra/db/schema.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';
import type { TimeCursor } from '../orders/cursor.js';

export type TicketRow = KitchenTicketsTable;
export type TicketItemRow = Pick<
  OrderItemsTable,
  'id' | 'ticket_id' | 'product_name' | 'quantity' | 'notes' | 'status' | 'position'
>;
export type KdsEventRow = KdsEventsTable;

/** Kitchen tickets and the kitchen display's event log, of one restaurant. */
export class KitchenRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  async insertTicket(ticket: Omit<TicketRow, 'restaurant_id'>): Promise<TicketRow> {
    const row = { ...ticket, restaurant_id: this.restaurantId };
    await this.db.insertInto('kitchen_tickets').values(row).execute();
    return row;
  }

  async findTicket(id: string): Promise<TicketRow | null> {
    const row = await this.db
      .selectFrom('kitchen_tickets')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ?? null;
  }

  async ticketsOfOrder(orderId: string): Promise<TicketRow[]> {
    return this.db
      .selectFrom('kitchen_tickets')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('order_id', '=', orderId)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
  }

  /** Oldest first, as the kitchen works them; `statuses` empty means every status. */
  async listTickets(filter: {
    statuses: readonly KitchenTicketStatus[];
    limit: number;
    after?: TimeCursor;
  }): Promise<TicketRow[]> {
    let query = this.db
      .selectFrom('kitchen_tickets')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .limit(filter.limit);
    if (filter.statuses.length > 0) query = query.where('status', 'in', filter.statuses);
    if (filter.after) {
      const { createdAt, id } = filter.after;
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '>', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)]),
        ]),
      );
    }
    return query.execute();
  }

  /** The items of these tickets, in the order they were added. */
  async itemsOfTickets(ticketIds: readonly string[]): Promise<TicketItemRow[]> {
    if (ticketIds.length === 0) return [];
    return this.db
      .selectFrom('order_items')
      .select(['id', 'ticket_id', 'product_name', 'quantity', 'notes', 'status', 'position'])
      .where('restaurant_id', '=', this.restaurantId)
      .where('ticket_id', 'in', ticketIds)
      .orderBy('position', 'asc')
      .execute();
  }

  /**
   * Moves a ticket only if it still has status `from`, so two screens moving the same ticket at
   * once cannot both succeed. Returns whether this call moved it.
   */
  async moveTicket(
    id: string,
    from: KitchenTicketStatus,
    to: KitchenTicketStatus,
    by: string,
    at: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('kitchen_tickets')
      .set({ status: to, updated_by: by, updated_at: at })
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async touchTicket(id: string, by: string, at: string): Promise<void> {
    await this.db
      .updateTable('kitchen_tickets')
      .set({ updated_by: by, updated_at: at })
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .execute();
  }

  /**
   * The next event number of the restaurant. The counter row stays locked until the transaction
   * ends, so events commit in number order and a display never sees number n+1 before n.
   */
  async nextEventSeq(): Promise<number> {
    const row = await this.db
      .insertInto('kds_event_counters')
      .values({ restaurant_id: this.restaurantId, last_seq: 1 })
      .onConflict((oc) =>
        oc.column('restaurant_id').doUpdateSet((eb) => ({
          last_seq: eb('kds_event_counters.last_seq', '+', 1),
        })),
      )
      .returning('last_seq')
      .executeTakeFirstOrThrow();
    return Number(row.last_seq);
  }

  async insertEvent(event: Omit<KdsEventRow, 'restaurant_id'>): Promise<void> {
    await this.db
      .insertInto('kds_events')
      .values({ ...event, restaurant_id: this.restaurantId })
      .execute();
  }

  /** Committed events after `seq`, oldest first. */
  async eventsAfter(seq: number, limit: number): Promise<KdsEventRow[]> {
    return this.db
      .selectFrom('kds_events')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('seq', '>', seq)
      .orderBy('seq', 'asc')
      .limit(limit)
      .execute();
  }

  /** The number of the restaurant's latest committed event (0 before the first). */
  async lastEventSeq(): Promise<number> {
    const row = await this.db
      .selectFrom('kds_event_counters')
      .select('last_seq')
      .where('restaurant_id', '=', this.restaurantId)
      .executeTakeFirst();
    return row ? Number(row.last_seq) : 0;
  }
}
