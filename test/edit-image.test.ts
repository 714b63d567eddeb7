/**
 * The Edit Image node inside n8n's engine (WorkflowExecute), against the project's image server
 * on loopback, which checks POST /images/edits as the API does (multipart parts, files, sizes,
 * per model) and answers the first image recoloured (negated) at the requested size.
 */
import { writeFile } from 'fs/promises';

import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import sharp from 'sharp';


import { startImageServer, type ImageServer } from './server';
import { binaryBuffer, chain, FIXTURE_TYPES, runWorkflow, setBinaryDataMode } from './helpers/engine';
import { centre, close, negated, type Colour } from './helpers/pixels';
import {
	createImageNode,
	EDIT_NODE,
	editImageNode,
	edits,
	errorMessage,
	file,
	generations,
	imageDimensions,
	NODE,
	openAiCredentials,
	runEditImage,
} from './workflow';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

const RED: Colour = { r: 200, g: 30, b: 40 };
const GREEN: Colour = { r: 20, g: 180, b: 60 };

/** A solid image of one colour (alpha: a transparent hole in the middle, as a mask has). */
async function picture(format: 'png' | 'jpeg' | 'webp' | 'gif', colour: Colour, width = 1024, height = 1024, hole = false): Promise<Buffer> {
	let image = sharp({ create: { width, height, channels: hole ? 4 : 3, background: hole ? { ...colour, alpha: 1 } : colour } });
	if (hole) {
		const cut = await sharp({ create: { width: width / 2, height: height / 2, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
		image = sharp(await image.png().toBuffer()).composite([{ input: cut, left: width / 4, top: height / 4, blend: 'dest-in' as const }]);
		image = sharp(await image.png().toBuffer());
	}
	return await image.toFormat(format).toBuffer();
}


let redPng: Buffer;
let greenJpeg: Buffer;
let blueWebp: Buffer;
let maskPng: Buffer;
beforeAll(async () => {
	redPng = await picture('png', RED);
	greenJpeg = await picture('jpeg', GREEN);
	blueWebp = await picture('webp', { r: 30, g: 60, b: 220 });
	maskPng = await picture('png', { r: 0, g: 0, b: 0 }, 1024, 1024, true);
});

describe('requests', () => {
	test('one image: sent as `image` with its file name and type; the result is the edited image, paired, Configuration passed through', async () => {
		const rows = [{ json: { prompt: 'make it night', slug: 'shop' }, binary: { data: file(redPng, 'image/png', 'shop.png') } }];
		const run = await runEditImage(server, rows, { options: { size: '1536x1024', quality: 'low' } });

		expect(run.error?.message).toBeUndefined();
		expect(run.status).toBe('success');
		const [request] = edits(server);
		expect(request.path).toBe('/v1/images/edits');
		expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
		expect(request.body).toEqual({ model: 'gpt-image-2', prompt: 'make it night', size: '1536x1024', quality: 'low' });
		expect(request.files).toEqual([{ name: 'image', fileName: 'shop.png', contentType: 'image/png', size: redPng.length }]);
		expect(run.result).toHaveLength(1);
		const [item] = run.result;
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({ index: 0, model: 'gpt-image-2', prompt: 'make it night', size: '1536x1024', outputFormat: 'png' });
		expect(item.binary!.data).toMatchObject({ mimeType: 'image/png', fileName: 'image_0_0.png' });
		const bytes = await binaryBuffer(item, 'data');
		expect(imageDimensions(bytes)).toEqual({ width: 1536, height: 1024 });
		expect(close(await centre(bytes), negated(RED))).toBe(true);
		expect(run.configuration).toEqual([{ json: rows[0].json, binary: expect.any(Object), pairedItem: { item: 0 } }]);
	});

	test('several images: repeated `image[]` parts in the order given, each with its file name and type', async () => {
		const rows = [
			{
				json: { prompt: 'put the logo on the product in the scene' },
				binary: {
					product: file(greenJpeg, 'image/jpeg', 'product.jpg'),
					logo: file(redPng, 'image/png', 'logo.png'),
					scene: file(blueWebp, 'image/webp', 'scene.webp'),
				},
			},
		];
		const run = await runEditImage(server, rows, { images: 'scene, product ,logo' });

		expect(run.status).toBe('success');
		expect(edits(server)[0].files).toEqual([
			{ name: 'image[]', fileName: 'scene.webp', contentType: 'image/webp', size: blueWebp.length },
			{ name: 'image[]', fileName: 'product.jpg', contentType: 'image/jpeg', size: greenJpeg.length },
			{ name: 'image[]', fileName: 'logo.png', contentType: 'image/png', size: redPng.length },
		]);
		// The edit starts from the first image (the scene); size auto keeps its size.
		const bytes = await binaryBuffer(run.result[0], 'data');
		expect(close(await centre(bytes), negated({ r: 30, g: 60, b: 220 }))).toBe(true);
	});
	test('a binary without a file name is sent as FIELD.EXT, the extension of its type by its bytes', async () => {
		const run = await runWorkflow({
			nodes: [editImageNode({ images: 'photo' })],
			connections: {},
			startNode: EDIT_NODE,
			input: [{ json: { prompt: 'p' }, binary: { photo: { data: greenJpeg.toString('base64'), mimeType: 'application/octet-stream' } } }],
			credentials: openAiCredentials(server),
		});

		expect(run.error?.message).toBeUndefined();
		expect(edits(server)[0].files).toEqual([{ name: 'image', fileName: 'photo.jpg', contentType: 'image/jpeg', size: greenJpeg.length }]);
	});

	test('a file name with colons, quotes and non-ASCII letters reaches the API whole (quotes percent-encoded, as browsers send them)', async () => {
		const rows = [{ json: { prompt: 'p' }, binary: { data: file(redPng, 'image/png', 'Café 18:30 "final".png') } }];
		const run = await runEditImage(server, rows);

		expect(run.error?.message).toBeUndefined();
		expect(edits(server)[0].files).toEqual([{ name: 'image', fileName: 'Café 18:30 %22final%22.png', contentType: 'image/png', size: redPng.length }]);
	});
});

describe('mask, markup, input fidelity', () => {
	test('a mask goes as the `mask` file part; one of another size is refused by the API and shown on the item', async () => {
		const small = await picture('png', { r: 0, g: 0, b: 0 }, 512, 512, true);
		const rows = [
			{ json: { prompt: 'fill the hole with a window' }, binary: { data: file(redPng, 'image/png', 'wall.png'), mask: file(maskPng, 'image/png', 'mask.png') } },
			{ json: { prompt: 'fill the hole with a door' }, binary: { data: file(redPng, 'image/png', 'wall.png'), mask: file(small, 'image/png', 'small.png') } },
		];
		const run = await runEditImage(server, rows, { options: { mask: 'mask', maxRetries: 0 }, onError: 'continueRegularOutput' });

		expect(run.status).toBe('success');
		expect(edits(server).map((request) => request.files!.map((part) => [part.name, part.fileName]))).toEqual([
			[['image', 'wall.png'], ['mask', 'mask.png']],
			[['image', 'wall.png'], ['mask', 'small.png']],
		]);
		expect(run.result[0].binary?.data).toBeDefined();
		expect(errorMessage(run.result[1])).toMatch(/same dimensions as the first image \(1024x1024\), but got 512x512/);
		expect(run.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	test('markup goes as the `markup` file part for GPT Image 2.5', async () => {
		const rows = [{ json: { prompt: 'follow the arrows' }, binary: { data: file(redPng, 'image/png', 'photo.png'), arrows: file(maskPng, 'image/png', 'arrows.png') } }];
		const run = await runEditImage(server, rows, { model: 'gpt-image-2.5-flare', options: { markup: 'arrows', quality: 'xhigh' } });

		expect(run.error?.message).toBeUndefined();
		const [request] = edits(server);
		expect(request.files!.map((part) => [part.name, part.fileName, part.contentType])).toEqual([
			['image', 'photo.png', 'image/png'],
			['markup', 'arrows.png', 'image/png'],
		]);
		expect(request.body).toMatchObject({ model: 'gpt-image-2.5-flare', quality: 'xhigh' });
	});

	test('markup without a transparent pixel (an opaque PNG with an alpha channel) is refused by the API and shown on the item', async () => {
		const opaque = await sharp({ create: { width: 1024, height: 1024, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
		const rows = [{ json: { prompt: 'follow the arrows' }, binary: { data: file(redPng, 'image/png', 'photo.png'), arrows: file(opaque, 'image/png', 'arrows.png') } }];
		const run = await runEditImage(server, rows, { model: 'gpt-image-2.5-flare', options: { markup: 'arrows', maxRetries: 0 }, onError: 'continueRegularOutput' });

		expect(edits(server)).toHaveLength(1);
		expect(run.result.map((item) => [item.pairedItem, errorMessage(item)])).toEqual([[{ item: 0 }, expect.stringMatching(/'markup': the image must contain transparent pixels/)]]);
	});

	test.each([
		['gpt-image-1.5', 'high'],
		['gpt-image-1-mini', 'low'],
	])('%s takes input fidelity %s, sent as the input_fidelity field', async (model, inputFidelity) => {
		const rows = [{ json: { prompt: 'keep her face' }, binary: { data: file(greenJpeg, 'image/jpeg', 'portrait.jpg') } }];
		const run = await runEditImage(server, rows, { model, options: { inputFidelity } });

		expect(run.error?.message).toBeUndefined();
		expect(edits(server)[0].body).toEqual({ input_fidelity: inputFidelity, model, prompt: 'keep her face' });
	});
});

describe('every option edits take reaches the form, as text fields', () => {
	test('n, size, quality, background, output format and compression, user, file name', async () => {
		const rows = [{ json: { prompt: 'three variants' }, binary: { data: file(redPng, 'image/png', 'a.png') } }];
		const run = await runEditImage(server, rows, {
			options: { n: 3, size: '1024x1536', quality: 'high', background: 'opaque', outputFormat: 'webp', outputCompression: 60, user: 'user-7', fileName: 'variant' },
		});

		expect(run.error?.message).toBeUndefined();
		expect(edits(server)[0].body).toEqual({
			model: 'gpt-image-2',
			prompt: 'three variants',
			n: '3',
			size: '1024x1536',
			quality: 'high',
			background: 'opaque',
			output_format: 'webp',
			output_compression: '60',
			user: 'user-7',
		});
		expect(run.result.map((item) => item.binary!.data.fileName)).toEqual(['variant_0.webp', 'variant_1.webp', 'variant_2.webp']);
		for (const item of run.result) expect(imageDimensions(await binaryBuffer(item, 'data'))).toEqual({ width: 1024, height: 1536 });
	});

	test('the options added for GIF output (complexity, safety identifier, frame count and duration) reach the form', async () => {
		const rows = [{ json: { prompt: 'a waving flag' }, binary: { data: file(redPng, 'image/png', 'flag.png') } }];
		const run = await runEditImage(server, rows, {
			model: 'gpt-image-2.6-flare',
			options: { outputFormat: 'gif', frameCount: 4, frameDurationMs: 120, complexity: 'low', safetyIdentifier: 'user-5f3a', size: '1024x1024' },
		});

		expect(run.error?.message).toBeUndefined();
		expect(edits(server)[0].body).toEqual({
			model: 'gpt-image-2.6-flare',
			prompt: 'a waving flag',
			size: '1024x1024',
			output_format: 'gif',
			complexity: 'low',
			safety_identifier: 'user-5f3a',
			frame_count: '4',
			frame_duration_ms: '120',
		});
		expect(run.result[0].binary!.data).toMatchObject({ mimeType: 'image/gif', fileName: 'image_0_0.gif' });
	});

	test('the SVG options reach the form as svg[model] and svg[reasoning][effort]', async () => {
		const rows = [{ json: { prompt: 'an icon of this' }, binary: { data: file(redPng, 'image/png', 'a.png') } }];
		const run = await runEditImage(server, rows, {
			model: 'gpt-image-2.6-flare',
			options: { outputFormat: 'svg', svgModel: 'gpt-5', svgReasoningEffort: 'low' },
		});

		expect(run.error?.message).toBeUndefined();
		expect(edits(server)[0].body).toMatchObject({ output_format: 'svg', 'svg[model]': 'gpt-5', 'svg[reasoning][effort]': 'low' });
		expect(run.result[0].binary!.data).toMatchObject({ mimeType: 'image/svg+xml', fileName: 'image_0_0.svg' });
	});

	test('Extra Body Fields become form fields too, nested objects as name[key][key]', async () => {
		const rows = [{ json: { prompt: 'an icon' }, binary: { data: file(redPng, 'image/png', 'a.png') } }];
		const run = await runEditImage(server, rows, {
			model: 'image-model-of-tomorrow',
			options: { extraBody: JSON.stringify({ svg: { model: 'gpt-5', reasoning: { effort: 'low' } }, stream: false }) },
		});

		expect(run.error?.message).toBeUndefined();
		expect(edits(server)[0].body).toEqual({
			model: 'image-model-of-tomorrow',
			prompt: 'an icon',
			'svg[model]': 'gpt-5',
			'svg[reasoning][effort]': 'low',
			stream: 'false',
		});
	});

	test('the panel offers every Create Image option but Moderation and Style, plus Mask, Markup, Input Fidelity, Mask URL and Mask File ID', async () => {
		const { loadPackageNodeTypes } = await import('./helpers/engine');
		const types = loadPackageNodeTypes();
		const optionNames = (type: string) =>
			(types.getByNameAndVersion(type).description.properties.find((p) => p.name === 'options')!.options as Array<{ name: string }>).map((o) => o.name);
		const create = optionNames('n8n-nodes-create-image.createImage');
		const edit = optionNames('n8n-nodes-create-image.editImage');
		expect(edit.sort()).toEqual([...create.filter((name) => name !== 'moderation' && name !== 'style'), 'inputFidelity', 'markup', 'mask', 'maskFileId', 'maskUrl'].sort());
	});
});

describe('result formats', () => {
	test('Raw Response gives one row per request: the answer body and status, error answers included', async () => {
		const rows = [
			{ json: { prompt: 'ok' }, binary: { data: file(redPng, 'image/png', 'a.png') } },
			{ json: { prompt: 'blocked [moderation]' }, binary: { data: file(redPng, 'image/png', 'a.png') } },
		];
		const run = await runEditImage(server, rows, { resultFormat: 'rawResponse', options: { maxRetries: 0 } });

		expect(run.status).toBe('success');
		expect(run.result.map((row) => row.json.status)).toEqual([200, 400]);
		const body = run.result[0].json.body as { data: Array<{ b64_json: string }>; usage: unknown };
		expect(close(await centre(Buffer.from(body.data[0].b64_json, 'base64')), negated(RED))).toBe(true);
		expect(run.result.every((row) => row.binary === undefined)).toBe(true);
	});
});

describe('checked before any request, for every item first', () => {
	type Row = Parameters<typeof runEditImage>[1][number];
	const photo = () => ({ data: file(redPng, 'image/png', 'photo.png') });
	const byExpression = { __rl: true, mode: 'id', value: '={{ $json.model }}' };
	const cases: Array<[string, () => Promise<Row>, Parameters<typeof runEditImage>[2], RegExp]> = [
		[
			'a binary field the item lacks: the item, the field and the fields it has',
			async () => ({ json: { prompt: 'p' }, binary: { photo: file(redPng, 'image/png', 'photo.png'), logo: file(redPng, 'image/png', 'logo.png') } }),
			{ images: 'photo, logi' },
			/\[item 0\] Images: the item has no binary field "logi"; its binary fields: photo, logo/,
		],
		['an item without any binary data', async () => ({ json: { prompt: 'p' } }), {}, /\[item 0\] Images: the item has no binary field "data"; it has no binary fields/],
		['no field named', async () => ({ json: { prompt: 'p' }, binary: photo() }), { images: ' , ' }, /\[item 0\] Images: no binary field is named/],
		[
			'more than 16 images',
			async () => ({ json: { prompt: 'p' }, binary: photo() }),
			{ images: Array(17).fill('data').join(',') },
			/\[item 0\] Images: 17 fields are named .*; the API takes 1 to 16 images/,
		],
		[
			'an input that is not PNG, WEBP or JPEG by its bytes (a GIF named .png)',
			async () => ({ json: { prompt: 'p' }, binary: { data: file(await picture('gif', RED, 64, 64), 'image/png', 'fake.png') } }),
			{},
			/\[item 0\] Images: "data" is a GIF file; accepted: PNG, WEBP, JPEG/,
		],
		[
			'an SVG input (as Create Image makes with SVG output), its root element after a long prolog',
			async () => ({
				json: { prompt: 'p' },
				binary: {
					data: file(
						Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<!-- ' + 'Drawn for the catalogue. '.repeat(20) + '-->\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>'),
						'image/svg+xml',
						'drawing.svg',
					),
				},
			}),
			{},
			/\[item 0\] Images: "data" is an SVG file; accepted: PNG, WEBP, JPEG/,
		],
		[
			'an input that is no image at all',
			async () => ({ json: { prompt: 'p' }, binary: { data: file(Buffer.from('hello, world'), 'text/plain', 'notes.txt') } }),
			{},
			/\[item 0\] Images: "data" is not an image file the node knows \(mime type text\/plain\); accepted: PNG, WEBP, JPEG/,
		],
		[
			'a mask that is not a PNG',
			async () => ({ json: { prompt: 'p' }, binary: { ...photo(), mask: file(greenJpeg, 'image/jpeg', 'mask.jpg') } }),
			{ options: { mask: 'mask' } },
			/\[item 0\] Options › Mask: "mask" is a JPEG file; accepted: PNG/,
		],
		[
			'a mask field the item lacks',
			async () => ({ json: { prompt: 'p' }, binary: photo() }),
			{ options: { mask: 'mask' } },
			/\[item 0\] Options › Mask: the item has no binary field "mask"; its binary fields: data/,
		],
		[
			'mask and markup together',
			async () => ({ json: { prompt: 'p' }, binary: { ...photo(), mask: file(maskPng, 'image/png', 'm.png') } }),
			{ model: 'gpt-image-2.5-flare', options: { mask: 'mask', markup: 'mask' } },
			/\[item 0\] Options › Markup: cannot be used together with Mask/,
		],
		// The panel hides these for gpt-image-2 (n8n then drops them); a model from an expression shows them.
		[
			'markup for a model that does not take it',
			async () => ({ json: { prompt: 'p', model: 'gpt-image-2' }, binary: { ...photo(), arrows: file(maskPng, 'image/png', 'a.png') } }),
			{ model: byExpression, options: { markup: 'arrows' } },
			/\[item 0\] Options › Markup: gpt-image-2 does not take markup/,
		],
		[
			'input fidelity for gpt-image-2',
			async () => ({ json: { prompt: 'p', model: 'gpt-image-2' }, binary: photo() }),
			{ model: byExpression, options: { inputFidelity: 'high' } },
			/\[item 0\] Options › Input Fidelity: gpt-image-2 does not take this option; remove it/,
		],
		[
			'input fidelity high for gpt-image-1-mini',
			async () => ({ json: { prompt: 'p' }, binary: photo() }),
			{ model: 'gpt-image-1-mini', options: { inputFidelity: 'high' } },
			/\[item 0\] Options › Input Fidelity: "high" is not accepted by gpt-image-1-mini; accepted: low/,
		],
		[
			'a mask with GIF output',
			async () => ({ json: { prompt: 'p' }, binary: { ...photo(), mask: file(maskPng, 'image/png', 'm.png') } }),
			{ model: 'gpt-image-2.6-flare', options: { mask: 'mask', outputFormat: 'gif' } },
			/\[item 0\] Options › Mask: GIF output does not take a mask/,
		],
		[
			"Create Image's rules: a size gpt-image-2 does not take",
			async () => ({ json: { prompt: 'p' }, binary: photo() }),
			{ options: { size: '1000x1000' } },
			/\[item 0\] Options › Size: "1000x1000" is not accepted by gpt-image-2: both edges must be multiples of 16/,
		],
		[
			"Create Image's rules: an empty prompt",
			async () => ({ json: { prompt: '' }, binary: photo() }),
			{},
			/\[item 0\] Prompt: is empty/,
		],
	];

	test.each(cases)('%s', async (_name, row, settings, message) => {
		const run = await runEditImage(server, [await row()], settings);
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(message);
		expect(edits(server)).toHaveLength(0);
	});

	// A model that does not edit (dall-e-3): its error lists the models that edit on the day, so
	// it is dated; with the clock pinned on both sides of each date in test/clock.test.ts.

	test('a bad item stops the run before the good ones are sent; with Continue it becomes its error item, in order', async () => {
		const rows = [
			{ json: { prompt: 'good' }, binary: { data: file(redPng, 'image/png', 'a.png') } },
			{ json: { prompt: 'bad' }, binary: { data: file(await picture('gif', RED, 64, 64), 'image/gif', 'a.gif') } },
			{ json: { prompt: 'good too' }, binary: { data: file(redPng, 'image/png', 'b.png') } },
		];
		const stopped = await runEditImage(server, rows);
		expect(stopped.error?.message).toMatch(/^\[item 1\] Images: "data" is a GIF file/);
		expect(edits(server)).toHaveLength(0);

		const continued = await runEditImage(server, rows, { onError: 'continueRegularOutput' });
		expect(continued.status).toBe('success');
		expect(continued.result.map((item) => [item.pairedItem, (item.json.error as { message?: string })?.message ?? item.json.prompt])).toEqual([
			[{ item: 0 }, 'good'],
			[{ item: 1 }, expect.stringMatching(/^\[item 1\] Images: "data" is a GIF file/)],
			[{ item: 2 }, 'good too'],
		]);
		expect(edits(server)).toHaveLength(2);
	});

	test.each([
		['an input of 50 MB or more', 'data', {}, 50 * 1024 * 1024, /\[item 0\] Images: "data" is 50 MB \(52,428,800 bytes\); the API takes files under 50 MB/],
		['a mask of 4 MB or more', 'mask', { mask: 'mask' }, 4 * 1024 * 1024 + 1, /\[item 0\] Options › Mask: "mask" is 4 MB \(4,194,305 bytes\); the API takes files under 4 MB/],
	])('%s', async (_name, field, options, size, message) => {
		const big = Buffer.alloc(size);
		redPng.copy(big);
		const binary = { data: { data: redPng.toString('base64'), mimeType: 'image/png', fileName: 'a.png' }, [field]: { data: big.toString('base64'), mimeType: 'image/png', fileName: 'big.png' } };
		const run = await runWorkflow({
			nodes: [editImageNode({ options })],
			connections: {},
			startNode: EDIT_NODE,
			input: [{ json: { prompt: 'p' }, binary }],
			credentials: openAiCredentials(server),
		});
		expect(run.error?.message).toMatch(message);
		expect(edits(server)).toHaveLength(0);
	});
});

describe('routes and binary modes', () => {
	const azure = (apiStyle: 'v1' | 'deployments') => ({
		azureOpenAiImagesApi: { endpoint: server.url, apiKey: server.apiKey, apiStyle, apiVersion: '2025-04-01-preview' },
	});

	test.each([
		['dated deployments', 'deployments' as const, '/openai/deployments/my-edits/images/edits', { 'api-version': '2025-04-01-preview' }, false],
		['v1', 'v1' as const, '/openai/v1/images/edits', {}, true],
	])('Azure %s route: the deployment in the URL or the model field, the key as api-key', async (_name, apiStyle, path, query, modelInBody) => {
		server.set({ azureDeployments: { 'my-edits': 'gpt-image-1.5' } });
		try {
			const rows = [{ json: { prompt: 'sharper' }, binary: { data: file(greenJpeg, 'image/jpeg', 'p.jpg') } }];
			const run = await runEditImage(
				server,
				rows,
				{ authentication: 'azureOpenAiImagesApi', model: 'my-edits', options: { outputFormat: 'jpeg', inputFidelity: 'high' } },
				{ credentials: azure(apiStyle) },
			);

			expect(run.error?.message).toBeUndefined();
			const [request] = edits(server);
			expect([request.path, request.query]).toEqual([path, query]);
			expect(request.headers['api-key']).toBe(server.apiKey);
			expect(request.headers.authorization).toBeUndefined();
			expect((request.body as Record<string, string>).model).toBe(modelInBody ? 'my-edits' : undefined);
			expect(request.body).toMatchObject({ input_fidelity: 'high', output_format: 'jpeg' });
			const bytes = await binaryBuffer(run.result[0], 'data');
			expect(run.result[0].binary!.data.mimeType).toBe('image/jpeg');
			expect(close(await centre(bytes), negated(GREEN))).toBe(true);
		} finally {
			server.set({ azureDeployments: undefined });
		}
	});

	test('a base URL typed with a trailing slash (OpenAI-compatible servers) gets the same multipart request, with the Bearer key', async () => {
		const rows = [{ json: { prompt: 'p' }, binary: { data: file(redPng, 'image/png', 'a.png') } }];
		const run = await runEditImage(server, rows, {}, { credentials: openAiCredentials(server, { baseUrl: `${server.url}/v1/` }) });
		expect(run.error?.message).toBeUndefined();
		expect(edits(server).map((r) => [r.path, r.headers.authorization])).toEqual([['/v1/images/edits', `Bearer ${server.apiKey}`]]);
	});

	test('in memory, base64 with line breaks (MIME style, as n8n itself decodes it) is sent as the exact bytes of the file', async () => {
		const mime = redPng.toString('base64').replace(/.{76}/g, '$&\r\n');
		const run = await runWorkflow({
			nodes: [editImageNode()],
			connections: {},
			startNode: EDIT_NODE,
			input: [{ json: { prompt: 'p' }, binary: { data: { data: mime, mimeType: 'image/png', fileName: 'a.png' } } }],
			credentials: openAiCredentials(server),
		});

		expect(run.error?.message).toBeUndefined();
		expect(edits(server)[0].files).toEqual([{ name: 'image', fileName: 'a.png', contentType: 'image/png', size: redPng.length }]);
		expect(close(await centre(await binaryBuffer(run.outputs(EDIT_NODE)[0][0], 'data')), negated(RED))).toBe(true);
	});

	test('a stored file that cannot be read when the request is built fails its item as such: not as a lost connection that may have been billed', async () => {
		await setBinaryDataMode('filesystem');
		const service = Container.get(BinaryDataService);
		const stored = await service.store({ type: 'execution', workflowId: 'w', executionId: 'e' }, redPng, { data: '', mimeType: 'image/png', fileName: 'a.png' });
		// The file changes on disk after n8n stored it (its recorded size stays): the node reads other bytes when it sends.
		await writeFile(service.getPath(stored.id!), Buffer.concat([redPng, redPng]));
		const run = await runWorkflow({
			nodes: [editImageNode()],
			connections: {},
			startNode: EDIT_NODE,
			input: [{ json: { prompt: 'p' }, binary: { data: stored } }],
			credentials: openAiCredentials(server),
			binaryDataMode: 'filesystem',
		});

		expect(run.error?.message).toMatch(/^Could not read the file "a\.png" \(part image\) to send, so nothing was sent: The binary field "data" of item 0 changed/);
		expect(run.error?.message).not.toMatch(/connection|billed/);
		expect(edits(server)).toHaveLength(0);
	});

	test.each(['default', 'filesystem'] as const)('binary data mode %s: inputs read through n8n, the edit written back', async (binaryDataMode) => {
		const rows = [
			{
				json: { prompt: 'combine' },
				binary: { data: file(redPng, 'image/png', 'a.png'), second: file(blueWebp, 'image/webp', 'b.webp'), mask: file(maskPng, 'image/png', 'm.png') },
			},
		];
		const run = await runEditImage(server, rows, { images: 'data, second', options: { mask: 'mask' } }, { binaryDataMode });

		expect(run.error?.message).toBeUndefined();
		if (binaryDataMode === 'filesystem') expect(run.configuration[0].binary!.data.id).toMatch(/^filesystem/);
		expect(edits(server)[0].files).toEqual([
			{ name: 'image[]', fileName: 'a.png', contentType: 'image/png', size: redPng.length },
			{ name: 'image[]', fileName: 'b.webp', contentType: 'image/webp', size: blueWebp.length },
			{ name: 'mask', fileName: 'm.png', contentType: 'image/png', size: maskPng.length },
		]);
		expect(close(await centre(await binaryBuffer(run.result[0], 'data')), negated(RED))).toBe(true);
	});
});

describe('chained after Create Image', () => {
	test.each(['default', 'filesystem'] as const)('Create Image -> Edit Image in one workflow (%s binary mode): the edit of each created image, paired', async (binaryDataMode) => {
		const rows = [{ prompt: 'a red barn', edit: 'paint it at night' }, { prompt: 'a green field', edit: 'add snow' }];
		const run = await runWorkflow({
			nodes: [
				{ name: 'Prepare', type: FIXTURE_TYPES.emitItems, parameters: { items: JSON.stringify(rows.map((json) => ({ json }))) } },
				createImageNode({ options: { size: '1024x1536' } }),
				editImageNode({ prompt: "={{ $('Prepare').item.json.edit }}", options: { size: '1024x1024', outputFormat: 'jpeg', binaryPropertyName: 'edited' } }),
			],
			connections: { ...chain('Prepare', NODE), ...chain(NODE, EDIT_NODE) },
			startNode: 'Prepare',
			credentials: openAiCredentials(server),
			binaryDataMode,
		});

		expect(run.error?.message).toBeUndefined();
		const created = run.outputs(NODE)[0];
		const [result] = run.outputs(EDIT_NODE);
		expect(generations(server)).toHaveLength(2);
		expect(edits(server).map((r) => [(r.body as { prompt: string }).prompt, r.files![0].fileName])).toEqual([
			['paint it at night', 'image_0_0.png'],
			['add snow', 'image_1_0.png'],
		]);
		expect(result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		for (const [index, item] of result.entries()) {
			const edited = await binaryBuffer(item, 'edited');
			expect(imageDimensions(edited)).toEqual({ width: 1024, height: 1024 });
			expect(item.binary!.edited.mimeType).toBe('image/jpeg');
			expect(close(await centre(edited), negated(await centre(await binaryBuffer(created[index], 'data'))))).toBe(true);
		}
	});
});

describe('retries', () => {
	const rows = (prompt: string) => [{ json: { prompt }, binary: { data: file(redPng, 'image/png', 'a.png'), logo: file(greenJpeg, 'image/jpeg', 'b.jpg') } }];

	test('a 500 is retried, and the retry carries the whole form again (every file, every byte)', async () => {
		const run = await runEditImage(server, rows('retry me [status:500x1]'), { images: 'data, logo' });

		expect(run.error?.message).toBeUndefined();
		const sent = edits(server);
		expect(sent).toHaveLength(2);
		for (const request of sent) {
			expect(request.files!.map((part) => [part.name, part.size])).toEqual([
				['image[]', redPng.length],
				['image[]', greenJpeg.length],
			]);
		}
		expect(close(await centre(await binaryBuffer(run.result[0], 'data')), negated(RED))).toBe(true);
	});

	test('a connection lost after sending is not sent again by default (it may have been billed); with Retry When Outcome Is Unknown it is', async () => {
		const dropped = await runEditImage(server, rows('dropped [resetx1]'), { options: { maxRetries: 3 }, onError: 'continueRegularOutput' });
		expect(errorMessage(dropped.result[0])).toMatch(/may have been completed and billed, so it was not sent again/);
		expect(edits(server)).toHaveLength(1);

		server.reset();
		const retried = await runEditImage(server, rows('dropped again [resetx1]'), { options: { maxRetries: 3, retryOnUnknownOutcome: true } });
		expect(retried.error?.message).toBeUndefined();
		expect(edits(server).map((request) => request.files!.length)).toEqual([1, 1]);
	});
});

describe('streaming', () => {
	test('Stream with Partial Images: the image_edit events become preview items before the edited image', async () => {
		const rows = [{ json: { prompt: 'dusk [event-gap:20]' }, binary: { data: file(redPng, 'image/png', 'a.png') } }];
		const run = await runEditImage(server, rows, { options: { stream: true, partialImages: 2, size: '1024x1536', fileName: 'dusk' } });

		expect(run.error?.message).toBeUndefined();
		const [request] = edits(server);
		expect(request.headers.accept).toBe('text/event-stream');
		expect(request.body).toMatchObject({ stream: 'true', partial_images: '2' });
		expect(run.result.map((item) => [item.pairedItem, item.json.partialImageIndex, item.binary?.data.fileName])).toEqual([
			[{ item: 0 }, 0, 'dusk_partial0.png'],
			[{ item: 0 }, 1, 'dusk_partial1.png'],
			[{ item: 0 }, undefined, 'dusk.png'],
		]);
		const final = await binaryBuffer(run.result[2], 'data');
		expect(imageDimensions(final)).toEqual({ width: 1024, height: 1536 });
		expect(close(await centre(final), negated(RED))).toBe(true);
		expect(run.result[2].json.usage).toMatchObject({ total_tokens: expect.any(Number) });
	});

	test('Stream follows its rules for edits too: GIF output is never streamed', async () => {
		const rows = [{ json: { prompt: 'p' }, binary: { data: file(redPng, 'image/png', 'a.png') } }];
		const run = await runEditImage(server, rows, {
			model: 'gpt-image-2.6-flare',
			options: { outputFormat: 'gif', extraBody: '{"stream": true}' },
		});
		expect(run.error?.message).toMatch(/^\[item 0\] Options › Stream: true \(from Extra Body Fields\) is not accepted with the gif output format/);
		expect(edits(server)).toHaveLength(0);
	});
});
