/** When one HTTP request is worth sending again, and how long to wait first. */

import { now } from '../clock';

/** Waits longer than this are not sat out: the request fails and says what the provider asked. */
export const MAX_HONOURED_WAIT_MS = 5 * 60_000;
const BASE_DELAY_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

const RETRYABLE_CONNECTION_CODES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'EAI_AGAIN',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'ERR_STREAM_PREMATURE_CLOSE',
	'UND_ERR_SOCKET',
]);

/** Failures that happen before a request reaches the server: nothing can have been made or billed. */
const NOT_SENT_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'];
const NOT_SENT_MESSAGE = new RegExp(NOT_SENT_CODES.join('|'));

/**
 * Whether a failure that produced no answer leaves it unknown if the server did the work: true
 * for timeouts and for connections reset or closed once the request may have been sent (the
 * provider may have made and billed the images); false for a refused connection, a host not
 * found or unreachable (the request never left). Source: images-api.md, "Errors and headers".
 */
export function isUnknownOutcome(code: string | undefined, message: string): boolean {
	if (code) return !NOT_SENT_CODES.includes(code);
	return !NOT_SENT_MESSAGE.test(message);
}

/**
 * Gateway timeouts: a proxy in front of the provider gave up waiting for its answer, and the
 * provider may still have made and billed the images (504 Gateway Timeout, RFC 9110 §15.6.5;
 * 524 A Timeout Occurred, Cloudflare's). The same unknown outcome as the node's own timeout.
 */
const UNKNOWN_OUTCOME_STATUSES = [504, 524];

/** Whether an HTTP answer to a POST leaves it unknown if the work was done (see UNKNOWN_OUTCOME_STATUSES). */
export function isUnknownOutcomeStatus(status: number): boolean {
	return UNKNOWN_OUTCOME_STATUSES.includes(status);
}

/** The sentence every unknown-outcome failure ends with; `retryHeldBack` when a retry was withheld. */
export function unknownOutcomeNote(retryHeldBack: boolean): string {
	return retryHeldBack
		? '. The request may have been completed and billed, so it was not sent again; to retry it anyway (and maybe pay twice), turn on Options › Retry When Outcome Is Unknown'
		: '. The request may have been completed and billed';
}

export type Headers = Record<string, string | string[] | undefined>;

export function header(headers: Headers | undefined, name: string): string | undefined {
	const value = headers?.[name] ?? headers?.[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

/** 408, 409, 429 (except an exhausted quota) and 5xx are worth another try. */
export function isRetryableStatus(status: number, errorCode: string | undefined): boolean {
	if (status === 429) return errorCode !== 'insufficient_quota';
	return status === 408 || status === 409 || status >= 500;
}

/** Connection failures and timeouts are worth another try; a cancelled execution is not. */
export function isRetryableConnectionError(code: string | undefined, message: string): boolean {
	if (code && RETRYABLE_CONNECTION_CODES.has(code)) return true;
	return /socket hang up|timeout|timed out|ECONNRESET|ECONNREFUSED|aborted/i.test(message) && !/cancel/i.test(message);
}

/**
 * The provider's own wait in ms, from `retry-after-ms`, then `retry-after` (seconds, or an HTTP
 * date counted from `at`, default now on the package clock: clock.ts); undefined when neither
 * header gives one. Source: RFC 9110 section 10.2.3 (Retry-After), OpenAI's `retry-after-ms`.
 */
export function providerWaitMs(headers: Headers | undefined, at: number = now()): number | undefined {
	const ms = Number.parseFloat(header(headers, 'retry-after-ms') ?? '');
	if (Number.isFinite(ms) && ms >= 0) return ms;
	const retryAfter = header(headers, 'retry-after')?.trim();
	if (!retryAfter) return undefined;
	if (/^\d+(\.\d+)?$/.test(retryAfter)) return Number.parseFloat(retryAfter) * 1000;
	const date = Date.parse(retryAfter);
	return Number.isNaN(date) ? undefined : Math.max(0, date - at);
}

/** Exponential back-off with jitter: about 1 s, 2 s, 4 s ... up to 30 s, each up to 25 % shorter. */
export function backoffMs(retryIndex: number, random = Math.random): number {
	const base = Math.min(BASE_DELAY_MS * 2 ** retryIndex, MAX_BACKOFF_MS);
	return Math.round(base * (1 - random() * 0.25));
}
