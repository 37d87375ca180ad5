/**
 * Millisecond timestamps as ISO 8601 strings, faster than `new Date(ms).toISOString()` per event:
 * the "YYYY-MM-DDTHH:MM:" prefix is cached per minute (two minutes at a time, since `@timestamp` and
 * `event.ingested` alternate).
 */
export class IsoClock {
  private minuteA = Number.NaN;
  private prefixA = "";
  private minuteB = Number.NaN;
  private prefixB = "";

  format(ms: number): string {
    const minute = Math.floor(ms / 60000);
    let prefix: string;
    if (minute === this.minuteA) prefix = this.prefixA;
    else if (minute === this.minuteB) prefix = this.prefixB;
    else {
      prefix = new Date(minute * 60000).toISOString().slice(0, 17);
      this.minuteB = this.minuteA;
      this.prefixB = this.prefixA;
      this.minuteA = minute;
      this.prefixA = prefix;
    }
    const rest = ms - minute * 60000;
    const seconds = Math.floor(rest / 1000);
    const millis = rest - seconds * 1000;
    return (
      prefix +
      (seconds < 10 ? "0" : "") +
      seconds +
      (millis < 10 ? ".00" : millis < 100 ? ".0" : ".") +
      millis +
      "Z"
    );
  }
}

export function parseStart(value: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`not an ISO 8601 date: ${value}`);
  return ms;
}
