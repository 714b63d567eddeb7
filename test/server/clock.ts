/**
 * The test server's own clock for the Files and Batch APIs (`created_at`, batch progress and
 * expiry). Tests control it: 'manual' stands still until advance(ms); a number runs that many
 * times faster than real time (1 = real time, 1000 = a 24 h completion window in 86 s). advance()
 * works in every mode. Changing the mode keeps "now" continuous.
 */
export type ClockMode = 'manual' | number;

export class ServerClock {
	private anchorClock: number;
	private anchorReal: number;
	private mode: ClockMode;

	/** `start`: the clock's first reading in ms since the epoch (default: the machine's now). */
	constructor(mode: ClockMode = 1, start = Date.now()) {
		this.mode = ServerClock.check(mode);
		this.anchorClock = start;
		this.anchorReal = Date.now();
	}

	private static check(mode: ClockMode): ClockMode {
		if (mode !== 'manual' && !(typeof mode === 'number' && Number.isFinite(mode) && mode > 0)) {
			throw new Error(`image server: batchClock must be 'manual' or a positive number, got ${String(mode)}`);
		}
		return mode;
	}

	/** The clock's reading, ms since the epoch. */
	now(): number {
		if (this.mode === 'manual') return this.anchorClock;
		return this.anchorClock + (Date.now() - this.anchorReal) * this.mode;
	}

	/** Unix seconds, as the API's `created_at` fields. */
	seconds(): number {
		return Math.floor(this.now() / 1000);
	}

	/** Moves the clock forward by `ms` (>= 0). */
	advance(ms: number): void {
		if (!(ms >= 0)) throw new Error(`image server: the clock only moves forward (got ${ms} ms)`);
		this.anchorClock += ms;
	}

	get current(): ClockMode {
		return this.mode;
	}

	setMode(mode: ClockMode): void {
		const now = this.now();
		this.mode = ServerClock.check(mode);
		this.anchorClock = now;
		this.anchorReal = Date.now();
	}
}
