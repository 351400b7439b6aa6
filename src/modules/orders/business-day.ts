/** Formatters by time zone: building one is far slower than using it, and zones are few. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The restaurant's local calendar day (YYYY-MM-DD) at `instant`. Order numbers restart each
 * business day; the day follows the restaurant's time zone, not the server's or UTC.
 */
export function businessDate(instant: Date, timeZone: string): string {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // en-CA formats dates as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter.format(instant);
}
