/**
 * Create Image as an AI Agent tool ("Create Image Tool"), inside n8n's engine: the node is
 * registered as n8n 2.41 builds the tool variant (test/helpers/tool-variant.ts) and run the
 * way n8n 2.41's AI Agent has the engine run a tool: one item holding the model's arguments,
 * which the parameters read with $fromAI(). What the model then receives is each output
 * item's JSON (checked for real in e2e/suite/agent.ts).
 */
import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';
import sharp from 'sharp';

import { imageDimensions } from '../nodes/shared/dimensions';
import { REVISED_PROMPT_MAX } from '../nodes/shared/tool';
import { binaryBuffer, loadPackageNodeTypes, runWorkflow, type BinaryDataMode, type RunResult } from './helpers/engine';
import { registerToolVariant } from './helpers/tool-variant';
import { getImage } from './server/images';
import { startImageServer, type ImageServer } from './server';
import { generations, NODE_TYPE, openAiCredentials } from './workflow';
import { pinClock, restoreClock } from './helpers/clock';

const types = loadPackageNodeTypes();
const TOOL_TYPE = registerToolVariant(types, NODE_TYPE);
const TOOL = 'Create Image Tool';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

interface ToolSettings {
	parameters?: IDataObject;
	options?: IDataObject;
	onError?: 'continueRegularOutput' | 'stopWorkflow';
	binaryDataMode?: BinaryDataMode;
	/** Abort to stop the execution (n8n's "stop"). */
	signal?: AbortSignal;
}

/** One tool call: the node gets the model's arguments as its one input item. */
async function callTool(
	args: IDataObject,
	settings: ToolSettings = {},
): Promise<RunResult & { answer: INodeExecutionData[] }> {
	const run = await runWorkflow({
		nodeTypes: types,
		nodes: [
			{
				name: TOOL,
				type: TOOL_TYPE,
				parameters: {
					model: { __rl: true, mode: 'id', value: 'gpt-image-2' },
					prompt: "={{ $fromAI('prompt', 'What the image should show', 'string') }}",
					options: {
						size: "={{ $fromAI('size', 'WIDTHxHEIGHT, e.g. 1536x1024, or auto', 'string', 'auto') }}",
						...settings.options,
					},
					...settings.parameters,
				},
				credentials: { openAiImagesApi: { id: '1', name: 'Image server' } },
				...(settings.onError ? { onError: settings.onError } : {}),
			},
		],
		connections: {},
		startNode: TOOL,
		input: [{ json: { ...args, toolCallId: 'call_1' } }],
		credentials: openAiCredentials(server),
		binaryDataMode: settings.binaryDataMode,
		signal: settings.signal,
		cancelTimeoutMs: settings.signal ? 3000 : undefined,
	});
	const outputs = run.executedNodes.includes(TOOL) && !run.nodeError(TOOL) ? run.outputs(TOOL) : [];
	return Object.assign(run, { answer: outputs[0] ?? [], outputCount: outputs.length });
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

describe('tool mode: what the model receives', () => {
	test('a short JSON per image (file name, type, bytes, width, height, model, note); the PNG stays on the item', async () => {
		const run = await callTool({ prompt: 'A red fox in snow', size: '1536x1024' });

		expect(run.status).toBe('success');
		expect(run.outputs(TOOL)).toHaveLength(1); // Result only: no Configuration output for an agent
		expect(run.answer).toHaveLength(1);
		const [item] = run.answer;
		const bytes = await binaryBuffer(item, 'data');
		expect(bytes.subarray(0, 4)).toEqual(PNG);
		expect(item.json).toEqual({
			fileName: 'image_0_0.png',
			mimeType: 'image/png',
			bytes: bytes.length,
			width: 1536,
			height: 1024,
			model: 'gpt-image-2',
			note: 'The image was delivered to the workflow as the file image_0_0.png. You have no link to it: do not write or make up a URL for it; say that it was created.',
		});
		expect(item.pairedItem).toEqual({ item: 0 });
		// What n8n hands the model is the items' JSON as text: short, and no base64 in it.
		const told = JSON.stringify(run.answer.map((answer) => answer.json));
		expect(told.length).toBeLessThan(500);
		expect(told).not.toContain(bytes.toString('base64').slice(0, 40));
		expect(generations(server).map((request) => request.body)).toEqual([
			{ model: 'gpt-image-2', prompt: 'A red fox in snow', size: '1536x1024' },
		]);
	});

	test('$fromAI arguments for quality and n: one JSON per image, named by index', async () => {
		const run = await callTool(
			{ prompt: 'Two cats', quality: 'low', n: 2 },
			{
				options: {
					size: '1024x1024',
					quality: "={{ $fromAI('quality', 'auto, low, medium or high', 'string', 'auto') }}",
					n: "={{ $fromAI('n', 'how many images, 1 to 10', 'number', 1) }}",
					fileName: 'cats',
				},
			},
		);

		expect(run.status).toBe('success');
		expect(run.answer.map((item) => item.json.fileName)).toEqual(['cats_0.png', 'cats_1.png']);
		expect(run.answer.map((item) => [item.json.width, item.json.height])).toEqual([
			[1024, 1024],
			[1024, 1024],
		]);
		expect(generations(server).map((request) => request.body)).toEqual([
			{ model: 'gpt-image-2', prompt: 'Two cats', size: '1024x1024', quality: 'low', n: 2 },
		]);
	});

	test('Stream with Partial Images: each preview is marked as one, before the final image', async () => {
		const run = await callTool({ prompt: 'A kite' }, { options: { size: '1024x1024', stream: true, partialImages: 1 } });
		expect(run.status).toBe('success');
		expect(run.answer.map((item) => [item.json.fileName, item.json.partialImageIndex])).toEqual([
			['image_0_0_partial0.png', 0],
			['image_0_0.png', undefined],
		]);
		expect(run.answer[0].json.note).toMatch(/^A rough preview made while the image was generated \(the final image follows\)/);
		expect(run.answer[1].json.note).toMatch(/^The image was delivered to the workflow as the file image_0_0\.png\./);
	});

	test('dall-e-3: the revised prompt cut to a few hundred characters, and the provider\'s URL', async () => {
		const prompt = `A lighthouse ${'with many details '.repeat(40)}`.trim();
		const run = await callTool(
			{ prompt },
			{ parameters: { model: { __rl: true, mode: 'id', value: 'dall-e-3' } }, options: { size: '1024x1024' } },
		);

		expect(run.status).toBe('success');
		const { json } = run.answer[0];
		const revised = `A detailed, high-quality rendering of: ${prompt}`;
		expect(json.revisedPrompt).toBe(`${revised.slice(0, REVISED_PROMPT_MAX - 1)}…`);
		expect(json.url).toMatch(new RegExp(`^${server.url}/`));
		expect(json.note).toContain('"url" is the provider\'s own temporary link');
		expect(json).toMatchObject({ fileName: 'image_0_0.png', width: 1024, height: 1024, model: 'dall-e-3' });
		expect(JSON.stringify(json).length).toBeLessThan(1000);
	});

	test('Raw Response in tool mode: rows without the base64 payload', async () => {
		const run = await callTool({ prompt: 'A cat' }, { parameters: { resultFormat: 'rawResponse' } });

		expect(run.status).toBe('success');
		const [row] = run.answer;
		expect(row.json.status).toBe(200);
		const told = JSON.stringify(row.json);
		expect(told.length).toBeLessThan(1000);
		expect(told).toMatch(/"b64_json":"\(\d+ characters left out\)"/);
	});
});

describe('tool mode: Image Link for the Agent', () => {
	afterEach(() => restoreClock());

	test('signedUrl: a link n8n signed for the stored file, valid for the chosen minutes', async () => {
		const before = Date.now();
		// linkExpiresAt is the node's clock plus the minutes; the token's exp is n8n's own clock.
		pinClock('2031-07-01T10:00:00.000Z');
		const run = await callTool(
			{ prompt: 'A lighthouse' },
			{ parameters: { imageLinkForAgent: 'signedUrl', imageLinkMinutes: 30 }, binaryDataMode: 'filesystem' },
		);

		expect(run.status).toBe('success');
		const [item] = run.answer;
		const link = new URL(String(item.json.link));
		// n8n's own route, skipAuth: GET {instance}/rest/binary-data/signed?token=<JWT of the binary id>
		expect(`${link.origin}${link.pathname}`).toBe('http://127.0.0.1:5678/rest/binary-data/signed');
		const token = link.searchParams.get('token')!;
		expect(Container.get(BinaryDataService).validateSignedToken(token)).toBe(item.binary!.data.id);
		const { exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number };
		expect(exp * 1000).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 30 * 60_000);
		expect(exp * 1000).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
		expect(item.json.linkExpiresAt).toBe('2031-07-01T10:30:00.000Z');
		expect(item.json.note).toContain('use "link" exactly as given');
		expect((await binaryBuffer(item, 'data')).subarray(0, 4)).toEqual(PNG);
	});

	test('Link Valid For from an expression: numeric text is the minutes; 0 or words are refused before anything is sent, never a day-long link', async () => {
		pinClock('2031-07-01T10:00:00.000Z');
		const run = await callTool(
			{ prompt: 'A lighthouse', minutes: ' 30 ' },
			{ parameters: { imageLinkForAgent: 'signedUrl', imageLinkMinutes: '={{ $json.minutes }}' }, binaryDataMode: 'filesystem' },
		);
		expect(run.status).toBe('success');
		expect(run.answer[0].json.linkExpiresAt).toBe('2031-07-01T10:30:00.000Z');

		for (const minutes of ['0', 'an hour']) {
			server.reset();
			const refused = await callTool(
				{ prompt: 'A lighthouse', minutes },
				{ parameters: { imageLinkForAgent: 'signedUrl', imageLinkMinutes: '={{ $json.minutes }}' }, binaryDataMode: 'filesystem' },
			);
			expect(refused.answer.map((item) => item.json)).toEqual([
				{ error: expect.stringMatching(new RegExp(`^Link Valid For \\(Minutes\\): "${minutes}" is not`)) },
			]);
			expect(generations(server)).toHaveLength(0);
		}
	});

	test('signedUrl with binary data kept in memory: no link, and the model is told so', async () => {
		const run = await callTool(
			{ prompt: 'A lighthouse' },
			{ parameters: { imageLinkForAgent: 'signedUrl' }, binaryDataMode: 'default' },
		);

		expect(run.status).toBe('success');
		const { json } = run.answer[0];
		expect(json.link).toBeUndefined();
		expect(json.linkUnavailable).toMatch(/keeps files in memory/);
		expect(json.note).toContain('You have no link to it');
	});

	test('the option is shown only on the tool variant (n8n\'s @tool display rule)', () => {
		const shown = (type: string) => {
			const nodeType = NodeHelpers.getVersionedNodeType(types.getByName(type));
			const node = { id: '1', name: 'n', type, typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
			const parameters = NodeHelpers.getNodeParameters(nodeType.description.properties, { imageLinkForAgent: 'signedUrl' }, true, false, node, nodeType.description);
			return Object.keys(parameters ?? {}).filter((name) => name.startsWith('imageLink'));
		};
		expect(shown(TOOL_TYPE)).toEqual(['imageLinkForAgent', 'imageLinkMinutes']);
		expect(shown(NODE_TYPE)).toEqual([]);
	});
});

describe('tool mode: errors the model can act on', () => {
	test('a size the model does not take: one { error } item saying what was wrong and what is accepted; nothing sent', async () => {
		const run = await callTool({ prompt: 'A cat', size: '1000x1000' });

		expect(run.status).toBe('success');
		expect(run.answer).toHaveLength(1);
		expect(Object.keys(run.answer[0].json)).toEqual(['error']);
		const message = String(run.answer[0].json.error);
		expect(message).toMatch(/^Options › Size: "1000x1000" is not accepted by gpt-image-2: both edges must be multiples of 16\. Accepted: auto, or WIDTHxHEIGHT/);
		expect(message.length).toBeLessThanOrEqual(600);
		expect(run.answer[0].pairedItem).toEqual({ item: 0 });
		expect(generations(server)).toHaveLength(0);
	});

	test('an API refusal: the provider\'s message', async () => {
		const run = await callTool({ prompt: 'A cat [moderation]' });

		expect(run.status).toBe('success');
		expect(run.answer[0].json.error).toMatch(/^Your request was rejected by the safety system/);
	});

	test('On Error: Stop Workflow (set explicitly): the node fails, with the same short message', async () => {
		const run = await callTool({ prompt: 'A cat', size: '1000x1000' }, { onError: 'stopWorkflow' });

		expect(run.status).toBe('error');
		expect(run.nodeError(TOOL)!.message).toMatch(/^Options › Size: "1000x1000" is not accepted by gpt-image-2/);
	});

	test('a stopped execution stops the tool too: no { error } item handed back to the agent as if the call had failed', async () => {
		server.set({ latencyMs: 5000 });
		const controller = new AbortController();
		const poll = () => (server.stats.inFlight >= 1 ? controller.abort() : void setImmediate(poll));
		poll();
		const run = await callTool({ prompt: 'A cat, stopped' }, { signal: controller.signal });
		server.set({ latencyMs: 0 });

		expect(run.status).toBe('canceled');
		expect(run.answer).toEqual([]);
		expect(run.nodeError(TOOL)?.message).toBe('The execution was cancelled');
	});

	test('On Error: Continue: the same { error } item', async () => {
		const run = await callTool({ prompt: 'A cat', size: '1000x1000' }, { onError: 'continueRegularOutput' });

		expect(run.status).toBe('success');
		expect(run.answer.map((item) => Object.keys(item.json))).toEqual([['error']]);
		expect(run.answer[0].json.error).toMatch(/^Options › Size: "1000x1000" is not accepted/);
	});
});

describe('imageDimensions (nodes/shared/dimensions.ts)', () => {
	test.each([
		['png', 1536, 1024],
		['jpeg', 1024, 1536],
		['webp', 640, 480],
		['gif', 320, 200],
	] as const)('%s %ix%i from the file header', async (format, width, height) => {
		const image = await getImage({ width, height, format, mode: 'noise' });
		expect(imageDimensions(image.buffer)).toEqual({ width, height });
	});

	test('WEBP lossless (VP8L) and with alpha (VP8X)', async () => {
		const pixels = { create: { width: 300, height: 170, channels: 4 as const, background: { r: 9, g: 99, b: 200, alpha: 0.5 } } };
		expect(imageDimensions(await sharp(pixels).webp({ lossless: true }).toBuffer())).toEqual({ width: 300, height: 170 });
		expect(imageDimensions(await sharp(pixels).webp({ quality: 50 }).toBuffer())).toEqual({ width: 300, height: 170 });
	});

	test('undefined for SVG, truncated headers and other bytes', async () => {
		const png = (await getImage({ width: 64, height: 64, format: 'png', mode: 'solid' })).buffer;
		expect(imageDimensions(png.subarray(0, 20))).toBeUndefined();
		expect(imageDimensions(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'))).toBeUndefined();
		expect(imageDimensions(Buffer.from('not an image at all'))).toBeUndefined();
		expect(imageDimensions(Buffer.alloc(0))).toBeUndefined();
	});
});
