/**
 * Pins the node's clock (nodes/shared/clock.ts) from a test, so that a verdict that depends on
 * the date (a retirement, a link's expiry, when an answer arrived) is the same on any day.
 *
 * There are two instances of clock.ts in a jest run, and both are pinned:
 * - the BUILT one (dist/nodes/shared/clock.js), which the node run by n8n's engine reads. n8n-core's
 *   loader loads dist/ with the `require` of the jest module registry of the test file, so
 *   requiring the same absolute path here gives the very instance the engine's node uses
 *   (test/clock.test.ts fails if it does not);
 * - the TypeScript source (nodes/shared/clock.ts), which functions a test imports from nodes/
 *   (editingModels, apiErrorMessage, modelChoices...) read.
 */
import { join } from 'node:path';

import * as sourceClock from '../../nodes/shared/clock';
import { PACKAGE_DIR } from './node-types';

type ClockModule = typeof sourceClock;

/** The built clock module, the one the engine's node reads (loaded on first use: build first). */
function builtClock(): ClockModule {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return require(join(PACKAGE_DIR, 'dist', 'nodes', 'shared', 'clock.js')) as ClockModule;
}

function setBoth(source?: () => number): void {
	builtClock().setClock(source);
	sourceClock.setClock(source);
}

/** An instant as ms since the epoch: a number as is, a string by Date.parse (give the zone: `Z`). */
export function instant(at: number | string | Date): number {
	const ms = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : at.getTime();
	if (Number.isNaN(ms)) throw new Error(`not an instant: ${String(at)}`);
	return ms;
}

/**
 * Pins the node's "now" to one fixed instant until restoreClock(). Fine for anything the node
 * dates (createdAt, linkExpiresAt, retirements); durations (stream silence, rate-limit pauses)
 * run on a monotonic clock the pin does not touch.
 */
export function pinClock(at: number | string | Date): void {
	const ms = instant(at);
	setBoth(() => ms);
}

/** The real clock again. */
export function restoreClock(): void {
	setBoth(undefined);
}

/** Runs `fn` with the node's clock pinned to `at`, and restores the real clock after it. */
export async function withClock<T>(at: number | string | Date, fn: () => T | Promise<T>): Promise<T> {
	pinClock(at);
	try {
		return await fn();
	} finally {
		restoreClock();
	}
}

/** One millisecond before 00:00 UTC of a `YYYY-MM-DD` date: the last moment before it. */
export function justBefore(date: string): number {
	return instant(`${date}T00:00:00Z`) - 1;
}

/** 00:00 UTC of a `YYYY-MM-DD` date: its first moment. */
export function startOf(date: string): number {
	return instant(`${date}T00:00:00Z`);
}
