/**
 * What a new user met on a first real run, each a kind of fault, in n8n's engine against the
 * project's image server: parameters that resolve to something that is not text, numeric text
 * in Extra Body Fields, node-wide failures under On Error = Continue, a file name whose
 * extension disagrees with the file's type, SVG settings without an SVG author model.
 */
import sharp from 'sharp';

import { startImageServer, type ImageServer } from './server';
import { edits, errorMessage, itemError, file, generations, openAiCredentials, runCreateImage, runEditImage } from './workflow';

let server: ImageServer;
let png: ReturnType<typeof file>;
beforeAll(async () => {
	server = await startImageServer();
	png = file(await sharp({ create: { width: 1024, height: 1024, channels: 3, background: { r: 200, g: 30, b: 40 } } }).png().toBuffer(), 'image/png', 'red.png');
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

const EXPECTED_TEXT = 'expected text';

describe('text parameters that resolve to something that is not text are refused before any request', () => {
	test('Prompt {{ $json.prompt }} giving an object: refused, naming the item and the field; nothing sent', async () => {
		const run = await runCreateImage(server, [{ prompt: { x: 1 } }]);
		expect(run.status).toBe('error');
		expect(run.error?.message).toBe(
			'[item 0] Prompt: got an object ({"x":1}); expected text. If an expression gives it, point it at a text field (e.g. {{ $json.prompt.text }}) or turn it into text (e.g. {{ JSON.stringify($json.prompt) }})',
		);
		expect(server.requests).toHaveLength(0);
	});

	test('with continue-on-fail only that item is an error item; a prompt of 42 is sent as "42"', async () => {
		const run = await runCreateImage(server, [{ prompt: 42 }, { prompt: ['a', 'b'] }, { prompt: 'a cat' }], { onError: 'continueRegularOutput' });
		expect(run.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(errorMessage(run.result[1])).toMatch(/^\[item 1\] Prompt: got a list \(\["a","b"\]\); expected text/);
		expect(run.result[1].binary).toBeUndefined();
		expect(generations(server).map((r) => (r.body as { prompt: unknown }).prompt)).toEqual(['42', 'a cat']);
	});

	test.each([
		['Model', { model: { __rl: true, mode: 'id', value: '={{ $json.v }}' } }],
		['Options › User (Older Field)', { options: { user: '={{ $json.v }}' } }],
		['Options › Safety Identifier', { options: { safetyIdentifier: '={{ $json.v }}' } }],
		['Options › SVG Author Model', { model: 'gpt-image-2.6-flare', options: { outputFormat: 'svg', svgModel: '={{ $json.v }}' } }],
		['Options › File Name', { options: { fileName: '={{ $json.v }}' } }],
		['Options › Put Output File in Field', { options: { binaryPropertyName: '={{ $json.v }}' } }],
		['Options › Size', { options: { size: '={{ $json.v }}' } }],
	])('Create Image › %s giving an object is refused', async (field, settings) => {
		const run = await runCreateImage(server, [{ prompt: 'a cat', v: { id: 7 } }], settings as never);
		expect(run.error?.message).toMatch(new RegExp(`^\\[item 0\\] ${field.replace(/[()]/g, '\\$&')}: got an object \\(\\{"id":7\\}\\); ${EXPECTED_TEXT}`));
		expect(server.requests).toHaveLength(0);
	});

	test.each([
		['Images', { images: '={{ $json.v }}' }],
		['Options › Mask', { options: { mask: '={{ $json.v }}' } }],
		['Options › Markup', { model: 'gpt-image-2.5-flare', options: { markup: '={{ $json.v }}' } }],
	])('Edit Image › %s giving a list is refused', async (field, settings) => {
		const run = await runEditImage(server, [{ json: { prompt: 'night', v: ['data', 'other'] }, binary: { data: png } }], settings as never);
		expect(run.error?.message).toMatch(new RegExp(`^\\[item 0\\] ${field}: got a list \\(\\["data","other"\\]\\); ${EXPECTED_TEXT}`));
		expect(server.requests).toHaveLength(0);
	});
});

describe('numbers in Extra Body Fields are sent as written: text there is refused, saying how to write it', () => {
	test.each([
		['n', '{"n": "3"}', '"3" is text', '{"n":3}'],
		['partial_images', '{"stream": true, "partial_images": "2"}', '"2" is text', '{"partial_images":2}'],
		['frame_count', '{"output_format": "gif", "frame_count": "4"}', '"4" is text', '{"frame_count":4}'],
		['output_compression', '{"output_compression": "many"}', '"many" is text', '{"output_compression":1}'],
		['n', '{"n": true}', 'true is not a number', '{"n":1}'],
	])('%s in %s', async (apiName, extraBody, what, example) => {
		const run = await runCreateImage(server, [{ prompt: 'a cat' }], { model: 'gpt-image-2.6-flare', options: { extraBody } });
		expect(run.error?.message).toBe(
			`[item 0] Extra Body Fields (JSON) › ${apiName}: ${what}; Extra Body Fields are sent as written and the API takes a number here: write it as a JSON number, without quotes, e.g. ${example}`,
		);
		expect(server.requests).toHaveLength(0);
	});

	test('Edit Image refuses the same way; a JSON number there is taken', async () => {
		const refused = await runEditImage(server, [{ json: { prompt: 'night' }, binary: { data: png } }], { options: { extraBody: '{"n": "2"}' } });
		expect(refused.error?.message).toMatch(/^\[item 0\] Extra Body Fields \(JSON\) › n: "2" is text; .* e\.g\. \{"n":2\}$/);
		expect(edits(server)).toHaveLength(0);
		const taken = await runEditImage(server, [{ json: { prompt: 'night' }, binary: { data: png } }], { options: { extraBody: '{"n": 2}' } });
		expect(taken.result).toHaveLength(2);
	});
});

describe('a node-wide failure under On Error = Continue: one error item per input item, in order', () => {
	const rows = [{ prompt: 'one' }, { prompt: 'two' }];
	const ftp = (s: ImageServer) => ({ credentials: openAiCredentials(s, { baseUrl: 'ftp://images.example.com/v1' }) });
	const BASE_URL = /^Credential "OpenAI Images API" › Base URL: not an http:\/\/ or https:\/\/ address/;
	const CONCURRENCY = /^Options › Concurrency: 0 is not accepted; expected a whole number from 1 to \d+$/;

	test.each([
		['a Base URL ftp://...', {}, ftp, BASE_URL, 'Credential "OpenAI Images API" › Base URL'],
		['Concurrency "0"', { options: { concurrency: '={{ "0" }}' } }, () => ({}), /^Options › Concurrency: "0" is not accepted/, 'Options › Concurrency'],
		['Concurrency 0', { options: { concurrency: 0 } }, () => ({}), CONCURRENCY, 'Options › Concurrency'],
	])('continueRegularOutput, %s: error items on Result, input on Configuration, nothing sent', async (_name, settings, extra, message, field) => {
		const run = await runCreateImage(server, rows, { ...settings, onError: 'continueRegularOutput' }, extra(server));
		expect(run.status).toBe('success');
		expect(run.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		for (const item of run.result) {
			expect(errorMessage(item)).toMatch(message);
			expect(itemError(item)?.field).toBe(field);
			expect(item.json.prompt).toBeUndefined();
			expect(item.binary).toBeUndefined();
		}
		expect(run.configuration).toEqual(rows.map((json, item) => ({ json, pairedItem: { item } })));
		expect(server.requests).toHaveLength(0);
	});

	test.each([
		['a Base URL ftp://...', {}, ftp, BASE_URL],
		['Concurrency 0', { options: { concurrency: 0 } }, () => ({}), CONCURRENCY],
	])('continueErrorOutput, %s: every item on the error output, Result empty', async (_name, settings, extra, message) => {
		const run = await runCreateImage(server, rows, { ...settings, onError: 'continueErrorOutput' }, extra(server));
		expect(run.status).toBe('success');
		expect(run.result).toEqual([]);
		expect(run.errors.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(run.errors.map((item) => errorMessage(item))).toEqual([expect.stringMatching(message), expect.stringMatching(message)]);
		expect(run.configuration.map((item) => item.json)).toEqual(rows);
	});

	test('Edit Image too; with Stop Workflow the run fails as before', async () => {
		const item = { json: { prompt: 'night' }, binary: { data: png } };
		const continued = await runEditImage(server, [item, item], { onError: 'continueRegularOutput' }, ftp(server));
		expect(continued.result.map((result) => [result.pairedItem, result.binary])).toEqual([[{ item: 0 }, undefined], [{ item: 1 }, undefined]]);
		expect(errorMessage(continued.result[1])).toMatch(BASE_URL);
		const stopped = await runCreateImage(server, rows, {}, ftp(server));
		expect(stopped.status).toBe('error');
		expect(stopped.error?.message).toMatch(BASE_URL);
	});
});

describe('the file name\'s extension is the real type\'s', () => {
	test('File Name photo.png with Output Format jpeg: photo_0.jpg, photo_1.jpg (image/jpeg)', async () => {
		const run = await runCreateImage(server, [{ prompt: 'two photos' }], { options: { fileName: 'photo.png', outputFormat: 'jpeg', n: 2 } });
		expect(run.result.map((item) => [item.binary!.data.fileName, item.binary!.data.mimeType])).toEqual([
			['photo_0.jpg', 'image/jpeg'],
			['photo_1.jpg', 'image/jpeg'],
		]);
	});

	test('an extension that agrees is kept as written (photo.JPEG for a JPEG)', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a photo' }], { options: { fileName: 'photo.JPEG', outputFormat: 'jpeg' } });
		expect(run.result[0].binary!.data.fileName).toBe('photo.JPEG');
	});
});

describe('SVG Reasoning Effort without SVG Author Model is refused before any request', () => {
	const MESSAGE =
		'[item 0] Options › SVG Reasoning Effort: "low" is not accepted without Options › SVG Author Model: the API takes svg settings only together with svg.model; set SVG Author Model, or remove SVG Reasoning Effort';
	const options = { outputFormat: 'svg', svgReasoningEffort: 'low' };

	test('Create Image', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a logo' }], { model: 'gpt-image-2.6-flare', options });
		expect(run.error?.message).toBe(MESSAGE);
		expect(server.requests).toHaveLength(0);
	});

	test('Edit Image', async () => {
		const run = await runEditImage(server, [{ json: { prompt: 'a logo' }, binary: { data: png } }], { model: 'gpt-image-2.6-flare', options });
		expect(run.error?.message).toBe(MESSAGE);
		expect(server.requests).toHaveLength(0);
	});

	test('an svg object without a model in Extra Body Fields too', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a logo' }], {
			model: 'gpt-image-2.6-flare',
			options: { outputFormat: 'svg', extraBody: '{"svg": {"reasoning": {"effort": "low"}}}' },
		});
		expect(run.error?.message).toMatch(/^\[item 0\] Options › SVG Author Model: \{"reasoning":\{"effort":"low"\}\} \(svg from Extra Body Fields\) is not accepted/);
		expect(server.requests).toHaveLength(0);
	});
});
