import type { Executor } from '../../infra/db/database.js';
import type { CashierMovementsTable, CashierSessionsTable } from '../../infra/db/schema.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';

export type CashierSessionRow = CashierSessionsTable;
export type CashierMovementRow = CashierMovementsTable;

/** The cash a session's drawer took in and gave out, summed from the rows that record it. */
export interface DrawerFlows {
  cashSalesCents: number;
  cashRefundsCents: number;
  depositsCents: number;
  withdrawalsCents: number;
}

/** Cash drawer sessions and their movements, of one restaurant. */
export class CashierRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  /** The session, locked for the rest of the transaction when `forUpdate` (PostgreSQL only). */
  async findSession(id: string, forUpdate = false): Promise<CashierSessionRow | null> {
    let query = this.db
      .selectFrom('cashier_sessions')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id);
    if (forUpdate) query = query.forUpdate();
    return (await query.executeTakeFirst()) ?? null;
  }

  /** The operator's open session, if any (the schema allows at most one). */
  async findOpenSessionOf(
    operatorId: string,
    forUpdate = false,
  ): Promise<CashierSessionRow | null> {
    let query = this.db
      .selectFrom('cashier_sessions')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('operator_id', '=', operatorId)
      .where('status', '=', 'open');
    if (forUpdate) query = query.forUpdate();
    return (await query.executeTakeFirst()) ?? null;
  }

  /** True when another session is open on this terminal or for this operator. */
  async hasOpenSessionFor(operatorId: string, terminalId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('cashier_sessions')
      .select('id')
      .where('restaurant_id', '=', this.restaurantId)
      .where('status', '=', 'open')
      .where((eb) =>
        eb.or([eb('operator_id', '=', operatorId), eb('terminal_id', '=', terminalId)]),
      )
      .executeTakeFirst();
    return row !== undefined;
  }

  async insertSession(row: Omit<CashierSessionRow, 'restaurant_id'>): Promise<CashierSessionRow> {
    const full = { ...row, restaurant_id: this.restaurantId };
    await this.db.insertInto('cashier_sessions').values(full).execute();
    return full;
  }

  async insertMovement(
    row: Omit<CashierMovementRow, 'restaurant_id'>,
  ): Promise<CashierMovementRow> {
    const full = { ...row, restaurant_id: this.restaurantId };
    await this.db.insertInto('cashier_movements').values(full).execute();
    return full;
  }

  /** Closes an open session; false when it was no longer open (a concurrent close won). */
  async close(
    id: string,
    figures: Pick<
      CashierSessionRow,
      'expected_cents' | 'counted_cents' | 'difference_cents' | 'closed_at' | 'closed_by'
    >,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('cashier_sessions')
      .set({ ...figures, status: 'closed' })
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Sums every cash flow of the session from payments, refunds and movements. */
  async flows(sessionId: string): Promise<DrawerFlows> {
    const sales = await this.db
      .selectFrom('payments')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_cents'), eb.lit(0)).as('total'))
      .where('restaurant_id', '=', this.restaurantId)
      .where('cashier_session_id', '=', sessionId)
      .where('method', '=', 'cash')
      .where('status', '=', 'captured')
      .executeTakeFirstOrThrow();
    const refunds = await this.db
      .selectFrom('refunds')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_cents'), eb.lit(0)).as('total'))
      .where('restaurant_id', '=', this.restaurantId)
      .where('cashier_session_id', '=', sessionId)
      .executeTakeFirstOrThrow();
    const movements = await this.db
      .selectFrom('cashier_movements')
      .select(['kind', (eb) => eb.fn.sum<number>('amount_cents').as('total')])
      .where('restaurant_id', '=', this.restaurantId)
      .where('session_id', '=', sessionId)
      .groupBy('kind')
      .execute();
    const movementTotal = (kind: CashierMovementRow['kind']) =>
      Number(movements.find((row) => row.kind === kind)?.total ?? 0);

    return {
      // PostgreSQL returns SUM over integers as a numeric string; SQLite as a number.
      cashSalesCents: Number(sales.total),
      cashRefundsCents: Number(refunds.total),
      depositsCents: movementTotal('deposit'),
      withdrawalsCents: movementTotal('withdrawal'),
    };
  }
}

/** Cash that should be in the drawer now. */
export function expectedCash(session: CashierSessionRow, flows: DrawerFlows): number {
  return (
    session.opening_float_cents +
    flows.cashSalesCents -
    flows.cashRefundsCents +
    flows.depositsCents -
    flows.withdrawalsCents
  );
}
