/**
 * Streamed answers (`stream: true`): server-sent events read as they arrive, through the body
 * stream n8n's HTTP helper hands over (`encoding: 'stream'`).
 *
 * Events (openai 7.59.0 images.d.ts, ImageGenStreamEvent / ImageEditStreamEvent):
 * `image_generation.partial_image` / `image_edit.partial_image` (b64_json, partial_image_index,
 * size, quality, background, output_format, created_at), then `image_generation.completed` /
 * `image_edit.completed` (the same, plus usage). An `error` event (SSE `event: error`, a `type`
 * of "error", or an `error` object, as the openai SDK's reader takes them) ends the stream.
 *
 * Timing: the helper's `timeout` bounds the wait for the answer's headers; once the stream is
 * open, the same number of milliseconds bounds each silence on its socket (the socket's own idle
 * timer, no timer of the node's): a stream that keeps sending is never cut, a silent one is.
 */
import type { INode } from 'n8n-workflow';

import { parseAnswerText, parseImageAnswer, type ImageAnswer } from './answer';
import { buildApiError } from './errors';
import type { ApiAnswer } from './http';
import { header, type Headers } from './retry';

/** The socket under an answer's body: only its idle timer is used. */
interface IdleSocket {
	setTimeout(ms: number): unknown;
	on(event: 'timeout', listener: () => void): unknown;
	off(event: 'timeout', listener: () => void): unknown;
}

/** The body n8n's helper returns with `encoding: 'stream'` (a Node IncomingMessage). */
export interface BodyStream extends AsyncIterable<Buffer> {
	destroy(error?: Error): unknown;
	socket?: IdleSocket | null;
}

/**
 * A streamed answer that failed on the way (silence, or an end before the image was made): a
 * transport failure, retried like a lost connection. `code` is one of the retryable codes.
 */
export class StreamFailure extends Error {
	constructor(
		readonly code: 'ETIMEDOUT' | 'ERR_STREAM_PREMATURE_CLOSE',
		/** What happened, after "The event stream from <origin> ". */
		readonly what: string,
	) {
		super(`The event stream ${what}`);
		this.name = 'StreamFailure';
	}
}

/** What a streamed request's answer became. */
export interface StreamedAnswer {
	/** Raw Response: the parsed events in order; or the whole answer when it was not an event stream. */
	body: unknown;
	/** Images mode, plain answers: the decoded images (see ImageAnswer). */
	images?: Array<Buffer | undefined>;
	/** Images mode, event streams: each event's data, its images decoded in place. */
	events?: ImageAnswer[];
}

type EventKind = 'partial' | 'completed' | 'error' | 'other';

/** What an event is: by its `type` (else its SSE event name); unknown shapes are 'other'. */
export function eventKind(body: unknown, eventName?: string): EventKind {
	const object = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
	const type = typeof object?.type === 'string' ? object.type : eventName;
	if (type === 'error' || eventName === 'error' || (object?.error && typeof object.error === 'object')) return 'error';
	if (type && /^image_(generation|edit)\.partial_image$/.test(type)) return 'partial';
	if (type && /^image_(generation|edit)\.completed$/.test(type)) return 'completed';
	return 'other';
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

interface SseEvent {
	event?: string;
	data: Buffer;
}

/**
 * Splits server-sent events out of a byte stream (lines end in LF or CRLF). Bytes are kept as
 * buffers: a 2 MB `data:` line becomes one buffer, never a string.
 */
class EventSplitter {
	private line: Buffer[] = [];
	private data: Buffer[] = [];
	private event?: string;

	push(chunk: Buffer): SseEvent[] {
		const events: SseEvent[] = [];
		let start = 0;
		for (let end = chunk.indexOf(LF); end !== -1; end = chunk.indexOf(LF, start)) {
			this.line.push(chunk.subarray(start, end));
			const event = this.endLine();
			if (event) events.push(event);
			start = end + 1;
		}
		if (start < chunk.length) this.line.push(chunk.subarray(start));
		return events;
	}

	/** An event left without its closing blank line when the stream ended. */
	end(): SseEvent | undefined {
		if (this.line.length) this.endLine();
		return this.dispatch();
	}

	private endLine(): SseEvent | undefined {
		let line = this.line.length === 1 ? this.line[0] : Buffer.concat(this.line);
		this.line = [];
		if (line.length && line[line.length - 1] === CR) line = line.subarray(0, -1);
		if (line.length === 0) return this.dispatch();
		if (line[0] === COLON) return undefined;
		const colon = line.indexOf(COLON);
		const field = line.toString('latin1', 0, colon === -1 ? line.length : colon);
		let value = colon === -1 ? Buffer.alloc(0) : line.subarray(colon + 1);
		if (value[0] === SPACE) value = value.subarray(1);
		if (field === 'data') this.data.push(value);
		else if (field === 'event') this.event = value.toString('utf8');
		return undefined;
	}

	private dispatch(): SseEvent | undefined {
		const { data, event } = this;
		this.data = [];
		this.event = undefined;
		if (data.length === 0) return undefined;
		return { event, data: data.length === 1 ? data[0] : Buffer.concat(data.flatMap((part, i) => (i ? [Buffer.from('\n'), part] : [part]))) };
	}
}

const isEventStream = (headers: Headers) => /^text\/event-stream\b/i.test(header(headers, 'content-type') ?? '');

/**
 * Reads the answer to a request sent with `stream: true`, as its bytes arrive. An event stream
 * gives its events (`read: 'images'`: each event's images decoded in place, no base64 string
 * kept; `'json'`: each event parsed whole, for Raw Response). Any other answer (an error status,
 * or a server that ignores `stream`) is read whole and parsed as without streaming.
 * Each silence longer than `idleTimeoutMs` ends the read; `signal` (cancel, or a failing sibling
 * request) ends it too. Throws StreamFailure for a silent stream or one that ends with neither
 * a completed nor an error event; the stream's own error otherwise.
 */
export async function readStreamedAnswer(
	response: { body: BodyStream; headers: Headers; statusCode: number },
	read: 'json' | 'images',
	idleTimeoutMs: number,
	signal?: AbortSignal,
): Promise<StreamedAnswer> {
	const { body } = response;
	const socket = body.socket ?? undefined;
	const idle = new StreamFailure('ETIMEDOUT', `was silent for more than ${idleTimeoutMs} ms`);
	let silent = false;
	const onIdle = () => {
		silent = true;
		body.destroy(idle);
	};
	const onAbort = () => body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('The request was stopped'));
	socket?.setTimeout(idleTimeoutMs);
	socket?.on('timeout', onIdle);
	signal?.addEventListener('abort', onAbort, { once: true });
	if (signal?.aborted) onAbort();
	const outcome = await readBody(response, read).then(
		(answer) => ({ answer }),
		(error: unknown) => ({ error }),
	);
	socket?.off('timeout', onIdle);
	signal?.removeEventListener('abort', onAbort);
	// The socket's timeout may have been seen first by the helper, which destroys it its own way.
	if (silent) throw idle;
	if ('error' in outcome) throw outcome.error;
	return outcome.answer;
}

async function readBody(
	{ body, headers, statusCode }: { body: BodyStream; headers: Headers; statusCode: number },
	read: 'json' | 'images',
): Promise<StreamedAnswer> {
	if (statusCode >= 400 || !isEventStream(headers)) {
		const chunks: Buffer[] = [];
		for await (const chunk of body) chunks.push(chunk);
		const bytes = Buffer.concat(chunks);
		return read === 'images' ? parseImageAnswer(bytes) : { body: parseAnswerText(bytes) };
	}
	return await readEvents(body, read);
}

async function readEvents(body: BodyStream, read: 'json' | 'images'): Promise<StreamedAnswer> {
	const splitter = new EventSplitter();
	const events: ImageAnswer[] = [];
	let completed = false;
	/** Takes one event; true when the stream is over (`[DONE]`, or an error event). */
	const take = (sse: SseEvent): boolean => {
		if (sse.data.length === 6 && sse.data.toString('latin1') === '[DONE]') return true;
		const event = read === 'images' ? parseImageAnswer(sse.data) : { body: parseAnswerText(sse.data), images: [] };
		events.push(event);
		const kind = eventKind(event.body, sse.event);
		if (kind === 'completed') completed = true;
		return kind === 'error';
	};
	let over = false;
	for await (const chunk of body) {
		over = splitter.push(chunk).some(take);
		if (over) break;
	}
	const last = over ? undefined : splitter.end();
	if (last) over = take(last);
	const errored = events.some((event) => eventKind(event.body) === 'error');
	if (!completed && !errored) {
		throw new StreamFailure('ERR_STREAM_PREMATURE_CLOSE', 'ended before the image was completed (no completed event)');
	}
	return { body: events.map((event) => event.body), events: read === 'images' ? events : undefined };
}

/** One image event of a streamed answer, shaped as a one-image answer of the non-streamed kind. */
export interface ImageEventAnswer {
	answer: ApiAnswer;
	/** Set for partial images (0-based, from the event). */
	partialImageIndex?: number;
}

/**
 * The image events of a streamed answer (read as 'images'), in order, each as an answer body of
 * the non-streamed shape (`created`, `data: [{ b64_json }]`, and the event's other fields: size,
 * quality, background, output_format, usage ...), so that each image is made exactly as without
 * streaming. Events of unknown shape are skipped. Throws NodeApiError for an error event.
 */
export function imageEventAnswers(node: INode, itemIndex: number, model: string, answer: ApiAnswer): ImageEventAnswer[] {
	const answers: ImageEventAnswer[] = [];
	for (const event of answer.events ?? []) {
		const kind = eventKind(event.body);
		if (kind === 'error') {
			const error = buildApiError(node, itemIndex, answer.status, event.body, model, answer.attempts);
			error.description = `${error.description}, sent as an error event in the answer's event stream`;
			throw error;
		}
		if (kind !== 'partial' && kind !== 'completed') continue;
		const { b64_json, created_at, partial_image_index, ...rest } = event.body as Record<string, unknown>;
		delete rest.type;
		answers.push({
			answer: { ...answer, events: undefined, images: event.images, body: { ...rest, created: created_at, data: [{ b64_json }] } },
			partialImageIndex: kind === 'partial' ? (typeof partial_image_index === 'number' ? partial_image_index : 0) : undefined,
		});
	}
	return answers;
}
