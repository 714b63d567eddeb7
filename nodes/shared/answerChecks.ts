/**
 * What a 2xx answer must hold before the node trusts it (relays, proxies and local servers send
 * shapes OpenAI never does: see ../shared/notes/images-api.md, "What servers really send back").
 */
import { NodeApiError, type IExecuteFunctions, type JsonObject } from 'n8n-workflow';

import { describeApiError, quoteServerText } from './transport/errors';

/** No Images API answer is older than this (2015-01-01): smaller `created` values are misread units. */
const EARLIEST_MS = Date.UTC(2015, 0, 1);
/** Clocks differ: a `created` up to a day after the answer arrived is believed. */
const CLOCK_SKEW_MS = 24 * 60 * 60_000;

/**
 * The time an answer's `created` stands for, in ms since the epoch. The API reference documents
 * Unix seconds; some servers send milliseconds or microseconds, told apart by magnitude (a date
 * after 2015 is below 1e11 in seconds, below 1e14 in ms, below 1e17 in µs; larger: ns). Numeric
 * text counts as a number. null, a missing value, other text, or a date before 2015 or more than
 * a day after `receivedAt` give `receivedAt` (ms), the time the answer arrived.
 */
export function answerTime(created: unknown, receivedAt: number): number {
	const value = typeof created === 'string' && created.trim() !== '' ? Number(created) : created;
	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return receivedAt;
	const ms = value < 1e11 ? value * 1000 : value < 1e14 ? value : value < 1e17 ? value / 1000 : value / 1e6;
	return ms >= EARLIEST_MS && ms <= receivedAt + CLOCK_SKEW_MS ? Math.round(ms) : receivedAt;
}

/** What a `b64_json` value was, in words, for an error. */
export function describeB64(value: unknown): string {
	if (value === undefined) return 'no b64_json';
	if (value === null) return 'b64_json null';
	// A string that decodes to no bytes ("" or padding only): empty, whatever its characters.
	if (typeof value === 'string') return 'an empty b64_json';
	return `a b64_json that is not text (${quoteServerText(JSON.stringify(value) ?? String(value), 50)})`;
}

/**
 * What some bytes are, in words, for an error: their size and, when they are text (an HTML or
 * JSON error page), what they say; else their first bytes in hex.
 */
export function describeBytes(data: Buffer, contentType?: string): string {
	if (data.length === 0) return '0 bytes';
	const type = contentType ? ` of ${contentType.split(';')[0].trim()}` : '';
	const head = data.subarray(0, 2048);
	const isText = !head.some((byte) => byte < 0x09 || (byte > 0x0d && byte < 0x20));
	if (!isText) return `${data.length} bytes${type} starting ${head.subarray(0, 8).toString('hex')}`;
	return `${data.length} bytes${type}: ${describeApiError(head.toString('utf8'), 200).message}`;
}

/**
 * The error for an answer the node cannot trust (its item's error, never a success): names the
 * item, where in the answer the problem is, and what arrived.
 */
export function untrustedAnswer(ctx: IExecuteFunctions, itemIndex: number, what: string): NodeApiError {
	const message = `[item ${itemIndex}] Unexpected answer from the API: ${what}`;
	return new NodeApiError(ctx.getNode(), { message } as JsonObject, { message, itemIndex });
}

/**
 * What a 2xx body that is not JSON is, in words: its status, content type, length (`bytes` as
 * received when known, else the text's) and what its text says (describeApiError: an HTML
 * page's title and text, a JSON error's message, else the start of the text), with any image
 * data elided (quoteServerText): an answer cut off inside `b64_json`, or an event stream where
 * JSON was expected, never puts base64 or the reader's image placeholders into an error.
 */
export function describeNonJson(body: unknown, status: number, contentType: string | undefined, bytes?: number): string {
	const text = Buffer.isBuffer(body) ? body.toString('utf8') : String(body ?? '');
	const type = contentType ? contentType.split(';')[0].trim() : 'no content type';
	if (text.trim() === '') return `HTTP ${status} with an empty body (${type}) instead of JSON`;
	return `HTTP ${status} with ${type} (${bytes ?? Buffer.byteLength(text)} bytes) instead of JSON: ${describeApiError(text, status).message}`;
}
