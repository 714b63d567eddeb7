/**
 * multipart/form-data request bodies (POST /images/edits), encoded by the node itself: n8n's
 * httpRequest helper sends a Buffer body with the node's Content-Type header as it is, on n8n
 * 1.x and 2.x alike, and a community node may not depend on the `form-data` package.
 */
import { randomBytes } from 'crypto';

import type { IDataObject } from 'n8n-workflow';

/** The bytes of a file part, read when the request is sent (not before). */
export interface PartSource {
	/** Exact size in bytes. */
	size: number;
	/** Writes exactly `size` bytes into `target` at `offset`; throws when the source holds another size or cannot be read. */
	writeInto(target: Buffer, offset: number): Promise<void>;
}

export interface FilePart {
	/** Form field name, e.g. `image`, `image[]`, `mask`. */
	name: string;
	fileName: string;
	contentType: string;
	source: PartSource;
}

/** A request body built when it is sent, each attempt anew (the transport sends what `encode` gives). */
export interface EncodedBody {
	/** Throws when the body cannot be built (a file cannot be read): then nothing has been sent. */
	encode(): Promise<{ body: Buffer; contentType: string }>;
	/** Whether the answer is an event stream (the body asks for `stream: true`). */
	readonly stream?: boolean;
	/** How many images the body asks for (its `n` field), when it says. */
	readonly n?: number;
}

export function isEncodedBody(body: unknown): body is EncodedBody {
	return typeof body === 'object' && body !== null && typeof (body as EncodedBody).encode === 'function';
}

/**
 * A JSON-style body as form fields: nested objects as `svg[model]`, `svg[reasoning][effort]`,
 * arrays as repeated `name[]`, numbers and booleans as text; null and undefined left out
 * (the API's multipart convention, openai 7.59.0 `ImageEditParams.svg`).
 */
export function formFields(body: IDataObject, prefix = ''): Array<[string, string]> {
	const fields: Array<[string, string]> = [];
	for (const [key, value] of Object.entries(body)) {
		const name = prefix ? `${prefix}[${key}]` : key;
		if (value === undefined || value === null) continue;
		if (Array.isArray(value)) {
			for (const element of value) {
				if (typeof element === 'object' && element !== null) fields.push(...formFields(element as IDataObject, `${name}[]`));
				else fields.push([`${name}[]`, String(element)]);
			}
		} else if (typeof value === 'object') {
			fields.push(...formFields(value as IDataObject, name));
		} else {
			fields.push([name, String(value)]);
		}
	}
	return fields;
}

/** A header parameter value: quotes, CR and LF percent-encoded, as browsers send file names. */
const quoted = (value: string) => `"${value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;

/**
 * A multipart/form-data body of text fields, then files in the given order. `encode()` allocates
 * the whole body once and has each file write its bytes straight into it: a file is held in
 * memory once, for the time of one attempt.
 */
export class MultipartBody implements EncodedBody {
	constructor(
		readonly fields: ReadonlyArray<[string, string]>,
		readonly files: readonly FilePart[],
		readonly stream = false,
	) {}

	/** The `n` form field as a number, when there is one. */
	get n(): number | undefined {
		const field = this.fields.find(([name]) => name === 'n');
		return field ? Number(field[1]) : undefined;
	}

	async encode(): Promise<{ body: Buffer; contentType: string }> {
		const boundary = `----n8nImages${randomBytes(16).toString('hex')}`;
		const pieces: Array<Buffer | FilePart> = [];
		for (const [name, value] of this.fields) {
			pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`));
		}
		for (const file of this.files) {
			pieces.push(
				Buffer.from(
					`--${boundary}\r\nContent-Disposition: form-data; name=${quoted(file.name)}; filename=${quoted(file.fileName)}\r\n` +
						`Content-Type: ${file.contentType}\r\n\r\n`,
				),
				file,
				Buffer.from('\r\n'),
			);
		}
		pieces.push(Buffer.from(`--${boundary}--\r\n`));
		const size = pieces.reduce((total, piece) => total + (Buffer.isBuffer(piece) ? piece.length : piece.source.size), 0);
		const body = Buffer.allocUnsafe(size);
		let offset = 0;
		for (const piece of pieces) {
			if (Buffer.isBuffer(piece)) {
				piece.copy(body, offset);
				offset += piece.length;
			} else {
				await writeFile(piece, body, offset);
				offset += piece.source.size;
			}
		}
		return { body, contentType: `multipart/form-data; boundary=${boundary}` };
	}
}

/** Writes a file's bytes into the body; throws, naming the file, when they cannot be read. */
async function writeFile(file: FilePart, target: Buffer, offset: number): Promise<void> {
	try {
		await file.source.writeInto(target, offset);
	} catch (error) {
		throw unreadable(file, error as Error);
	}
}

const unreadable = (file: FilePart, error: Error) =>
	new Error(`Could not read the file ${JSON.stringify(file.fileName)} (part ${file.name}) to send, so nothing was sent: ${error.message}`);
