/**
 * Reads an Images API answer from its bytes, decoding every `"b64_json"` value in place: the
 * image's bytes are written over its own base64 text, inside the buffer the answer came in.
 * Only the small rest of the answer (each image replaced by a placeholder) goes through
 * JSON.parse. A 1.5 MB image thus costs one base64 decode and no further memory, instead of
 * a 2 MB string, a 2 MB JSON.parse, and a decode into a new buffer.
 */

const KEY = Buffer.from('"b64_json"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Base64 characters decoded per step (a multiple of 4): short strings, collected young. */
const WINDOW = 64 * 1024;

/** What a decoded image's value becomes in the parsed answer: never valid base64 (NUL). */
const PLACEHOLDER_PREFIX = '\u0000image:';

export interface ImageAnswer {
	/** The answer's JSON with each base64 value replaced by a placeholder; its text when not JSON. */
	body: unknown;
	/** The decoded images, in the order their values appear. */
	images: Array<Buffer | undefined>;
}

/** The image a `b64_json` value stands for: decoded by the reader, or decoded now (a data: URL prefix dropped). */
export function imageFromValue(value: string, images: Array<Buffer | undefined>): Buffer {
	if (!value.startsWith(PLACEHOLDER_PREFIX)) return Buffer.from(value.slice(dataUrlPrefixLength(value)), 'base64');
	const index = Number(value.slice(PLACEHOLDER_PREFIX.length));
	const image = images[index];
	if (!image) throw new Error(`image ${index} was already taken`);
	// Held once: the caller owns the bytes from now on.
	images[index] = undefined;
	return image;
}

/** Longest `data:<type>;base64,` prefix looked for (media types are short). */
const MAX_DATA_PREFIX = 128;
const DATA_PREFIX = /^data:[^,;"\\]*(?:;[^,;"\\]*)*;base64,/i;

/**
 * How many characters of a `b64_json` value are a `data:image/...;base64,` prefix (some servers
 * send a data URL instead of bare base64): 0 when there is none. Reads `latin1` text, so it
 * takes a string or the start of the raw bytes.
 */
export function dataUrlPrefixLength(text: string): number {
	return DATA_PREFIX.exec(text.slice(0, MAX_DATA_PREFIX))?.[0].length ?? 0;
}

const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** After a key: the index just past `:` and the opening quote of a string value, or -1. */
function stringValueStart(raw: Buffer, from: number): number {
	let at = from;
	while (at < raw.length && isSpace(raw[at])) at++;
	if (raw[at] !== 0x3a) return -1;
	at++;
	while (at < raw.length && isSpace(raw[at])) at++;
	return raw[at] === QUOTE ? at + 1 : -1;
}

/** Whether a `"b64_json"` found at `at` is an object key: after `{` or `,` (in valid JSON, never inside a string). */
function isKeyPosition(raw: Buffer, at: number): boolean {
	let before = at - 1;
	while (before >= 0 && isSpace(raw[before])) before--;
	return raw[before] === 0x7b || raw[before] === 0x2c;
}

/** The index of the quote that closes the string starting at `start`, escapes skipped; -1 if none. */
function stringEnd(raw: Buffer, start: number): number {
	for (let at = start; at < raw.length; at++) {
		if (raw[at] === BACKSLASH) at++;
		else if (raw[at] === QUOTE) return at;
	}
	return -1;
}

/** Decodes raw[start, end) as base64 over itself; the decoded bytes, as a view of `raw`. */
function decodeInPlace(raw: Buffer, start: number, end: number): Buffer {
	let written = start;
	// Each window is read into a string before its bytes are written, and decoding never
	// writes past what has been read (3 bytes per 4 characters).
	for (let at = start; at < end; at += WINDOW) {
		written += raw.write(raw.toString('latin1', at, Math.min(at + WINDOW, end)), written, 'base64');
	}
	return raw.subarray(start, written);
}

/**
 * Parses an answer's bytes, of any status. Each `b64_json` string value is decoded in place
 * (values with JSON escapes, such as `\/` from some servers, are unescaped first); everything
 * else is parsed as JSON. An answer that is not JSON (an HTML error page) is returned as its text.
 */
export function parseImageAnswer(raw: Buffer): ImageAnswer {
	const structure: Buffer[] = [];
	const images: Buffer[] = [];
	let position = 0;
	for (;;) {
		const key = raw.indexOf(KEY, position);
		const start = key === -1 ? -1 : stringValueStart(raw, key + KEY.length);
		const end = start === -1 || !isKeyPosition(raw, key) ? -1 : raw.indexOf(QUOTE, start);
		if (end === -1) {
			if (key === -1) break;
			// Not a key with a string value: ordinary JSON; look further.
			structure.push(raw.subarray(position, key + KEY.length));
			position = key + KEY.length;
			continue;
		}
		let image: Buffer;
		let close = end;
		// Searched for in the value only: searching to the answer's end for each image would read
		// an answer of n images n times over.
		if (raw.subarray(start, end).includes(BACKSLASH)) {
			close = stringEnd(raw, start);
			if (close === -1) break;
			const value = JSON.parse(raw.toString('latin1', start - 1, close + 1)) as string;
			image = Buffer.from(value.slice(dataUrlPrefixLength(value)), 'base64');
		} else {
			image = decodeInPlace(raw, start + dataUrlPrefixLength(raw.toString('latin1', start, Math.min(end, start + MAX_DATA_PREFIX))), end);
		}
		// The placeholder as JSON text (its NUL escaped), between the value's own quotes.
		structure.push(raw.subarray(position, start), Buffer.from(JSON.stringify(`${PLACEHOLDER_PREFIX}${images.length}`).slice(1, -1)));
		images.push(image);
		position = close;
	}
	structure.push(raw.subarray(position));
	const body = parseAnswerText(Buffer.concat(structure));
	// Not JSON (its text): no image can be trusted.
	return { body, images: typeof body === 'string' ? [] : images };
}

/** An answer's JSON when it parses, else its text. */
export function parseAnswerText(raw: Buffer): unknown {
	const text = raw.toString('utf8');
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return text;
	}
}
