/**
 * The Create Image node inside n8n's engine (WorkflowExecute), against the project's image
 * server on loopback: outputs, result formats, files, expressions, errors and secrets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { startImageServer, type ImageServer } from './server';
import { binaryBuffer, runWorkflow, testCredential } from './helpers/engine';
import { generations, imageDimensions, runCreateImage, errorMessage, itemError } from './workflow';
import { justBefore, restoreClock, pinClock, startOf } from './helpers/clock';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

describe('outputs', () => {
	test('one image per item on Result, in input order, and every input item on Configuration', async () => {
		const rows = [
			{ prompt: 'a red fox in snow', slug: 'fox' },
			{ prompt: 'a lighthouse at dawn', slug: 'lighthouse' },
			{ prompt: 'a bowl of ramen', slug: 'ramen' },
		];
		const run = await runCreateImage(server, rows, { options: { size: '1536x1024' } });

		expect(run.status).toBe('success');
		expect(run.result.map((item) => item.json.prompt)).toEqual(rows.map((row) => row.prompt));
		expect(run.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		for (const [index, item] of run.result.entries()) {
			expect(item.json).toMatchObject({ index: 0, model: 'gpt-image-2', size: '1536x1024', outputFormat: 'png' });
			expect(item.json.requestId).toMatch(/^req_/);
			expect(new Date(item.json.createdAt as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
			expect(item.json.usage).toMatchObject({ total_tokens: expect.any(Number) });
			expect(JSON.stringify(item.json)).not.toContain('b64_json');
			const binary = item.binary!.data;
			expect(binary).toMatchObject({ mimeType: 'image/png', fileName: `image_${index}_0.png`, fileExtension: 'png' });
			const bytes = await binaryBuffer(item, 'data');
			expect(bytes.subarray(0, 4)).toEqual(PNG);
			expect(imageDimensions(bytes)).toEqual({ width: 1536, height: 1024 });
		}
		expect(run.configuration).toEqual(rows.map((json, item) => ({ json, pairedItem: { item } })));
		expect(generations(server).map((r) => r.body)).toEqual(
			rows.map((row) => ({ model: 'gpt-image-2', prompt: row.prompt, size: '1536x1024' })),
		);
	});

	test('Raw Response gives one row per request with body and status, error answers included', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'a cat' }, { prompt: 'a cat [moderation]' }, { prompt: 'a dog [status:503]' }],
			{ resultFormat: 'rawResponse', options: { maxRetries: 0 } },
		);

		expect(run.status).toBe('success');
		expect(run.result.map((row) => row.json.status)).toEqual([200, 400, 503]);
		expect(run.result.map((row) => row.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const [ok, blocked] = run.result.map((row) => row.json.body as { data?: Array<{ b64_json: string }>; error?: { code: string } });
		expect(Buffer.from(ok.data![0].b64_json, 'base64').subarray(0, 4)).toEqual(PNG);
		expect(blocked.error!.code).toBe('moderation_blocked');
		expect(run.result.every((row) => row.binary === undefined)).toBe(true);
	});

	test('an empty input gives empty outputs and sends nothing', async () => {
		const run = await runCreateImage(server, []);
		expect(run.result).toEqual([]);
		expect(generations(server)).toHaveLength(0);
	});
});

describe('per-item expressions', () => {
	test('model, size, quality and file name resolve for each item', async () => {
		const rows = [
			{ prompt: 'square', model: 'gpt-image-2', size: '1024x1024', quality: 'low', name: 'square.png' },
			{ prompt: 'wide', model: 'gpt-image-1.5', size: '1536x1024', quality: 'high', name: 'wide' },
			{ prompt: 'classic', model: 'dall-e-2', size: '256x256', quality: 'standard', name: 'classic' },
		];
		const run = await runCreateImage(server, rows, {
			model: { __rl: true, mode: 'id', value: '={{ $json.model }}' },
			options: { size: '={{ $json.size }}', quality: '={{ $json.quality }}', fileName: '={{ $json.name }}' },
		});

		expect(run.status).toBe('success');
		expect(generations(server).map((r) => { const body = r.body as Record<string, unknown>; return [body.model, body.size, body.quality]; })).toEqual(
			rows.map((row) => [row.model, row.size, row.quality]),
		);
		expect(run.result.map((item) => item.binary!.data.fileName)).toEqual(['square.png', 'wide.png', 'classic.png']);
		for (const [index, item] of run.result.entries()) {
			const [width, height] = rows[index].size.split('x').map(Number);
			expect(imageDimensions(await binaryBuffer(item, 'data'))).toEqual({ width, height });
		}
	});
});

describe('files', () => {
	test.each([
		['jpeg', 'image/jpeg', 'jpg'],
		['webp', 'image/webp', 'webp'],
		['png', 'image/png', 'png'],
	])('output format %s gives a %s file named .%s', async (outputFormat, mimeType, extension) => {
		const run = await runCreateImage(server, [{ prompt: 'a kite' }], {
			options: { outputFormat, size: '1024x1536', binaryPropertyName: 'image' },
		});
		const item = run.result[0];
		expect(item.binary!.image).toMatchObject({ mimeType, fileName: `image_0_0.${extension}` });
		const bytes = await binaryBuffer(item, 'image');
		expect(imageDimensions(bytes)).toEqual({ width: 1024, height: 1536 });
		expect(Number(item.binary!.image.fileSize?.replace(/[^\d.]/g, ''))).toBeGreaterThan(0);
	});

	test('a dot in the user file name is not taken for an extension', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a portrait' }], { options: { fileName: 'portrait.v2', outputFormat: 'jpeg' } });
		expect(run.result[0].binary!.data.fileName).toBe('portrait.v2.jpg');
	});

	test('several images of one item get their index in order, with the user file name', async () => {
		const run = await runCreateImage(server, [{ prompt: 'four tiles' }], {
			options: { n: 4, size: '1024x1024', fileName: 'tile.png' },
		});
		expect(run.result.map((item) => [item.json.index, item.binary!.data.fileName, item.pairedItem])).toEqual([
			[0, 'tile_0.png', { item: 0 }],
			[1, 'tile_1.png', { item: 0 }],
			[2, 'tile_2.png', { item: 0 }],
			[3, 'tile_3.png', { item: 0 }],
		]);
		expect(generations(server)).toHaveLength(1);
		// usage is per request: on its first image only, so that a sum over items is right
		expect(run.result.map((item) => item.json.usage !== undefined)).toEqual([true, false, false, false]);
	});
});

describe('DALL-E', () => {
	test('dall-e-3 with n=3 sends three requests of one image and merges them in order', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a koi pond' }], {
			model: 'dall-e-3',
			options: { n: 3, size: '1792x1024', quality: 'hd', style: 'natural', responseFormat: 'b64_json' },
		});
		expect(run.status).toBe('success');
		expect(generations(server).map((r) => r.body)).toEqual(
			Array(3).fill({ model: 'dall-e-3', prompt: 'a koi pond', n: 1, size: '1792x1024', quality: 'hd', style: 'natural', response_format: 'b64_json' }),
		);
		expect(run.result.map((item) => item.json.index)).toEqual([0, 1, 2]);
		expect(run.result.every((item) => typeof item.json.revisedPrompt === 'string')).toBe(true);
		for (const item of run.result) expect(imageDimensions(await binaryBuffer(item))).toEqual({ width: 1792, height: 1024 });
	});

	test('returned URLs are downloaded into the binary without the API key', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a paper boat' }], { model: 'dall-e-2', options: { size: '512x512' } });
		expect(run.status).toBe('success');
		const item = run.result[0];
		expect(item.json.url).toMatch(new RegExp(`^${server.url}/files/`));
		// A server other than OpenAI's or Azure's documents no lifetime for its URLs.
		expect(item.json).not.toHaveProperty('expiresAt');
		expect(imageDimensions(await binaryBuffer(item))).toEqual({ width: 512, height: 512 });
		const downloads = server.requests.filter((r) => r.kind === 'file');
		expect(downloads).toHaveLength(1);
		expect(downloads[0].headers.authorization).toBeUndefined();
		expect(JSON.stringify(downloads[0].headers)).not.toContain(server.apiKey);
		expect(generations(server)[0].headers.authorization).toBe(`Bearer ${server.apiKey}`);
	});

	// Dated verdicts pin the node's clock (test/helpers/clock.ts); every dated row, the day before
	// and the day of: test/clock.test.ts.
	test('a model whose retirement date has not come is not called retired', async () => {
		server.set({ retiredModels: { 'gpt-image-1-mini': '' } });
		pinClock(justBefore('2026-12-01'));
		try {
			const run = await runCreateImage(server, [{ prompt: 'still here?' }], { model: 'gpt-image-1-mini' });
			expect(run.status).toBe('error');
			expect(run.error?.message).toMatch(/gpt-image-1-mini/);
			expect(run.error?.message).not.toMatch(/retired/);
		} finally {
			restoreClock();
			server.set({ retiredModels: {} });
		}
	});

	test('a retired model: the error says when it was retired and what replaces it', async () => {
		server.set({ retiredModels: { 'dall-e-3': 'shut down' } });
		pinClock(startOf('2026-05-12'));
		try {
			const run = await runCreateImage(server, [{ prompt: 'an old request' }], { model: 'dall-e-3' });
			expect(run.status).toBe('error');
			// The image server is not OpenAI's: its own words lead, OpenAI's retirement follows as OpenAI's fact.
			expect(run.error?.message).toBe('shut down (note: OpenAI retired its model "dall-e-3" on 2026-05-12 and names gpt-image-2 as its replacement)');
		} finally {
			restoreClock();
			server.set({ retiredModels: {} });
		}
	});
});

describe('validation before any request', () => {
	const cases: Array<[string, string, Record<string, unknown>, string, RegExp]> = [
		['empty prompt', 'gpt-image-2', {}, '', /\[item 1\] Prompt: is empty/],
		['prompt over dall-e-2 limit', 'dall-e-2', {}, 'x'.repeat(1001), /\[item 1\] Prompt: is 1,001 characters long; dall-e-2 takes at most 1,000/],
		['gpt-image-2 size not a multiple of 16', 'gpt-image-2', { size: '1000x1000' }, 'ok', /Size: "1000x1000" is not accepted by gpt-image-2: both edges must be multiples of 16/],
		['gpt-image-2 aspect ratio', 'gpt-image-2', { size: '3840x1024' }, 'ok', /aspect ratio must be between 1:3 and 3:1/],
		['gpt-image-1 family size', 'gpt-image-1-mini', { size: '2048x2048' }, 'ok', /"2048x2048" is not accepted by gpt-image-1-mini; accepted: auto, 1024x1024, 1536x1024, 1024x1536/],
		['dall-e-3 size', 'dall-e-3', { size: '512x512' }, 'ok', /accepted: 1024x1024, 1792x1024, 1024x1792/],
		['dall-e-3 quality', 'dall-e-3', { quality: 'high' }, 'ok', /Quality: "high" is not accepted by dall-e-3; accepted: standard, hd/],
		['gpt-image quality', 'gpt-image-2', { quality: 'hd' }, 'ok', /accepted: auto, low, medium, high/],
		['n out of range', 'dall-e-2', { n: 11 }, 'ok', /Number of Images: 11 is not accepted; dall-e-2 takes 1 to 10/],
		// (the panel offers Output Compression only with jpeg or webp; an expression can still say png)
		['compression with png', 'gpt-image-2', { outputFormat: 'png', outputCompression: 50 }, 'ok', /Output Compression: applies to the jpeg and webp output formats only/],
		['transparent with jpeg', 'gpt-image-2', { background: 'transparent', outputFormat: 'jpeg' }, 'ok', /Background: "transparent" needs the png or webp output format/],
		['style on a GPT image model', 'gpt-image-2', { style: 'vivid' }, 'ok', /Style: "vivid" is not accepted: gpt-image-2 does not take this option/],
		['response format on a GPT image model', 'gpt-image-1.5', { responseFormat: 'url' }, 'ok', /GPT image models always return base64/],
		['output format on dall-e', 'dall-e-3', { outputFormat: 'webp' }, 'ok', /Output Format: "webp" is not accepted: dall-e-3 does not take this option/],
		['xhigh quality before 2.5', 'gpt-image-2', { quality: 'xhigh' }, 'ok', /"xhigh" is not accepted by gpt-image-2/],
		['extra body not an object', 'gpt-image-2', { extraBody: '[1,2]' }, 'ok', /Extra Body Fields \(JSON\): expected a JSON object/],
		['n through extra body', 'dall-e-3', { extraBody: '{"n": 25}' }, 'ok', /Number of Images: 25 \(from Extra Body Fields\) is not accepted; dall-e-3 takes 1 to 10/],
	];

	test.each(cases)('%s fails the node, naming the item, field, value and what is accepted, and sends nothing', async (_name, model, options, prompt, message) => {
		const run = await runCreateImage(server, [{ prompt: 'fine' }, { prompt }], {
			model: { __rl: true, mode: 'id', value: '={{ $itemIndex === 1 ? ' + JSON.stringify(model) + ' : "gpt-image-2" }}' },
			options: Object.fromEntries(Object.entries(options).map(([key, value]) => [key, `={{ $itemIndex === 1 ? ${JSON.stringify(value)} : undefined }}`])),
		});
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(message);
		expect(server.requests).toHaveLength(0);
	});

	test.each([
		['gpt-image-2', { size: '3840x2160', quality: 'high', outputFormat: 'webp', outputCompression: 80, background: 'opaque', moderation: 'low', n: 2, user: 'u-1' }],
		['gpt-image-2', { size: '2048x1152', background: 'transparent', outputFormat: 'png' }],
		['gpt-image-2.5-flare', { quality: 'xhigh', size: '1024x1024' }],
		['gpt-image-2.5-sunburst', { quality: 'max' }],
		['gpt-image-1', { size: '1536x1024', quality: 'medium', outputFormat: 'jpeg', outputCompression: 0 }],
		['chatgpt-image-latest', { size: 'auto' }],
		['dall-e-3', { size: '1024x1792', quality: 'standard', style: 'vivid', responseFormat: 'url' }],
		['dall-e-2', { size: '256x256', n: 10, responseFormat: 'b64_json' }],
		// OpenAI's published schema (the image server's judge) takes free sizes but only its quality values.
		['a-model-nobody-knows-yet', { size: '999x777', quality: 'xhigh' }],
	])('%s with %j is accepted by the node and by the server', async (model, options) => {
		const run = await runCreateImage(server, [{ prompt: 'a test card' }], { model, options });
		expect(run.error?.message).toBeUndefined();
		expect(run.status).toBe('success');
		expect(run.result.length).toBe((options as { n?: number }).n ?? 1);
		expect(generations(server)[0].body).toMatchObject({ model, prompt: 'a test card' });
		expect(generations(server)[0].body).not.toHaveProperty(model.startsWith('dall-e') ? 'output_format' : 'response_format');
	});

	test('with continue-on-fail only the bad item becomes an error item; the others run', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'one', size: '1024x1024' }, { prompt: 'two', size: '1000x1000' }, { prompt: 'three', size: '1024x1024' }],
			{ options: { size: '={{ $json.size }}' }, onError: 'continueRegularOutput' },
		);
		expect(run.status).toBe('success');
		expect(run.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(errorMessage(run.result[1])).toMatch(/\[item 1\] Options › Size: "1000x1000"/);
		expect(run.result[1].binary).toBeUndefined();
		expect(generations(server).map((r) => (r.body as { prompt: string }).prompt)).toEqual(['one', 'three']);
	});
});

describe('API errors', () => {
	test('stop on error: NodeApiError with the API message, code and status, naming the item', async () => {
		const run = await runCreateImage(server, [{ prompt: 'fine' }, { prompt: 'blocked [moderation]' }]);
		expect(run.status).toBe('error');
		const error = run.nodeError('Create Image') as unknown as { message: string; description: string; httpCode: string; context: { itemIndex: number } };
		expect(error.message).toMatch(/safety system|moderation|rejected/i);
		expect(error.description).toMatch(/HTTP 400.*code: moderation_blocked/);
		expect(error.httpCode).toBe('400');
		expect(error.context.itemIndex).toBe(1);
	});

	test('continueRegularOutput: the failed item is an error item on Result, in order, with its pairedItem', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'one' }, { prompt: 'two [moderation]' }, { prompt: 'three' }],
			{ onError: 'continueRegularOutput' },
		);
		expect(run.status).toBe('success');
		expect(run.result.map((item) => [Boolean(item.binary), item.pairedItem])).toEqual([
			[true, { item: 0 }],
			[false, { item: 1 }],
			[true, { item: 2 }],
		]);
		expect(errorMessage(run.result[1])).toMatch(/safety|moderation|rejected/i);
		expect(run.configuration).toHaveLength(3);
	});

	test('continueErrorOutput: the failed item goes to the error output, the rest to Result', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'one' }, { prompt: 'two [moderation]' }, { prompt: 'three' }],
			{ onError: 'continueErrorOutput' },
		);
		expect(run.status).toBe('success');
		expect(run.result.map((item) => item.json.prompt)).toEqual(['one', 'three']);
		expect(run.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 2 }]);
		expect(run.errors).toHaveLength(1);
		expect(run.errors[0].pairedItem).toEqual({ item: 1 });
		expect(errorMessage(run.errors[0])).toMatch(/safety|moderation|rejected/i);
		expect(run.configuration.map((item) => item.json.prompt)).toEqual(['one', 'two [moderation]', 'three']);
	});

	test('error bodies that are not OpenAI-shaped become clear errors with the status and text', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'proxy [html502]' }, { prompt: 'text [plaintext500]' }],
			{ onError: 'continueRegularOutput', options: { maxRetries: 0 } },
		);
		expect(run.result.map((item) => errorMessage(item))).toEqual([expect.stringMatching(/502 Bad Gateway/), expect.any(String)]);
		expect(JSON.stringify(run.result)).not.toContain('[object Object]');
		expect(itemError(run.result[1])).toMatchObject({ status: 500, description: expect.stringMatching(/HTTP 500/) });
	});
});

describe('secrets', () => {
	test('the API key appears in no output, error or run data; a bad key gives a clear 401', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'fine' }, { prompt: 'blocked [moderation]' }, { prompt: 'gone [status:500]' }],
			{ onError: 'continueRegularOutput', options: { maxRetries: 0 } },
		);
		expect(run.result).toHaveLength(3);
		expect(JSON.stringify(run.run)).not.toContain(server.apiKey);

		const wrongKey = 'sk-wrong-key-abcdef0123456789';
		const denied = await runCreateImage(server, [{ prompt: 'fine' }], {}, {
			credentials: { openAiImagesApi: { apiKey: wrongKey, baseUrl: server.baseUrl } },
		});
		expect(denied.status).toBe('error');
		expect(denied.error?.message).toMatch(/api key/i);
		expect((denied.nodeError('Create Image') as unknown as { httpCode: string }).httpCode).toBe('401');
		expect(JSON.stringify(denied.run)).not.toContain(wrongKey);
		expect(JSON.stringify(denied.run)).not.toContain(wrongKey.slice(3, 15));
	});
});

describe('credential', () => {
	test.each([
		['the base URL', (s: ImageServer) => s.baseUrl],
		['a trailing slash', (s: ImageServer) => `${s.baseUrl}/`],
		['a bare host', (s: ImageServer) => s.url],
	])('the test request lists models with %s', async (_name, baseUrl) => {
		const ok = await testCredential('openAiImagesApi', { apiKey: server.apiKey, baseUrl: baseUrl(server) });
		expect(ok.status).toBe('OK');
		expect(server.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
	});

	test('a wrong key fails the test', async () => {
		const result = await testCredential('openAiImagesApi', { apiKey: 'sk-nope', baseUrl: server.baseUrl });
		expect(result.status).toBe('Error');
	});

	test('a bare host base URL also works for generations', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a bare host' }], {}, {
			credentials: { openAiImagesApi: { apiKey: server.apiKey, baseUrl: `${server.url}/` } },
		});
		expect(run.status).toBe('success');
		expect(generations(server)[0].path).toBe('/v1/images/generations');
	});
});

describe('the example workflow', () => {
	test("its Create Image node runs as shipped on the Prompts node's items", async () => {
		const example = JSON.parse(readFileSync(join(__dirname, '..', 'examples', 'create-images.workflow.json'), 'utf8')) as {
			nodes: Array<{ name: string; type: string; parameters: Record<string, unknown> }>;
		};
		const node = example.nodes.find((n) => n.type === 'n8n-nodes-create-image.createImage')!;
		const prompts = JSON.parse(example.nodes.find((n) => n.name === 'Prompts')!.parameters.jsonOutput as string).prompts as Array<{ slug: string; size: string }>;
		const run = await runWorkflow({
			nodes: [{ ...node, credentials: { openAiImagesApi: { id: '1', name: 'Image server' } } } as never],
			connections: {},
			startNode: node.name,
			input: prompts.map((json) => ({ json })),
			credentials: { openAiImagesApi: { apiKey: server.apiKey, baseUrl: server.baseUrl } },
		});
		expect(run.status).toBe('success');
		const [result, configuration] = run.outputs(node.name);
		expect(result.map((item) => item.binary!.data.fileName)).toEqual(prompts.map((p) => `${p.slug}.png`));
		for (const [index, item] of result.entries()) {
			const [width, height] = prompts[index].size.split('x').map(Number);
			expect(imageDimensions(await binaryBuffer(item))).toEqual({ width, height });
		}
		expect(configuration.map((item) => item.json)).toEqual(prompts);
	});
});
