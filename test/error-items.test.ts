/**
 * What a failed item holds in both continue modes (Settings › On Error: Continue, and Continue
 * (using error output)), inside n8n's engine against the project's image server: the message
 * and the details a workflow branches on, for API errors, transport failures and input the node
 * refuses before sending. Never the key, never image data.
 */
import { startImageServer, type ImageServer } from './server';
import { runCreateImage } from './workflow';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

type Mode = 'continueRegularOutput' | 'continueErrorOutput';
const MODES: Mode[] = ['continueRegularOutput', 'continueErrorOutput'];

/** Runs [fine, failing] and returns the failed item as the user's next node gets it. */
async function failedItem(mode: Mode, prompt: string, settings: Parameters<typeof runCreateImage>[2] = {}) {
	const run = await runCreateImage(server, [{ prompt: 'fine' }, { prompt }], { ...settings, onError: mode });
	expect(run.status).toBe('success');
	expect(JSON.stringify(run.run)).not.toContain(server.apiKey);
	if (mode === 'continueRegularOutput') {
		expect(run.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(run.result[0].binary?.data).toBeDefined();
		return run.result[1];
	}
	expect(run.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }]);
	expect(run.errors).toHaveLength(1);
	expect(run.errors[0].pairedItem).toEqual({ item: 1 });
	// n8n's error output adds the input item's fields: the prompt comes along.
	expect(run.errors[0].json.prompt).toBe(prompt);
	return run.errors[0];
}

describe.each(MODES)('%s: the failed item', (mode) => {
	test('a 400 (safety refusal): message, status, type, code, attempts, request id', async () => {
		const item = await failedItem(mode, 'a cat [moderation]', { options: { maxRetries: 2 } });
		expect(item.json.error).toEqual({
			message: expect.stringMatching(/safety system/),
			description: 'HTTP 400, type: image_generation_user_error, code: moderation_blocked',
			itemIndex: 1,
			status: 400,
			type: 'image_generation_user_error',
			code: 'moderation_blocked',
			attempts: 1,
			requestId: expect.stringMatching(/^req_[0-9a-f]{32}$/),
			outcomeUnknown: false,
		});
	});

	test('a 429 rate limit after retries: status 429, code rate_limit_exceeded, 3 attempts', async () => {
		const item = await failedItem(mode, 'a cat [status:429] [retry-after-ms:10]', { options: { maxRetries: 2 } });
		expect(item.json.error).toEqual({
			message: expect.stringMatching(/ \(after 3 attempts\)$/),
			description: 'HTTP 429, type: requests, code: rate_limit_exceeded',
			itemIndex: 1,
			status: 429,
			type: 'requests',
			code: 'rate_limit_exceeded',
			attempts: 3,
			requestId: expect.stringMatching(/^req_/),
			outcomeUnknown: false,
		});
	});

	test('insufficient_quota: a 429 told apart from the rate limit by its code, not retried', async () => {
		const item = await failedItem(mode, 'a cat [quota]', { options: { maxRetries: 2 } });
		expect(item.json.error).toEqual({
			message: expect.stringMatching(/quota/),
			description: 'HTTP 429, type: insufficient_quota, code: insufficient_quota',
			itemIndex: 1,
			status: 429,
			type: 'insufficient_quota',
			code: 'insufficient_quota',
			attempts: 1,
			requestId: expect.stringMatching(/^req_/),
			outcomeUnknown: false,
		});
	});

	test('a timeout: no status, timedOut, outcomeUnknown true (may have been billed), not sent again', async () => {
		const item = await failedItem(mode, 'a cat [hang]', { options: { timeout: 1000, maxRetries: 2 } });
		expect(item.json.error).toEqual({
			message: `No answer from ${new URL(server.baseUrl).origin} within 1000 ms. The request may have been completed and billed, so it was not sent again; to retry it anyway (and maybe pay twice), turn on Options › Retry When Outcome Is Unknown`,
			description: 'Large or high-quality images can take minutes: raise Options › Request Timeout.',
			itemIndex: 1,
			code: 'ECONNABORTED',
			timedOut: true,
			attempts: 1,
			outcomeUnknown: true,
		});
		expect(server.requests.filter((r) => r.kind === 'generation' && (r.body as { prompt?: string }).prompt === 'a cat [hang]')).toHaveLength(1);
	});

	test('input refused before sending: the field, no status, nothing sent for it', async () => {
		const item = await failedItem(mode, 'a cat', { options: { size: '={{ $json.prompt === "fine" ? "1024x1024" : "1000x1000" }}' } });
		expect(item.json.error).toEqual({
			message: expect.stringMatching(/^\[item 1\] Options › Size: "1000x1000" is not accepted by gpt-image-2: /),
			itemIndex: 1,
			field: 'Options › Size',
			outcomeUnknown: false,
		});
		expect(server.requests.filter((r) => r.kind === 'generation')).toHaveLength(1);
	});
});

test('a node-wide failure (Concurrency 0): each item holds the message, its own index and the field', async () => {
	const run = await runCreateImage(server, [{ prompt: 'a' }, { prompt: 'b' }], { options: { concurrency: 0 }, onError: 'continueRegularOutput' });
	expect(run.result.map((item) => item.json)).toEqual(
		[0, 1].map((itemIndex) => ({
			error: {
				message: expect.stringMatching(/^Options › Concurrency: 0 is not accepted; expected a whole number from 1 to \d+$/),
				itemIndex,
				field: 'Options › Concurrency',
				outcomeUnknown: false,
			},
		})),
	);
	expect(server.requests).toHaveLength(0);
});
