/**
 * Stream (`stream: true`) and Partial Images inside n8n's engine, against the image server's
 * event streams: items made from the events as they arrive, partial images before their final
 * image, Raw Response rows of events, the idle timeout (a silence is cut, a slow but steady
 * stream is not), error events, early ends, retries, cancellation, the concurrency bound, and
 * the rules checked before any request. No assertion depends on the machine's speed: times
 * are only compared with the server's own gaps and the configured timeout.
 */
import { PassThrough } from 'node:stream';

import { eventKind, readStreamedAnswer, StreamFailure } from '../nodes/shared/transport/stream';
import { startImageServer, type ImageServer } from './server';
import { binaryBuffer } from './helpers/engine';
import { generations, imageDimensions, runCreateImage, errorMessage, itemError } from './workflow';

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
type Event = { type: string; b64_json?: string; partial_image_index?: number; usage?: unknown; error?: { message: string } };

describe('images from the event stream', () => {
	test('partial images come as items before their final image, with partialImageIndex; the final image is as without streaming', async () => {
		server.set({ imageMode: 'noise' });
		const prompt = 'a heron at dusk [event-gap:50]';
		const streamed = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 2, size: '1024x1536', quality: 'low' } });
		const plain = await runCreateImage(server, [{ prompt }], { options: { size: '1024x1536', quality: 'low' } });

		expect(streamed.status).toBe('success');
		expect(generations(server)[0].body).toEqual({ model: 'gpt-image-2', prompt, size: '1024x1536', quality: 'low', stream: true, partial_images: 2 });
		expect(generations(server)[0].headers.accept).toBe('text/event-stream');
		expect(streamed.result.map((item) => [item.json.index, item.json.partialImageIndex, item.binary?.data.fileName])).toEqual([
			[0, 0, 'image_0_0_partial0.png'],
			[0, 1, 'image_0_0_partial1.png'],
			[0, undefined, 'image_0_0.png'],
		]);
		expect(streamed.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }, { item: 0 }]);
		const [first, second, final] = await Promise.all(streamed.result.map(async (item) => await binaryBuffer(item, 'data')));
		for (const bytes of [first, second, final]) {
			expect(bytes.subarray(0, 4)).toEqual(PNG);
			expect(imageDimensions(bytes)).toEqual({ width: 1024, height: 1536 });
		}
		// Previews are blurrier: smaller files than the final image, and not the same picture.
		expect(first.length).toBeLessThan(final.length);
		expect(first.equals(second)).toBe(false);

		// The final image: the same file and metadata as the same request without streaming.
		const without = (json: object, ...keys: string[]) => Object.fromEntries(Object.entries(json).filter(([key]) => !keys.includes(key)));
		const finalJson = streamed.result[2].json;
		expect(without(finalJson, 'createdAt', 'requestId')).toEqual(without(plain.result[0].json, 'createdAt', 'requestId'));
		expect(finalJson).toMatchObject({ size: '1024x1536', quality: 'low', background: 'opaque', outputFormat: 'png', usage: { total_tokens: expect.any(Number) } });
		expect(finalJson.requestId).toMatch(/^req_/);
		expect(final.equals(await binaryBuffer(plain.result[0], 'data'))).toBe(true);
		for (const partial of streamed.result.slice(0, 2)) {
			expect(partial.json).not.toHaveProperty('usage');
			expect(partial.json).toMatchObject({ prompt, model: 'gpt-image-2', size: '1024x1536', outputFormat: 'png' });
		}
	});

	test('several images: each final image keeps its own index, usage and file name, its partial images before it', async () => {
		const run = await runCreateImage(server, [{ prompt: 'two koi' }, { prompt: 'one crane' }], {
			options: { stream: true, partialImages: 1, n: '={{ $json.prompt === "two koi" ? 2 : 1 }}', fileName: '={{ $json.prompt.replace(" ", "-") }}' },
		});
		expect(run.status).toBe('success');
		expect(run.result.map((item) => [item.pairedItem, item.json.index, item.json.partialImageIndex, item.binary?.data.fileName])).toEqual([
			[{ item: 0 }, 0, 0, 'two-koi_0_partial0.png'],
			[{ item: 0 }, 0, undefined, 'two-koi_0.png'],
			[{ item: 0 }, 1, 0, 'two-koi_1_partial0.png'],
			[{ item: 0 }, 1, undefined, 'two-koi_1.png'],
			[{ item: 1 }, 0, 0, 'one-crane_partial0.png'],
			[{ item: 1 }, 0, undefined, 'one-crane.png'],
		]);
		const finals = run.result.filter((item) => item.json.partialImageIndex === undefined);
		expect(finals.map((item) => typeof (item.json.usage as { total_tokens?: number })?.total_tokens)).toEqual(['number', 'number', 'number']);
	});

	test('Partial Images 0 (or none): one final image per image, no partial items', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a plain stream' }, { prompt: 'zero partials' }], {
			options: { stream: true, partialImages: '={{ $json.prompt === "zero partials" ? 0 : "" }}' },
		});
		expect(run.status).toBe('success');
		expect(run.result.map((item) => [item.json.index, 'partialImageIndex' in item.json])).toEqual([[0, false], [0, false]]);
		expect(generations(server).map((r) => (r.body as { partial_images?: number }).partial_images)).toEqual([undefined, 0]);
	});

	test('events of a shape the reference does not name, and comments, are skipped in Images', async () => {
		const run = await runCreateImage(server, [{ prompt: 'with a note [stream-note]' }], { options: { stream: true, partialImages: 1 } });
		expect(run.status).toBe('success');
		expect(run.result.map((item) => item.json.partialImageIndex)).toEqual([0, undefined]);
	});

	test('a server that ignores stream and answers plain JSON still gives the images', async () => {
		server.set({ flavor: 'vllm' });
		const run = await runCreateImage(server, [{ prompt: 'a local model' }], { model: 'Qwen/Qwen-Image', options: { stream: true } });
		expect(run.status).toBe('success');
		expect(run.result).toHaveLength(1);
		expect((await binaryBuffer(run.result[0], 'data')).subarray(0, 4)).toEqual(PNG);
	});
});

describe('Raw Response', () => {
	test('one row per request: the parsed events in order, and the status', async () => {
		const run = await runCreateImage(server, [{ prompt: 'first [stream-note]' }, { prompt: 'second' }], {
			resultFormat: 'rawResponse',
			options: { stream: true, partialImages: 2 },
		});
		expect(run.status).toBe('success');
		expect(run.result.map((row) => [row.pairedItem, row.json.status])).toEqual([[{ item: 0 }, 200], [{ item: 1 }, 200]]);
		const [first, second] = run.result.map((row) => row.json.body as Event[]);
		// The unknown event is kept here, in its place.
		expect(first.map((event) => [event.type, event.partial_image_index])).toEqual([
			['image_generation.in_progress', undefined],
			['image_generation.partial_image', 0],
			['image_generation.partial_image', 1],
			['image_generation.completed', undefined],
		]);
		expect(second.map((event) => event.type)).toEqual(['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
		expect(Buffer.from(second[2].b64_json!, 'base64').subarray(0, 4)).toEqual(PNG);
		expect(second[2].usage).toMatchObject({ total_tokens: expect.any(Number) });
	});

	test('an error event is kept in the row; an error status gives the error body, as without streaming', async () => {
		const run = await runCreateImage(server, [{ prompt: 'broken [stream-error:1]' }, { prompt: 'blocked [moderation]' }], {
			resultFormat: 'rawResponse',
			options: { stream: true, partialImages: 2, maxRetries: 0 },
		});
		expect(run.status).toBe('success');
		const [broken, blocked] = run.result;
		expect(broken.json.status).toBe(200);
		expect((broken.json.body as Event[]).map((event) => event.type)).toEqual(['image_generation.partial_image', 'error']);
		expect(blocked.json).toMatchObject({ status: 400, body: { error: { code: 'moderation_blocked' } } });
	});
});

describe('errors and retries', () => {
	test('a 5xx before the stream starts is retried, then the stream is read', async () => {
		const prompt = 'busy [status:503x1]';
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 1, maxRetries: 1 } });
		expect(run.status).toBe('success');
		expect(attemptsOf(prompt)).toHaveLength(2);
		expect(run.result.map((item) => item.json.partialImageIndex)).toEqual([0, undefined]);
	});

	test('an error event fails the item with its message, and is not retried; the other items run', async () => {
		const run = await runCreateImage(server, [{ prompt: 'fine' }, { prompt: 'broken [stream-error:1]' }], {
			onError: 'continueRegularOutput',
			options: { stream: true, partialImages: 2, maxRetries: 3 },
		});
		expect(run.status).toBe('success');
		expect(run.result.map((item) => [item.pairedItem, item.json.partialImageIndex ?? null, errorMessage(item) ?? null])).toEqual([
			[{ item: 0 }, 0, null],
			[{ item: 0 }, 1, null],
			[{ item: 0 }, null, null],
			[{ item: 1 }, null, 'The image could not be generated. Please try again.'],
		]);
		expect(itemError(run.result[3])?.description).toMatch(/code: image_generation_failed.*error event in the answer's event stream/);
		expect(attemptsOf('broken [stream-error:1]')).toHaveLength(1);
	});

	test('a stream that ends without a completed event is an error, not a success', async () => {
		const run = await runCreateImage(server, [{ prompt: 'cut short [stream-end:2]' }], { options: { stream: true, partialImages: 2, maxRetries: 0 } });
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/^The event stream from http:\/\/127\.0\.0\.1:\d+ ended before the image was completed/);
		expect(run.result).toEqual([]);
	});

	test('a stream that ends early is, like a lost connection, not sent again by default: the image may have been billed', async () => {
		const prompt = 'cut once, not retried [stream-end:1x1]';
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 2, maxRetries: 3 } });
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/ended before the image was completed .*may have been completed and billed, so it was not sent again; .*Retry When Outcome Is Unknown$/);
		expect(attemptsOf(prompt)).toHaveLength(1);
	});

	test('with Retry When Outcome Is Unknown, a stream that ends early is sent again, and the retry gives the images', async () => {
		const prompt = 'cut once [stream-end:1x1]';
		const run = await runCreateImage(server, [{ prompt }], {
			resultFormat: 'rawResponse',
			options: { stream: true, partialImages: 2, maxRetries: 1, retryOnUnknownOutcome: true },
		});
		expect(run.status).toBe('success');
		expect(attemptsOf(prompt)).toHaveLength(2);
		expect((run.result[0].json.body as Event[]).map((event) => event.type).at(-1)).toBe('image_generation.completed');
	});
});

describe('the Request Timeout with a stream', () => {
	test('a stream that keeps sending is not cut, though it lasts longer than the timeout', async () => {
		// Gaps of 1000 ms under a timeout of 2500 ms: 4 events make the stream last longer than the
		// timeout, with room for the headers (sent once the partial images are encoded) on a loaded machine.
		const prompt = 'slow but alive [event-gap:1000]';
		const started = Date.now();
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 3, timeout: 2500, maxRetries: 0 } });
		expect(run.error?.message).toBeUndefined();
		expect(run.status).toBe('success');
		expect(Date.now() - started).toBeGreaterThan(2500);
		expect(attemptsOf(prompt)).toHaveLength(1);
		expect(run.result.map((item) => item.json.partialImageIndex)).toEqual([0, 1, 2, undefined]);
	});

	test('a stream silent for longer than the timeout is cut, and says so', async () => {
		const prompt = 'stalled [stream-stall:1]';
		const started = Date.now();
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 2, timeout: 1000, maxRetries: 0 } });
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/^The event stream from http:\/\/127\.0\.0\.1:\d+ was silent for more than 1000 ms/);
		expect(run.error?.description).toMatch(/longest silence allowed between events/);
		expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
	});

	test('keep-alive comments are no events: a stream that sends only comments after its last event is cut at the timeout', async () => {
		// A relay that keeps its connection busy with `: keep-alive` lines after its upstream died.
		const prompt = 'upstream gone [stream-ping:1][event-gap:200]';
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 2, timeout: 1000, maxRetries: 0 } });
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/^The event stream from http:\/\/127\.0\.0\.1:\d+ was silent for more than 1000 ms/);
		expect(attemptsOf(prompt)).toHaveLength(1);
	}, 20_000);

	test('a silent stream is, like a timed-out request, sent again only with Retry When Outcome Is Unknown; the retry gives the images', async () => {
		const held = 'stalled, held back [stream-stall:1x1]';
		const once = await runCreateImage(server, [{ prompt: held }], { options: { stream: true, partialImages: 1, timeout: 1000, maxRetries: 1 } });
		expect(once.error?.message).toMatch(/was silent for more than 1000 ms. The request may have been completed and billed, so it was not sent again/);
		expect(attemptsOf(held)).toHaveLength(1);

		const prompt = 'stalled once [stream-stall:1x1]';
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, partialImages: 1, timeout: 1000, maxRetries: 1, retryOnUnknownOutcome: true } });
		expect(run.status).toBe('success');
		const [first, second] = attemptsOf(prompt);
		expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1000);
		// Only the retry's images: nothing of the abandoned attempt.
		expect(run.result.map((item) => item.json.partialImageIndex)).toEqual([0, undefined]);
	});
});

describe('sharing the node with other requests', () => {
	test('streams count towards the concurrency bound until their last event', async () => {
		const rows = Array.from({ length: 6 }, (_, i) => ({ prompt: `bounded ${i} [event-gap:60]` }));
		const run = await runCreateImage(server, rows, { options: { stream: true, partialImages: 2, concurrency: 2 } });
		expect(run.status).toBe('success');
		expect(run.result).toHaveLength(18);
		expect(server.stats.maxInFlight).toBe(2);
	});

	test('when another item fails the node, a stream still in flight is closed at its next event, not read to its end', async () => {
		// Four events 1.5 s apart: read to its end, the stream would last 6 s.
		const run = await runCreateImage(server, [{ prompt: 'slow [event-gap:1500]' }, { prompt: 'refused [status:400]' }], {
			options: { stream: true, partialImages: 3, timeout: 30_000, maxRetries: 0 },
		});
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/Invalid request/);
		const deadline = Date.now() + 15_000;
		while (server.stats.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
		expect(server.stats.inFlight).toBe(0);
		const [slow] = attemptsOf('slow [event-gap:1500]');
		expect(slow.eventsSent).toBeGreaterThanOrEqual(1);
		expect(slow.eventsSent).toBeLessThan(4);
	});

	test('stopping the execution mid-stream closes the streams and starts nothing new', async () => {
		const controller = new AbortController();
		const rows = Array.from({ length: 5 }, (_, i) => ({ prompt: `endless ${i} [stream-stall:1]` }));
		// Both streams have started (the server has their requests), and stall after their first event.
		const started = new Promise<void>((resolve) => {
			const poll = () => (generations(server).length >= 2 ? resolve() : void setImmediate(poll));
			poll();
		});
		void started.then(() => controller.abort());
		const run = await runCreateImage(server, rows, { options: { stream: true, partialImages: 2, concurrency: 2, timeout: 60_000 } }, { signal: controller.signal, cancelTimeoutMs: 3000 });
		expect(run.status).toBe('canceled');
		expect(generations(server)).toHaveLength(2);
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(server.stats.inFlight).toBe(0);
	});
});

describe('rules checked before any request', () => {
	test.each([
		['stream on dall-e-3', 'dall-e-3', { stream: true }, /\[item 1\] Options › Stream: true is not accepted: dall-e-3 does not stream \(GPT image models do\)/],
		['stream through Extra Body on dall-e-2', 'dall-e-2', { extraBody: '{"stream": true}' }, /Stream: true \(from Extra Body Fields\) is not accepted: dall-e-2 does not stream/],
		['partial images above 3', 'gpt-image-2', { stream: true, partialImages: 4 }, /Options › Partial Images: 4 is not accepted; expected a whole number from 0 to 3/],
		['partial images as words', 'gpt-image-2', { stream: true, partialImages: 'two' }, /Options › Partial Images: "two" is not a number/],
		['partial images not whole', 'gpt-image-2', { stream: true, partialImages: '1.5' }, /Options › Partial Images: 1.5 is not accepted; expected a whole number from 0 to 3/],
		['partial images in Extra Body without stream', 'a-model-nobody-knows-yet', { extraBody: '{"partial_images": 1}' }, /Partial Images: 1 \(from Extra Body Fields\) is only taken with Stream on/],
		['stream with gif output', 'gpt-image-2.6-flare', { stream: true, outputFormat: 'gif' }, /Stream: true is not accepted with the gif output format/],
		['stream with svg output', 'gpt-image-2.6-sunburst', { stream: true, partialImages: 1, outputFormat: 'svg' }, /Stream: true is not accepted with the svg output format .*remove Stream and Partial Images/],
		['stream as words', 'gpt-image-2', { stream: 'yes' }, /Options › Stream: "yes" is not accepted; expected true or false/],
	])('%s fails the node, naming the item, field and value, and sends nothing', async (_name, model, options, message) => {
		const run = await runCreateImage(server, [{ prompt: 'fine' }, { prompt: 'the bad one' }], {
			model: { __rl: true, mode: 'id', value: '={{ $itemIndex === 1 ? ' + JSON.stringify(model) + ' : "gpt-image-2" }}' },
			options: Object.fromEntries(Object.entries(options).map(([key, value]) => [key, `={{ $itemIndex === 1 ? ${JSON.stringify(value)} : undefined }}`])),
		});
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(message);
		expect(server.requests).toHaveLength(0);
	});

	test('Partial Images left set when Stream is turned off are not sent (the panel hides them with Stream off)', async () => {
		const run = await runCreateImage(server, [{ prompt: 'stream off' }], { options: { stream: false, partialImages: 2 } });
		expect(run.status).toBe('success');
		expect(generations(server)[0].body).toEqual({ model: 'gpt-image-2', prompt: 'stream off' });
		expect(run.result.map((item) => item.json.partialImageIndex)).toEqual([undefined]);
	});

	test('numbers and yes/no from expressions arrive as text and are sent as a number and a boolean', async () => {
		const run = await runCreateImage(server, [{ prompt: 'typed', partials: '2', stream: 'true' }], {
			options: { stream: '={{ $json.stream }}', partialImages: '={{ $json.partials }}' },
		});
		expect(run.error?.message).toBeUndefined();
		expect(generations(server)[0].body).toMatchObject({ stream: true, partial_images: 2 });
		expect(run.result.map((item) => item.json.partialImageIndex)).toEqual([0, 1, undefined]);
	});

	test('an unknown model id streams; Stream off sends no stream field', async () => {
		const run = await runCreateImage(server, [{ prompt: 'new model' }, { prompt: 'off' }], {
			model: '={{ $json.prompt === "off" ? "gpt-image-2" : "gpt-image-9-preview" }}',
			options: { stream: '={{ $json.prompt !== "off" }}' },
		});
		expect(run.status).toBe('success');
		expect(generations(server).map((r) => (r.body as { stream?: boolean }).stream)).toEqual([true, undefined]);
		expect(run.result).toHaveLength(2);
	});
});

describe('the event reader on its own (transports where the helper does not cut a silent stream)', () => {
	const SSE = { 'content-type': 'text/event-stream' };
	const event = (type: string, extra = '') => `event: ${type}\r\ndata: {"type":"${type}"${extra}}\r\n\r\n`;

	test('events split anywhere across chunks, CRLF lines, comments, multi-line data and [DONE] are read in order', async () => {
		const text = `: hello\n\n${event('image_generation.partial_image', ',"partial_image_index":0')}data: {"type":\ndata: "image_generation.completed"}\n\ndata: [DONE]\n\n${event('after.done')}`;
		const body = new PassThrough();
		const reading = readStreamedAnswer({ body, headers: SSE, statusCode: 200 }, 'json', 5000);
		for (const byte of Buffer.from(text)) body.write(Buffer.from([byte]));
		body.end();
		const answer = await reading;
		expect(answer.body).toEqual([{ type: 'image_generation.partial_image', partial_image_index: 0 }, { type: 'image_generation.completed' }]);
	});

	test('a silence longer than the timeout ends the read, even when the body is never torn down', async () => {
		const body = new PassThrough();
		body.destroy = () => body; // a body whose teardown waits for its socket
		const started = Date.now();
		const reading = readStreamedAnswer({ body, headers: SSE, statusCode: 200 }, 'json', 300);
		body.write(event('image_generation.partial_image'));
		await expect(reading).rejects.toThrow(new StreamFailure('ETIMEDOUT', 'was silent for more than 300 ms'));
		expect(Date.now() - started).toBeGreaterThanOrEqual(300);
	});

	test('a stream that keeps sending within the timeout is read to its end, however long it lasts', async () => {
		const body = new PassThrough();
		const started = Date.now();
		const reading = readStreamedAnswer({ body, headers: SSE, statusCode: 200 }, 'json', 300);
		for (let i = 0; i < 6; i++) {
			body.write(event('image_generation.partial_image', `,"partial_image_index":${i}`));
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		body.end(event('image_generation.completed'));
		const answer = await reading;
		expect((answer.body as Event[]).map((e) => e.type)).toEqual([...Array(6).fill('image_generation.partial_image'), 'image_generation.completed']);
		expect(Date.now() - started).toBeGreaterThan(300 * 2);
	});

	test('an error named only by its SSE event name is an error event; image_edit events are read like generation ones', async () => {
		const body = new PassThrough();
		const reading = readStreamedAnswer({ body, headers: SSE, statusCode: 200 }, 'json', 5000);
		body.end(`${event('image_edit.partial_image')}event: error\ndata: {"message":"overloaded"}\n\n${event('image_edit.completed')}`);
		const answer = await reading;
		expect(answer.body).toEqual([{ type: 'image_edit.partial_image' }, { type: 'error', error: { message: 'overloaded' } }]);
		expect((answer.body as Event[]).map((e) => eventKind(e))).toEqual(['partial', 'error']);
		expect(eventKind({ type: 'image_edit.completed' })).toBe('completed');
	});

	test('a signal that aborts ends the read at once with its reason', async () => {
		const body = new PassThrough();
		const stop = new AbortController();
		const reading = readStreamedAnswer({ body, headers: SSE, statusCode: 200 }, 'json', 60_000, stop.signal);
		body.write(event('image_generation.partial_image'));
		stop.abort(new Error('cancelled by the test'));
		await expect(reading).rejects.toThrow('cancelled by the test');
	});
});
