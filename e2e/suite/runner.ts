/**
 * A small test runner for the e2e suite: named checks, run in order, each reported on its
 * own line; a failure is printed with its message and the run goes on.
 */
import { AssertionError } from 'node:assert';

export type Log = (line: string) => void;

export interface Counts {
	passed: number;
	failed: number;
}

export class Checks implements Counts {
	passed = 0;
	failed = 0;
	readonly failures: string[] = [];

	constructor(
		private readonly prefix: string,
		private readonly log: Log,
	) {}

	async check(name: string, fn: () => unknown): Promise<void> {
		const started = Date.now();
		try {
			await fn();
			this.passed++;
			this.log(`${this.prefix} ok    ${name} (${seconds(started)})`);
		} catch (error) {
			this.failed++;
			this.failures.push(`${this.prefix} ${name}`);
			this.log(`${this.prefix} FAIL  ${name} (${seconds(started)})`);
			for (const line of describe(error).split('\n')) this.log(`${this.prefix}         ${line}`);
		}
	}
}

function describe(error: unknown): string {
	if (error instanceof AssertionError) return error.message;
	if (error instanceof Error) return error.stack ?? error.message;
	return String(error);
}

export function seconds(since: number): string {
	return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** At most `limit` tasks at once (n8n commands are CPU-bound: one start is 3-5 s of a core). */
export class Limiter {
	private active = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(readonly limit: number) {}

	async run<T>(task: () => Promise<T>): Promise<T> {
		if (this.active < this.limit) this.active++;
		else await new Promise<void>((wake) => this.waiting.push(wake)); // the slot is handed over
		try {
			return await task();
		} finally {
			const next = this.waiting.shift();
			if (next) next();
			else this.active--;
		}
	}
}
