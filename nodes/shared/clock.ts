/**
 * The package's one source of wall-clock time. Node code that needs "now" (retirement dates,
 * link lifetimes, when an answer arrived, how long a batch has been waited for) reads it here,
 * never from `Date` directly, so that tests can pin it: a verdict that depends on the calendar
 * is then the same on any day the suite runs.
 */
let source: () => number = () => Date.now();

/** Now, in milliseconds since the Unix epoch (UTC). */
export function now(): number {
	return source();
}

/** Now as a Date. */
export function nowDate(): Date {
	return new Date(source());
}

/**
 * Milliseconds on a monotonic clock (`performance.now()`), for durations only: how long a stream
 * has been silent, how long a rate-limit pause has left. Those compare two readings taken moments
 * apart, so they must not read the wall clock: a test that pins the wall clock to a fixed instant
 * would freeze them (an idle stream would never time out, a pause never end), and a wall-clock
 * step (NTP, a machine whose date is changed) would stretch or cut them. `setClock` does not
 * touch it; its readings mean nothing as dates.
 */
export function monotonicMs(): number {
	return performance.now();
}

/**
 * For tests: makes `now()` return what `clock` returns (for example `() => Date.parse('2030-01-01')`
 * for a fixed instant, or the real clock plus an offset); `undefined` restores the real clock.
 * Node code never calls this.
 */
export function setClock(clock?: () => number): void {
	source = clock ?? (() => Date.now());
}
