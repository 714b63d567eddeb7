import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type JsonObject,
} from 'n8n-workflow';

import { parseImageAnswer } from './answer';
import type { Endpoint } from './endpoint';
import { describeApiError } from './errors';
import { abortableSleep, type AdaptiveLimiter } from './limiter';
import { isEncodedBody, type EncodedBody } from './multipart';
import { readStreamedAnswer, StreamFailure, type BodyStream, type StreamedAnswer } from './stream';
import {
	backoffMs,
	header,
	isRetryableConnectionError,
	isRetryableStatus,
	isUnknownOutcome,
	isUnknownOutcomeStatus,
	unknownOutcomeNote,
	MAX_HONOURED_WAIT_MS,
	providerWaitMs,
	type Headers,
} from './retry';

/** A final HTTP answer (any status), after retries. */
export interface ApiAnswer {
	status: number;
	headers: Headers;
	body: unknown;
	/** Images decoded from the answer's bytes (`read: 'images'`); `b64_json` values in `body` point here. */
	images?: Array<Buffer | undefined>;
	/** A streamed answer read as 'images': its events (transport/stream.ts); `body` lists them too. */
	events?: StreamedAnswer['events'];
	attempts: number;
	/** Set when the provider asked for a wait longer than the node sits out. */
	refusedWaitMs?: number;
	/**
	 * Set for a gateway timeout (504, 524) to a POST: the provider may have made and billed the
	 * images. `retryHeldBack` when a retry was withheld because Retry When Outcome Is Unknown is off.
	 */
	outcomeUnknown?: { retryHeldBack: boolean };
	/** Set for an answer that came through the Batch API, billed at half price (the cost estimate halves its rates). */
	batch?: boolean;
}

export interface SendSettings {
	itemIndex: number;
	timeout: number;
	maxRetries: number;
	limiter: AdaptiveLimiter;
	signal?: AbortSignal;
	/**
	 * Retry a POST whose outcome is unknown (timed out, or its connection lost after sending),
	 * which the provider may already have completed and billed. Default false: such a request
	 * fails and says so. Downloads are retried whatever this says (they cost nothing).
	 */
	retryOnUnknownOutcome?: boolean;
}

interface FullResponse {
	body: unknown;
	headers: Headers;
	statusCode: number;
	/** Set when read as 'images': see ApiAnswer.images. */
	images?: Array<Buffer | undefined>;
	events?: StreamedAnswer['events'];
}

const codeOf = (value: unknown) => (typeof value === 'string' && /^[A-Z_]+$/.test(value) ? value : undefined);

/**
 * The code and message of a failure that never produced an HTTP answer. n8n 1.x wraps the
 * request library's error in a NodeApiError that keeps neither its `cause` nor its `code`: the
 * code is then in `httpCode` and the original message in `messages`.
 */
export function connectionFailure(error: unknown): { code?: string; message: string } {
	let current = error as { code?: unknown; httpCode?: unknown; message?: unknown; messages?: unknown; cause?: unknown } | undefined;
	let code: string | undefined;
	let message = '';
	const wrapped: string[] = [];
	for (let depth = 0; current && depth < 5; depth++) {
		code ??= codeOf(current.code) ?? codeOf(current.httpCode);
		if (!message && typeof current.message === 'string') message = current.message;
		if (Array.isArray(current.messages)) wrapped.push(...current.messages.filter((m): m is string => typeof m === 'string' && m !== message));
		current = current.cause as typeof current;
	}
	return { code, message: [message || String(error), ...new Set(wrapped)].join('; ') };
}

const CONNECTION_FAILURES: Record<string, string> = {
	ECONNREFUSED: 'connection refused',
	ECONNRESET: 'the connection was reset',
	ENOTFOUND: 'host not found',
	EAI_AGAIN: 'host name lookup failed',
	EPIPE: 'the connection was closed',
	ENETUNREACH: 'network unreachable',
	EHOSTUNREACH: 'host unreachable',
	CERT_HAS_EXPIRED: 'its TLS certificate has expired',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
};

function connectionError(
	ctx: IExecuteFunctions,
	settings: SendSettings,
	endpoint: Endpoint,
	error: unknown,
	attempts: number,
	billing?: { outcomeUnknown: boolean; retryHeldBack: boolean },
): NodeApiError {
	const { code, message } = connectionFailure(error);
	const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message);
	const reason = CONNECTION_FAILURES[code ?? ''] ?? 'the connection failed';
	// Plain words, not the code: n8n replaces any message holding a code like ECONNREFUSED
	// with a generic one that names neither the host nor the attempts.
	const what =
		error instanceof StreamFailure
			? `The event stream from ${endpoint.origin} ${error.what}`
			: timedOut
				? `No answer from ${endpoint.origin} within ${settings.timeout} ms`
				: billing?.outcomeUnknown
					? `The connection to ${endpoint.origin} was lost before its answer arrived: ${reason}`
					: `Could not reach ${endpoint.origin}: ${reason}`;
	const attemptsNote = attempts > 1 ? ` (after ${attempts} attempts)` : '';
	const billingNote = billing?.outcomeUnknown ? unknownOutcomeNote(billing.retryHeldBack) : '';
	// The code stays out of the error response: n8n would swap the message for a generic one.
	const apiError = new NodeApiError(
		ctx.getNode(),
		{ message: what } as JsonObject,
		{
			message: `${what}${attemptsNote}${billingNote}`,
			description:
				error instanceof StreamFailure && timedOut
					? 'With Stream on, Request Timeout is the longest silence allowed between events: raise it, or ask for Partial Images so that events come more often.'
					: timedOut
						? 'Large or high-quality images can take minutes: raise Options › Request Timeout.'
						: `${code ?? 'error'}: ${message}`,
			itemIndex: settings.itemIndex,
		},
	);
	apiError.context.connectionError = { code: code ?? null, attempts, timedOut, outcomeUnknown: billing?.outcomeUnknown ?? false };
	return apiError;
}

export interface ApiRequest {
	method: 'GET' | 'POST';
	url: string;
	qs?: IDataObject;
	/** A JSON body, or one encoded when sent (multipart/form-data), anew for each attempt. */
	body?: IDataObject | EncodedBody;
	/**
	 * 'json' (default): the answer parsed whole. 'images': read as bytes, each `b64_json` decoded
	 * in place (transport/answer.ts): the Images result format, where base64 is never kept.
	 * A body with `stream: true` is answered with server-sent events, read as they arrive
	 * (transport/stream.ts) in either mode.
	 */
	read?: 'json' | 'images';
	/** The answer is an event stream: set it for bodies that are not JSON objects (multipart edits); default `body.stream === true`. */
	stream?: boolean;
}

/** The helper's options for how the answer is read: whole (JSON or bytes), or as a stream of events. */
function readOptions(read: 'json' | 'images', streamed: boolean): Partial<IHttpRequestOptions> {
	// identity: no decompression between the socket and the event reader; events come as sent.
	if (streamed) return { encoding: 'stream', json: false, headers: { accept: 'text/event-stream', 'accept-encoding': 'identity' } };
	if (read === 'images') return { encoding: 'arraybuffer', json: false, headers: { accept: 'application/json' } };
	return { json: true };
}

function bytesOf(body: unknown): Buffer {
	if (Buffer.isBuffer(body)) return body;
	if (body instanceof ArrayBuffer) return Buffer.from(body);
	return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body ?? ''));
}

/**
 * Sends one request through n8n's authenticated HTTP helper, retrying only this request
 * (408/409/429/5xx, refused connections; timeouts and connections lost after sending only with
 * `settings.retryOnUnknownOutcome` for a POST, since those may have been billed) and honouring
 * the provider's wait hints. Answers of any status are returned; only transport failures throw.
 */
export async function sendApiRequest(
	ctx: IExecuteFunctions,
	endpoint: Endpoint,
	{ read = 'json', body, stream, ...request }: ApiRequest,
	settings: SendSettings,
): Promise<ApiAnswer> {
	const { limiter, signal, maxRetries } = settings;
	const streamed = stream ?? body?.stream === true;
	for (let attempt = 1; ; attempt++) {
		// A fresh object per attempt: n8n's helper writes into the options it is given.
		const options: IHttpRequestOptions = {
			...request,
			body: isEncodedBody(body) ? undefined : body,
			...readOptions(read, streamed),
			timeout: settings.timeout,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			// The key goes to the API's host only, never to a host it redirects to.
			sendCredentialsOnCrossOriginRedirect: false,
		};
		let response: FullResponse | undefined;
		let failureWait = 0;
		try {
			response = await limiter.run(async () => {
				// Encoded inside the slot and per attempt: a waiting request holds no file in memory.
				if (isEncodedBody(body)) await encodeInto(ctx, settings.itemIndex, options, body);
				const full = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, endpoint.credentialType, options)) as FullResponse;
				if (streamed) {
					const answer = await readStreamedAnswer({ ...full, body: full.body as BodyStream }, read, settings.timeout, signal);
					({ body: full.body, images: full.images, events: full.events } = answer);
				} else if (read === 'images') ({ body: full.body, images: full.images } = parseImageAnswer(bytesOf(full.body)));
				// Before the slot is released: the next waiter must already see the pause.
				if (full.statusCode === 429 && attempt <= maxRetries && isRetryableStatus(429, describeApiError(full.body, 429).code)) {
					limiter.onRateLimited(Math.min(retryWait(full.headers, attempt), MAX_HONOURED_WAIT_MS));
				}
				return full;
			}, signal);
		} catch (error) {
			if (signal?.aborted) throw cancelled(ctx, settings.itemIndex);
			// The body was never sent: not a connection failure, nothing to retry or to have been billed.
			const notSent = unsentFailure(error);
			if (notSent) throw notSent;
			const { code, message } = connectionFailure(error);
			// A POST that may have been carried out is paid for again if sent again.
			const outcomeUnknown = request.method === 'POST' && isUnknownOutcome(code, message);
			const retryHeldBack = outcomeUnknown && !settings.retryOnUnknownOutcome;
			if (attempt > maxRetries || !isRetryableConnectionError(code, message) || retryHeldBack) {
				throw connectionError(ctx, settings, endpoint, error, attempt, {
					outcomeUnknown,
					retryHeldBack: retryHeldBack && attempt <= maxRetries && isRetryableConnectionError(code, message),
				});
			}
			failureWait = backoffMs(attempt - 1);
		} finally {
			// An encoded form is not held through a wait (nor by the failed attempt's error, which
			// is out of scope below): the next attempt encodes it again inside its slot.
			options.body = undefined;
		}
		if (response === undefined) {
			await abortableSleep(failureWait, signal);
			continue;
		}
		const answer: ApiAnswer = {
			status: response.statusCode,
			headers: response.headers ?? {},
			body: response.body,
			images: response.images,
			events: response.events,
			attempts: attempt,
		};
		if (answer.status < 400) {
			limiter.onSuccess();
			return answer;
		}
		const retryable = attempt <= maxRetries && isRetryableStatus(answer.status, describeApiError(answer.body, answer.status).code);
		if (request.method === 'POST' && isUnknownOutcomeStatus(answer.status)) {
			const retryHeldBack = retryable && !settings.retryOnUnknownOutcome;
			if (!retryable || retryHeldBack) return { ...answer, outcomeUnknown: { retryHeldBack } };
		} else if (!retryable) {
			return answer;
		}
		const wait = retryWait(answer.headers, attempt);
		if (wait > MAX_HONOURED_WAIT_MS) return { ...answer, refusedWaitMs: wait };
		await abortableSleep(wait, signal);
	}
}

/** Failures to build a request body (nothing was sent): not connection failures, never retried. */
const unsent = new WeakSet<object>();

/** The error itself when it is such a failure. */
const unsentFailure = (error: unknown) => (error instanceof NodeOperationError && unsent.has(error) ? error : undefined);

/** Puts an encoded body and its content type into a request's options; throws NodeOperationError when it cannot be built. */
async function encodeInto(ctx: IExecuteFunctions, itemIndex: number, options: IHttpRequestOptions, source: EncodedBody): Promise<void> {
	let encoded: { body: Buffer; contentType: string };
	try {
		encoded = await source.encode();
	} catch (error) {
		const failure = new NodeOperationError(ctx.getNode(), (error as Error).message, { itemIndex });
		unsent.add(failure);
		throw failure;
	}
	const { body, contentType } = encoded;
	options.body = body;
	options.headers = { ...options.headers, 'content-type': contentType };
}

/** The provider's wait hint, else exponential back-off for this attempt. */
function retryWait(headers: Headers | undefined, attempt: number): number {
	return providerWaitMs(headers) ?? backoffMs(attempt - 1);
}

/** What the node throws for a request stopped by the execution's cancel (or by a failing sibling). */
export function cancelled(ctx: IExecuteFunctions, itemIndex: number): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), 'The request was stopped: the execution was cancelled or another item failed', { itemIndex });
}

const MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024;

type Download = { data: Buffer; contentType?: string } | { failure: string };

/**
 * Downloads an image URL returned by the API (DALL-E, LocalAI): without any credential,
 * within the same concurrency bound, bounded in time and size. Data URLs are decoded.
 */
export async function downloadImage(
	ctx: IExecuteFunctions,
	url: string,
	settings: SendSettings,
): Promise<{ data: Buffer; contentType?: string }> {
	const dataUrl = /^data:([^;,]+)?(;base64)?,(.*)$/s.exec(url);
	if (dataUrl) {
		const [, contentType, base64, payload] = dataUrl;
		const data = base64 ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload));
		return { data, contentType };
	}
	const fail = (message: string) => new NodeApiError(ctx.getNode(), { message } as JsonObject, { message, itemIndex: settings.itemIndex });
	let origin: string;
	try {
		origin = new URL(url).origin;
	} catch {
		throw fail(`The answer's image URL is not a URL: ${url.slice(0, 100)}`);
	}
	for (let attempt = 1; ; attempt++) {
		let download: Download;
		try {
			download = await settings.limiter.run(async () => await fetchBounded(ctx, url, origin, settings), settings.signal);
		} catch (error) {
			if (settings.signal?.aborted) throw cancelled(ctx, settings.itemIndex);
			const { code, message } = connectionFailure(error);
			if (attempt > settings.maxRetries || !isRetryableConnectionError(code, message)) {
				throw fail(`Could not download the image from ${origin}: ${CONNECTION_FAILURES[code ?? ''] ?? 'the connection failed'}`);
			}
			await abortableSleep(backoffMs(attempt - 1), settings.signal);
			continue;
		}
		if ('failure' in download) throw fail(download.failure);
		return download;
	}
}

async function fetchBounded(
	ctx: IExecuteFunctions,
	url: string,
	origin: string,
	settings: SendSettings,
): Promise<Download> {
	const response = (await ctx.helpers.httpRequest({
		method: 'GET',
		url,
		encoding: 'stream',
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: Math.min(settings.timeout, 300_000),
		maxRedirects: 5,
		abortSignal: settings.signal,
	})) as { body: AsyncIterable<Buffer> & { destroy?: () => void }; headers: Headers; statusCode: number };
	const stream = response.body;
	const tooLarge = `The image at ${origin} is over the ${MAX_DOWNLOAD_BYTES / 1024 / 1024} MiB limit`;
	if (response.statusCode >= 400) {
		stream.destroy?.();
		return { failure: `Downloading the image from ${origin} failed with HTTP ${response.statusCode}` };
	}
	if (Number(header(response.headers, 'content-length')) > MAX_DOWNLOAD_BYTES) {
		stream.destroy?.();
		return { failure: tooLarge };
	}
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of stream) {
		size += chunk.length;
		if (size > MAX_DOWNLOAD_BYTES) {
			stream.destroy?.();
			return { failure: tooLarge };
		}
		chunks.push(chunk);
	}
	return { data: Buffer.concat(chunks, size), contentType: header(response.headers, 'content-type') };
}
