/**
 * Create Image Tool under n8n's own AI Agent, in one real n8n host: Manual Trigger -> AI Agent
 * (n8n's OpenAI Chat Model pointed at the image server's scripted chat model, test/server/chat.ts)
 * -> Create Image Tool. The workflows in e2e/fixtures/agent-*.workflow.json run with
 * `n8n execute`; the checks read what the model received in its next request (the image
 * server records every request), the agent's output, and download the signed link from a
 * running `n8n start` without logging in.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEditor, type Editor } from '../../scripts/lib/editor';
import { startImageServer, type ImageServer, type RecordedRequest } from '../../test/server';
import { freePorts, N8nInstance, type ExecuteResult, type N8nItem, type N8nRun } from '../lib/n8n';
import type { HostSuiteInput, HostSuiteResult } from './create-image';
import { centre } from './edit-image';
import { Checks, seconds } from './runner';

const REPO = resolve(__dirname, '..', '..');
const FIXTURES = join(REPO, 'e2e', 'fixtures');
/** The README's example (Chat Trigger); run here from a Manual Trigger with the message below. */
const EXAMPLE = join(REPO, 'examples', 'agent-create-image.workflow.json');
/** The README's example of both tools: Create Image Tool, then Edit Image Tool with the link it returned. */
const EDIT_EXAMPLE = join(REPO, 'examples', 'agent-create-then-edit.workflow.json');
const TOOL = 'Create Image';
const AGENT = 'AI Agent';

const WORKFLOWS = {
	link: EXAMPLE,
	noLink: join(FIXTURES, 'agent-no-link.workflow.json'),
	badSize: join(FIXTURES, 'agent-bad-size.workflow.json'),
	edit: EDIT_EXAMPLE,
} as const;
type WorkflowName = keyof typeof WORKFLOWS;

/** The user message of each workflow, as the model receives it (the image server's [args] tags stripped by its script). */
const ASKED: Record<WorkflowName, string> = {
	link: 'Draw a watercolour lighthouse at dawn and give me a link to it',
	noLink: 'Draw a red fox curled up in snow',
	badSize: 'Draw a bowl of ramen',
	edit: 'Draw a lighthouse on a cliff, then make it a starry night',
};

/** The edit example's message: the scripted model calls Create_Image, then Edit_Image with the link and this prompt. */
const EDIT_PROMPT = 'Make it a starry night, keep the lighthouse';
const EDIT_MESSAGE = `${ASKED.edit} [tool:Create_Image] [then:Edit_Image] [then-args:{"prompt":"${EDIT_PROMPT}"}]`;

/** The chat message the example's run sends (the [args] tag makes the scripted model ask for this size). */
const LINK_MESSAGE = `${ASKED.link} [args:{"size":"1536x1024"}]`;

const CREDENTIALS = {
	images: { id: 'createImageExampleCred', name: 'OpenAI Images API', type: 'openAiImagesApi' },
	chat: { id: 'agentChatModelCred', name: 'Chat model (image server)', type: 'openAiApi' },
};

/** One model request as recorded by the image server, read for either API. */
interface ModelRequest {
	api: 'responses' | 'chat';
	request: RecordedRequest;
	userText: string;
	/** The tool results in the request, as the model receives them (text). */
	toolOutputs: string[];
	tools: Array<{ name: string; description?: string; parameters?: { properties?: Record<string, { description?: string }> } }>;
}

function readModelRequest(request: RecordedRequest): ModelRequest {
	const body = request.body as Record<string, unknown>;
	const api = request.path.endsWith('/responses') ? 'responses' : 'chat';
	const entries = (api === 'responses' ? body.input : body.messages) as Array<Record<string, unknown>>;
	const list = Array.isArray(entries) ? entries : [{ role: 'user', content: String(entries) }];
	const textOf = (content: unknown) =>
		typeof content === 'string' ? content : Array.isArray(content) ? content.map((part) => String(part?.text ?? '')).join('') : '';
	const user = list.filter((entry) => entry.role === 'user').map((entry) => textOf(entry.content));
	const toolOutputs = list
		.filter((entry) => entry.type === 'function_call_output' || entry.role === 'tool')
		.map((entry) => textOf(entry.output ?? entry.content));
	const tools = ((body.tools ?? []) as Array<Record<string, unknown>>).map((tool) => (api === 'chat' ? tool.function : tool) as ModelRequest['tools'][number]);
	return { api, request, userText: user[user.length - 1] ?? '', toolOutputs, tools };
}

export async function runAgentSuite({ ready, name, limiter, log }: HostSuiteInput): Promise<HostSuiteResult> {
	const prefix = `[${name} agent]`;
	const say = (line: string) => log(`${prefix} ${line}`);
	const checks = new Checks(prefix, log);
	const timings: Array<[string, number]> = [];
	const timed = async <T>(label: string, fn: () => Promise<T>, limited = true): Promise<T> => {
		const task = async () => {
			const started = Date.now();
			const result = await fn();
			timings.push([`agent ${label}`, Date.now() - started]);
			say(`${label}: ${seconds(started)}`);
			return result;
		};
		return limited ? limiter.run(task) : task();
	};

	let server: ImageServer | undefined;
	let instance: N8nInstance | undefined;
	let editor: Editor | undefined;
	const setup = (async () => {
		const { host, tgz } = await ready;
		server = await startImageServer({ apiKey: `sk-e2e-${randomBytes(16).toString('hex')}` });
		const [editorPort] = await freePorts(1);
		// The signed link is made from n8n's own URL: that of the editor started for the download.
		instance = await N8nInstance.create(host, {
			env: { WEBHOOK_URL: `http://localhost:${editorPort}/`, N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem' },
		});
		const n8n = instance;
		const { apiKey, baseUrl } = server;
		await timed('install package', () => n8n.installPackage(tgz), false);
		await timed('import credentials', () =>
			n8n.importCredentials([
				{ ...CREDENTIALS.images, data: { apiKey, baseUrl } },
				{ ...CREDENTIALS.chat, data: { apiKey, url: baseUrl } },
			]),
		);
		const names = Object.keys(WORKFLOWS) as WorkflowName[];
		const workflows = names.map((key) => {
			const workflow = forHost(JSON.parse(readFileSync(WORKFLOWS[key], 'utf8')) as WorkflowJson, host.n8nVersion);
			if (key === 'link') return withManualTrigger(workflow, LINK_MESSAGE);
			return key === 'edit' ? withManualTrigger(workflow, EDIT_MESSAGE) : workflow;
		});
		const ids = await timed(`import ${names.length} workflows`, () => n8n.importWorkflows(workflows));
		return { images: server, n8n, editorPort, n8nVersion: host.n8nVersion, ids: Object.fromEntries(names.map((key, i) => [key, ids[i]])) as Record<WorkflowName, string> };
	})();

	/** `n8n start` on the instance, started once: it serves the signed links (the image server fetches one during the edit run). */
	let editorStarted: Promise<Editor> | undefined;
	const startEditorOnce = async () => {
		const { n8n, editorPort } = await setup;
		editorStarted ??= timed('start n8n for the links', () => startEditor(n8n, { port: editorPort, log: say }), false);
		return await editorStarted;
	};
	const runs = {} as Record<WorkflowName, Promise<ExecuteResult>>;
	for (const key of Object.keys(WORKFLOWS) as WorkflowName[]) {
		// The edit run needs n8n serving its signed link while it runs: after the other runs, once `n8n start` is up.
		const before =
			key === 'edit'
				? setup.then(async (context) => {
						await Promise.allSettled((Object.keys(runs) as WorkflowName[]).filter((other) => other !== 'edit').map((other) => runs[other]));
						await startEditorOnce();
						return context;
					})
				: setup;
		runs[key] = before.then(async ({ n8n, ids }) => {
			const result = await timed(`execute ${key}`, () => n8n.execute(ids[key]));
			if (process.env.E2E_KEEP_INSTANCES) {
				writeFileSync(join(n8n.userFolder, `agent-${key}.log`), `exit ${result.exitCode}\n${result.stdout}\n--- stderr\n${result.stderr}`);
			}
			return result;
		});
		runs[key].catch(() => undefined);
	}
	/** The model requests of one workflow's conversation, in order. */
	const conversation = async (key: WorkflowName): Promise<ModelRequest[]> => {
		const { images } = await setup;
		await runs[key];
		return images.requests.filter((r) => r.kind === 'chat').map(readModelRequest).filter((r) => r.userText.startsWith(ASKED[key]));
	};
	const toolAnswer = async (key: WorkflowName): Promise<{ text: string; items: Array<Record<string, unknown>> }> => {
		const requests = await conversation(key);
		assert.equal(requests.length, 2, `model requests: ${requests.length} (a tool call, then the answer)`);
		assert.equal(requests[0].toolOutputs.length, 0);
		assert.equal(requests[1].toolOutputs.length, 1, 'the second request holds one tool result');
		const text = requests[1].toolOutputs[0];
		return { text, items: JSON.parse(text) as Array<Record<string, unknown>> };
	};

	try {
		await checks.check('the model is offered the tool with its default description and $fromAI parameters', async () => {
			const [first] = await conversation('link');
			assert.ok(first, 'no model request');
			say(`model API called: POST ${first.request.path}`);
			const tool = first.tools.find((candidate) => candidate.name === 'Create_Image');
			assert.ok(tool, `tools offered: ${first.tools.map((candidate) => candidate.name).join(', ')}`);
			say(`tool description the model received: ${JSON.stringify(tool.description)}`);
			assert.match(String(tool.description), /^Create images from a text prompt .* as an AI Agent tool it returns the file's name, type, size in bytes, width and height, not the image itself\.$/);
			assert.deepEqual(Object.keys(tool.parameters?.properties ?? {}).sort(), ['prompt', 'size']);
			assert.match(String(tool.parameters?.properties?.size?.description), /1536x1024 \(landscape\)/);
		});

		await checks.check('signed link: the tool ran once and made one image with the model\'s prompt and size', async () => {
			const run = succeeded(await runs.link);
			const toolRuns = run.data.resultData.runData[TOOL] ?? [];
			assert.equal(toolRuns.length, 1, 'tool runs');
			// The tool's own run data keeps the file on its item (the model only gets the JSON).
			const toolItem = (toolRuns[0].data as Record<string, N8nItem[][]> | undefined)?.ai_tool?.[0]?.[0];
			say(`the tool's item in the run data: binary ${JSON.stringify(Object.keys(toolItem?.binary ?? {}))}`);
			assert.equal(toolItem?.binary?.data?.fileName, 'image_0_0.png');
			const { images } = await setup;
			const sent = images.requests.filter((r) => r.kind === 'generation' && String((r.body as { prompt?: string }).prompt).startsWith(ASKED.link));
			assert.equal(sent.length, 1, 'image requests');
			assert.deepEqual(sent[0].body, { model: 'gpt-image-2', prompt: ASKED.link, size: '1536x1024', quality: 'low' });
		});

		await checks.check('signed link: the model\'s next request holds the short JSON: file name, size, link, no base64', async () => {
			const { text, items } = await toolAnswer('link');
			say(`the model received (${text.length} characters): ${text}`);
			assert.ok(text.length < 1200, `${text.length} characters`);
			assert.equal(items.length, 1);
			const [image] = items;
			assert.deepEqual(Object.keys(image), ['fileName', 'mimeType', 'bytes', 'width', 'height', 'model', 'link', 'linkExpiresAt', 'note']);
			assert.deepEqual(
				{ fileName: image.fileName, mimeType: image.mimeType, width: image.width, height: image.height, model: image.model },
				{ fileName: 'image_0_0.png', mimeType: 'image/png', width: 1536, height: 1024, model: 'gpt-image-2' },
			);
			assert.match(String(image.link), /^http:\/\/localhost:\d+\/rest\/binary-data\/signed\?token=[\w-]+\.[\w-]+\.[\w-]+$/);
			assert.ok(!/[A-Za-z0-9+/]{400,}/.test(text.replace(String(image.link), '')), 'no base64 run in what the model received');
		});

		await checks.check('signed link: the agent\'s answer holds the link, and the link downloads the PNG without a login', async () => {
			const run = succeeded(await runs.link);
			const output = String(run.data.resultData.runData[AGENT]?.[0]?.data?.main[0]?.[0]?.json.output);
			say(`agent output: ${output}`);
			const { items } = await toolAnswer('link');
			const link = String(items[0].link);
			assert.equal(output, `Here is your image: ![image_0_0.png](${link})`);
			editor = await startEditorOnce();
			const response = await fetch(link, { redirect: 'manual' });
			const bytes = Buffer.from(await response.arrayBuffer());
			say(`GET the link without a cookie: ${response.status}, ${response.headers.get('content-type')}, ${bytes.length} bytes`);
			assert.equal(response.status, 200, `GET the link without a cookie: ${response.status} ${bytes.toString().slice(0, 300)}`);
			assert.equal(response.headers.get('content-type'), 'image/png');
			assert.equal(bytes.length, items[0].bytes, 'bytes');
			assert.equal(bytes.subarray(12, 16).toString('latin1'), 'IHDR');
			assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [1536, 1024]);
			const forged = await fetch(link.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
			assert.equal(forged.status, 400, 'a changed token is refused');
		});

		await checks.check('no link (the default), Chat Completions: the model gets the file name and is told it has no link; the answer invents none', async () => {
			const run = succeeded(await runs.noLink);
			// This workflow turns the chat model's Responses API off: the same exchange on /v1/chat/completions.
			assert.deepEqual((await conversation('noLink')).map((request) => request.request.path), ['/v1/chat/completions', '/v1/chat/completions']);
			const { text, items } = await toolAnswer('noLink');
			say(`the model received (${text.length} characters): ${text}`);
			assert.deepEqual(Object.keys(items[0]), ['fileName', 'mimeType', 'bytes', 'width', 'height', 'model', 'note']);
			assert.equal(items[0].fileName, 'fox.png');
			assert.match(String(items[0].note), /You have no link to it: do not write or make up a URL/);
			const output = String(run.data.resultData.runData[AGENT]?.[0]?.data?.main[0]?.[0]?.json.output);
			assert.equal(output, 'Created fox.png (1024x1024), delivered to the workflow.');
		});

		await checks.check('a size the model may not use: no image request; the model gets what was wrong and what is accepted', async () => {
			const result = await runs.badSize;
			const { images } = await setup;
			const sent = images.requests.filter((r) => r.kind === 'generation' && String((r.body as { prompt?: string }).prompt).startsWith(ASKED.badSize));
			assert.equal(sent.length, 0, 'image requests');
			const { text, items } = await toolAnswer('badSize');
			say(`the model received (${text.length} characters): ${text}; workflow exit ${result.exitCode}`);
			assert.match(String(items[0].error), /^Options › Size: "1000x1000" is not accepted by gpt-image-2: both edges must be multiples of 16\. Accepted: /);
			const output = String(mustHaveRun(result).data.resultData.runData[AGENT]?.[0]?.data?.main[0]?.[0]?.json.output);
			assert.equal(output, `The image tool failed: ${String(items[0].error)}`);
		});

		await checks.check('Create Image Tool then Edit Image Tool: the edit is a JSON request whose images[0].image_url is the signed link the model got; the image server fetched it without a login', async () => {
			succeeded(await runs.edit);
			const requests = await conversation('edit');
			assert.equal(requests.length, 3, `model requests: ${requests.length} (Create_Image, Edit_Image, the answer)`);
			const created = JSON.parse(requests[1].toolOutputs[0]) as Array<Record<string, unknown>>;
			const link = String(created[0].link);
			assert.match(link, /^http:\/\/localhost:\d+\/rest\/binary-data\/signed\?token=/);
			assert.ok(requests[2].tools.some((tool) => tool.name === 'Edit_Image'), 'the model is offered Edit_Image');
			const { images } = await setup;
			const sent = images.requests.filter((r) => r.kind === 'edit' && (r.body as { prompt?: string }).prompt === EDIT_PROMPT);
			assert.equal(sent.length, 1, 'edit requests');
			assert.match(sent[0].headers['content-type'] ?? '', /^application\/json/);
			assert.deepEqual(sent[0].body, { model: 'gpt-image-2', prompt: EDIT_PROMPT, images: [{ image_url: link }], quality: 'low' });
			say(`the image server fetched the link: ${JSON.stringify(sent[0].imageFetches)}`);
			// The server's fetch carries no cookie and no key: n8n answered it because the link is signed.
			assert.deepEqual(sent[0].imageFetches?.map((fetch) => [fetch.url, fetch.status]), [[link, 200]]);
			assert.equal(sent[0].imageFetches?.[0]?.bytes, created[0].bytes, 'the bytes fetched are the created file');
		});

		await checks.check('Create Image Tool then Edit Image Tool: the edited image is in the run (the created one, negated), the model got its short JSON and link, the agent shows it', async () => {
			const run = succeeded(await runs.edit);
			const { n8n } = await setup;
			const toolItem = (name: string) => (run.data.resultData.runData[name]?.[0]?.data as Record<string, N8nItem[][]> | undefined)?.ai_tool?.[0]?.[0];
			const createdFile = toolItem(TOOL)?.binary?.data;
			const editedFile = toolItem('Edit Image')?.binary?.data;
			assert.ok(createdFile && editedFile, 'both tools keep their file on their item');
			assert.equal(editedFile.mimeType, 'image/png');
			const requests = await conversation('edit');
			const [created] = JSON.parse(requests[1].toolOutputs[0]) as Array<Record<string, unknown>>;
			const [edited] = JSON.parse(requests[2].toolOutputs[1]) as Array<Record<string, unknown>>;
			say(`Edit Image Tool answered the model: ${requests[2].toolOutputs[1]}`);
			assert.deepEqual(Object.keys(edited), ['fileName', 'mimeType', 'bytes', 'width', 'height', 'model', 'link', 'linkExpiresAt', 'note']);
			assert.deepEqual([edited.width, edited.height], [created.width, created.height], 'the edit has the created image\'s size');
			const { n8nVersion } = await setup;
			if (n8nVersion.startsWith('1.')) {
				// n8n 1.123: the files of this CLI run, made while `n8n start` runs on the same
				// instance, are gone from storage once `n8n execute` has ended (ENOENT): only the run
				// data and what the model got can be read here.
				say('n8n 1.x: the run\'s stored files are gone after `n8n execute`; the pixels are checked on 2.x');
			} else {
				const [createdBytes, editedBytes] = [n8n.readBinary(createdFile), n8n.readBinary(editedFile)];
				assert.equal(edited.bytes, editedBytes.length);
				assert.deepEqual(await centre(editedBytes), (await centre(createdBytes)).map((channel) => 255 - channel), 'the edit is the created image, negated by the server');
			}
			assert.ok(requests[2].toolOutputs[1].length < 1200, 'short');
			const output = String(run.data.resultData.runData[AGENT]?.[0]?.data?.main[0]?.[0]?.json.output);
			assert.equal(output, `Here is your image: ![${String(edited.fileName)}](${String(edited.link)})`);
		});

		await checks.check("every images request matched OpenAI's published schemas (the image server's judge, test/server/judge.ts)", async () => {
			const { images } = await setup;
			await Promise.allSettled(Object.values(runs));
			const found = images.takeSchemaViolations().map((v) => `${v.method} ${v.path} (${v.schema}): ${v.errors.join('; ')}`);
			assert.deepEqual(found, []);
		});

		await checks.check('the API key appears nowhere in stdout, stderr or run data', async () => {
			const { images } = await setup;
			for (const [key, result] of await Promise.all(Object.entries(runs).map(async ([k, run]) => [k, await run] as const))) {
				for (const text of [result.stdout, result.stderr, JSON.stringify(result.run ?? null)]) {
					assert.ok(!text.includes(images.apiKey.slice(-20)), `${key}: the API key is printed`);
				}
			}
		});
	} finally {
		await Promise.allSettled(Object.values(runs));
		await (editor ?? (await editorStarted?.catch(() => undefined)))?.stop();
		await server?.close();
		if (process.env.E2E_KEEP_INSTANCES) say(`instance kept: ${instance?.userFolder}`);
		else instance?.dispose();
	}
	return { name: `${name} agent`, checks, timings, warnings: [] };
}

interface WorkflowJson {
	nodes: Array<{ type: string; typeVersion: number; parameters: Record<string, unknown> }>;
	[key: string]: unknown;
}

/**
 * The example with its Chat Trigger swapped for a Manual Trigger (same node name, so the
 * connections stay), and the agent given `message` as its prompt: `n8n execute` sends no chat.
 */
function withManualTrigger(workflow: WorkflowJson, message: string): WorkflowJson {
	for (const node of workflow.nodes) {
		if (node.type === '@n8n/n8n-nodes-langchain.chatTrigger') {
			Object.assign(node, { type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} });
		}
		if (node.type === '@n8n/n8n-nodes-langchain.agent') {
			node.parameters = { ...node.parameters, promptType: 'define', text: message };
		}
	}
	return workflow;
}

/** n8n 1.123 has the AI Agent up to version 3 (2.41: 3.1, the fixtures' version); nothing else differs. */
function forHost(workflow: WorkflowJson, n8nVersion: string): WorkflowJson {
	if (!n8nVersion.startsWith('1.')) return workflow;
	for (const node of workflow.nodes) {
		if (node.type === '@n8n/n8n-nodes-langchain.agent') node.typeVersion = 3;
	}
	return workflow;
}

function mustHaveRun(result: ExecuteResult): N8nRun {
	assert.ok(result.run, `no run data (exit ${result.exitCode}):\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
	return result.run;
}

function succeeded(result: ExecuteResult): N8nRun {
	const run = mustHaveRun(result);
	assert.equal(result.exitCode, 0, `exit ${result.exitCode}; error: ${run.data.resultData.error?.message}; stderr: ${result.stderr.slice(-1500)}`);
	return run;
}
