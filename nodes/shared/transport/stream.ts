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
 * Timing: the helper's `timeout` bounds the wait for the answer's headers (n8n 2.41: axios with
 * follow-redirects, a wall-clock timer until the headers, then the socket's idle timer, which
 * destroys the socket; other transports, such as n8n's own redirect handling, stop timing at the
 * headers). Once the stream is open, this reader bounds each silence by the same number of
 * milliseconds itself, with n8n-workflow's sleep re-armed from the last chunk (not a timer per
 * chunk), so that the rule holds on every transport: a stream that keeps sending is never cut,
 * a silent one is. In an event stream only bytes of events count: comment lines and blank lines
 * (a relay's `: keep-alive`, sent while its upstream may be long gone) are silence. axios 1.18 hands the body over wrapped (Readable.from, for its size limit):
 * the socket is out of reach, and destroying the body takes effect at its next chunk, so a read
 * that is stopped returns at once instead of waiting for the teardown.
 */
import { sleep, type INode } from 'n8n-workflow';

import { monotonicMs } from '../clock';
import { parseAnswerText, parseImageAnswer, type ImageAnswer } from './answer';
import type { Endpoint } from './endpoint';
import { buildApiError } from './errors';
import type { ApiAnswer } from './http';
import { header, type Headers } from './retry';

/** The body n8n's helper returns with `encoding: 'stream'` (a Node Readable). */
export interface BodyStream extends AsyncIterable<Buffer> {
	destroy(error?: Error): unknown;
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
	/** Whether the last chunk pushed held bytes of an event's lines, not only comments and blank lines. */
	carried = false;

	push(chunk: Buffer): SseEvent[] {
		const events: SseEvent[] = [];
		this.carried = false;
		let start = 0;
		for (let end = chunk.indexOf(LF); end !== -1; end = chunk.indexOf(LF, start)) {
			this.add(chunk.subarray(start, end));
			const event = this.endLine();
			if (event) events.push(event);
			start = end + 1;
		}
		if (start < chunk.length) this.add(chunk.subarray(start));
		return events;
	}

	private add(part: Buffer): void {
		this.line.push(part);
		const blank = part.length === 0 || (part.length === 1 && part[0] === CR);
		if (!blank && this.line[0][0] !== COLON) this.carried = true;
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
 * A read that ends the moment the stream falls silent for too long, or `signal` aborts, without
 * waiting for the body to be torn down (a body the helper wrapped settles only when its socket
 * does). `next()` gives the next chunk, or undefined at the end.
 */
class GuardedRead {
	/**
	 * When the last chunk that counts came, on the monotonic clock (clock.ts monotonicMs: a pinned
	 * wall clock would freeze the silence watch, a wall-clock step would cut or stretch it).
	 */
	private lastChunkAt = monotonicMs();
	private readonly iterator: AsyncIterator<Buffer>;
	private readonly over = new AbortController();
	private readonly stopped: Promise<never>;
	private stop: (error: Error) => void = () => {};

	constructor(
		private readonly body: BodyStream,
		private readonly idleTimeoutMs: number,
		private readonly signal?: AbortSignal,
	) {
		this.iterator = body[Symbol.asyncIterator]();
		this.stopped = new Promise<never>((_, reject) => (this.stop = reject));
		this.stopped.catch(() => undefined);
		signal?.addEventListener('abort', this.onAbort, { once: true });
		if (signal?.aborted) this.onAbort();
		void this.watchSilence();
	}

	/** The failure of a stream silent for longer than the timeout. */
	get silence(): StreamFailure {
		return new StreamFailure('ETIMEDOUT', `was silent for more than ${this.idleTimeoutMs} ms`);
	}

	/**
	 * Whether the stream has now been silent for the whole timeout, give or take the moments a
	 * chunk takes from the socket to this reader: the helper's own socket timer (the same number of
	 * milliseconds) may have cut the connection just before this reader's watch did.
	 */
	get wasSilent(): boolean {
		return monotonicMs() - this.lastChunkAt >= this.idleTimeoutMs - SILENCE_SLACK_MS;
	}

	/** The next chunk, or undefined at the end. Only heard() ends a silence. */
	async next(): Promise<Buffer | undefined> {
		const pending = this.iterator.next();
		pending.catch(() => undefined);
		const result = await Promise.race([pending, this.stopped]);
		return result.done ? undefined : result.value;
	}

	/** Something that counts arrived: the silence starts again from now. */
	heard(): void {
		this.lastChunkAt = monotonicMs();
	}

	/** Ends the watch; a body not read to its end is torn down (its socket closes when it can). */
	close(complete: boolean): void {
		this.over.abort();
		this.signal?.removeEventListener('abort', this.onAbort);
		if (!complete) this.body.destroy();
	}

	private readonly onAbort = () => {
		const reason: unknown = this.signal?.reason;
		this.stop(reason instanceof Error ? reason : new Error('The request was stopped'));
	};

	/**
	 * One n8n-workflow sleep at a time, re-armed from the last chunk's time: no timer per chunk.
	 * The sleep gets the reader's own signal (n8n-workflow 2.x clears its timer when the read ends;
	 * 1.x's sleep takes no signal, hence the race).
	 */
	private async watchSilence(): Promise<void> {
		const over = this.over.signal;
		const ended = new Promise<void>((resolve) => over.addEventListener('abort', () => resolve(), { once: true }));
		while (!over.aborted) {
			const left = this.lastChunkAt + this.idleTimeoutMs - monotonicMs();
			if (left <= 0) return this.stop(this.silence);
			await Promise.race([sleep(left, over), ended]).then(
				() => undefined,
				() => undefined,
			);
		}
	}
}

/** See GuardedRead.wasSilent: how much earlier than this reader the helper's socket timer may fire. */
const SILENCE_SLACK_MS = 250;

/**
 * Reads the answer to a request sent with `stream: true`, as its bytes arrive. An event stream
 * gives its events (`read: 'images'`: each event's images decoded in place, no base64 string
 * kept; `'json'`: each event parsed whole, for Raw Response). Any other answer (an error status,
 * or a server that ignores `stream`) is read whole and parsed as without streaming.
 * A silence longer than `idleTimeoutMs` (ms) between chunks (of an event stream: chunks that
 * hold more than comments and blank lines) ends the read, however long the whole stream lasts; `signal` (cancel, or a failing sibling request) ends it too. Throws StreamFailure
 * for a silent stream or one that ends with neither a completed nor an error event; the
 * stream's own error (or the signal's reason) otherwise.
 */
export async function readStreamedAnswer(
	response: { body: BodyStream; headers: Headers; statusCode: number },
	read: 'json' | 'images',
	idleTimeoutMs: number,
	signal?: AbortSignal,
): Promise<StreamedAnswer> {
	const reader = new GuardedRead(response.body, idleTimeoutMs, signal);
	const outcome = await readBody(reader, response, read).then(
		(answer) => ({ answer }),
		(error: unknown) => ({ error }),
	);
	reader.close('answer' in outcome);
	if ('answer' in outcome) return outcome.answer;
	if (!signal?.aborted && !(outcome.error instanceof StreamFailure) && reader.wasSilent) throw reader.silence;
	throw outcome.error;
}

async function readBody(
	reader: GuardedRead,
	{ headers, statusCode }: { headers: Headers; statusCode: number },
	read: 'json' | 'images',
): Promise<StreamedAnswer> {
	if (statusCode >= 400 || !isEventStream(headers)) {
		const chunks: Buffer[] = [];
		for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
			reader.heard();
			chunks.push(chunk);
		}
		const bytes = Buffer.concat(chunks);
		return read === 'images' ? parseImageAnswer(bytes) : { body: parseAnswerText(bytes) };
	}
	return await readEvents(reader, read);
}

async function readEvents(reader: GuardedRead, read: 'json' | 'images'): Promise<StreamedAnswer> {
	const splitter = new EventSplitter();
	const events: ImageAnswer[] = [];
	let completed = false;
	let errored = false;
	/** Takes one event; true when the stream is over (`[DONE]`, or an error event). */
	const take = (sse: SseEvent): boolean => {
		if (sse.data.length === 6 && sse.data.toString('latin1') === '[DONE]') return true;
		const event = read === 'images' ? parseImageAnswer(sse.data) : { body: parseAnswerText(sse.data), images: [] };
		const kind = eventKind(event.body, sse.event);
		// An error named only by the SSE event name keeps that name, for the item's error.
		if (kind === 'error' && eventKind(event.body) !== 'error') event.body = { type: 'error', error: event.body };
		events.push(event);
		completed ||= kind === 'completed';
		errored ||= kind === 'error';
		return kind === 'error';
	};
	let over = false;
	for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
		over = splitter.push(chunk).some(take);
		if (splitter.carried) reader.heard();
		if (over) break;
	}
	const last = over ? undefined : splitter.end();
	if (last) take(last);
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
 * streaming. Events of unknown shape are skipped. Throws NodeApiError for an error event
 * (worded for `server`, as error answers are).
 */
export function imageEventAnswers(
	node: INode,
	itemIndex: number,
	model: string,
	answer: ApiAnswer,
	server?: Endpoint['kind'],
): ImageEventAnswer[] {
	const answers: ImageEventAnswer[] = [];
	for (const event of answer.events ?? []) {
		const kind = eventKind(event.body);
		if (kind === 'error') {
			const error = buildApiError(node, itemIndex, answer.status, event.body, model, answer.attempts, { headers: answer.headers }, server);
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
