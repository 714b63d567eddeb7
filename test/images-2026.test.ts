/**
 * What the Images API added in 2026 (openai 7.59.0 images.d.ts), through n8n's engine against
 * the image server: complexity, safety_identifier, GIF (frame_count, frame_duration_ms), SVG
 * (svg.model, svg.reasoning.effort), svg_usage, and the rules checked before any request.
 */
import sharp from 'sharp';

import { startImageServer, type ImageServer } from './server';
import { SVG_PROLOG } from './server/lies';
import { binaryBuffer } from './helpers/engine';
import { generations, runCreateImage } from './workflow';
import { pinClock, restoreClock, startOf } from './helpers/clock';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

describe('sent as the reference names them', () => {
	test('complexity and safety_identifier, with user kept as it is', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a map of the harbour' }], {
			options: { complexity: 'high', safetyIdentifier: 'hash-123', user: 'old-id' },
		});
		expect(run.error?.message).toBeUndefined();
		expect(generations(server)[0].body).toEqual({
			model: 'gpt-image-2',
			prompt: 'a map of the harbour',
			complexity: 'high',
			safety_identifier: 'hash-123',
			user: 'old-id',
		});
		// The answer's effective identifier is the item's metadata.
		expect(run.result[0].json.safetyIdentifier).toBe('hash-123');
	});

	test('streamed: the completed event\'s safety_identifier is on the final image, not on the partial ones', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a kite' }], { options: { stream: true, partialImages: 1, safetyIdentifier: 'hash-9' } });
		expect(run.error?.message).toBeUndefined();
		expect(run.result.map((item) => [item.json.partialImageIndex ?? null, item.json.safetyIdentifier ?? null])).toEqual([
			[0, null],
			[null, 'hash-9'],
		]);
	});

	test('with only user set, the answer echoes it as the safety identifier', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a kite' }], { options: { user: 'old-id' } });
		expect(generations(server)[0].body).not.toHaveProperty('safety_identifier');
		expect(run.result[0].json.safetyIdentifier).toBe('old-id');
	});

	test('a GIF: frame_count and frame_duration_ms (numeric text from expressions), a real animated GIF file', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a waving flag', frames: '4', ms: '150' }], {
			model: 'gpt-image-2.6-flare',
			options: { outputFormat: 'gif', size: '1024x1024', frameCount: '={{ $json.frames }}', frameDurationMs: '={{ $json.ms }}', fileName: 'flag' },
		});
		expect(run.error?.message).toBeUndefined();
		expect(generations(server)[0].body).toEqual({
			model: 'gpt-image-2.6-flare',
			prompt: 'a waving flag',
			output_format: 'gif',
			size: '1024x1024',
			frame_count: 4,
			frame_duration_ms: 150,
		});
		const item = run.result[0];
		expect(item.binary!.data).toMatchObject({ mimeType: 'image/gif', fileName: 'flag.gif', fileExtension: 'gif' });
		expect(item.json).toMatchObject({ outputFormat: 'gif' });
		const bytes = await binaryBuffer(item, 'data');
		expect(bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
		const meta = await sharp(bytes, { animated: true }).metadata();
		expect({ pages: meta.pages, width: meta.width, pageHeight: meta.pageHeight, delay: meta.delay }).toEqual({
			pages: 4,
			width: 1024,
			pageHeight: 1024,
			delay: [150, 150, 150, 150],
		});
	});

	test('an SVG that begins with an XML declaration, a comment and a DOCTYPE is still an SVG file', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a flat logo of a heron [lie:svg-prolog]' }], { model: 'gpt-image-2.6-flare', options: { outputFormat: 'svg' } });
		expect(run.error?.message).toBeUndefined();
		const item = run.result[0];
		expect(item.binary!.data).toMatchObject({ mimeType: 'image/svg+xml', fileName: 'image_0_0.svg' });
		expect(item.json.outputFormat).toBe('svg');
		const text = (await binaryBuffer(item, 'data')).toString('utf8');
		expect(text.startsWith(SVG_PROLOG)).toBe(true);
		expect(text.slice(SVG_PROLOG.length)).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
	});

	test('an SVG: the nested svg object, a real SVG file, svgUsage on the image', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a flat logo of a fox' }], {
			model: 'gpt-image-2.6-sunburst',
			options: { outputFormat: 'svg', svgModel: 'gpt-5', svgReasoningEffort: 'minimal', complexity: 'low' },
		});
		expect(run.error?.message).toBeUndefined();
		expect(generations(server)[0].body).toEqual({
			model: 'gpt-image-2.6-sunburst',
			prompt: 'a flat logo of a fox',
			output_format: 'svg',
			complexity: 'low',
			svg: { model: 'gpt-5', reasoning: { effort: 'minimal' } },
		});
		const item = run.result[0];
		expect(item.binary!.data).toMatchObject({ mimeType: 'image/svg+xml', fileName: 'image_0_0.svg', fileExtension: 'svg' });
		expect((await binaryBuffer(item, 'data')).toString('utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
		expect(item.json.svgUsage).toEqual({
			input_tokens: expect.any(Number),
			output_tokens: expect.any(Number),
			reasoning_tokens: expect.any(Number),
			total_tokens: expect.any(Number),
			model: 'gpt-5',
		});
	});

	test('SVG makes one image per request: 3 images are 3 requests with n = 1, merged in order', async () => {
		const run = await runCreateImage(server, [{ prompt: 'three icons' }], {
			model: 'gpt-image-2.6-flare',
			options: { outputFormat: 'svg', n: 3 },
		});
		expect(run.error?.message).toBeUndefined();
		expect(generations(server).map((request) => (request.body as { n?: number }).n)).toEqual([1, 1, 1]);
		expect(run.result.map((item) => item.json.index)).toEqual([0, 1, 2]);
		expect(run.result.map((item) => item.binary!.data.fileName)).toEqual(['image_0_0.svg', 'image_0_1.svg', 'image_0_2.svg']);
	});

	test.each([
		['gpt-image-2.5-sunburst-2026-09-08', { quality: 'max', size: '2048x1152' }],
		['gpt-image-2.5-flare-2026-09-08', { quality: 'xhigh' }],
		['gpt-image-2.6-flare', { outputFormat: 'gif', quality: 'high', size: '1536x1024' }],
		['gpt-image-1.5', { complexity: 'medium' }],
		['a-model-nobody-knows-yet', { complexity: 'low', safetyIdentifier: 'x' }],
	])('%s with %j is accepted by the node and by the server', async (model, options) => {
		const run = await runCreateImage(server, [{ prompt: 'a test card' }], { model, options });
		expect(run.error?.message).toBeUndefined();
		expect(run.result).toHaveLength(1);
	});
});

describe('refused before any request, naming the item, the field, the value and what is accepted', () => {
	const cases: Array<[string, string, Record<string, unknown>, RegExp]> = [
		['complexity value', 'gpt-image-2', { complexity: 'extreme' }, /\[item 1\] Options › Complexity: "extreme" is not accepted; accepted: low, medium, high/],
		['complexity value, unknown model too', 'my-own-model', { complexity: 'extreme' }, /Complexity: "extreme" is not accepted; accepted: low, medium, high/],
		['complexity on dall-e-3', 'dall-e-3', { complexity: 'low' }, /Complexity: "low" is not accepted: dall-e-3 does not take this option; remove it/],
		['frame count below 2', 'gpt-image-2.6-flare', { outputFormat: 'gif', frameCount: 1 }, /GIF Frame Count: 1 is not accepted; expected a whole number from 2 to 16/],
		['frame count above 16', 'gpt-image-2.6-flare', { outputFormat: 'gif', frameCount: 17 }, /GIF Frame Count: 17 is not accepted; expected a whole number from 2 to 16/],
		['frame count not whole', 'gpt-image-2.6-flare', { outputFormat: 'gif', frameCount: 2.5 }, /GIF Frame Count: 2.5 is not accepted/],
		['frame count without gif', 'gpt-image-2.6-flare', { outputFormat: 'png', frameCount: 4 }, /GIF Frame Count: 4 is not accepted: it applies only with output format gif, and the output format is png/],
		['frame duration negative', 'gpt-image-2.6-flare', { outputFormat: 'gif', frameDurationMs: -10 }, /GIF Frame Duration: -10 is not accepted; expected milliseconds per frame, a number of at least 0/],
		['frame duration without gif', 'gpt-image-2.6-flare', { outputFormat: 'jpeg', frameDurationMs: 100 }, /GIF Frame Duration: 100 is not accepted: it applies only with output format gif, and the output format is jpeg/],
		['svg model without svg', 'gpt-image-2.6-flare', { outputFormat: 'png', svgModel: 'gpt-5' }, /SVG Author Model: "gpt-5" is not accepted: it applies only with output format svg, and the output format is png/],
		['svg effort value', 'gpt-image-2.6-flare', { outputFormat: 'svg', svgModel: 'gpt-5', svgReasoningEffort: 'ultra' }, /SVG Reasoning Effort: "ultra" is not accepted; accepted: none, minimal, low, medium, high, xhigh, max/],
		['gif on gpt-image-2', 'gpt-image-2', { outputFormat: 'gif' }, /Output Format: "gif" is not accepted by gpt-image-2; accepted: png, jpeg, webp/],
		['svg on gpt-image-2.5', 'gpt-image-2.5-flare', { outputFormat: 'svg' }, /Output Format: "svg" is not accepted by gpt-image-2.5-flare; accepted: png, jpeg, webp/],
		['compression with svg', 'gpt-image-2.6-flare', { outputFormat: 'svg', outputCompression: 80 }, /Output Compression: applies to the jpeg and webp output formats only, and the output format is svg/],
		['compression with gif', 'gpt-image-2.6-flare', { outputFormat: 'gif', outputCompression: 80 }, /Output Compression: applies to the jpeg and webp output formats only, and the output format is gif/],
		['xhigh on 2.6 (the reference names 2.5 only)', 'gpt-image-2.6-flare', { quality: 'xhigh' }, /Quality: "xhigh" is not accepted by gpt-image-2.6-flare; accepted: auto, low, medium, high/],
		['max on gpt-image-2', 'gpt-image-2-2026-04-21', { quality: 'max' }, /Quality: "max" is not accepted by gpt-image-2-2026-04-21; accepted: auto, low, medium, high/],
		['a 2.6 size beyond the standard ones', 'gpt-image-2.6-sunburst', { size: '2048x2048' }, /Size: "2048x2048" is not accepted by gpt-image-2.6-sunburst; accepted: auto, 1024x1024, 1536x1024, 1024x1536/],
	];

	test.each(cases)('%s', async (_name, model, options, message) => {
		const run = await runCreateImage(server, [{ prompt: 'fine' }, { prompt: 'second' }], {
			model: { __rl: true, mode: 'id', value: '={{ $itemIndex === 1 ? ' + JSON.stringify(model) + ' : "gpt-image-2" }}' },
			options: Object.fromEntries(Object.entries(options).map(([key, value]) => [key, `={{ $itemIndex === 1 ? ${JSON.stringify(value)} : undefined }}`])),
		});
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(message);
		expect(server.requests).toHaveLength(0);
	});

	test('an option the panel hides for the chosen output format (a GIF frame count left from GIF, now PNG) is not sent', async () => {
		// n8n's engine drops collection entries whose display rules hide them, as the panel does.
		const run = await runCreateImage(server, [{ prompt: 'x' }], { model: 'gpt-image-2.6-flare', options: { outputFormat: 'png', frameCount: 4, svgModel: 'gpt-5' } });
		expect(run.error?.message).toBeUndefined();
		expect(generations(server)[0].body).toEqual({ model: 'gpt-image-2.6-flare', prompt: 'x', output_format: 'png' });
	});

	test('a retired gpt-image-1: the error names what the reference says replaces it', async () => {
		server.set({ retiredModels: { 'gpt-image-1': 'shut down' } });
		pinClock(startOf('2026-10-23'));
		try {
			const run = await runCreateImage(server, [{ prompt: 'an old request' }], { model: 'gpt-image-1' });
			expect(run.error?.message).toMatch(/retired its model "gpt-image-1" on 2026-10-23 and names gpt-image-2.5-sunburst or gpt-image-2.5-flare as its replacement/);
		} finally {
			restoreClock();
			server.set({ retiredModels: {} });
		}
	});
});
