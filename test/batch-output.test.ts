/**
 * The batch output reader (nodes/shared/batch/outputFile.ts): a batch's output or error file, read
 * as a byte stream cut anywhere, must give for each line what JSON.parse of that line gives (with
 * every `b64_json` value decoded to the same bytes as Buffer.from(value, 'base64')), in file
 * order; malformed lines become errors that name the line (and its custom_id when it can be read),
 * and never cost the other lines.
 */
import { randomBytes } from 'node:crypto';

import {
	LINE_TOO_LARGE,
	MALFORMED_LINE,
	TRUNCATED_LINE,
	readBatchOutput,
	type BatchOutputLine,
} from '../nodes/shared/batch/outputFile';
import { imageFromValue } from '../nodes/shared/transport/answer';
import { mulberry32 as random } from './server/random';

/** The file cut into chunks of the given sizes (the last one takes the rest). */
function cut(file: Buffer, sizes: () => number): Buffer[] {
	const chunks: Buffer[] = [];
	for (let at = 0; at < file.length; ) {
		const size = Math.max(1, Math.min(file.length - at, sizes()));
		chunks.push(file.subarray(at, at + size));
		at += size;
	}
	return chunks;
}

async function* streamOf(chunks: Buffer[]): AsyncGenerator<Buffer> {
	for (const chunk of chunks) yield chunk;
}

async function readAll(chunks: Buffer[], read: 'images' | 'json', maxLineBytes?: number): Promise<BatchOutputLine[]> {
	const lines: BatchOutputLine[] = [];
	for await (const line of readBatchOutput(streamOf(chunks), read, { maxLineBytes })) lines.push(line);
	return lines;
}

/** Bytes as text that jest compares quickly (its deep equality walks a Buffer byte by byte). */
const bytes = (buffer: Buffer) => `bytes:${buffer.toString('base64')}`;

/** Every placeholder left in a body replaced by the image it stands for (as bytes()). */
function resolved(value: unknown, images: Array<Buffer | undefined>): unknown {
	if (typeof value === 'string') return value.startsWith('\u0000') ? bytes(imageFromValue(value, images)) : value;
	if (Array.isArray(value)) return value.map((entry) => resolved(entry, images));
	if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, resolved(entry, images)]));
	return value;
}

/** A read line as plain data: images in place of their placeholders; every decoded image must be used once. */
function plain(line: BatchOutputLine): unknown {
	if (!line.answer) return line;
	const { images, ...answer } = line.answer;
	if (!images) return { ...line, answer };
	const body = resolved(answer.body, images);
	expect(images.every((image) => image === undefined)).toBe(true);
	return { ...line, answer: { ...answer, body } };
}

/** Each `b64_json` string anywhere decoded as the node would after JSON.parse (a data: URL prefix dropped), as bytes(). */
function decoded(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(decoded);
	if (value && typeof value === 'object') {
		return Object.fromEntries(
			Object.entries(value).map(([key, entry]) => [
				key,
				key === 'b64_json' && typeof entry === 'string' ? bytes(Buffer.from(entry.replace(/^data:[^,]*;base64,/, ''), 'base64')) : decoded(entry),
			]),
		);
	}
	return value;
}

interface Line {
	custom_id: string;
	response: { status_code: number; request_id?: string; body: unknown } | null;
	error: { code: string; message: string } | null;
}

/** What a well-formed line must read as: JSON.parse, then Buffer.from of each b64_json ('images'). */
function expected(text: string, lineNumber: number, read: 'images' | 'json'): unknown {
	const { custom_id, response, error } = JSON.parse(text) as Line;
	if (!response) return { lineNumber, customId: custom_id, error };
	return {
		lineNumber,
		customId: custom_id,
		answer: {
			status: response.status_code,
			headers: response.request_id ? { 'x-request-id': response.request_id } : {},
			body: read === 'images' ? decoded(response.body) : response.body,
			attempts: 1,
		},
	};
}

const image = (bytes: number) => randomBytes(bytes).toString('base64');

/** Lines of many shapes, as an output and an error file would hold them. */
function shapes(): string[] {
	const ok = (id: string, body: unknown, extra: object = {}) =>
		JSON.stringify({ id: `batch_req_${id}`, custom_id: id, response: { status_code: 200, request_id: `req_${id}`, body }, error: null, ...extra });
	return [
		ok('item-0', { created: 1, data: [{ b64_json: image(3000) }], usage: { total_tokens: 5, input_tokens_details: { text_tokens: 3 } } }),
		ok('item-1-n3', { created: 2, data: [{ b64_json: image(3001) }, { b64_json: image(3002) }, { b64_json: image(1) }], output_format: 'png' }),
		ok('é ✓ "quoted" \\ and a "b64_json":"QUJD" inside', { data: [{ b64_json: image(100), revised_prompt: 'a "b64_json":"AAAA" in a string ✓' }] }),
		// Spaces around colons and commas; slashes escaped (PHP) and + as \u002B (.NET).
		JSON.stringify({ custom_id: 'item-3', response: { status_code: 200, request_id: 'req_3', body: { data: [{ b64_json: image(2000) }] } }, error: null })
			.replace(/":/g, '" : ')
			.replace(/,"/g, ', "')
			.replace(/\//g, '\\/')
			.replace(/\+/g, '\\u002B'),
		ok('item-4-data-url', { data: [{ b64_json: `data:image/png;base64,${image(500)}` }] }),
		ok('item-5-unpadded', { data: [{ b64_json: image(1000).replace(/=+$/, '') }] }),
		ok('item-6-empty-and-url', { data: [{ b64_json: '' }, { url: 'http://127.0.0.1/x.png', b64_json: null }] }),
		ok('item-7-no-request-id', { data: [{ b64_json: image(10) }] }).replace(/"request_id":"[^"]*",/, ''),
		// The response after the custom_id's usual place, and an extra field.
		JSON.stringify({ response: { body: { data: [{ b64_json: image(64) }] }, status_code: 200, request_id: 'r' }, error: null, custom_id: 'item-8', extra: [1, 'b64_json'] }),
		// Error file: a 4xx and a 5xx response, an expired line.
		JSON.stringify({
			id: 'batch_req_9',
			custom_id: 'item-9',
			response: { status_code: 400, request_id: 'req_9', body: { error: { message: 'Your request was rejected by the safety system.', type: 'image_generation_user_error', param: null, code: 'moderation_blocked' } } },
			error: null,
		}),
		JSON.stringify({ id: 'batch_req_10', custom_id: 'item-10', response: { status_code: 500, request_id: 'req_10', body: { error: { message: 'The server had an error' } } }, error: null }),
		JSON.stringify({ id: 'batch_req_11', custom_id: 'item-11', response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } }),
	];
}

describe('the batch output reader', () => {
	const lines = shapes();
	const file = Buffer.from(`${lines.join('\n')}\n`);

	for (const read of ['images', 'json'] as const) {
		it(`read as '${read}': each line as JSON.parse gives it${read === 'images' ? ', b64_json decoded as Buffer.from gives it' : ''}, in file order`, async () => {
			const got = (await readAll([file], read)).map(plain);
			expect(got).toEqual(lines.map((text, i) => expected(text, i + 1, read)));
		});
	}

	it("read as 'json': bodies are JSON.parse's, base64 left as text, no images", async () => {
		const [first] = await readAll([file], 'json');
		expect(first.answer?.images).toBeUndefined();
		expect((first.answer?.body as { data: Array<{ b64_json: string }> }).data[0].b64_json).toBe((JSON.parse(lines[0]) as { response: { body: { data: Array<{ b64_json: string }> } } }).response.body.data[0].b64_json);
	});

	it('gives the same lines whatever the chunk boundaries: 1-byte, random, cut at and beside every newline, one chunk', async () => {
		const whole = (await readAll([Buffer.from(file)], 'images')).map(plain);
		const cuts: Record<string, Buffer[]> = {
			'1-byte': cut(file, () => 1),
			'2-byte': cut(file, () => 2),
			'random small': cut(file, (() => { const r = random(1); return () => 1 + Math.floor(r() * 40); })()),
			'random large': cut(file, (() => { const r = random(2); return () => 1 + Math.floor(r() * 20_000); })()),
		};
		// Cut just before, at and after each newline.
		for (const offset of [-1, 0, 1]) {
			const chunks: Buffer[] = [];
			let from = 0;
			for (let at = file.indexOf(0x0a); at !== -1; at = file.indexOf(0x0a, at + 1)) {
				const to = Math.min(file.length, Math.max(from, at + offset));
				chunks.push(file.subarray(from, to));
				from = to;
			}
			chunks.push(file.subarray(from));
			cuts[`cut at newline ${offset >= 0 ? '+' : ''}${offset}`] = chunks.filter((chunk) => chunk.length > 0);
		}
		for (const [name, chunks] of Object.entries(cuts)) {
			expect([name, (await readAll(chunks, 'images')).map(plain)]).toEqual([name, whole]);
		}
		// 50 more random cuts, sizes up to the length of the file.
		const r = random(3);
		for (let run = 0; run < 50; run++) {
			const max = 1 + Math.floor(r() * file.length);
			expect([run, (await readAll(cut(file, () => 1 + Math.floor(r() * max)), 'images')).map(plain)]).toEqual([run, whole]);
		}
	});

	it('reads CRLF line ends, blank lines (numbered, not given), a BOM, and a last line without its newline', async () => {
		const crlf = Buffer.from(`\uFEFF${lines[0]}\r\n\r\n   \r\n${lines[1]}\r\n\n${lines[11]}`);
		for (const chunks of [[crlf], cut(crlf, () => 1), cut(crlf, () => 7)]) {
			expect((await readAll(chunks, 'images')).map(plain)).toEqual([expected(lines[0], 1, 'images'), expected(lines[1], 4, 'images'), expected(lines[11], 6, 'images')]);
		}
		expect(await readAll([Buffer.from('\n\r\n\n')], 'images')).toEqual([]);
		expect(await readAll([], 'images')).toEqual([]);
	});

	it('reads huge lines (10 images of 3 MB, a 40 MB line) exactly, in 64 KiB chunks, between small lines', async () => {
		const big = Array.from({ length: 10 }, (_, i) => randomBytes(3 * 1024 * 1024 + i));
		const huge = JSON.stringify({ id: 'batch_req_big', custom_id: 'big', response: { status_code: 200, request_id: 'req_big', body: { created: 3, data: big.map((bytes) => ({ b64_json: bytes.toString('base64') })) } }, error: null });
		const text = Buffer.from([lines[0], huge, lines[11]].join('\n'));
		const got = await readAll(cut(text, () => 64 * 1024), 'images');
		expect(got.map((line) => [line.lineNumber, line.customId])).toEqual([[1, 'item-0'], [2, 'big'], [3, 'item-11']]);
		const body = got[1].answer!.body as { data: Array<{ b64_json: string }> };
		const images = body.data.map(({ b64_json }) => imageFromValue(b64_json, got[1].answer!.images!));
		expect(images.map((bytes, i) => bytes.equals(big[i]))).toEqual(Array(10).fill(true));
		// The images are views of their line's own buffer: no larger than the line, not the file.
		expect(images.every((bytes) => bytes.buffer.byteLength <= huge.length)).toBe(true);
	});

	it('gives the error lines of an error file: the error object when there is no response, the 4xx/5xx answer otherwise', async () => {
		const got = await readAll([file], 'images');
		expect(got[11]).toEqual({
			lineNumber: 12,
			customId: 'item-11',
			error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
		});
		expect(got[9].answer).toMatchObject({ status: 400, headers: { 'x-request-id': 'req_9' }, body: { error: { code: 'moderation_blocked' } } });
		expect(got[10].answer).toMatchObject({ status: 500, body: { error: { message: 'The server had an error' } } });
	});

	for (const read of ['images', 'json'] as const) {
		it(`malformed lines ('${read}') become errors naming the line (and its custom_id when readable); every other line is read`, async () => {
			const bad = [
				lines[0],
				'this is not JSON',
				'{"id":"batch_req_x","custom_id":"cut-in-the-middle","response":{"status_code":200,"body":{"data":[{"b64_json":"QUJD',
				'["an array"]',
				JSON.stringify({ id: 'batch_req_y', response: { status_code: 200, body: {} }, error: null }),
				JSON.stringify({ custom_id: 'no-status', response: { body: {} }, error: null }),
				JSON.stringify({ custom_id: 'neither', response: null, error: null }),
				lines[1],
				`{"id":"batch_req_z","custom_id":"last-item","response":{"status_code":200,"request_id":"r","body":{"data":[{"b64_json":"${image(3000)}`,
			];
			const text = Buffer.from(bad.join('\n'));
			for (const chunks of [[text], cut(text, () => 3)]) {
				const got = await readAll(chunks, read);
				expect(got.map((line) => (line.answer ? ['answer', line.lineNumber, line.customId] : [line.error!.code, line.lineNumber, line.customId, line.error!.message]))).toEqual([
					['answer', 1, 'item-0'],
					[MALFORMED_LINE, 2, '', 'Line 2 of the batch file is not JSON'],
					[MALFORMED_LINE, 3, 'cut-in-the-middle', 'Line 3 of the batch file is not JSON'],
					[MALFORMED_LINE, 4, '', 'Line 4 of the batch file is not a JSON object'],
					[MALFORMED_LINE, 5, '', 'Line 5 of the batch file has no custom_id'],
					[MALFORMED_LINE, 6, 'no-status', 'Line 6 of the batch file has a response without a status_code'],
					[MALFORMED_LINE, 7, 'neither', 'Line 7 of the batch file has neither a response nor an error'],
					['answer', 8, 'item-1-n3'],
					[TRUNCATED_LINE, 9, 'last-item', 'Line 9 of the batch file is cut short: the file ends inside it'],
				]);
				expect(plain(got[7])).toEqual(expected(lines[1], 8, read));
			}
		});
	}

	it('skips a line over the size limit without holding it, naming its custom_id, and reads the next line', async () => {
		const long = JSON.stringify({ id: 'batch_req_long', custom_id: 'too-long', response: { status_code: 200, body: { data: [{ b64_json: image(200_000) }] } }, error: null });
		const text = Buffer.from([long, lines[0]].join('\n'));
		const got = await readAll(cut(text, () => 1000), 'images', 100_000);
		expect(got[0]).toEqual({
			lineNumber: 1,
			customId: 'too-long',
			error: { code: LINE_TOO_LARGE, message: `Line 1 of the batch file is ${Math.round((long.length / 2 ** 20) * 10) / 10} MiB long, over the 0.1 MiB a line may take: not read` },
		});
		expect(plain(got[1])).toEqual(expected(lines[0], 2, 'images'));
	});

	it('pulls a chunk only when every line before it was taken, and never writes into the chunks it is given', async () => {
		const chunks = cut(file, (() => { const r = random(4); return () => 1 + Math.floor(r() * 5000); })()).map((chunk) => Buffer.from(chunk));
		const copies = chunks.map((chunk) => Buffer.from(chunk));
		let pulled = 0;
		async function* counting(): AsyncGenerator<Buffer> {
			for (const chunk of chunks) {
				pulled++;
				yield chunk;
			}
		}
		// The chunk (1-based) holding each line's newline: when the line is given, no later chunk may have been pulled.
		const ends: number[] = [];
		chunks.forEach((chunk, i) => {
			for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) ends.push(i + 1);
		});
		const seen: number[] = [];
		for await (const line of readBatchOutput(counting(), 'images')) {
			seen.push(pulled);
			expect(line.lineNumber).toBe(seen.length);
		}
		expect(seen).toEqual(ends);
		expect(chunks.every((chunk, i) => chunk.equals(copies[i]))).toBe(true);
	});

	it('gives the lines read before a stream fails, then throws its error', async () => {
		async function* failing(): AsyncGenerator<Buffer> {
			yield Buffer.from(`${lines[0]}\n${lines[1]}\n${lines[2].slice(0, 50)}`);
			throw new Error('socket hang up');
		}
		const got: string[] = [];
		await expect(
			(async () => {
				for await (const line of readBatchOutput(failing(), 'images')) got.push(line.customId);
			})(),
		).rejects.toThrow('socket hang up');
		expect(got).toEqual(['item-0', 'item-1-n3']);
	});
});
