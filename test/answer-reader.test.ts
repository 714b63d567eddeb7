/**
 * The answer reader (nodes/shared/transport/answer.ts): whatever the JSON's spelling, it
 * must give the same answer as JSON.parse, with every `b64_json` value of `data` decoded to the
 * same bytes as Buffer.from(value, 'base64'), and nothing else touched.
 */
import { randomBytes } from 'node:crypto';

import { imageFromValue, parseAnswerText, parseImageAnswer } from '../nodes/shared/transport/answer';

interface Datum {
	b64_json?: string;
	url?: string;
	revised_prompt?: string;
}

/** Every placeholder left in the answer, wherever it is, replaced by the image it stands for. */
function resolved(value: unknown, images: Array<Buffer | undefined>): unknown {
	if (typeof value === 'string') return value.startsWith('\u0000') ? imageFromValue(value, images) : value;
	if (Array.isArray(value)) return value.map((entry) => resolved(entry, images));
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, resolved(entry, images)]));
	}
	return value;
}

/** The answer read from a copy of its bytes (they are decoded in place), images as Buffers. */
function read(text: Buffer): unknown {
	const { body, images } = parseImageAnswer(Buffer.from(text));
	return resolved(body, images);
}

/** What the node would get from JSON.parse, then Buffer.from of each data[].b64_json, and nothing else. */
function expected(text: Buffer): unknown {
	const body = JSON.parse(text.toString('utf8')) as { data?: Datum[] };
	return {
		...body,
		data: body.data?.map(({ b64_json, ...rest }) => ({
			...rest,
			...(b64_json === undefined ? {} : { b64_json: Buffer.from(b64_json, 'base64') }),
		})),
	};
}

describe('the answer reader', () => {
	const images = [randomBytes(3000), randomBytes(3001), randomBytes(3002), randomBytes(1)];

	const answers: Record<string, string> = {
		'compact, several images (lengths 0, 1, 2 mod 3)': JSON.stringify({
			created: 1,
			data: images.map((image, i) => ({ b64_json: image.toString('base64'), revised_prompt: `prompt ${i} "quoted" é ✓` })),
			usage: { total_tokens: 5 },
		}),
		'pretty-printed, spaces around the colon': JSON.stringify(
			{ created: 1, data: [{ revised_prompt: 'first', b64_json: images[0].toString('base64') }], output_format: 'png' },
			null,
			2,
		).replace('"b64_json": "', '"b64_json" \n :\t "'),
		'slashes escaped (PHP) and + as \\u002B (.NET)': JSON.stringify({
			data: [{ b64_json: images[1].toString('base64') }, { b64_json: images[2].toString('base64') }],
		})
			.replace(/\//g, '\\/')
			.replace(/\+/g, '\\u002B'),
		'unpadded base64': JSON.stringify({ data: [{ b64_json: images[0].toString('base64').replace(/=+$/, '') }, { b64_json: images[1].toString('base64').replace(/=+$/, '') }] }),
		'"b64_json" inside other strings and as a value is left alone': JSON.stringify({
			note: 'a "b64_json":"AAAA" in a string, and \\"b64_json\\"',
			'x"b64_json': 'QUJD',
			other: 'b64_json',
			data: [{ revised_prompt: '{"b64_json":"QUJD"}', b64_json: images[3].toString('base64') }],
		}),
		'an empty image, and a url answer': JSON.stringify({ data: [{ b64_json: '' }, { url: 'http://127.0.0.1/x.png' }] }),
		'no images at all': JSON.stringify({ created: 1, data: [] }),
	};

	for (const [name, text] of Object.entries(answers)) {
		it(`${name}: same as JSON.parse, then Buffer.from`, () => {
			const bytes = Buffer.from(text, 'utf8');
			expect(read(bytes)).toEqual(expected(bytes));
		});
	}

	it('keeps everything but the images as parsed JSON, images replaced by placeholders', () => {
		const text = Buffer.from(JSON.stringify({ created: 7, data: [{ b64_json: images[0].toString('base64'), revised_prompt: 'p' }], quality: 'high' }));
		const { body } = parseImageAnswer(text);
		expect(body).toMatchObject({ created: 7, quality: 'high', data: [{ revised_prompt: 'p' }] });
		const placeholder = (body as { data: Datum[] }).data[0].b64_json!;
		expect(placeholder.length).toBeLessThan(20);
		expect(Buffer.from(placeholder, 'base64').length).toBeLessThan(20);
	});

	it('hands each image out once', () => {
		const { body, images: decoded } = parseImageAnswer(Buffer.from(JSON.stringify({ data: [{ b64_json: images[0].toString('base64') }] })));
		const value = (body as { data: Datum[] }).data[0].b64_json!;
		expect(imageFromValue(value, decoded).equals(images[0])).toBe(true);
		expect(() => imageFromValue(value, decoded)).toThrow(/already taken/);
	});

	it('gives the text of an answer that is not JSON', () => {
		expect(parseImageAnswer(Buffer.from('<html>Bad gateway</html>')).body).toBe('<html>Bad gateway</html>');
		expect(parseAnswerText(Buffer.from('upstream timed out'))).toBe('upstream timed out');
		expect(parseAnswerText(Buffer.from('{"error":{"message":"no"}}'))).toEqual({ error: { message: 'no' } });
	});

	it('a truncated answer is its text, with no image', () => {
		const text = JSON.stringify({ data: [{ b64_json: images[0].toString('base64') }] }).slice(0, 500);
		const answer = parseImageAnswer(Buffer.from(text));
		expect(typeof answer.body).toBe('string');
		expect(answer.images).toEqual([]);
	});

	it('decodes large images (over many 64 KiB windows) exactly, several in one answer', () => {
		const large = [randomBytes(3 * 1024 * 1024 + 2), randomBytes(200_001), randomBytes(65_536 * 3)];
		const text = Buffer.from(JSON.stringify({ data: large.map((image) => ({ b64_json: image.toString('base64') })) }));
		const answer = read(text) as { data: Array<{ b64_json: Buffer }> };
		expect(answer.data.map((datum) => datum.b64_json.equals(large[answer.data.indexOf(datum)]))).toEqual([true, true, true]);
	});
});
