/**
 * Reads the output and error files of a Batch API batch (`GET /v1/files/{id}/content`): JSONL,
 * one line per request, in any order. Source: openai 7.59.0 `resources/batches.d.ts` (output and
 * error file ids) and OpenAI's batch guide (the line format):
 *
 *   {"id":"batch_req_…","custom_id":"…","response":{"status_code":200,"request_id":"…","body":{ImagesResponse}},"error":null}
 *   {"id":"batch_req_…","custom_id":"…","response":null,"error":{"code":"batch_expired","message":"…"}}
 *
 * (error files: a 4xx/5xx response, or no response and an error). An image batch's output file is
 * large (each line holds its images as base64: n images of a few MB), so the file is read as a
 * byte stream and never held whole: the reader holds the bytes of one line at a time, joined once
 * at the line's end, and with `read: 'images'` decodes each `b64_json` value in place
 * (transport/answer.ts), so a line costs its own bytes and little more.
 */
import { parseAnswerText, parseImageAnswer } from '../transport/answer';
import type { ApiAnswer } from '../transport/http';

export interface BatchOutputLine {
	/** 1-based, in its file (blank lines count, and are not given). */
	lineNumber: number;
	/**
	 * The line's `custom_id`. A malformed line (see MALFORMED_LINE) gives the custom_id read from
	 * its start when there is one, else ''.
	 */
	customId: string;
	/**
	 * The line's `response` as an answer of the direct kind (ApiAnswer from transport/http.ts):
	 * status = response.status_code, headers with x-request-id = response.request_id, body =
	 * response.body (b64_json values as placeholders when read as 'images'), images; attempts 1.
	 */
	answer?: ApiAnswer;
	/**
	 * The line's `error` object when response is null (e.g. { code: 'batch_expired', message }),
	 * or the reader's own error for a malformed line (codes MALFORMED_LINE, TRUNCATED_LINE,
	 * LINE_TOO_LARGE).
	 */
	error?: { code?: string; message?: string };
}

/** A line that is not a batch result: not JSON, not an object, no custom_id, or neither a response nor an error. */
export const MALFORMED_LINE = 'malformed_line';
/** The file's last line, without its newline, ends before its JSON does: the file was cut short. */
export const TRUNCATED_LINE = 'truncated_line';
/** A line longer than the reader takes (MAX_LINE_BYTES): skipped, not held. */
export const LINE_TOO_LARGE = 'line_too_large';

/**
 * The longest line read, in bytes. A line is one request's answer: at most 10 images (the Images
 * API's `n`), each at most a few tens of MB as base64 for the largest sizes; far above that, a
 * line is not an answer, and holding it could exhaust the process's memory.
 */
export const MAX_LINE_BYTES = 1024 * 1024 * 1024;

/** How much of a malformed line's start is searched for its custom_id. */
const HEAD_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface ReadBatchOutputOptions {
	/** Lines longer than this (bytes) are given as LINE_TOO_LARGE errors. Default MAX_LINE_BYTES. */
	maxLineBytes?: number;
}

/**
 * Lines of a batch output or error file, in file order, read from a byte stream (n8n's helper
 * with `encoding: 'stream'`, or any async iterable of Buffers).
 *
 * - `read: 'images'`: each line parsed with transport/answer.ts's in-place base64 decoder; the
 *   answer's `images` hold the decoded bytes (views of the line's own buffer, never of the
 *   caller's chunks, which are not written to), and its body's `b64_json` values are
 *   placeholders for them (imageFromValue). `read: 'json'`: JSON.parse of the line; no images.
 * - Lines end in LF or CRLF; blank lines are skipped; a UTF-8 BOM at the start is ignored; the
 *   last line needs no newline.
 * - A malformed line does not end the reading: it is given as a line with `error.code`
 *   MALFORMED_LINE (or TRUNCATED_LINE for an unreadable last line without its newline, or
 *   LINE_TOO_LARGE), an `error.message` naming the line number, and the custom_id when one can
 *   be read, so that the caller can fail that item (or, with customId '', say which line) and
 *   still take every other line.
 * - Lazy: a chunk is pulled from the stream only once every line ending before it was taken.
 *   Memory: the current line's bytes (at most `maxLineBytes`) plus the chunk being split.
 *
 * Throws only what the stream throws (a lost connection), after the lines read before it.
 */
export async function* readBatchOutput(
	stream: AsyncIterable<Buffer>,
	read: 'images' | 'json',
	{ maxLineBytes = MAX_LINE_BYTES }: ReadBatchOutputOptions = {},
): AsyncGenerator<BatchOutputLine> {
	const line = new LineCollector(maxLineBytes);
	for await (const received of stream) {
		const chunk = Buffer.isBuffer(received) ? received : Buffer.from(received as Uint8Array | string);
		let start = 0;
		for (let end = chunk.indexOf(LF); end !== -1; end = chunk.indexOf(LF, start)) {
			line.add(chunk.subarray(start, end));
			start = end + 1;
			const result = readLine(line.take(), read, true, maxLineBytes);
			if (result) yield result;
		}
		if (start < chunk.length) line.add(chunk.subarray(start));
	}
	if (line.started) {
		const result = readLine(line.take(), read, false, maxLineBytes);
		if (result) yield result;
	}
}

/** What the collector hands over at a line's end. */
interface CollectedLine {
	lineNumber: number;
	/** The whole line (LF excluded), a buffer of its own; undefined when the line was too long. */
	bytes?: Buffer;
	/** The start of a line that was too long (for its custom_id). */
	head?: Buffer;
	size: number;
}

/** The parts of the current line, joined once at its end; a line over the limit is not kept. */
class LineCollector {
	private parts: Buffer[] = [];
	private size = 0;
	private lineNumber = 0;
	private head?: Buffer;
	/** Whether bytes of a line not yet taken were added. */
	started = false;

	constructor(private readonly maxBytes: number) {}

	add(part: Buffer): void {
		this.started = true;
		this.size += part.length;
		if (this.head) return;
		if (this.size > this.maxBytes) {
			// Keep only the start (for the custom_id); the rest is counted, not held.
			const parts = [...this.parts, part];
			this.head = Buffer.concat(parts, Math.min(HEAD_BYTES, this.size));
			this.parts = [];
			return;
		}
		if (part.length) this.parts.push(part);
	}

	take(): CollectedLine {
		this.lineNumber++;
		// Always a copy: the line is decoded in place, and the caller's chunks are not ours to write.
		const taken: CollectedLine = {
			lineNumber: this.lineNumber,
			size: this.size,
			...(this.head ? { head: this.head } : { bytes: Buffer.concat(this.parts, this.size) }),
		};
		this.parts = [];
		this.size = 0;
		this.head = undefined;
		this.started = false;
		return taken;
	}
}

const isSpace = (byte: number) => byte === 0x20 || byte === 0x09 || byte === LF || byte === CR;

const mib = (bytes: number) => `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`;

/**
 * A collected line as a BatchOutputLine; undefined for a blank line. `ended`: whether a newline
 * closed it; `maxLineBytes`: the limit it was collected under.
 */
function readLine(
	{ lineNumber, bytes, head, size }: CollectedLine,
	read: 'images' | 'json',
	ended: boolean,
	maxLineBytes: number,
): BatchOutputLine | undefined {
	if (!bytes) {
		return malformed(lineNumber, head!, LINE_TOO_LARGE, `is ${mib(size)} long, over the ${mib(maxLineBytes)} a line may take: not read`);
	}
	let raw = bytes;
	if (lineNumber === 1 && raw.subarray(0, BOM.length).equals(BOM)) raw = raw.subarray(BOM.length);
	let end = raw.length;
	while (end > 0 && isSpace(raw[end - 1])) end--;
	if (end === 0) return undefined;
	if (end < raw.length) raw = raw.subarray(0, end);

	let parsed: unknown;
	let images: Array<Buffer | undefined> | undefined;
	if (read === 'images') {
		// A copy of the start, for the custom_id of a line that does not parse: decoding writes over base64 values.
		const start = Buffer.from(raw.subarray(0, HEAD_BYTES));
		({ body: parsed, images } = parseImageAnswer(raw));
		if (typeof parsed === 'string') return notJson(lineNumber, start, ended);
	} else {
		parsed = parseAnswerText(raw);
		if (typeof parsed === 'string') return notJson(lineNumber, raw, ended);
	}
	return fromObject(lineNumber, parsed, images);
}

type LineObject = { custom_id?: unknown; response?: unknown; error?: unknown };
type ResponseObject = { status_code?: unknown; request_id?: unknown; body?: unknown };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A parsed line's result, or the reason it is not one. */
function fromObject(lineNumber: number, parsed: unknown, images: Array<Buffer | undefined> | undefined): BatchOutputLine {
	const bad = (customId: string, what: string): BatchOutputLine => ({
		lineNumber,
		customId,
		error: { code: MALFORMED_LINE, message: `Line ${lineNumber} of the batch file ${what}` },
	});
	if (!isObject(parsed)) return bad('', 'is not a JSON object');
	const { custom_id, response, error } = parsed as LineObject;
	if (typeof custom_id !== 'string' || custom_id === '') return bad('', 'has no custom_id');
	if (isObject(response)) {
		const { status_code, request_id, body } = response as ResponseObject;
		if (typeof status_code !== 'number' || !Number.isInteger(status_code)) return bad(custom_id, 'has a response without a status_code');
		const answer: ApiAnswer = {
			status: status_code,
			headers: typeof request_id === 'string' ? { 'x-request-id': request_id } : {},
			body,
			...(images ? { images } : {}),
			attempts: 1,
		};
		return { lineNumber, customId: custom_id, answer };
	}
	if (isObject(error)) {
		const { code, message } = error;
		return {
			lineNumber,
			customId: custom_id,
			error: {
				...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
				...(typeof message === 'string' ? { message } : {}),
			},
		};
	}
	return bad(custom_id, 'has neither a response nor an error');
}

/** A line that is not JSON: cut short when it is the last one and no newline closed it. */
function notJson(lineNumber: number, start: Buffer, ended: boolean): BatchOutputLine {
	return ended
		? malformed(lineNumber, start, MALFORMED_LINE, 'is not JSON')
		: malformed(lineNumber, start, TRUNCATED_LINE, 'is cut short: the file ends inside it');
}

/** The reader's error line for a line that is not a batch result. */
function malformed(lineNumber: number, start: Buffer, code: string, what: string): BatchOutputLine {
	return { lineNumber, customId: customIdFrom(start) ?? '', error: { code, message: `Line ${lineNumber} of the batch file ${what}` } };
}

/** The first `"custom_id": "…"` key and string value in a line's start (an unreadable line's best guess). */
const CUSTOM_ID = /[{,]\s*"custom_id"\s*:\s*("(?:[^"\\]|\\.)*")/;

/** The custom_id that a line's start names, if any; undefined when none can be read. */
function customIdFrom(start: Buffer): string | undefined {
	const match = CUSTOM_ID.exec(start.subarray(0, HEAD_BYTES).toString('utf8'));
	if (!match) return undefined;
	try {
		const id = JSON.parse(match[1]) as string;
		return id || undefined;
	} catch {
		return undefined;
	}
}
