/**
 * Issue 15, part 2: answers real servers sent, inside n8n's engine against the image server.
 * Streamed answers: a completed event with a url, a connection reset after the images arrived
 * (or after only some of them), event types given only by the SSE `event:` line, a stream that
 * "succeeds" without an image. Error text: an answer cut off inside `b64_json`, an event stream
 * where JSON was expected: described without image data, in the item's error and the tool's.
 */
import type { IDataObject } from 'n8n-workflow';

import { startImageServer, type ImageServer } from './server';
import { getImage } from './server/images';
import { binaryBuffer, loadPackageNodeTypes, runWorkflow } from './helpers/engine';
import { registerToolVariant } from './helpers/tool-variant';
import { errorMessage, generations, itemError, NODE_TYPE, openAiCredentials, runCreateImage } from './workflow';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	server.set({ latencyMs: 0, flavor: 'openai', imageMode: 'solid' });
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const attemptsOf = (prompt: string) => generations(server).filter((r) => (r.body as { prompt?: string })?.prompt === prompt);
/** A run of base64 long enough to be image data (the node elides runs of 40 or more). */
const BASE64_RUN = /[A-Za-z0-9+/]{40,}/;
const SSE = { 'content-type': 'text/event-stream; charset=utf-8' };

describe('a completed event with a url and no b64_json (a compatible server)', () => {
	test('the url is downloaded, without the key: one image, the same file as without streaming', async () => {
		const prompt = 'a lantern [stream-url]';
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 1 } });
		expect(run.error?.message).toBeUndefined();
		expect(run.result.map((item) => item.json.partialImageIndex)).toEqual([0, undefined]);
		const final = run.result[1];
		expect(final.json.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/img-/);
		const downloads = server.requests.filter((r) => r.kind === 'file');
		expect(downloads).toHaveLength(1);
		expect(downloads[0].headers.authorization).toBeUndefined();
		expect(generations(server)[0].headers.authorization).toBe(`Bearer ${server.apiKey}`);

		const plain = await runCreateImage(server, [{ prompt: 'a lantern' }]);
		const bytes = await binaryBuffer(final, 'data');
		expect(bytes.subarray(0, 4)).toEqual(PNG);
		expect(bytes.equals(await binaryBuffer(plain.result[0], 'data'))).toBe(true);
	});
});

describe('the connection reset after a whole completed event (a relay closing early)', () => {
	test.each([false, true])(
		'every image that arrived is delivered, the reset is no failure, nothing is sent again (Retry When Outcome Is Unknown %s)',
		async (retryOnUnknownOutcome) => {
			const prompt = `relay closes early ${String(retryOnUnknownOutcome)} [stream-reset:3]`;
			const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 2, maxRetries: 3, retryOnUnknownOutcome } });
			expect(run.error?.message).toBeUndefined();
			expect(run.status).toBe('success');
			expect(run.result.map((item) => [item.json.index, item.json.partialImageIndex])).toEqual([
				[0, 0],
				[0, 1],
				[0, undefined],
			]);
			expect((await binaryBuffer(run.result[2], 'data')).subarray(0, 4)).toEqual(PNG);
			expect(run.result[2].json.usage).toMatchObject({ total_tokens: expect.any(Number) });
			expect(attemptsOf(prompt)).toHaveLength(1);
			expect(attemptsOf(prompt)[0].eventsSent).toBe(3);
		},
	);

	test('a stream that falls silent after its only image: the image, once the timeout has passed; one request', async () => {
		const prompt = 'silent after the image [stream-stall:1]';
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, timeout: 1000, maxRetries: 2, retryOnUnknownOutcome: true } });
		expect(run.error?.message).toBeUndefined();
		expect(run.result.map((item) => item.json.index)).toEqual([0]);
		expect(attemptsOf(prompt)).toHaveLength(1);
	});

	test('n = 2, both completed events whole, then the reset: both images, one request', async () => {
		const prompt = 'two, then reset [stream-reset:2]';
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, n: 2, maxRetries: 3, retryOnUnknownOutcome: true } });
		expect(run.status).toBe('success');
		expect(run.result.map((item) => item.json.index)).toEqual([0, 1]);
		expect(attemptsOf(prompt)).toHaveLength(1);
	});

	test('reset after 1 of 2 images: the image that arrived is delivered, and the item has an error saying one is missing; nothing is sent again', async () => {
		const prompt = 'one of two [stream-reset:2]';
		// partial 0 of image 0, image 0, then the reset: image 1 never came.
		const run = await runCreateImage(server, [{ prompt }, { prompt: 'fine' }], {
			onError: 'continueRegularOutput',
			options: { stream: true, partialImages: 1, n: '={{ $json.prompt === "fine" ? 1 : 2 }}', maxRetries: 3, retryOnUnknownOutcome: true },
		});
		expect(run.status).toBe('success');
		expect(run.result.map((item) => [item.pairedItem, item.json.index ?? null, item.json.partialImageIndex ?? null, errorMessage(item) ?? null])).toEqual([
			[{ item: 0 }, 0, 0, null],
			[{ item: 0 }, 0, null, null],
			[
				{ item: 0 },
				null,
				null,
				expect.stringMatching(
					/^The event stream from http:\/\/127\.0\.0\.1:\d+ was cut after 1 of 2 images: the connection was reset\. Of this request, the image that arrived is delivered; the missing one may have been completed and billed, and was not asked for again/,
				),
			],
			[{ item: 1 }, 0, 0, null],
			[{ item: 1 }, 0, null, null],
		]);
		expect(itemError(run.result[2])).toMatchObject({ itemIndex: 0, outcomeUnknown: true, attempts: 1 });
		expect((await binaryBuffer(run.result[1], 'data')).subarray(0, 4)).toEqual(PNG);
		expect(attemptsOf(prompt)).toHaveLength(1);
	});

	test('the same with the error output: the image on Result, the error on the error output; with Stop Workflow the node fails saying so (1 of 3)', async () => {
		const prompt = 'one of two, error output [stream-reset:1]';
		const routed = await runCreateImage(server, [{ prompt }], { onError: 'continueErrorOutput', options: { stream: true, n: 2 } });
		expect(routed.result.map((item) => item.json.index)).toEqual([0]);
		expect(routed.errors.map((item) => [item.pairedItem, (item.json.error as IDataObject).message])).toEqual([
			[{ item: 0 }, expect.stringMatching(/was cut after 1 of 2 images/)],
		]);

		const stopped = await runCreateImage(server, [{ prompt: 'one of three, stop [stream-reset:1]' }], { options: { stream: true, n: 3 } });
		expect(stopped.status).toBe('error');
		expect(stopped.error?.message).toMatch(
			/was cut after 1 of 3 images: the connection was reset\. Of this request, the image that arrived is delivered; the missing 2 may have been completed and billed, and were not asked for again/,
		);
	});

	test('an error event after 1 of 2 images: the image is delivered beside the server\'s error; after all images an error event is no failure', async () => {
		const short = await runCreateImage(server, [{ prompt: 'then an error [stream-error:1]' }], { onError: 'continueRegularOutput', options: { stream: true, n: 2 } });
		expect(short.result.map((item) => [item.json.index ?? null, errorMessage(item) ?? null])).toEqual([
			[0, null],
			[null, 'The image could not be generated. Please try again. (after 1 of 2 images; the image that arrived is delivered)'],
		]);
		const after = await runCreateImage(server, [{ prompt: 'error after the last image [stream-error:1]' }], { options: { stream: true } });
		expect(after.status).toBe('success');
		expect(after.result).toHaveLength(1);
	});
});

describe('the event type only on the SSE event: line (payload without type)', () => {
	test('the event name is used: partial images and the final image, as with typed events', async () => {
		const prompt = 'untyped events [stream-untyped]';
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 2, n: 2 } });
		expect(run.status).toBe('success');
		expect(run.result.map((item) => [item.json.index, item.json.partialImageIndex])).toEqual([
			[0, 0],
			[0, 1],
			[0, undefined],
			[1, 0],
			[1, 1],
			[1, undefined],
		]);
		expect(run.result[2].json.usage).toMatchObject({ total_tokens: expect.any(Number) });
		expect((await binaryBuffer(run.result[5], 'data')).subarray(0, 4)).toEqual(PNG);
	});
});

describe('a request that succeeded but made no image is an error item, never a silent success', () => {
	test('a completed event with neither b64_json nor url', async () => {
		const event = { type: 'image_generation.completed', created_at: 1, size: '1024x1024', usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } };
		server.script({ status: 200, body: `event: image_generation.completed\ndata: ${JSON.stringify(event)}\n\n`, headers: SSE });
		const run = await runCreateImage(server, [{ prompt: 'nothing inside' }], { onError: 'continueRegularOutput', options: { stream: true } });
		expect(run.result.map(errorMessage)).toEqual([
			'[item 0] Unexpected answer from the API: the image_generation.completed event has no b64_json and no url: no image was made from it',
		]);
	});

	test('a completed event whose data is not JSON', async () => {
		server.script({ status: 200, body: 'event: image_generation.completed\ndata: not json\n\n', headers: SSE });
		const run = await runCreateImage(server, [{ prompt: 'not json' }], { onError: 'continueRegularOutput', options: { stream: true } });
		expect(run.result.map(errorMessage)).toEqual(['[item 0] Unexpected answer from the API: HTTP 200 with text/event-stream (8 bytes) instead of JSON: not json']);
	});

	test('a plain answer with an empty data list', async () => {
		server.script({ status: 200, body: { created: 1, data: [] } });
		const run = await runCreateImage(server, [{ prompt: 'empty' }], { onError: 'continueRegularOutput' });
		expect(run.result.map(errorMessage)).toEqual(['[item 0] Unexpected answer from the API: it holds no image (no "data" entries): {"created":1,"data":[]}']);
	});
});

describe('error text never carries image data', () => {
	/** A 200 JSON answer cut off inside b64_json, after `chars` base64 characters. */
	async function truncatedAnswer(chars: number): Promise<string> {
		const image = await getImage({ width: 256, height: 256, format: 'png', mode: 'noise' });
		return `{"created":1764428076,"data":[{"b64_json":"${image.b64.slice(0, chars)}`;
	}

	test('a 200 whose JSON is cut off inside b64_json: the item error says what came (type, length, start), base64 elided', async () => {
		const body = await truncatedAnswer(457);
		server.script({ status: 200, body, headers: { 'content-type': 'application/json' } });
		const run = await runCreateImage(server, [{ prompt: 'cut off' }], { onError: 'continueRegularOutput' });
		const message = errorMessage(run.result[0]);
		expect(message).toBe(
			`[item 0] Unexpected answer from the API: HTTP 200 with application/json (${body.length} bytes) instead of JSON: {"created":1764428076,"data":[{"b64_json":"…`,
		);
		expect(JSON.stringify(run.result[0].json)).not.toMatch(BASE64_RUN);
	});

	test('the same as an AI Agent tool: the error text for the model has no base64 either', async () => {
		const types = loadPackageNodeTypes();
		const toolType = registerToolVariant(types, NODE_TYPE);
		const body = await truncatedAnswer(457);
		server.script({ status: 200, body, headers: { 'content-type': 'application/json' } });
		const run = await runWorkflow({
			nodeTypes: types,
			nodes: [
				{
					name: 'Create Image Tool',
					type: toolType,
					parameters: { model: { __rl: true, mode: 'id', value: 'gpt-image-2' }, prompt: "={{ $fromAI('prompt', 'What the image should show', 'string') }}" },
					credentials: { openAiImagesApi: { id: '1', name: 'Image server' } },
				},
			],
			connections: {},
			startNode: 'Create Image Tool',
			input: [{ json: { prompt: 'cut off', toolCallId: 'call_1' } }],
			credentials: openAiCredentials(server),
		});
		const [answer] = run.outputs('Create Image Tool')[0];
		expect(answer.json.error).toBe(`Unexpected answer from the API: HTTP 200 with application/json (${body.length} bytes) instead of JSON: {"created":1764428076,"data":[{"b64_json":"…`);
		expect(JSON.stringify(answer.json)).not.toMatch(BASE64_RUN);
	});

	test('an event stream answering a request sent without Stream: no internal marker, no base64 in the message', async () => {
		const image = await getImage({ width: 64, height: 64, format: 'png', mode: 'noise' });
		const data = JSON.stringify({ type: 'image_generation.completed', b64_json: image.b64, created_at: 1 });
		const body = `event: image_generation.completed\ndata: ${data}\n\n`;
		server.script({ status: 200, body, headers: SSE });
		const run = await runCreateImage(server, [{ prompt: 'unasked stream' }], { onError: 'continueRegularOutput' });
		const message = errorMessage(run.result[0]) ?? '';
		expect(message).toBe(
			`[item 0] Unexpected answer from the API: HTTP 200 with text/event-stream (${body.length} bytes) instead of JSON: event: image_generation.completed data: {"type":"image_generation.completed","b64_json":"…","created_at":1}`,
		);
		expect(message).not.toMatch(/u0000|\u0000|image:0/);
		expect(message).not.toMatch(BASE64_RUN);
	});
});
