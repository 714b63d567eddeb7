/**
 * Conformance and behaviour tests of the OpenAI-compatible image test server (test/server):
 * the official openai SDK must parse its answers like the real API's, and the steering
 * features (directives, scripts, rate limit, flavors, Azure routes) must do what they say.
 */
import OpenAI, { AzureOpenAI } from 'openai';
import sharp from 'sharp';

import { parseDirectives, planDirectives, startImageServer, type ImageServer } from './server';
import { getImage } from './server/images';
import { checkFlexibleSize } from './server/models';
import { apiError } from './helpers/openai-client';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(buf: Buffer): { width: number; height: number } {
	expect(buf.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
	expect(buf.toString('latin1', 12, 16)).toBe('IHDR');
	return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

let server: ImageServer;
let client: OpenAI;

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
	return fetch(server.url + path, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}`, ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
}

const gen = (body: unknown, headers?: Record<string, string>) => post('/v1/images/generations', body, headers);

beforeAll(async () => {
	server = await startImageServer();
	client = new OpenAI({ apiKey: server.apiKey, baseURL: server.baseUrl, maxRetries: 0 });
});
afterAll(() => server.close());
beforeEach(() => {
	server.set({ latencyMs: 0, errorRate: 0, rateLimitPerMinute: undefined, retiredModels: undefined, flavor: 'openai', imageMode: 'solid' });
	server.reset();
});

describe('openai SDK conformance', () => {
	test('gpt-image-2: b64_json is a real PNG of the requested size, with the documented fields and headers', async () => {
		const { data, response } = await client.images
			.generate({ model: 'gpt-image-2', prompt: 'a lighthouse', size: '1536x1024', quality: 'low' })
			.withResponse();
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^application\/json/);
		expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
		expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
		expect(response.headers.get('x-ratelimit-limit-requests')).toBeTruthy();
		expect(response.headers.get('x-ratelimit-remaining-requests')).toBeTruthy();
		expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?(ms|s)$|^\d+m[\d.]+s$/);
		expect(data.data).toHaveLength(1);
		expect(data.data![0].url).toBeUndefined();
		expect(pngSize(Buffer.from(data.data![0].b64_json!, 'base64'))).toEqual({ width: 1536, height: 1024 });
		expect(data).toMatchObject({ background: 'opaque', output_format: 'png', quality: 'low', size: '1536x1024' });
		expect(typeof data.created).toBe('number');
		const u = data.usage!;
		expect(u.total_tokens).toBe(u.input_tokens + u.output_tokens);
		expect(u.input_tokens_details).toEqual({ text_tokens: expect.any(Number), image_tokens: 0 });
		// Every request is recorded with lower-case headers and the parsed body.
		const rec = server.requests[0];
		expect(rec).toMatchObject({ method: 'POST', path: '/v1/images/generations', kind: 'generation' });
		expect(rec.headers.authorization).toBe(`Bearer ${server.apiKey}`);
		expect(rec.body).toMatchObject({ model: 'gpt-image-2', prompt: 'a lighthouse' });
		const ids = new Set<string>();
		for (let i = 0; i < 3; i++) {
			const r = await client.images.generate({ model: 'gpt-image-2', prompt: 'x' }).withResponse();
			ids.add(r.response.headers.get('x-request-id')!);
		}
		expect(ids.size).toBe(3);
	});

	test('auto size is 1024x1024; n images; jpeg and webp are real files of the requested size', async () => {
		const auto = await client.images.generate({ model: 'gpt-image-1', prompt: 'auto', n: 3 });
		expect(auto.data).toHaveLength(3);
		expect(auto.size).toBe('1024x1024');
		expect(pngSize(Buffer.from(auto.data![2].b64_json!, 'base64'))).toEqual({ width: 1024, height: 1024 });

		const jpeg = await client.images.generate({
			model: 'gpt-image-2',
			prompt: 'jpeg',
			size: '1024x1536',
			output_format: 'jpeg',
			output_compression: 60,
		});
		const jbuf = Buffer.from(jpeg.data![0].b64_json!, 'base64');
		expect(jbuf.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
		expect(await sharp(jbuf).metadata()).toMatchObject({ format: 'jpeg', width: 1024, height: 1536 });
		expect(jpeg.output_format).toBe('jpeg');

		const webp = await client.images.generate({ model: 'gpt-image-1.5', prompt: 'webp', size: '1536x1024', output_format: 'webp', background: 'transparent' });
		const wbuf = Buffer.from(webp.data![0].b64_json!, 'base64');
		expect(wbuf.toString('latin1', 0, 4)).toBe('RIFF');
		expect(wbuf.toString('latin1', 8, 12)).toBe('WEBP');
		expect(await sharp(wbuf).metadata()).toMatchObject({ format: 'webp', width: 1536, height: 1024, hasAlpha: true });
		expect(webp.background).toBe('transparent');
	});

	test('dall-e-3: url answer with revised_prompt; the file is served without auth and the download is recorded', async () => {
		const { data, response } = await client.images.generate({ model: 'dall-e-3', prompt: 'a fox', size: '1792x1024', quality: 'hd', style: 'natural' }).withResponse();
		expect(response.status).toBe(200);
		expect(data.usage).toBeUndefined();
		expect(data.output_format).toBeUndefined();
		const entry = data.data![0];
		expect(entry.b64_json).toBeUndefined();
		expect(entry.revised_prompt).toContain('a fox');
		expect(entry.url!.startsWith(`${server.url}/files/`)).toBe(true);
		const file = await fetch(entry.url!);
		expect(file.status).toBe(200);
		expect(file.headers.get('content-type')).toBe('image/png');
		const bytes = Buffer.from(await file.arrayBuffer());
		expect(Number(file.headers.get('content-length'))).toBe(bytes.length);
		expect(pngSize(bytes)).toEqual({ width: 1792, height: 1024 });
		const rec = server.requests.find((r) => r.kind === 'file')!;
		expect(rec.path).toMatch(/^\/files\/img-[0-9a-f]+\.png$/);
		expect(rec.headers.authorization).toBeUndefined();
		expect(rec.headers['api-key']).toBeUndefined();

		const b64 = await client.images.generate({ model: 'dall-e-2', prompt: 'b64', size: '512x512', n: 2, response_format: 'b64_json' });
		expect(b64.data).toHaveLength(2);
		expect(b64.data![0].revised_prompt).toBeUndefined();
		expect(pngSize(Buffer.from(b64.data![1].b64_json!, 'base64'))).toEqual({ width: 512, height: 512 });
	});

	test('models.list() parses the OpenAI list shape', async () => {
		const page = await client.models.list();
		const ids = page.data.map((m) => m.id);
		for (const id of ['gpt-image-2', 'gpt-image-2-2026-04-21', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'dall-e-2', 'dall-e-3', 'gpt-5', 'whisper-1'])
			expect(ids).toContain(id);
		expect(page.data[0]).toEqual({ id: expect.any(String), object: 'model', created: expect.any(Number), owned_by: expect.any(String) });
		expect(server.requests[0].kind).toBe('models');
		const one = await client.models.retrieve('gpt-image-2');
		expect(one.id).toBe('gpt-image-2');
		expect((await apiError(client.models.retrieve('nope'))).status).toBe(404);
	});

	type Row = [string, Record<string, unknown>, number, string | null, string | null, RegExp?];
	test.each<Row>([
		['response_format on a GPT image model', { model: 'gpt-image-1', response_format: 'b64_json' }, 400, 'unknown_parameter', 'response_format', /^Unknown parameter: 'response_format'\.$/],
		['style on a GPT image model', { model: 'gpt-image-2', style: 'vivid' }, 400, 'unknown_parameter', 'style'],
		['output_format on dall-e-3', { model: 'dall-e-3', output_format: 'png' }, 400, 'unknown_parameter', 'output_format'],
		['a made-up field', { model: 'gpt-image-2', foo: 1 }, 400, 'unknown_parameter', 'foo'],
		['dall-e-3 with n=2', { model: 'dall-e-3', n: 2 }, 400, 'invalid_value', 'n', /n=1/],
		['n above 10', { model: 'gpt-image-1', n: 11 }, 400, 'integer_above_max_value', 'n'],
		['n = 0', { model: 'gpt-image-2', n: 0 }, 400, 'integer_below_min_value', 'n'],
		['dall-e-2 prompt of 1001 chars', { model: 'dall-e-2', prompt: 'x'.repeat(1001) }, 400, 'string_above_max_length', 'prompt'],
		['dall-e-3 size 512x512', { model: 'dall-e-3', size: '512x512' }, 400, 'invalid_value', 'size'],
		['gpt-image-1 size 2048x2048', { model: 'gpt-image-1', size: '2048x2048' }, 400, 'invalid_value', 'size', /'1024x1024', '1536x1024', '1024x1536', and 'auto'/],
		['gpt-image-2 size not a multiple of 16', { model: 'gpt-image-2', size: '1000x1000' }, 400, 'invalid_value', 'size', /divisible by 16/],
		['gpt-image-2 size too few pixels', { model: 'gpt-image-2', size: '512x512' }, 400, 'invalid_value', 'size'],
		['gpt-image-2 ratio above 3:1', { model: 'gpt-image-2', size: '3840x1008' }, 400, 'invalid_value', 'size'],
		['gpt-image-2 quality xhigh', { model: 'gpt-image-2', quality: 'xhigh' }, 400, 'invalid_value', 'quality'],
		['gpt-image-1 quality hd', { model: 'gpt-image-1', quality: 'hd' }, 400, 'invalid_value', 'quality'],
		['dall-e-2 quality hd', { model: 'dall-e-2', quality: 'hd' }, 400, 'invalid_value', 'quality'],
		['output_compression with png', { model: 'gpt-image-2', output_compression: 50 }, 400, 'invalid_value', 'output_compression'],
		['transparent background with jpeg', { model: 'gpt-image-1', background: 'transparent', output_format: 'jpeg' }, 400, 'invalid_value', 'background'],
		['empty prompt', { model: 'gpt-image-2', prompt: '' }, 400, 'empty_string', 'prompt'],
		['missing model', { model: undefined }, 400, null, null, /model parameter/],
		['a non-image model', { model: 'gpt-5' }, 400, 'invalid_value', 'model'],
	// A rest parameter keeps fn.length at 0: jest would otherwise take a missing 6th value for `done`.
	])('rejects %s', async (...[name, patch, status, code, param, message]: Row) => {
		const params = { prompt: 'a test', ...patch } as unknown as OpenAI.ImageGenerateParamsNonStreaming;
		const e = await apiError(client.images.generate(params));
		expect(e.status).toBe(status);
		expect(e).toBeInstanceOf(OpenAI.BadRequestError);
		expect(e.code ?? null).toBe(code);
		expect(e.param ?? null).toBe(param);
		expect(e.type).toBe('invalid_request_error');
		expect(e.requestID).toMatch(/^req_/);
		if (message) expect((e.error as { message: string }).message).toMatch(message);
		// The outside judge (OpenAI's published CreateImageRequest) finds only what the schema itself forbids.
		const judged: Record<string, string[]> = {
			'a made-up field': ["(body) must NOT have additional property 'foo'"],
			'n above 10': ['/n must be <= 10'],
			'n = 0': ['/n must be >= 1'],
		};
		expect(server.takeSchemaViolations().flatMap((v) => v.errors)).toEqual(judged[name] ?? []);
	});

	test('accepts what each family allows; unknown model ids pass through GPT-image style', async () => {
		const ok = [
			{ model: 'gpt-image-2', size: '3840x2160' },
			{ model: 'gpt-image-2', size: '2304x768' },
			{ model: 'gpt-image-2-2026-04-21', size: 'auto', quality: 'high', moderation: 'low' },
			{ model: 'gpt-image-2.5-flare', quality: 'xhigh' },
			{ model: 'gpt-image-2.5-sunburst-2026-09-08', quality: 'max', size: '1024x1024' },
			{ model: 'gpt-image-2.6-sunburst', quality: 'high', size: '1536x1024' },
			{ model: 'gpt-image-1-mini', output_format: 'webp', output_compression: 0 },
			{ model: 'dall-e-2', size: '256x256', n: 10 },
			{ model: 'dall-e-3', prompt: 'y'.repeat(4000) },
			{ model: 'gpt-image-1', prompt: 'z'.repeat(32000), user: 'u1' },
			{ model: 'my-private-finetune', size: '640x480' },
		];
		for (const patch of ok) {
			const res = await gen({ prompt: 'ok', ...patch });
			expect([patch, res.status]).toEqual([patch, 200]);
		}
		const unknown = (await (await gen({ model: 'my-private-finetune', prompt: 'hi', size: '640x480' })).json()) as OpenAI.ImagesResponse;
		expect(pngSize(Buffer.from(unknown.data![0].b64_json!, 'base64'))).toEqual({ width: 640, height: 480 });
		expect(unknown.usage).toBeDefined();
		// Unknown models pass the server's own rules, but not unknown fields: OpenAI's schema has no `whatever`.
		const extra = await gen({ model: 'my-private-finetune', prompt: 'hi', whatever: true });
		expect([extra.status, ((await extra.json()) as { error: { code: string } }).error.code]).toEqual([400, 'schema_violation']);
		expect(server.takeSchemaViolations().map((v) => v.errors)).toEqual([["(body) must NOT have additional property 'whatever'"]]);
	});

	test('retired models answer 404 model_not_found; bad keys 401', async () => {
		server.set({ retiredModels: { 'dall-e-3': '', 'gpt-image-1': 'The model `gpt-image-1` has been deprecated.' } });
		const e = await apiError(client.images.generate({ model: 'dall-e-3', prompt: 'x' }));
		expect(e).toBeInstanceOf(OpenAI.NotFoundError);
		expect(e.code).toBe('model_not_found');
		expect(e.message).toBe('404 The model `dall-e-3` does not exist or you do not have access to it.');
		expect((await apiError(client.images.generate({ model: 'gpt-image-1', prompt: 'x' }))).message).toContain('deprecated');
		expect((await client.models.list()).data.map((m) => m.id)).not.toContain('dall-e-3');

		const bad = new OpenAI({ apiKey: 'sk-wrong-key-123456', baseURL: server.baseUrl, maxRetries: 0 });
		const auth = await apiError(bad.images.generate({ model: 'gpt-image-2', prompt: 'x' }));
		expect(auth).toBeInstanceOf(OpenAI.AuthenticationError);
		expect(auth.code).toBe('invalid_api_key');
		expect(auth.message).not.toContain('sk-wrong-key-123456');
		const none = await fetch(`${server.baseUrl}/models`);
		expect(none.status).toBe(401);
	});

	test('429 with wait hints: the SDK sees them, and with maxRetries 1 retries and succeeds', async () => {
		const e = await apiError(client.images.generate({ model: 'gpt-image-2', prompt: 'busy [status:429x1] [retry-after-ms:40] [retry-after:1]' }));
		expect(e).toBeInstanceOf(OpenAI.RateLimitError);
		expect(e.code).toBe('rate_limit_exceeded');
		expect(e.headers?.get('retry-after-ms')).toBe('40');
		expect(e.headers?.get('retry-after')).toBe('1');

		const retrying = new OpenAI({ apiKey: server.apiKey, baseURL: server.baseUrl, maxRetries: 1 });
		const started = Date.now();
		const ok = await retrying.images.generate({ model: 'gpt-image-2', prompt: 'busy too [status:429x1] [retry-after-ms:40]' });
		expect(ok.data).toHaveLength(1);
		expect(Date.now() - started).toBeGreaterThanOrEqual(35);
		expect(server.requests.filter((r) => (r.body as { prompt?: string })?.prompt?.startsWith('busy too'))).toHaveLength(2);
	});

	test('moderation blocks: GPT image vs DALL-E shapes', async () => {
		const g = await apiError(client.images.generate({ model: 'gpt-image-2', prompt: 'bad [moderation]' }));
		expect(g.status).toBe(400);
		expect(g.type).toBe('image_generation_user_error');
		expect(g.code).toBe('moderation_blocked');
		const d = await apiError(client.images.generate({ model: 'dall-e-3', prompt: 'bad [moderation]' }));
		expect(d.code).toBe('content_policy_violation');
		expect(d.type).toBe('invalid_request_error');
	});

	test('quota and server errors', async () => {
		const q = await apiError(client.images.generate({ model: 'gpt-image-2', prompt: '[quota]' }));
		expect(q.status).toBe(429);
		expect(q.code).toBe('insufficient_quota');
		expect(q.type).toBe('insufficient_quota');
		const s = await apiError(client.images.generate({ model: 'gpt-image-2', prompt: '[status:500]' }));
		expect(s).toBeInstanceOf(OpenAI.InternalServerError);
		expect(s.type).toBe('server_error');
		const o = await apiError(client.images.generate({ model: 'gpt-image-2', prompt: '[status:503]' }));
		expect(o.status).toBe(503);
	});

	test('streaming answers server-sent events the SDK parses', async () => {
		const stream = await client.images.generate({ model: 'gpt-image-1', prompt: 'stream', stream: true, partial_images: 2 });
		const types: string[] = [];
		for await (const ev of stream) {
			types.push(ev.type);
			if (ev.type === 'image_generation.completed') expect(pngSize(Buffer.from(ev.b64_json, 'base64')).width).toBe(1024);
		}
		expect(types).toEqual(['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
	});

	test('streamed partial images are real images of the requested size, rougher than the final one; completed events carry usage', async () => {
		server.set({ imageMode: 'noise' });
		try {
			const stream = await client.images.generate({ model: 'gpt-image-2', prompt: 'partials', size: '768x1024' as '1024x1024', stream: true, partial_images: 3, n: 2 });
			const events: Array<{ type: string; bytes: Buffer; index?: number; usage?: unknown }> = [];
			for await (const ev of stream) {
				events.push({ type: ev.type, bytes: Buffer.from(ev.b64_json, 'base64'), index: 'partial_image_index' in ev ? ev.partial_image_index : undefined, usage: 'usage' in ev ? ev.usage : undefined });
			}
			expect(events.map((e) => [e.type.split('.')[1], e.index])).toEqual([
				['partial_image', 0], ['partial_image', 1], ['partial_image', 2], ['completed', undefined],
				['partial_image', 0], ['partial_image', 1], ['partial_image', 2], ['completed', undefined],
			]);
			for (const e of events) expect(pngSize(e.bytes)).toEqual({ width: 768, height: 1024 });
			const [p0, p1, p2, final] = events;
			expect(new Set([p0, p1, p2, final].map((e) => e.bytes.toString('base64'))).size).toBe(4);
			expect(p0.bytes.length).toBeLessThan(final.bytes.length);
			expect(final.usage).toMatchObject({ total_tokens: expect.any(Number) });
		} finally {
			server.set({ imageMode: 'solid' });
		}
	});

	test('stream directives: an error event the SDK raises, an early end, a stall; gif and svg are never streamed', async () => {
		const failing = await client.images.generate({ model: 'gpt-image-2', prompt: 'x [stream-error:1]', stream: true, partial_images: 2 });
		const seen: string[] = [];
		await expect(
			(async () => {
				for await (const ev of failing) seen.push(ev.type);
			})(),
		).rejects.toThrow('The image could not be generated. Please try again.');
		expect(seen).toEqual(['image_generation.partial_image']);

		const short = await client.images.generate({ model: 'gpt-image-2', prompt: 'x [stream-end:2]', stream: true, partial_images: 2 });
		const types: string[] = [];
		for await (const ev of short) types.push(ev.type);
		expect(types).toEqual(['image_generation.partial_image', 'image_generation.partial_image']);

		const response = await fetch(`${server.baseUrl}/images/generations`, {
			method: 'POST',
			headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
			body: JSON.stringify({ model: 'gpt-image-2', prompt: 'x [stream-stall:1]', stream: true, partial_images: 2 }),
		});
		const reader = response.body!.getReader();
		let text = '';
		while (!text.includes('\n\n')) text += Buffer.from((await reader.read()).value!).toString();
		const next = await Promise.race([reader.read().then(() => 'more'), new Promise((resolve) => setTimeout(() => resolve('silent'), 300))]);
		expect(next).toBe('silent');
		await reader.cancel();

		for (const format of ['gif', 'svg'] as const) {
			const refused = await apiError(client.images.generate({ model: 'gpt-image-2.6-flare', prompt: 'x', output_format: format as 'png', stream: true }));
			expect(refused.status).toBe(400);
			expect(refused.param).toBe('stream');
		}
	});
});

describe('directives', () => {
	test('grammar', () => {
		expect(parseDirectives('a [status:429x2] b [resetx1] [hang] [delay:300] [retry-after-ms:150] [retry-after-date] [nope] [status]')).toEqual([
			{ name: 'status', arg: 429, count: 2 },
			{ name: 'reset', count: 1 },
			{ name: 'hang' },
			{ name: 'delay', arg: 300 },
			{ name: 'retry-after-ms', arg: 150 },
			{ name: 'retry-after-date' },
			{ name: 'status' },
		]);
		const d = parseDirectives('[status:500x1][delay:20][moderation]');
		expect(planDirectives(d, 1)).toMatchObject({ delayMs: 20, answer: { kind: 'status', status: 500 }, moderation: 'moderation' });
		expect(planDirectives(d, 2).answer).toBeUndefined();
		const date = planDirectives(parseDirectives('[retry-after-date:3]'), 1, Date.UTC(2026, 0, 1)).retryHeaders['retry-after'];
		expect(date).toBe('Thu, 01 Jan 2026 00:00:03 GMT');
	});

	test('[status:429x2] fails the first two attempts of that exact prompt, then succeeds; counters are per prompt', async () => {
		const p = 'cat [status:429x2]';
		expect((await gen({ model: 'gpt-image-2', prompt: p })).status).toBe(429);
		expect((await gen({ model: 'gpt-image-2', prompt: p + ' ' })).status).toBe(429);
		expect((await gen({ model: 'gpt-image-2', prompt: p })).status).toBe(429);
		expect((await gen({ model: 'gpt-image-2', prompt: p })).status).toBe(200);
		server.reset();
		expect((await gen({ model: 'gpt-image-2', prompt: p })).status).toBe(429);
		// [status:500] without count: every time.
		for (let i = 0; i < 3; i++) expect((await gen({ model: 'gpt-image-2', prompt: '[status:500]' })).status).toBe(500);
	});

	test('[resetx1] destroys the socket once; [hang] never answers; [delay:N] waits', async () => {
		await expect(gen({ model: 'gpt-image-2', prompt: 'r [resetx1]' })).rejects.toThrow();
		expect((await gen({ model: 'gpt-image-2', prompt: 'r [resetx1]' })).status).toBe(200);

		const started = Date.now();
		await expect(
			fetch(`${server.baseUrl}/images/generations`, {
				method: 'POST',
				headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
				body: JSON.stringify({ model: 'gpt-image-2', prompt: 'h [hang]' }),
				signal: AbortSignal.timeout(150),
			}),
		).rejects.toThrow();
		expect(Date.now() - started).toBeGreaterThanOrEqual(140);

		const t0 = Date.now();
		expect((await gen({ model: 'gpt-image-2', prompt: 'slow [delay:200]' })).status).toBe(200);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
		await new Promise((r) => setTimeout(r, 20));
		expect(server.stats.inFlight).toBe(0);
	});

	test('wait-hint headers, HTML 502 and plain-text 500', async () => {
		const r = await gen({ model: 'gpt-image-2', prompt: '[status:503] [retry-after-date:2]' });
		expect(r.status).toBe(503);
		const date = Date.parse(r.headers.get('retry-after')!);
		expect(date).toBeGreaterThan(Date.now() - 1000);
		expect(date).toBeLessThan(Date.now() + 3000);

		const h = await gen({ model: 'gpt-image-2', prompt: '[html502]' });
		expect(h.status).toBe(502);
		expect(h.headers.get('content-type')).toBe('text/html');
		expect(await h.text()).toContain('<center>nginx');
		const e = await apiError(client.images.generate({ model: 'gpt-image-2', prompt: '[html502]' }));
		expect(e.status).toBe(502);

		const t = await gen({ model: 'gpt-image-2', prompt: '[plaintext500]' });
		expect(t.status).toBe(500);
		expect(t.headers.get('content-type')).toMatch(/^text\/plain/);
		expect(await t.text()).toBe('Internal Server Error');
	});
});

describe('scripts', () => {
	test('queued answers are consumed in order before normal handling', async () => {
		server.script(
			{ status: 503, body: { error: { message: 'overloaded', type: 'server_error', param: null, code: null } }, headers: { 'retry-after-ms': '10' } },
			{ status: 500 },
			{ delayMs: 120 },
		);
		const a = await gen({ model: 'gpt-image-2', prompt: 's' });
		expect(a.status).toBe(503);
		expect(a.headers.get('retry-after-ms')).toBe('10');
		expect(await a.json()).toEqual({ error: { message: 'overloaded', type: 'server_error', param: null, code: null } });
		const b = await gen({ model: 'gpt-image-2', prompt: 's' });
		expect(b.status).toBe(500);
		expect(((await b.json()) as { error: { type: string } }).error.type).toBe('server_error');
		const t0 = Date.now();
		expect((await gen({ model: 'gpt-image-2', prompt: 's' })).status).toBe(200);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
		expect((await gen({ model: 'gpt-image-2', prompt: 's' })).status).toBe(200);
		expect(server.stats.generations).toBe(4);
	});

	test('reset before any byte, reset mid-body, hang; reset() drops queued steps', async () => {
		server.script({ reset: true }, { reset: true, afterBytes: 100 });
		await expect(gen({ model: 'gpt-image-2', prompt: 's' })).rejects.toThrow();
		const mid = await gen({ model: 'gpt-image-2', prompt: 's' });
		expect(mid.status).toBe(200);
		await expect(mid.text()).rejects.toThrow();

		server.script({ hang: true });
		await expect(
			fetch(`${server.baseUrl}/images/generations`, {
				method: 'POST',
				headers: { authorization: `Bearer ${server.apiKey}` },
				body: JSON.stringify({ model: 'gpt-image-2', prompt: 'h' }),
				signal: AbortSignal.timeout(100),
			}),
		).rejects.toThrow();

		server.script({ status: 500 }, { status: 500 });
		server.reset();
		expect((await gen({ model: 'gpt-image-2', prompt: 's' })).status).toBe(200);
		expect(server.requests).toHaveLength(1);
	});
});

describe('rate limit, error rate, latency, concurrency', () => {
	test('sliding window: over the limit -> 429 with retry-after-ms, retry-after and x-ratelimit-* headers', async () => {
		server.set({ rateLimitPerMinute: 2 });
		const first = await gen({ model: 'gpt-image-2', prompt: 'a' });
		expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
		expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
		expect((await gen({ model: 'gpt-image-2', prompt: 'a' })).status).toBe(200);
		const limited = await gen({ model: 'gpt-image-2', prompt: 'a' });
		expect(limited.status).toBe(429);
		const ms = Number(limited.headers.get('retry-after-ms'));
		expect(ms).toBeGreaterThan(59_000);
		expect(ms).toBeLessThanOrEqual(60_000);
		expect(limited.headers.get('retry-after')).toBe('60');
		expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
		expect(limited.headers.get('x-ratelimit-reset-requests')).toMatch(/^(59\.\d+s|1m0s)$/);
		const body = (await limited.json()) as { error: { code: string; message: string } };
		expect(body.error.code).toBe('rate_limit_exceeded');
		expect(body.error.message).toMatch(/Limit 2/);
		server.reset();
		expect((await gen({ model: 'gpt-image-2', prompt: 'a' })).status).toBe(200);
	});

	test('each recorded request gets the status it was answered with, or none when the client went away first', async () => {
		server.set({ rateLimitPerMinute: 1 });
		expect((await gen({ model: 'gpt-image-2', prompt: 'a' })).status).toBe(200);
		expect((await gen({ model: 'gpt-image-2', prompt: 'a' })).status).toBe(429);
		server.set({ rateLimitPerMinute: undefined, latencyMs: 5_000 });
		await expect(
			fetch(`${server.baseUrl}/images/generations`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
				body: JSON.stringify({ model: 'gpt-image-2', prompt: 'gone' }),
				signal: AbortSignal.timeout(200),
			}),
		).rejects.toThrow();
		while (server.stats.inFlight > 0) await new Promise((wake) => setTimeout(wake, 20));
		expect(server.requests.map((r) => r.status)).toEqual([200, 429, undefined]);
		for (const r of server.requests) expect(r.endedAt).toBeGreaterThanOrEqual(r.receivedAt);
	});

	test('errorRate is deterministic with a seed', async () => {
		const pattern = async () => {
			server.set({ errorRate: 0.5, seed: 42 });
			const out: number[] = [];
			for (let i = 0; i < 12; i++) out.push((await gen({ model: 'gpt-image-2', prompt: 'e' })).status);
			return out;
		};
		const a = await pattern();
		const b = await pattern();
		expect(a).toEqual(b);
		expect(a).toContain(500);
		expect(a).toContain(200);
		server.set({ errorRate: 1 });
		const e = await apiError(client.images.generate({ model: 'gpt-image-2', prompt: 'e' }));
		expect(e.status).toBe(500);
		expect(e.type).toBe('server_error');
	});

	test('latency and maxInFlight / inFlight (generations and file downloads)', async () => {
		server.set({ latencyMs: 150 });
		const t0 = Date.now();
		const all = await Promise.all(Array.from({ length: 6 }, (_, i) => gen({ model: 'dall-e-2', prompt: `p${i}` })));
		expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
		expect(all.map((r) => r.status)).toEqual(Array(6).fill(200));
		expect(server.stats.maxInFlight).toBe(6);
		const urls = await Promise.all(all.map(async (r) => ((await r.json()) as OpenAI.ImagesResponse).data![0].url!));
		expect(server.stats.inFlight).toBe(0);

		server.reset();
		server.set({ fileLatencyMs: 100 });
		const downloads = urls.slice(0, 3).map((u) => fetch(u).then((r) => r.arrayBuffer()));
		await new Promise((r) => setTimeout(r, 50));
		expect(server.stats.inFlight).toBe(3);
		await Promise.all(downloads);
		server.set({ fileLatencyMs: 0 });
		await new Promise((r) => setTimeout(r, 10));
		expect(server.stats).toMatchObject({ inFlight: 0, maxInFlight: 3, generations: 0 });
		expect(server.requests.every((r) => r.kind === 'file')).toBe(true);
	});

	test('noise mode: about 1.5 MB for a 1024x1024 PNG, cached afterwards', async () => {
		server.set({ imageMode: 'noise' });
		const r1 = (await (await gen({ model: 'gpt-image-2', prompt: 'n', size: '1024x1024' })).json()) as OpenAI.ImagesResponse;
		const png = Buffer.from(r1.data![0].b64_json!, 'base64');
		expect(pngSize(png)).toEqual({ width: 1024, height: 1024 });
		expect(png.length).toBeGreaterThan(1_300_000);
		expect(png.length).toBeLessThan(1_800_000);
		const r2 = (await (await gen({ model: 'gpt-image-2', prompt: 'n2', size: '1024x1024' })).json()) as OpenAI.ImagesResponse;
		expect(r2.data![0].b64_json).toBe(r1.data![0].b64_json);
		// Cached: the same encoding is handed out again, not made anew (no timing assertion).
		const spec = { width: 1024, height: 1024, format: 'png', mode: 'noise', alpha: false } as const;
		expect(getImage(spec)).toBe(getImage(spec));
		const raw = await sharp(png).raw().toBuffer();
		expect(new Set(raw.subarray(0, 3000)).size).toBeGreaterThan(8);
	});
});

describe('Azure OpenAI', () => {
	const apiVersion = '2025-04-01-preview';

	test('dated route through the AzureOpenAI client: content filter results, quality default high, api-key auth', async () => {
		const azure = new AzureOpenAI({ apiKey: server.apiKey, endpoint: server.url, apiVersion, deployment: 'gpt-image-2', maxRetries: 0 });
		const { data, response } = await azure.images.generate({ model: 'gpt-image-2', prompt: 'azure', size: '1024x1536' }).withResponse();
		expect(response.headers.get('apim-request-id')).toBeTruthy();
		expect(data.quality).toBe('high');
		expect(pngSize(Buffer.from(data.data![0].b64_json!, 'base64'))).toEqual({ width: 1024, height: 1536 });
		const entry = data.data![0] as unknown as Record<string, Record<string, { filtered: boolean }>>;
		expect(entry.content_filter_results.violence.filtered).toBe(false);
		expect(entry.prompt_filter_results.jailbreak.filtered).toBe(false);
		const rec = server.requests[0];
		expect(rec.path).toBe('/openai/deployments/gpt-image-2/images/generations');
		expect(rec.query['api-version']).toBe(apiVersion);
		expect(rec.headers['api-key']).toBe(server.apiKey);

		const dalle = new AzureOpenAI({ apiKey: server.apiKey, endpoint: server.url, apiVersion, deployment: 'dalle3', maxRetries: 0 });
		const d = await dalle.images.generate({ model: 'dall-e-3', prompt: 'azure dalle' });
		expect(d.data![0].url).toContain('/files/');
		expect(d.data![0].revised_prompt).toBeTruthy();
		const webp = await apiError(azure.images.generate({ model: 'gpt-image-2', prompt: 'w', output_format: 'webp' }));
		expect(webp.status).toBe(400);
		expect(webp.param).toBe('output_format');
	});

	test('Azure errors: key, deployment, api-version, content filter', async () => {
		const wrong = new AzureOpenAI({ apiKey: 'nope', endpoint: server.url, apiVersion, deployment: 'gpt-image-2', maxRetries: 0 });
		const e401 = await apiError(wrong.images.generate({ model: 'gpt-image-2', prompt: 'x' }));
		expect(e401.status).toBe(401);
		expect(e401.code).toBe('401');
		expect(e401.message).toMatch(/Access denied due to invalid subscription key/);

		const missing = new AzureOpenAI({ apiKey: server.apiKey, endpoint: server.url, apiVersion, deployment: 'nope', maxRetries: 0 });
		const e404 = await apiError(missing.images.generate({ model: 'gpt-image-2', prompt: 'x' }));
		expect(e404.status).toBe(404);
		expect(e404.code).toBe('DeploymentNotFound');

		const noVersion = await post('/openai/deployments/gpt-image-2/images/generations', { prompt: 'x' }, { 'api-key': server.apiKey });
		expect(noVersion.status).toBe(404);
		expect(await noVersion.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });

		const azure = new AzureOpenAI({ apiKey: server.apiKey, endpoint: server.url, apiVersion, deployment: 'my-image-deployment', maxRetries: 0 });
		const cf = await apiError(azure.images.generate({ model: 'gpt-image-1', prompt: 'bad [contentfilter]' }));
		expect(cf.status).toBe(400);
		expect(cf.code).toBe('contentFilter');
		expect(cf.param).toBe('prompt');
		const inner = (cf.error as { innererror: { code: string; content_filter_results: Record<string, { filtered: boolean; severity: string }> } }).innererror;
		expect(inner.code).toBe('ResponsibleAIPolicyViolation');
		expect(inner.content_filter_results.violence).toEqual({ filtered: true, severity: 'high' });
	});

	test('v1 route (deployment in body.model), deployment and model lists, Azure 429', async () => {
		const v1 = await post('/openai/v1/images/generations?api-version=preview', { model: 'my-image-deployment', prompt: 'v1' }, { authorization: '', 'api-key': server.apiKey });
		expect(v1.status).toBe(200);
		const body = (await v1.json()) as OpenAI.ImagesResponse;
		expect(body.quality).toBe('high');
		const unknown = await post('/openai/v1/images/generations', { model: 'gpt-image-1', prompt: 'v1' }, { authorization: '', 'api-key': server.apiKey });
		expect(unknown.status).toBe(404);
		expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('DeploymentNotFound');

		const viaSdk = new OpenAI({ apiKey: server.apiKey, baseURL: `${server.url}/openai/v1`, maxRetries: 0 });
		expect((await viaSdk.images.generate({ model: 'gpt-image-2', prompt: 'sdk v1' })).data).toHaveLength(1);
		expect((await viaSdk.models.list()).data.map((m) => m.id)).toContain('gpt-image-2');

		const deps = await fetch(`${server.url}/openai/deployments?api-version=2022-12-01`, { headers: { 'api-key': server.apiKey } });
		expect(await deps.json()).toMatchObject({
			data: expect.arrayContaining([{ id: 'dalle3', model: 'dall-e-3', status: 'succeeded', object: 'deployment', owner: expect.any(String), created_at: expect.any(Number), updated_at: expect.any(Number), scale_settings: expect.any(Object) }]),
		});
		expect(server.requests.at(-1)!.kind).toBe('deployments');
		expect((await fetch(`${server.url}/openai/deployments?api-version=2022-12-01`)).status).toBe(401);

		server.reset(); // empties the rate-limit window too
		server.set({ rateLimitPerMinute: 1 });
		const azure = new AzureOpenAI({ apiKey: server.apiKey, endpoint: server.url, apiVersion, deployment: 'gpt-image-2', maxRetries: 0 });
		await azure.images.generate({ model: 'gpt-image-2', prompt: 'first' });
		const limited = await apiError(azure.images.generate({ model: 'gpt-image-2', prompt: 'second' }));
		expect(limited.status).toBe(429);
		expect(limited.code).toBe('429');
		expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThan(0);
	});
});

describe('compatible-server flavors', () => {
	test('localai: url to its own /generated-images, no usage, no created, no rate-limit headers', async () => {
		server.set({ flavor: 'localai' });
		const r = await gen({ model: 'stablediffusion', prompt: 'local' });
		expect(r.status).toBe(200);
		expect(r.headers.get('x-ratelimit-limit-requests')).toBeNull();
		const body = (await r.json()) as Record<string, unknown> & OpenAI.ImagesResponse;
		expect(body.usage).toBeUndefined();
		expect(body.created).toBeUndefined();
		const url = body.data![0].url!;
		expect(url.startsWith(`${server.url}/generated-images/`)).toBe(true);
		const file = await fetch(url);
		expect(pngSize(Buffer.from(await file.arrayBuffer()))).toEqual({ width: 512, height: 512 });
		const b64 = (await (await gen({ model: 'x', prompt: 'local', response_format: 'b64_json', size: '256x256' })).json()) as OpenAI.ImagesResponse;
		expect(pngSize(Buffer.from(b64.data![0].b64_json!, 'base64'))).toEqual({ width: 256, height: 256 });
	});

	test('vllm: b64_json answers, FastAPI-style errors, HTML 502', async () => {
		server.set({ flavor: 'vllm' });
		const ok = (await (await gen({ model: 'Qwen/Qwen-Image', prompt: 'v', size: '768x512', extra_field: 1 })).json()) as OpenAI.ImagesResponse;
		expect(pngSize(Buffer.from(ok.data![0].b64_json!, 'base64'))).toEqual({ width: 768, height: 512 });
		expect(ok.usage).toBeUndefined();

		const missing = await gen({ model: 'Qwen/Qwen-Image' });
		expect(missing.status).toBe(422);
		expect(await missing.json()).toEqual({ detail: [expect.objectContaining({ loc: ['body', 'prompt'], msg: 'Field required', type: 'missing' })] });
		const url = await gen({ model: 'Qwen/Qwen-Image', prompt: 'v', response_format: 'url' });
		expect(url.status).toBe(400);
		expect(((await url.json()) as { detail: string }).detail).toMatch(/b64_json/);
		const busy = await gen({ model: 'Qwen/Qwen-Image', prompt: 'v [status:503]' });
		expect(busy.status).toBe(503);
		expect(await busy.json()).toEqual({ detail: expect.any(String) });
		const e = await apiError(client.images.generate({ model: 'Qwen/Qwen-Image', prompt: '[html502]' }));
		expect(e.status).toBe(502);
		expect((await gen({ prompt: 'v' }, { authorization: 'Bearer wrong' })).status).toBe(401);
	});
});

describe('misc', () => {
	test('unknown routes answer 404 JSON; invalid JSON 400', async () => {
		const r = await fetch(`${server.url}/v1/nothing`);
		expect(r.status).toBe(404);
		expect(((await r.json()) as { error: { message: string } }).error.message).toBe('Invalid URL (GET /v1/nothing)');
		expect((await fetch(`${server.url}/files/img-unknown.png`)).status).toBe(404);
		const bad = await gen('{not json');
		expect(bad.status).toBe(400);
		expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/could not parse the JSON body/);
	});

	test('flexible size rule', () => {
		expect(checkFlexibleSize('1024x1024')).toBeUndefined();
		expect(checkFlexibleSize('3840x2160')).toBeUndefined();
		expect(checkFlexibleSize('3840x2176')).toMatch(/pixels/);
		expect(checkFlexibleSize('3856x1296')).toMatch(/3840/);
		expect(checkFlexibleSize('2400x784')).toMatch(/aspect ratio/);
		expect(checkFlexibleSize('810x810')).toMatch(/16/);
		expect(checkFlexibleSize('800x800')).toMatch(/pixels/);
		expect(checkFlexibleSize('wide')).toMatch(/WIDTHxHEIGHT/);
	});

	test('close() ends hanging requests and keep-alive sockets', async () => {
		const s = await startImageServer({ port: 0 });
		const hanging = fetch(`${s.baseUrl}/images/generations`, {
			method: 'POST',
			headers: { authorization: `Bearer ${s.apiKey}` },
			body: JSON.stringify({ model: 'gpt-image-2', prompt: '[hang]' }),
		});
		await fetch(`${s.baseUrl}/models`, { headers: { authorization: `Bearer ${s.apiKey}` } });
		await new Promise((r) => setTimeout(r, 30));
		expect(s.stats.inFlight).toBe(1);
		// A hanging request would keep close() waiting for ever (the test's own timeout): it resolves.
		await s.close();
		await expect(hanging).rejects.toThrow();
	});
});

describe('2026 fields (openai 7.59.0 images.d.ts)', () => {
	const errorOf = async (body: unknown) => {
		const res = await gen(body);
		return { status: res.status, error: ((await res.json()) as { error: { message: string; param: string } }).error };
	};

	test('GIF: an animated GIF with frame_count frames and frame_duration_ms rounded to 10 ms', async () => {
		const answer = await client.images.generate({
			model: 'gpt-image-2.6-flare',
			prompt: 'a spinning coin',
			output_format: 'gif',
			size: '1024x1024',
			frame_count: 3,
			frame_duration_ms: 124,
		} as unknown as OpenAI.ImageGenerateParamsNonStreaming); // the installed SDK (6.x) predates gif
		const bytes = Buffer.from(answer.data![0].b64_json!, 'base64');
		const meta = await sharp(bytes, { animated: true }).metadata();
		expect([bytes.toString('latin1', 0, 6), meta.pages, meta.delay]).toEqual(['GIF89a', 3, [120, 120, 120]]);
	});

	test('SVG: SVG text, svg_usage with the author model, safety_identifier echoed (a non-empty one wins over user)', async () => {
		const res = await gen({
			model: 'gpt-image-2.6-sunburst',
			prompt: 'a logo',
			output_format: 'svg',
			svg: { model: 'gpt-5', reasoning: { effort: 'high' } },
			safety_identifier: 'sid',
			user: 'old',
		});
		const body = (await res.json()) as { data: Array<{ b64_json: string }>; svg_usage: { model: string; reasoning_tokens: number }; safety_identifier: string; output_format: string };
		expect(Buffer.from(body.data[0].b64_json, 'base64').toString()).toMatch(/^<svg /);
		expect(body).toMatchObject({ output_format: 'svg', safety_identifier: 'sid', svg_usage: { model: 'gpt-5', reasoning_tokens: expect.any(Number) } });
		const plain = (await (await gen({ model: 'gpt-image-2', prompt: 'x', user: 'old' })).json()) as { safety_identifier?: string; svg_usage?: unknown };
		expect(plain.safety_identifier).toBe('old');
		expect(plain.svg_usage).toBeUndefined();
	});

	test.each([
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', frame_count: 4 }, 'frame_count', /only supported with output_format='gif'/],
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', output_format: 'gif', frame_count: 17 }, 'frame_count', /between 2 and 16/],
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', output_format: 'gif', output_compression: 100 }, 'output_compression', /GIF output does not support output_compression/],
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', output_format: 'gif', stream: true }, 'stream', /Streaming is not supported for output format 'gif'/],
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', output_format: 'svg', n: 2 }, 'n', /SVG output requires n=1/],
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', output_format: 'svg', partial_images: 2 }, 'partial_images', /SVG output does not support partial images/],
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', output_format: 'svg', svg: { reasoning: { effort: 'low' } } }, 'svg.model', /svg.model/, ["/svg must have required property 'model'"]],
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', output_format: 'svg', svg: { model: 'm', reasoning: { effort: 'ultra' } } }, 'svg.reasoning.effort', /Supported values are: 'none', 'minimal'/, ['/svg/reasoning/effort must be one of "none", "minimal", "low", "medium", "high", "xhigh", "max"']],
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', svg: { model: 'm' } }, 'svg', /only supported with output_format='svg'/],
		[{ model: 'gpt-image-2', prompt: 'x', output_format: 'gif' }, 'output_format', /Supported values are: 'png', 'jpeg', and 'webp'/],
		[{ model: 'gpt-image-2.6-flare', prompt: 'x', quality: 'xhigh' }, 'quality', /Supported values are: 'low', 'medium', 'high', and 'auto'/],
		[{ model: 'gpt-image-2', prompt: 'x', complexity: 'max' }, 'complexity', /'low', 'medium', and 'high'/, ['/complexity must be one of "low", "medium", "high"']],
		[{ model: 'dall-e-3', prompt: 'x', complexity: 'low' }, 'complexity', /Unknown parameter: 'complexity'/],
	])('%j is refused (400, param %s)', async (body, param, message, judged: string[] = []) => {
		const { status, error } = await errorOf(body);
		expect(status).toBe(400);
		expect(error.param).toBe(param);
		expect(error.message).toMatch(message);
		// The outside judge: the published schema plus openai 7.59.0's newer fields by name.
		expect(server.takeSchemaViolations().flatMap((v) => v.errors)).toEqual(judged);
	});

	test('gpt-image-2.5 snapshots (-2026-09-08) take xhigh and max', async () => {
		const res = await gen({ model: 'gpt-image-2.5-flare-2026-09-08', prompt: 'x', quality: 'max' });
		expect(res.status).toBe(200);
		expect(((await res.json()) as { quality: string }).quality).toBe('max');
	});
});
