/**
 * Issue 15, part 3: each request's token usage goes to n8n's run metadata (the node run's
 * `metadata.tokenUsage`, n8n-workflow's accumulateTokenUsage), for both nodes, directly and as
 * an AI Agent tool, each request counted once: split `n`, retries, partial images and streamed
 * completed events included. The right value is the sum of the items' `usage` (which is on the
 * first image of each request, and on each completed event of a stream).
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { startImageServer, type ImageServer } from './server';
import { getImage } from './server/images';
import { loadPackageNodeTypes, runWorkflow, type RunResult } from './helpers/engine';
import { registerToolVariant } from './helpers/tool-variant';
import { EDIT_NODE, file, generations, NODE, NODE_TYPE, openAiCredentials, runCreateImage, runEditImage } from './workflow';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	server.set({ latencyMs: 0, flavor: 'openai', imageMode: 'solid' });
});

interface Usage {
	input_tokens: number;
	output_tokens: number;
}

/** The sum of the items' `usage` (Images), or of the answers' (Raw Response rows: body.usage, or each event's). */
function itemsUsage(items: INodeExecutionData[]): { inputTokens: number; outputTokens: number } {
	const usages: Usage[] = [];
	for (const { json } of items) {
		if (json.usage) usages.push(json.usage as unknown as Usage);
		const body = json.body as { usage?: Usage } | Array<{ usage?: Usage }> | undefined;
		if (Array.isArray(body)) usages.push(...body.flatMap((event) => (event.usage ? [event.usage] : [])));
		else if (body?.usage) usages.push(body.usage);
	}
	return {
		inputTokens: usages.reduce((sum, usage) => sum + usage.input_tokens, 0),
		outputTokens: usages.reduce((sum, usage) => sum + usage.output_tokens, 0),
	};
}

const tokenUsage = (run: RunResult, node: string) => run.task(node).metadata?.tokenUsage;

describe('Create Image: the run metadata holds the sum of the items\' usage', () => {
	test('plain and streamed requests, several images, partial images, a retry: each request once', async () => {
		const rows = [
			{ prompt: 'two plain', n: 2, stream: false },
			{ prompt: 'two streamed', n: 2, stream: true },
			{ prompt: 'retried once [status:500x1]', n: 1, stream: false },
		];
		const run = await runCreateImage(server, rows, {
			options: { n: '={{ $json.n }}', stream: '={{ $json.stream }}', partialImages: '={{ $json.stream ? 1 : "" }}', maxRetries: 2 },
		});
		expect(run.status).toBe('success');
		expect(generations(server)).toHaveLength(4);
		// 2 + (2 finals + 2 partials) + 1 items; usage on the plain request's first image and on each completed event.
		expect(run.result).toHaveLength(7);
		const expected = itemsUsage(run.result);
		expect(expected.inputTokens).toBeGreaterThan(0);
		expect(expected.outputTokens).toBeGreaterThan(0);
		expect(tokenUsage(run, NODE)).toEqual(expected);
	});

	test('a split n (SVG output: one image per request): every request counted, once', async () => {
		const run = await runCreateImage(server, [{ prompt: 'three icons' }], {
			model: 'gpt-image-2.6-flare',
			options: { n: 3, outputFormat: 'svg', svgModel: 'gpt-5' },
		});
		expect(run.status).toBe('success');
		expect(generations(server)).toHaveLength(3);
		expect(run.result.filter((item) => item.json.usage)).toHaveLength(3);
		expect(tokenUsage(run, NODE)).toEqual(itemsUsage(run.result));
	});

	test('Raw Response: the answers\' usage, plain and streamed', async () => {
		const run = await runCreateImage(server, [{ prompt: 'raw plain', stream: false }, { prompt: 'raw streamed', stream: true }], {
			resultFormat: 'rawResponse',
			options: { stream: '={{ $json.stream }}', n: 2 },
		});
		expect(run.status).toBe('success');
		const expected = itemsUsage(run.result);
		expect(expected.outputTokens).toBeGreaterThan(0);
		expect(tokenUsage(run, NODE)).toEqual(expected);
	});

	test('a stream cut after its images arrived: their usage counts, once (nothing sent again)', async () => {
		const prompt = 'cut after the image [stream-reset:1]';
		const run = await runCreateImage(server, [{ prompt }], { options: { stream: true, retryOnUnknownOutcome: true, maxRetries: 2 } });
		expect(run.status).toBe('success');
		expect(generations(server)).toHaveLength(1);
		expect(tokenUsage(run, NODE)).toEqual(itemsUsage(run.result));
	});

	test('answers without usage (dall-e-3) leave the metadata without tokenUsage', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a dall-e image' }], { model: 'dall-e-3' });
		expect(run.status).toBe('success');
		expect(tokenUsage(run, NODE)).toBeUndefined();
	});
});

describe('Edit Image and tool mode', () => {
	test('Edit Image: the sum of its items\' usage', async () => {
		const png = (await getImage({ width: 64, height: 64, format: 'png', mode: 'solid' })).buffer;
		const rows = [1, 2].map((n) => ({ json: { prompt: `edit ${n}`, n }, binary: { data: file(png, 'image/png', 'in.png') } }));
		const run = await runEditImage(server, rows, { options: { n: '={{ $json.n }}' } });
		expect(run.status).toBe('success');
		const expected = itemsUsage(run.result);
		expect(expected.outputTokens).toBeGreaterThan(0);
		expect(tokenUsage(run, EDIT_NODE)).toEqual(expected);
	});

	test('as an AI Agent tool: the tool node\'s run holds the usage of its request', async () => {
		const types = loadPackageNodeTypes();
		const toolType = registerToolVariant(types, NODE_TYPE);
		const run = await runWorkflow({
			nodeTypes: types,
			nodes: [
				{
					name: 'Create Image Tool',
					type: toolType,
					parameters: {
						model: { __rl: true, mode: 'id', value: 'gpt-image-2' },
						prompt: "={{ $fromAI('prompt', 'What the image should show', 'string') }}",
						options: { stream: true, partialImages: 1 },
					},
					credentials: { openAiImagesApi: { id: '1', name: 'Image server' } },
				},
			],
			connections: {},
			startNode: 'Create Image Tool',
			input: [{ json: { prompt: 'a tool image', toolCallId: 'call_1' } }],
			credentials: openAiCredentials(server),
		});
		expect(run.status).toBe('success');
		const usage = run.task('Create Image Tool').metadata?.tokenUsage;
		expect(usage?.inputTokens).toBeGreaterThan(0);
		expect(usage?.outputTokens).toBeGreaterThan(0);
		const direct = await runCreateImage(server, [{ prompt: 'a tool image' }], { options: { stream: true, partialImages: 1 } });
		expect(usage).toEqual(itemsUsage(direct.result));
	});
});
