import { sleep } from 'n8n-workflow';

import { monotonicMs } from '../clock';

/**
 * One promise per signal that rejects when it aborts: sleeps race against it, so that any
 * number of waiting retries adds a single listener to the execution's cancel signal.
 */
const abortPromises = new WeakMap<AbortSignal, Promise<never>>();
function whenAborted(signal: AbortSignal): Promise<never> {
	let promise = abortPromises.get(signal);
	if (!promise) {
		promise = new Promise<never>((_, reject) => {
			signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
		});
		promise.catch(() => {});
		abortPromises.set(signal, promise);
	}
	return promise;
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts (with the node's own error, whichever n8n-workflow's sleep does). */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
	if (ms <= 0) return;
	throwIfAborted(signal);
	if (!signal) return await sleep(ms);
	// The node's own error first; n8n-workflow 2.x's sleep also clears its timer on abort (1.x ignores the signal).
	const aborted = whenAborted(signal);
	await Promise.race([aborted, sleep(ms, signal)]);
}

export class ExecutionCancelledError extends Error {
	constructor() {
		super('The execution was cancelled');
		this.name = 'ExecutionCancelledError';
	}
}

/** The signal's reason (e.g. the item that failed), or the node's own cancel error. */
function abortError(signal: AbortSignal): Error {
	// n8n's stop aborts without a reason, which leaves a generic "This operation was aborted".
	const reason = signal.reason instanceof Error && signal.reason.name !== 'AbortError' ? signal.reason : undefined;
	return reason ?? new ExecutionCancelledError();
}

export function throwIfAborted(signal?: AbortSignal): void {
	if (signal?.aborted) throw abortError(signal);
}

/**
 * Bounds the HTTP requests one node execution has in flight, and slows all of them down
 * together when the provider pushes back (additive increase, multiplicative decrease):
 * a 429 halves the allowance and pauses every new start until the provider's wait is over;
 * each run of successes as long as the allowance raises it by one, up to the configured bound.
 */
export class AdaptiveLimiter {
	private allowance: number;
	private active = 0;
	private pausedUntil = 0;
	private successes = 0;
	private readonly waiters: Array<{ wake: () => void; gone: boolean; woken: boolean }> = [];

	constructor(
		readonly maxConcurrency: number,
		private readonly signal?: AbortSignal,
	) {
		this.allowance = maxConcurrency;
	}

	/** Requests allowed in flight right now (between 1 and maxConcurrency). */
	get currentAllowance(): number {
		return this.allowance;
	}

	/**
	 * Runs `task` once a slot is free. `signal` (default: the limiter's) stops the wait; the task
	 * itself sees the slot until it settles.
	 */
	async run<T>(task: () => Promise<T>, signal: AbortSignal | undefined = this.signal): Promise<T> {
		await this.acquire(signal);
		try {
			return await task();
		} finally {
			this.release();
		}
	}

	/**
	 * The provider answered 429: start nothing before `waitMs` is over, and halve the allowance,
	 * once per episode: the other 429s of the same burst (arriving while the pause it set still
	 * runs) say nothing new, and halving for each of them would leave one request in flight.
	 */
	onRateLimited(waitMs: number): void {
		const now = monotonicMs();
		if (now >= this.pausedUntil) this.allowance = Math.max(1, Math.floor(this.allowance / 2));
		this.successes = 0;
		this.pausedUntil = Math.max(this.pausedUntil, now + waitMs);
	}

	onSuccess(): void {
		if (this.allowance >= this.maxConcurrency) return;
		if (++this.successes >= this.allowance) {
			this.allowance++;
			this.successes = 0;
			this.wakeOne();
		}
	}

	private async acquire(signal: AbortSignal | undefined): Promise<void> {
		for (;;) {
			if (signal?.aborted) {
				// A wake this waiter may have received goes to the next one.
				this.wakeOne();
				throwIfAborted(signal);
			}
			const pause = this.pausedUntil - monotonicMs();
			if (pause > 0) {
				await abortableSleep(pause, signal);
				continue;
			}
			if (this.active < this.allowance) {
				this.active++;
				// Let the next waiter in too while there is room (after a pause, for instance).
				if (this.active < this.allowance) this.wakeOne();
				return;
			}
			await this.waitForWake(signal);
			// Handed a freed slot: let the turn that freed it finish first. An item whose request
			// just failed the node aborts the signal in that same turn, and a node that is failing
			// anyway must start nothing more (checked at the top of the loop).
			if (signal) await sleep(0);
		}
	}

	/** Waits for a freed slot; a waiter whose signal aborts leaves, and its wake goes to the next. */
	private async waitForWake(signal: AbortSignal | undefined): Promise<void> {
		const waiter = { wake: () => {}, gone: false, woken: false };
		const woken = new Promise<void>((resolve) => (waiter.wake = resolve));
		this.waiters.push(waiter);
		if (!signal) return await woken;
		let stopped = true;
		try {
			await Promise.race([woken, whenAborted(signal)]);
			stopped = false;
		} finally {
			waiter.gone = true;
			// Woken in the same moment as stopped: the slot it was handed goes to the next waiter.
			if (stopped && waiter.woken) this.wakeOne();
		}
	}

	private release(): void {
		this.active--;
		this.wakeOne();
	}

	private wakeOne(): void {
		for (let waiter = this.waiters.shift(); waiter; waiter = this.waiters.shift()) {
			if (!waiter.gone) {
				waiter.woken = true;
				return waiter.wake();
			}
		}
	}
}
