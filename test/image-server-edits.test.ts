/**
 * The image server's POST /images/edits (test/server/edits.ts), checked with the official
 * openai SDK as the client (its multipart encoding: `image`, `image[]`, `mask`) and with
 * hand-made forms for what the SDK would not send.
 */
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import sharp from 'sharp';

import { startImageServer, type ImageServer } from './server';
import { apiError, centre, solid } from './helpers/openai-client';

let server: ImageServer;
let client: OpenAI;
beforeAll(async () => {
	server = await startImageServer();
	client = new OpenAI({ apiKey: server.apiKey, baseURL: server.baseUrl, maxRetries: 0 });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('openai SDK conformance', () => {
	test('one image: the first input recoloured (negated) at the requested size, with usage', async () => {
		const image = await toFile(await solid(1024, 1024, { r: 200, g: 30, b: 40 }), 'red.png', { type: 'image/png' });
		const answer = await client.images.edit({ model: 'gpt-image-2', image, prompt: 'night', size: '1536x1024' });
		const bytes = Buffer.from(answer.data![0].b64_json!, 'base64');
		expect(await sharp(bytes).metadata()).toMatchObject({ width: 1536, height: 1024, format: 'png' });
		expect(await centre(bytes)).toEqual([55, 225, 215]);
		expect(answer.usage?.total_tokens).toBeGreaterThan(0);
		expect(server.requests[0]).toMatchObject({ kind: 'edit', files: [{ name: 'image', fileName: 'red.png', contentType: 'image/png' }] });
		expect(server.stats.edits).toBe(1);
	});

	test('several images as image[]; size auto keeps the first image size; a mask of that size', async () => {
		const images = [
			await toFile(await solid(1536, 1024, { r: 10, g: 20, b: 30 }), 'a.png', { type: 'image/png' }),
			await toFile(await sharp(await solid(64, 64, { r: 0, g: 0, b: 0 })).jpeg().toBuffer(), 'b.jpg', { type: 'image/jpeg' }),
		];
		const mask = await toFile(await solid(1536, 1024, { r: 0, g: 0, b: 0 }, true), 'mask.png', { type: 'image/png' });
		const answer = await client.images.edit({ model: 'gpt-image-2', image: images, mask, prompt: 'combine' });
		expect(answer.size).toBe('1536x1024');
		expect(server.requests[0].files!.map((f) => [f.name, f.fileName])).toEqual([
			['image[]', 'a.png'],
			['image[]', 'b.jpg'],
			['mask', 'mask.png'],
		]);
	});

	test('streaming answers image_edit.* events', async () => {
		const image = await toFile(await solid(1024, 1024, { r: 1, g: 2, b: 3 }), 'a.png', { type: 'image/png' });
		const stream = await client.images.edit({ model: 'gpt-image-2', image, prompt: 'p', stream: true, partial_images: 1 });
		const types: string[] = [];
		for await (const event of stream) types.push(event.type);
		expect(types).toEqual(['image_edit.partial_image', 'image_edit.completed']);
	});

	test('Azure dated route through the AzureOpenAI client', async () => {
		const azure = new AzureOpenAI({ apiKey: server.apiKey, endpoint: server.url, apiVersion: '2025-04-01-preview', deployment: 'gpt-image-2', maxRetries: 0 });
		const image = await toFile(await solid(1024, 1024, { r: 1, g: 2, b: 3 }), 'a.png', { type: 'image/png' });
		const answer = await azure.images.edit({ model: 'gpt-image-2', image, prompt: 'p' });
		expect(answer.data).toHaveLength(1);
		expect(server.requests[0]).toMatchObject({ path: '/openai/deployments/gpt-image-2/images/edits', headers: { 'api-key': server.apiKey } });
	});
});

describe('what the API refuses', () => {
	const png = () => solid(1024, 1024, { r: 1, g: 2, b: 3 });

	test.each([
		['a mask of another size', async () => ({ mask: await toFile(await solid(512, 512, { r: 0, g: 0, b: 0 }, true), 'm.png', { type: 'image/png' }) }), 'mask', /same dimensions as the first image \(1024x1024\), but got 512x512/],
		['a mask without alpha', async () => ({ mask: await toFile(await png(), 'm.png', { type: 'image/png' }) }), 'mask', /alpha channel/],
		['input fidelity for gpt-image-2', async () => ({ input_fidelity: 'high' as const }), 'input_fidelity', /not supported for model 'gpt-image-2'/],
		['a JPEG mask', async () => ({ mask: await toFile(await sharp(await png()).jpeg().toBuffer(), 'm.jpg', { type: 'image/jpeg' }) }), 'mask', /unsupported mimetype \('image\/jpeg'\)/],
	])('%s', async (_name, extra, param, message) => {
		const image = await toFile(await png(), 'a.png', { type: 'image/png' });
		const error = await apiError(client.images.edit({ model: 'gpt-image-2', image, prompt: 'p', ...(await extra()) }));
		expect([error.status, (error.error as { param?: string }).param]).toEqual([400, param]);
		expect(error.message).toMatch(message);
	});

	type Parts = Array<[string, string | Blob, string?]>;
	const form = async (parts: Parts) => {
		const body = new FormData();
		for (const [name, value, fileName] of parts) {
			if (typeof value === 'string') body.append(name, value);
			else body.append(name, value, fileName);
		}
		const response = await fetch(`${server.baseUrl}/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}` }, body });
		return { status: response.status, body: (await response.json()) as { error: { message: string; param: string | null } } };
	};
	const file = async (type = 'image/png') => new Blob([await png()], { type });

	test.each([
		['no image', async () => [['prompt', 'p'], ['model', 'gpt-image-2']] as Parts, /Missing required parameter: 'image'/],
		['17 images', async () => [['prompt', 'p'], ...(await Promise.all(Array.from({ length: 17 }, async () => ['image[]', await file(), 'a.png'])))] as Parts, /maximum length 16, but got an array with length 17/],
		['style (generations only)', async () => [['prompt', 'p'], ['style', 'vivid'], ['image', await file(), 'a.png']] as Parts, /Unknown parameter: 'style'/],
		['mask and markup together', async () => [['prompt', 'p'], ['model', 'gpt-image-2.5-flare'], ['image', await file(), 'a.png'], ['mask', await file(), 'm.png'], ['markup', await file(), 'k.png']] as Parts, /'markup' cannot be combined with 'mask'/],
		['markup for gpt-image-2', async () => [['prompt', 'p'], ['model', 'gpt-image-2'], ['image', await file(), 'a.png'], ['markup', await file(), 'k.png']] as Parts, /'markup' is not supported for model 'gpt-image-2'/],
		['a GIF named .png', async () => [['prompt', 'p'], ['image', new Blob([await sharp(await png()).gif().toBuffer()], { type: 'image/png' }), 'a.png']] as Parts, /unsupported mimetype/],
		['dall-e-3', async () => [['prompt', 'p'], ['model', 'dall-e-3'], ['image', await file(), 'a.png']] as Parts, /does not support image edits/],
		['svg[reasoning][effort] without svg[model] (the reference: an svg object needs its model)', async () => [['prompt', 'p'], ['model', 'gpt-image-2.6-flare'], ['output_format', 'svg'], ['svg[reasoning][effort]', 'low'], ['image', await file(), 'a.png']] as Parts, /Missing required parameter: 'svg.model'/],
		['a size gpt-image-2 refuses (the generation rules apply)', async () => [['prompt', 'p'], ['model', 'gpt-image-2'], ['size', '1000x1000'], ['image', await file(), 'a.png']] as Parts, /divisible by 16/],
	])('%s', async (name, parts, message) => {
		const answer = await form(await parts());
		expect(answer.status).toBe(400);
		expect(answer.body.error.message).toMatch(message);
		// The outside judge (OpenAI's published CreateImageEditRequest; `image[]` parts read as the image array).
		const judged: Record<string, string[]> = {
			'no image': ["(body) must have required property 'image'"],
			'17 images': ['/image must NOT have more than 16 items'],
			'style (generations only)': ["(body) must NOT have additional property 'style'"],
		};
		expect(server.takeSchemaViolations().flatMap((v) => v.errors)).toEqual(judged[name] ?? []);
	});

	test('a JSON body is a JSON edit (image-server-files.test.ts): without images it is refused naming images', async () => {
		const response = await fetch(`${server.baseUrl}/images/edits`, {
			method: 'POST',
			headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
			body: JSON.stringify({ prompt: 'p', model: 'gpt-image-2' }),
		});
		expect(response.status).toBe(400);
		expect(((await response.json()) as { error: { message: string } }).error.message).toBe("Missing required parameter: 'images'.");
		expect(server.takeSchemaViolations().map((v) => [v.schema, v.errors])).toEqual([['EditImageBodyJsonParam', ["(body) must have required property 'images'"]]]);
	});
});
