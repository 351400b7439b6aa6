const MINUTE_MS = 60_000;

interface ZoneCalendar {
  /** Building a formatter is far slower than using it, and zones are few. */
  formatter: Intl.DateTimeFormat;
  /** The last minute asked for and its day: an order path asks many times a minute. */
  minute: number;
  day: string;
}

const calendars = new Map<string, ZoneCalendar>();

/**
 * The restaurant's local calendar day (YYYY-MM-DD) at `instant`. Order numbers restart each
 * business day; the day follows the restaurant's time zone, not the server's or UTC. Every zone
 * in use today is offset from UTC by whole minutes, so the day cannot change within a minute.
 */
export function businessDate(instant: Date, timeZone: string): string {
  const minute = Math.floor(instant.getTime() / MINUTE_MS);
  let calendar = calendars.get(timeZone);
  if (!calendar) {
    // en-CA formats dates as YYYY-MM-DD.
    const formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    calendar = { formatter, minute: Number.NaN, day: '' };
    calendars.set(timeZone, calendar);
  }
  if (calendar.minute !== minute) {
    calendar.day = calendar.formatter.format(instant);
    calendar.minute = minute;
  }
  return calendar.day;
}
