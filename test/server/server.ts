/** Implementation of the OpenAI-compatible image test server (public API: index.ts). */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';

import { answerBody, readConversation, scriptedTurn } from './chat';
import { parseDirectives, planDirectives, type DirectivePlan } from './directives';
import {
	AZURE_401,
	AZURE_404,
	NGINX_502,
	PLAINTEXT_500,
	QUOTA_MESSAGE,
	azureContentFilterError,
	azureContentFilterResults,
	azureDeploymentNotFound,
	azurePromptFilterResults,
	moderationError,
	rateLimitMessage,
	statusErrorBody,
	type ErrorStyle,
} from './errors';
import { editedImage, formatOf, typedFields, validateEdit, type ValidatedEdit } from './edits';
import { FileStore, MAX_UPLOAD_BYTES, UPLOAD_PURPOSES, fileObject, type StoredApiFile } from './files';
import { FETCHER_AGENT, jsonParam, resolveJsonEdit, type ImageFetch } from './jsonEdits';
import { ServerClock } from './clock';
import { mulberry32 } from './random';
import { SCHEMA_SOURCE, judge, multipartAsJson, validators, type JudgedShape, type SchemaViolation } from './judge';
import { BatchEngine, DEFAULT_BATCH_TIMING, type BatchLine, type LineAnswer, type ServerBatch } from './batches';
import { getImage, type EncodedImage } from './images';
import { multipartBoundary, parseMultipart, type ParsedForm } from './multipart';
import { applyLies, parseLies, type StoredFile } from './lies';
import { LISTED_MODELS, svgUsageFor, usageFor, validateGeneration, type ApiErrorBody, type ValidatedRequest } from './models';
import type {
	Flavor,
	ImageServer,
	ImageServerOptions,
	ImageServerStats,
	RecordedRequest,
	RequestKind,
	ScriptStep,
} from './types';

export const DEFAULT_API_KEY = 'sk-test-0123456789abcdef';

export const DEFAULT_AZURE_DEPLOYMENTS: Record<string, string> = {
	'gpt-image-2': 'gpt-image-2',
	'my-image-deployment': 'gpt-image-1',
	dalle3: 'dall-e-3',
};
const NOMINAL_RATE_LIMIT = 1000;
const MAX_FILES = 5000;

type Route = { kind: 'openai' } | { kind: 'azure-dated'; deployment: string } | { kind: 'azure-v1' };

interface Ctx {
	req: IncomingMessage;
	res: ServerResponse;
	rec: RecordedRequest;
	requestId: string;
	bodyText: string;
	bodyError: boolean;
	/** Headers added to every answer of this request (rate-limit info). */
	extraHeaders: Record<string, string>;
	/** Script { reset, afterBytes }: send this many bytes of the answer, then destroy the socket. */
	truncateAfter?: number;
	/** Script { stall, afterBytes } / fileStallAfterBytes: send this many bytes, then nothing more (the socket stays open). */
	stallAfter?: number;
	/** POST /images/edits: the parsed multipart body, or why it could not be parsed; `json`: a JSON edit (body in rec.body). */
	edit?: { form?: ParsedForm; problem?: string; json?: boolean };
	/** POST /v1/files: the parsed multipart body, or why it could not be parsed. */
	upload?: { form?: ParsedForm; problem?: string };
}

type Answer = { status: number; body: unknown; headers?: Record<string, string>; contentType?: string };

/** The text fields of a form as a request log body: repeated names as arrays. */
function fieldsOf(form: ParsedForm): Record<string, string | string[]> {
	const fields: Record<string, string | string[]> = {};
	for (const [name, value] of form.fields) {
		const previous = fields[name];
		fields[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
	}
	return fields;
}
/** The text fields of a form by name (the last value of a repeated name). */
const typedFieldsOf = (form: ParsedForm): Record<string, string> => Object.fromEntries(form.fields);
const extensionOf = (img: EncodedImage) => (img.format === 'jpeg' ? 'jpg' : img.format);

/** OpenAI's duration style: "20ms", "1.5s", "6m0s". */
export function formatDuration(ms: number): string {
	if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
	if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
	const m = Math.floor(ms / 60_000);
	return `${m}m${Number(((ms - m * 60_000) / 1000).toFixed(3))}s`;
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(req.headers)) {
		if (v === undefined) continue;
		out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
	}
	return out;
}

function classify(method: string, path: string): RequestKind {
	if (method === 'POST' && path.endsWith('/images/generations')) return 'generation';
	if (method === 'POST' && path.endsWith('/images/edits')) return 'edit';
	if (path === '/v1/models' || path.startsWith('/v1/models/') || path === '/openai/v1/models' || path === '/openai/models') return 'models';
	if (path.startsWith('/files/') || path.startsWith('/generated-images/')) return 'file';
	if (path === '/v1/files' || path.startsWith('/v1/files/')) return 'files';
	if (path === '/v1/batches' || path.startsWith('/v1/batches/')) return 'batches';
	if (path === '/openai/deployments') return 'deployments';
	if (method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/responses')) return 'chat';
	return 'other';
}

export class ImageServerImpl implements ImageServer {
	url = '';
	baseUrl = '';
	apiKey: string;
	readonly requests: RecordedRequest[] = [];
	readonly stats: ImageServerStats = { inFlight: 0, maxInFlight: 0, generations: 0, edits: 0 };
	/** Requests that broke OpenAI's published schemas (judge.ts), in arrival order; takeSchemaViolations() empties it. */
	readonly schemaViolations: SchemaViolation[] = [];

	private opts: ImageServerOptions;
	private readonly server: http.Server;
	private readonly sockets = new Set<Socket>();
	private readonly timers = new Set<NodeJS.Timeout>();
	private readonly scripts: ScriptStep[] = [];
	private readonly attempts = new Map<string, number>();
	private window: number[] = [];
	private readonly files = new Map<string, StoredFile>();
	private random: () => number = Math.random;
	private readonly token = `__B64_${randomBytes(6).toString('hex')}__`;
	/** The Files and Batch APIs' clock (clock.ts; option `batchClock`). */
	readonly clock: ServerClock;
	/** The Files API's files (files.ts): bodies on disk in a temporary folder. */
	readonly fileStore: FileStore;
	/** The Batch API's batches (batches.ts). */
	readonly batchEngine: BatchEngine;
	private ticker?: NodeJS.Timeout;

	constructor(opts: ImageServerOptions) {
		this.opts = { ...opts };
		this.apiKey = opts.apiKey ?? DEFAULT_API_KEY;
		if (opts.seed !== undefined) this.random = mulberry32(opts.seed);
		this.clock = new ServerClock(opts.batchClock ?? 1);
		this.fileStore = new FileStore(() => this.clock.seconds());
		this.batchEngine = new BatchEngine({
			clock: this.clock,
			files: this.fileStore,
			timing: () => ({ ...DEFAULT_BATCH_TIMING, ...this.opts.batchTiming }),
			seed: () => this.opts.batchSeed ?? 1,
			run: (batch, line) => this.runBatchLine(batch, line),
		});
		this.server = http.createServer((req, res) => void this.onRequest(req, res));
		this.server.on('connection', (s: Socket) => {
			this.sockets.add(s);
			s.on('close', () => this.sockets.delete(s));
		});
	}

	async listen(): Promise<void> {
		if ((this.opts.schemaCheck ?? 'enforce') !== 'off') validators();
		await new Promise<void>((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(this.opts.port ?? 0, '127.0.0.1', () => {
				this.server.off('error', reject);
				resolve();
			});
		});
		const addr = this.server.address();
		if (!addr || typeof addr === 'string') throw new Error('image server: no TCP address');
		this.url = `http://127.0.0.1:${addr.port}`;
		this.baseUrl = `${this.url}/v1`;
	}

	set(opts: Partial<ImageServerOptions>): void {
		Object.assign(this.opts, opts);
		if (opts.apiKey !== undefined) this.apiKey = opts.apiKey;
		if ('seed' in opts) this.random = opts.seed === undefined ? Math.random : mulberry32(opts.seed);
		if (opts.batchClock !== undefined) this.clock.setMode(opts.batchClock);
		this.startTicker();
	}

	/** Returns the schema violations recorded so far and forgets them (a test that sends off-schema requests on purpose asserts them this way). */
	takeSchemaViolations(): SchemaViolation[] {
		return this.schemaViolations.splice(0);
	}

	/**
	 * The outside judge (judge.ts) on an images request of the OpenAI shape (flavor openai, and
	 * the Azure routes, which take the same bodies): records a violation and returns its
	 * message, or undefined. Bodies that are not JSON / multipart are the server's own business.
	 */
	private judgeRequest(ctx: Ctx): string | undefined {
		if ((this.opts.schemaCheck ?? 'enforce') === 'off' || ctx.bodyError) return undefined;
		let schema: JudgedShape;
		let body: unknown;
		if (ctx.edit?.json) [schema, body] = ['EditImageBodyJsonParam', ctx.rec.body];
		else if (ctx.edit?.form) [schema, body] = ['CreateImageEditRequest', multipartAsJson(typedFields(ctx.edit.form.fields), ctx.edit.form.files)];
		else if (ctx.edit) return undefined;
		else if (ctx.bodyText.trim() === '') return undefined;
		else [schema, body] = ['CreateImageRequest', ctx.rec.body];
		const errors = judge(schema, body);
		if (!errors.length) return undefined;
		this.schemaViolations.push({ schema, method: ctx.rec.method, path: ctx.rec.path, origin: ctx.rec.origin, ...(ctx.rec.batch ? { customId: ctx.rec.batch.customId } : {}), errors });
		return `The request does not match OpenAI's published schema ${schema} (${SCHEMA_SOURCE}): ${errors.join('; ')}.`;
	}

	/** Every batch since the last reset(), in creation order (batches.ts ServerBatch: the API object, the line order, what is done). */
	get batches(): readonly ServerBatch[] {
		return this.batchEngine.all;
	}

	/** Moves the Files/Batch clock forward by `ms`, then runs every batch step that is due; resolves when done. */
	async advanceClock(ms: number): Promise<void> {
		this.clock.advance(ms);
		await this.batchEngine.settle();
	}

	/** Runs every batch step due at the clock's present reading; resolves when done. */
	settleBatches(): Promise<void> {
		return this.batchEngine.settle();
	}

	/** With a running clock (batchClock a number) and unfinished batches, a 20 ms timer keeps them moving. */
	private startTicker(): void {
		if (this.ticker || this.clock.current === 'manual' || !this.batchEngine.active) return;
		this.ticker = setInterval(() => {
			if (this.clock.current === 'manual' || !this.batchEngine.active) return this.stopTicker();
			this.batchEngine.kick();
		}, 20);
		this.ticker.unref();
	}

	private stopTicker(): void {
		if (this.ticker) clearInterval(this.ticker);
		this.ticker = undefined;
	}

	/** Every Files API file created since the last reset() (uploads and batch outputs), deleted ones included (`deleted: true`). */
	get storedFiles(): readonly StoredApiFile[] {
		return this.fileStore.all;
	}

	/** The bytes of a live Files API file (throws when there is none with that id). */
	readStoredFile(id: string): Promise<Buffer> {
		return this.fileStore.read(id);
	}

	/** Stores a file as POST /v1/files would (no request recorded); returns its record. */
	addStoredFile(data: Buffer | string, filename: string, purpose: string): Promise<StoredApiFile> {
		return this.fileStore.add(Buffer.isBuffer(data) ? data : Buffer.from(data), { filename, purpose });
	}

	script(...steps: ScriptStep[]): void {
		this.scripts.push(...steps);
	}

	reset(): void {
		this.requests.length = 0;
		this.stats.generations = 0;
		this.stats.edits = 0;
		this.stats.maxInFlight = this.stats.inFlight;
		this.scripts.length = 0;
		this.attempts.clear();
		this.window = [];
		this.schemaViolations.length = 0;
		this.stopTicker();
		this.batchEngine.clear();
		this.fileStore.clear();
	}

	async close(): Promise<void> {
		this.stopTicker();
		this.batchEngine.clear();
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
		const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
		for (const s of this.sockets) s.destroy();
		this.server.closeAllConnections?.();
		await closed;
		this.fileStore.clear();
	}

	// ---------------------------------------------------------------- plumbing

	private get flavor(): Flavor {
		return this.opts.flavor ?? 'openai';
	}

	private get deployments(): Record<string, string> {
		return this.opts.azureDeployments ?? DEFAULT_AZURE_DEPLOYMENTS;
	}

	private sleep(ms: number, res: ServerResponse): Promise<boolean> {
		if (res.destroyed) return Promise.resolve(false);
		if (ms <= 0) return Promise.resolve(true);
		return new Promise((resolve) => {
			const done = (ok: boolean) => {
				clearTimeout(timer);
				this.timers.delete(timer);
				res.off('close', onClose);
				resolve(ok);
			};
			const onClose = () => done(false);
			const timer = setTimeout(() => done(true), ms);
			this.timers.add(timer);
			res.once('close', onClose);
		});
	}

	private track(res: ServerResponse): void {
		this.stats.inFlight++;
		this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
		let done = false;
		res.once('close', () => {
			if (done) return;
			done = true;
			this.stats.inFlight--;
		});
	}

	private send(ctx: Ctx, a: Answer): void {
		const { res } = ctx;
		if (res.destroyed || res.headersSent) return;
		let payload: Buffer;
		let contentType: string | undefined = a.contentType;
		if (Buffer.isBuffer(a.body)) payload = a.body;
		else if (typeof a.body === 'string') {
			payload = Buffer.from(a.body);
			contentType ??= 'text/plain; charset=utf-8';
		} else {
			payload = Buffer.from(a.body === undefined ? '' : JSON.stringify(a.body));
			contentType ??= 'application/json';
		}
		const headers: Record<string, string> = {
			'content-type': contentType ?? 'application/octet-stream',
			'content-length': String(payload.length),
			'x-request-id': ctx.requestId,
			...ctx.extraHeaders,
			...a.headers,
		};
		if (payload.length === 0 && a.body === undefined) delete headers['content-type'];
		const cut = ctx.stallAfter ?? ctx.truncateAfter;
		if (cut !== undefined) {
			res.writeHead(a.status, headers);
			const slice = payload.subarray(0, Math.min(cut, payload.length));
			// A stall keeps the socket open; a truncation destroys it.
			if (ctx.stallAfter !== undefined) res.write(slice);
			else res.write(slice, () => res.socket?.destroy());
			return;
		}
		res.writeHead(a.status, headers);
		res.end(payload);
	}

	private openaiErr(status: number, e: ApiErrorBody, headers?: Record<string, string>): Answer {
		return { status, body: { error: e }, headers };
	}

	private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const receivedAt = Date.now();
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const method = (req.method ?? 'GET').toUpperCase();
		const path = url.pathname;
		const kind = classify(method, path);
		if (kind === 'generation' || kind === 'edit' || kind === 'file') this.track(res);
		if (kind === 'generation') this.stats.generations++;
		if (kind === 'edit') this.stats.edits++;
		const chunks: Buffer[] = [];
		try {
			for await (const c of req) chunks.push(c as Buffer);
		} catch {
			return;
		}
		const raw = Buffer.concat(chunks);
		const multipart = (): { form?: ParsedForm; problem?: string } => {
			const boundary = multipartBoundary(req.headers['content-type']);
			if (!boundary) return { problem: `Invalid Content-Type header (${req.headers['content-type'] ?? 'none'}), expected multipart/form-data.` };
			try {
				return { form: parseMultipart(raw, boundary) };
			} catch (error) {
				return { problem: `Could not parse the multipart form: ${(error as Error).message}.` };
			}
		};
		let edit: Ctx['edit'];
		let upload: Ctx['upload'];
		// JSON edits (EditImageBodyJsonParam) on the OpenAI route only; Azure routes take multipart.
		if (kind === 'edit') edit = /^application\/json\b/i.test(req.headers['content-type'] ?? '') && path === '/v1/images/edits' ? { json: true } : multipart();
		if (kind === 'files' && method === 'POST' && path === '/v1/files') upload = multipart();
		const bodyText = (kind === 'edit' && !edit?.json) || upload ? '' : raw.toString('utf8');
		const form = edit?.form ?? upload?.form;
		let body: unknown = form ? fieldsOf(form) : undefined;
		let bodyError = false;
		if (bodyText.trim().length) {
			try {
				body = JSON.parse(bodyText);
			} catch {
				bodyError = true;
			}
		}
		const rec: RecordedRequest = {
			method,
			path,
			query: Object.fromEntries(url.searchParams),
			headers: lowerHeaders(req),
			body,
			receivedAt,
			kind,
			origin: req.headers['x-image-server-batch'] ? 'batch' : req.headers['user-agent'] === FETCHER_AGENT ? 'fetch' : 'client',
		};
		const batchLine = /^(\S+) (.*)$/.exec(String(req.headers['x-image-server-batch'] ?? ''));
		if (batchLine) rec.batch = { batchId: batchLine[1], customId: decodeURIComponent(batchLine[2]) };
		this.requests.push(rec);
		const ended = () => {
			rec.endedAt = Date.now();
			if (res.headersSent) rec.status = res.statusCode;
		};
		if (res.writableFinished || res.destroyed) ended();
		else res.once('close', ended);
		const ctx: Ctx = {
			req,
			res,
			rec,
			requestId: `req_${randomBytes(16).toString('hex')}`,
			bodyText,
			bodyError,
			extraHeaders: {},
			edit,
			upload,
		};
		if (form) rec.files = form.files.map((file) => ({ name: file.name, fileName: file.fileName, contentType: file.contentType, size: file.data.length }));
		try {
			await this.route(ctx, method, path);
		} catch (e) {
			this.send(ctx, this.openaiErr(500, { message: `test server bug: ${String(e)}`, type: 'server_error', param: null, code: null }));
		}
	}

	private async route(ctx: Ctx, method: string, path: string): Promise<void> {
		let m: RegExpExecArray | null;
		if (method === 'POST' && /^\/v1\/images\/(generations|edits)$/.test(path) && !(ctx.edit && this.flavor !== 'openai'))
			return this.generation(ctx, { kind: 'openai' });
		if (method === 'POST' && /^\/openai\/v1\/images\/(generations|edits)$/.test(path)) return this.generation(ctx, { kind: 'azure-v1' });
		if (method === 'POST' && (m = /^\/openai\/deployments\/([^/]+)\/images\/(generations|edits)$/.exec(path)))
			return this.generation(ctx, { kind: 'azure-dated', deployment: decodeURIComponent(m[1]) });
		if ((method === 'GET' || method === 'HEAD') && (m = /^\/(files|generated-images)\/([A-Za-z0-9_-]+)(\.[a-z]+)?$/.exec(path)))
			return this.file(ctx, m[2]);
		if (ctx.rec.kind === 'chat') return this.chat(ctx, path === '/v1/responses' ? 'responses' : 'chat');
		if (ctx.rec.kind === 'files' && this.flavor === 'openai') return this.filesApi(ctx, method, path);
		if (ctx.rec.kind === 'batches' && this.flavor === 'openai') return this.batchesApi(ctx, method, path);
		if (method === 'GET' && path === '/v1/models') return this.modelsList(ctx);
		if (method === 'GET' && (m = /^\/v1\/models\/(.+)$/.exec(path))) return this.modelRetrieve(ctx, decodeURIComponent(m[1]));
		if (method === 'GET' && path === '/openai/v1/models') return this.azureModels(ctx);
		// Dated data-plane "Models - List": needs api-version, like every dated route.
		if (method === 'GET' && path === '/openai/models') {
			if (!ctx.rec.query['api-version']) return this.send(ctx, { status: 404, body: AZURE_404 });
			return this.azureModels(ctx);
		}
		if (method === 'GET' && path === '/openai/deployments') return this.azureDeployments(ctx);
		if (path.startsWith('/openai/')) return this.send(ctx, { status: 404, body: AZURE_404 });
		this.send(
			ctx,
			this.openaiErr(404, { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null }),
		);
	}

	/** The scripted chat model (chat.ts): /v1/chat/completions and /v1/responses, OpenAI auth. */
	private chat(ctx: Ctx, api: 'chat' | 'responses'): void {
		const refused = this.checkOpenAiAuth(ctx);
		if (refused) return this.send(ctx, refused);
		const body = ctx.rec.body as Record<string, unknown> | undefined;
		if (!body || typeof body !== 'object' || ctx.bodyError) {
			return this.send(ctx, this.openaiErr(400, { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null }));
		}
		const turn = scriptedTurn(readConversation(api, body));
		this.send(ctx, { status: 200, body: answerBody(api, String(body.model ?? 'gpt-4o-mini'), turn) });
	}

	// ---------------------------------------------------------------- auth

	/** OpenAI-style auth for /v1 routes; returns an answer when refused. */
	private checkOpenAiAuth(ctx: Ctx): Answer | undefined {
		const auth = ctx.rec.headers['authorization'];
		const m = auth ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
		const key = m?.[1];
		if (key === this.apiKey) return undefined;
		if (this.flavor === 'vllm') return { status: 401, body: { error: 'Unauthorized' } };
		if (this.flavor === 'localai')
			return { status: 401, body: { error: { code: 401, message: 'An authentication key is required', type: '' } } };
		if (!key)
			return this.openaiErr(401, {
				message:
					"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
				type: 'invalid_request_error',
				param: null,
				code: null,
			});
		const masked = key.length > 8 ? `${key.slice(0, 3)}${'*'.repeat(Math.min(20, key.length - 7))}${key.slice(-4)}` : key;
		return this.openaiErr(401, {
			message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
			type: 'invalid_request_error',
			param: null,
			code: 'invalid_api_key',
		});
	}

	/** Azure: `api-key` header (or a Bearer token equal to the key, standing in for Entra ID). */
	private checkAzureAuth(ctx: Ctx): Answer | undefined {
		const h = ctx.rec.headers;
		const bearer = h['authorization'] ? /^Bearer\s+(.+)$/i.exec(h['authorization'].trim())?.[1] : undefined;
		if (h['api-key'] === this.apiKey || bearer === this.apiKey) return undefined;
		return { status: 401, body: AZURE_401 };
	}

	// ---------------------------------------------------------------- models / deployments / files

	private modelsData() {
		if (this.flavor === 'vllm')
			return [{ id: 'Qwen/Qwen-Image', object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'vllm', root: 'Qwen/Qwen-Image', parent: null }];
		if (this.flavor === 'localai')
			return ['stablediffusion', 'flux.1-dev', 'gpt-image-1'].map((id) => ({ id, object: 'model' }));
		const retired = this.opts.retiredModels ?? {};
		return LISTED_MODELS.filter((m) => !(m.id in retired)).map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: m.owned_by }));
	}

	private modelsList(ctx: Ctx): void {
		const refused = this.checkOpenAiAuth(ctx);
		if (refused) return this.send(ctx, refused);
		this.send(ctx, { status: 200, body: { object: 'list', data: this.modelsData() } });
	}

	private modelRetrieve(ctx: Ctx, id: string): void {
		const refused = this.checkOpenAiAuth(ctx);
		if (refused) return this.send(ctx, refused);
		const found = this.modelsData().find((m) => m.id === id);
		if (found) return this.send(ctx, { status: 200, body: found });
		this.send(
			ctx,
			this.openaiErr(404, {
				message: `The model '${id}' does not exist`,
				type: 'invalid_request_error',
				param: 'model',
				code: 'model_not_found',
			}),
		);
	}

	private azureModels(ctx: Ctx): void {
		const refused = this.checkAzureAuth(ctx);
		if (refused) return this.send(ctx, refused);
		const data = LISTED_MODELS.map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'system' }));
		this.send(ctx, { status: 200, body: { object: 'list', data } });
	}

	private azureDeployments(ctx: Ctx): void {
		const refused = this.checkAzureAuth(ctx);
		if (refused) return this.send(ctx, refused);
		if (!ctx.rec.query['api-version']) return this.send(ctx, { status: 404, body: AZURE_404 });
		const now = Math.floor(Date.now() / 1000);
		const data = Object.entries(this.deployments).map(([id, model]) => ({
			id,
			model,
			owner: 'organization-owner',
			status: 'succeeded',
			created_at: now - 86_400,
			updated_at: now - 86_400,
			scale_settings: { scale_type: 'standard' },
			object: 'deployment',
		}));
		this.send(ctx, { status: 200, body: { data, object: 'list' } });
	}

	private async file(ctx: Ctx, id: string): Promise<void> {
		const img = this.files.get(id);
		if (!img) {
			return this.send(ctx, {
				status: 404,
				body: { error: { code: 'BlobNotFound', message: 'The specified blob does not exist.' } },
			});
		}
		if (!(await this.sleep(this.opts.fileLatencyMs ?? 0, ctx.res))) return;
		ctx.stallAfter = this.opts.fileStallAfterBytes;
		this.send(ctx, { status: 200, body: img.buffer, contentType: img.contentType, headers: { 'cache-control': 'private, max-age=3600' } });
	}

	// ---------------------------------------------------------------- Files API (files.ts)

	private notFound(ctx: Ctx, what: 'File' | 'Batch', id: string): void {
		this.send(ctx, this.openaiErr(404, { message: `No such ${what} object: ${id}`, type: 'invalid_request_error', param: 'id', code: null }));
	}

	/** A cursor page as the API lists files and batches: `data`, `first_id`, `last_id`, `has_more`. */
	private page<T extends { id: string }>(ctx: Ctx, items: T[], render: (item: T) => unknown, defaultLimit: number, maxLimit: number): void {
		const q = ctx.rec.query;
		const limit = q.limit === undefined ? defaultLimit : Number(q.limit);
		if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
			return this.send(ctx, this.openaiErr(400, { message: `Invalid 'limit': expected an integer between 1 and ${maxLimit}, got '${q.limit}'.`, type: 'invalid_request_error', param: 'limit', code: 'invalid_value' }));
		}
		let start = 0;
		if (q.after !== undefined) {
			const at = items.findIndex((item) => item.id === q.after);
			start = at < 0 ? items.length : at + 1;
		}
		const data = items.slice(start, start + limit);
		this.send(ctx, {
			status: 200,
			body: { object: 'list', data: data.map(render), first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: start + limit < items.length },
		});
	}

	/** POST /v1/files, GET /v1/files, GET|DELETE /v1/files/{id}, GET /v1/files/{id}/content (openai 7.59.0 files.d.ts). */
	private async filesApi(ctx: Ctx, method: string, path: string): Promise<void> {
		const refused = this.checkOpenAiAuth(ctx);
		if (refused) return this.send(ctx, refused);
		const bad = (message: string, param: string | null, code: string | null = 'invalid_value') =>
			this.send(ctx, this.openaiErr(400, { message, type: 'invalid_request_error', param, code }));
		let m: RegExpExecArray | null;
		if (method === 'POST' && path === '/v1/files') {
			const { form, problem } = ctx.upload ?? {};
			if (!form) return bad(problem ?? 'Invalid multipart body.', null, null);
			const files = form.files.filter((f) => f.name === 'file');
			const fields = typedFieldsOf(form);
			if (files.length !== 1) return bad(files.length ? "Only one 'file' is accepted." : "Missing required parameter: 'file'.", 'file', files.length ? 'invalid_value' : 'missing_required_parameter');
			const purpose = fields.purpose;
			if (purpose === undefined) return bad("Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter');
			if (!(UPLOAD_PURPOSES as readonly string[]).includes(purpose)) {
				return bad(`Invalid value: '${purpose}'. Supported values are: ${UPLOAD_PURPOSES.map((p) => `'${p}'`).join(', ')}.`, 'purpose');
			}
			const [file] = files;
			if (file.data.length === 0) return bad('File is empty.', 'file');
			if (file.data.length > MAX_UPLOAD_BYTES) return bad(`File is too large (${file.data.length} bytes); the maximum is ${MAX_UPLOAD_BYTES} bytes (512 MB).`, 'file', 'file_too_large');
			if (purpose === 'batch' && !/\.jsonl$/i.test(file.fileName)) return bad('Invalid file format for Batch API. Must be .jsonl', 'file');
			if (purpose === 'vision' && !formatOf(file.data) && file.data.subarray(0, 3).toString('latin1') !== 'GIF') {
				return bad('Invalid file format for purpose vision. Supported formats: png, jpeg, webp, gif.', 'file');
			}
			let expiresAfterSeconds: number | undefined;
			const anchor = fields['expires_after[anchor]'];
			const seconds = fields['expires_after[seconds]'];
			if (anchor !== undefined || seconds !== undefined) {
				if (anchor !== 'created_at') return bad(`Invalid value for 'expires_after.anchor': expected 'created_at', got '${anchor ?? ''}'.`, 'expires_after.anchor');
				const s = Number(seconds);
				if (!Number.isInteger(s) || s < 3600 || s > 2_592_000) {
					return bad(`Invalid 'expires_after.seconds': expected an integer between 3600 (1 hour) and 2592000 (30 days), got '${seconds ?? ''}'.`, 'expires_after.seconds');
				}
				expiresAfterSeconds = s;
			}
			const stored = await this.fileStore.add(file.data, { filename: file.fileName, purpose, expiresAfterSeconds });
			return this.send(ctx, { status: 200, body: fileObject(stored) });
		}
		if (method === 'GET' && path === '/v1/files') {
			const q = ctx.rec.query;
			let files = this.fileStore.all.filter((f) => !f.deleted && (q.purpose === undefined || f.purpose === q.purpose));
			if (q.order !== 'asc') files = [...files].reverse();
			return this.page(ctx, files, fileObject, 10_000, 10_000);
		}
		if ((m = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path))) {
			const id = decodeURIComponent(m[1]);
			const file = this.fileStore.get(id);
			if (!file) return this.notFound(ctx, 'File', id);
			if (method === 'GET' && !m[2]) return this.send(ctx, { status: 200, body: fileObject(file) });
			if (method === 'DELETE' && !m[2]) {
				await this.fileStore.delete(id);
				return this.send(ctx, { status: 200, body: { id, object: 'file', deleted: true } });
			}
			if (method === 'GET' && m[2]) return this.streamFile(ctx, file);
		}
		this.send(ctx, this.openaiErr(404, { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null }));
	}

	/** GET /v1/files/{id}/content: the bytes streamed from disk (never the whole file in memory). */
	private streamFile(ctx: Ctx, file: StoredApiFile): void {
		const stream = this.fileStore.stream(file.id);
		if (!stream) return this.notFound(ctx, 'File', file.id);
		ctx.res.writeHead(200, {
			'content-type': 'application/octet-stream',
			'content-length': String(file.bytes),
			'content-disposition': `attachment; filename="${file.filename}"`,
			'x-request-id': ctx.requestId,
		});
		stream.on('error', () => ctx.res.destroy());
		ctx.res.on('close', () => stream.destroy());
		stream.pipe(ctx.res);
	}

	// ---------------------------------------------------------------- Batch API (batches.ts)

	/** POST /v1/batches, GET /v1/batches, GET /v1/batches/{id}, POST /v1/batches/{id}/cancel (openai 7.59.0 batches.d.ts). */
	private async batchesApi(ctx: Ctx, method: string, path: string): Promise<void> {
		const refused = this.checkOpenAiAuth(ctx);
		if (refused) return this.send(ctx, refused);
		let m: RegExpExecArray | null;
		if (method === 'POST' && path === '/v1/batches') {
			if (ctx.bodyError) return this.send(ctx, this.openaiErr(400, { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null }));
			const created = this.batchEngine.create(ctx.rec.body);
			if (!created.ok) return this.send(ctx, this.openaiErr(created.status, created.error));
			this.startTicker();
			return this.send(ctx, { status: 200, body: created.batch.object });
		}
		if (method === 'GET' && path === '/v1/batches') {
			return this.page(ctx, [...this.batchEngine.all].reverse(), (b) => b.object, 20, 100);
		}
		if ((m = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path))) {
			const batch = this.batchEngine.get(decodeURIComponent(m[1]));
			if (!batch) return this.notFound(ctx, 'Batch', decodeURIComponent(m[1]));
			if (method === 'GET' && !m[2]) {
				if (this.opts.batchStepPerPoll) await this.advanceClock(this.opts.batchStepPerPoll);
				else this.startTicker();
				return this.send(ctx, { status: 200, body: batch.object });
			}
			if (method === 'POST' && m[2]) {
				const cancelled = this.batchEngine.cancel(batch);
				if (!cancelled.ok) return this.send(ctx, this.openaiErr(cancelled.status, cancelled.error));
				this.startTicker();
				return this.send(ctx, { status: 200, body: batch.object });
			}
		}
		this.send(ctx, this.openaiErr(404, { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null }));
	}

	/**
	 * One batch line through the server's own route (a loopback request marked x-image-server-batch,
	 * so it is logged with origin 'batch'); streaming is refused per line, as one answer per line is
	 * all a batch can hold. A connection the line's tags break ([reset], [hang]: 30 s) counts as 500.
	 */
	private async runBatchLine(batch: ServerBatch, line: BatchLine): Promise<LineAnswer> {
		if (line.body.stream === true) {
			const error = { message: 'Streaming is not supported in the Batch API.', type: 'invalid_request_error', param: 'stream', code: 'invalid_value' };
			return { status: 400, bodyJson: JSON.stringify({ error }), requestId: `req_${randomBytes(16).toString('hex')}` };
		}
		try {
			const response = await fetch(`${this.url}${line.url}`, {
				method: 'POST',
				headers: {
					authorization: `Bearer ${this.apiKey}`,
					'content-type': 'application/json',
					'x-image-server-batch': `${batch.id} ${encodeURIComponent(line.customId)}`,
				},
				body: JSON.stringify(line.body),
				signal: AbortSignal.timeout(30_000),
			});
			const text = await response.text();
			const json = /json/i.test(response.headers.get('content-type') ?? '') && text.trim().startsWith('{');
			return { status: response.status, bodyJson: json ? text.trim() : JSON.stringify(text), requestId: response.headers.get('x-request-id') ?? '' };
		} catch {
			const requestId = `req_${randomBytes(16).toString('hex')}`;
			return { status: 500, bodyJson: JSON.stringify(statusErrorBody('openai', 500, String(line.body.model ?? ''), requestId)), requestId };
		}
	}

	private storeFile(img: StoredFile): string {
		const id = `img-${randomBytes(12).toString('hex')}`;
		this.files.set(id, img);
		while (this.files.size > MAX_FILES) this.files.delete(this.files.keys().next().value as string);
		return id;
	}

	// ---------------------------------------------------------------- generations

	private rateLimitHeaders(limit: number, now: number): Record<string, string> {
		const used = this.window.length;
		const reset = used ? this.window[0] + 60_000 - now : 0;
		return {
			'x-ratelimit-limit-requests': String(limit),
			'x-ratelimit-remaining-requests': String(Math.max(0, limit - used)),
			'x-ratelimit-reset-requests': formatDuration(reset),
		};
	}

	private async generation(ctx: Ctx, route: Route): Promise<void> {
		const { res } = ctx;
		const azure = route.kind !== 'openai';
		const flavor: Flavor = azure ? 'openai' : this.flavor;
		const style: ErrorStyle = azure ? 'azure' : flavor;
		const body = ctx.rec.body as Record<string, unknown> | undefined;
		const promptOf = () => (body && typeof body === 'object' && typeof body.prompt === 'string' ? body.prompt : '');
		const bodyModel = body && typeof body === 'object' && typeof body.model === 'string' ? body.model : undefined;

		// 0. The outside judge: OpenAI's published schema (recorded now; answered at step 8).
		const violation = flavor === 'openai' ? this.judgeRequest(ctx) : undefined;

		// 1. One-off scripted answers come first (for requests from outside; batch lines take none).
		const step = ctx.rec.origin === 'client' ? this.scripts.shift() : undefined;
		if (step) {
			if ('reset' in step) {
				if (!step.afterBytes) {
					res.socket?.destroy();
					return;
				}
				ctx.truncateAfter = step.afterBytes;
			} else if ('hang' in step) {
				return;
			} else if ('stall' in step) {
				ctx.stallAfter = step.afterBytes;
			} else if ('status' in step) {
				if (!(await this.sleep(step.delayMs ?? 0, res))) return;
				const b = step.body === undefined ? statusErrorBody(style, step.status, bodyModel ?? 'gpt-image-2', ctx.requestId) : step.body;
				return this.send(ctx, { status: step.status, body: b, headers: step.headers });
			} else if (!(await this.sleep(step.delayMs, res))) return;
		}

		// 2. Authentication.
		const refused = azure ? this.checkAzureAuth(ctx) : this.checkOpenAiAuth(ctx);
		if (refused) return this.send(ctx, refused);

		// 3. Azure route resolution.
		let model: string | undefined;
		if (route.kind === 'azure-dated') {
			const v = ctx.rec.query['api-version'];
			if (!v) return this.send(ctx, { status: 404, body: AZURE_404 });
			if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(v))
				return this.send(ctx, {
					status: 400,
					body: { error: { code: 'BadRequest', message: `API version not supported: '${v}'` } },
				});
			model = this.deployments[route.deployment];
			if (model === undefined) return this.send(ctx, { status: 404, body: azureDeploymentNotFound() });
		}

		// 4. Body must be JSON (edits: multipart/form-data).
		if (ctx.edit && !ctx.edit.form && !ctx.edit.json) {
			return this.send(ctx, this.openaiErr(400, { message: ctx.edit.problem ?? 'Invalid multipart body.', type: 'invalid_request_error', param: null, code: null }));
		}
		if ((!ctx.edit || ctx.edit.json) && (ctx.bodyError || (ctx.bodyText.trim() === '' && flavor === 'openai'))) {
			if (flavor === 'vllm')
				return this.send(ctx, {
					status: 422,
					body: { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }] },
				});
			return this.send(
				ctx,
				this.openaiErr(400, {
					message:
						"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
					type: 'invalid_request_error',
					param: null,
					code: null,
				}),
			);
		}

		if (route.kind === 'azure-v1') {
			const v = ctx.rec.query['api-version'];
			if (v !== undefined && !['preview', 'latest', 'v1'].includes(v))
				return this.send(ctx, {
					status: 400,
					body: { error: { code: 'BadRequest', message: `API version not supported: '${v}'. Use 'preview' or omit it.` } },
				});
			if (!bodyModel) return this.send(ctx, this.openaiErr(400, { message: 'you must provide a model parameter', type: 'invalid_request_error', param: null, code: null }));
			model = this.deployments[bodyModel];
			if (model === undefined) return this.send(ctx, { status: 404, body: azureDeploymentNotFound() });
		}
		const modelName = model ?? bodyModel ?? 'gpt-image-2';

		// 5. Rate limit (sliding 60 s window over admitted generations).
		const now = Date.now();
		this.window = this.window.filter((t) => t > now - 60_000);
		const limit = this.opts.rateLimitPerMinute;
		if (limit !== undefined && this.window.length >= limit && ctx.rec.origin !== 'batch') {
			const waitMs = Math.max(1, this.window[0] + 60_000 - now);
			const headers: Record<string, string> = {
				'retry-after-ms': String(waitMs),
				'retry-after': String(Math.ceil(waitMs / 1000)),
			};
			if (flavor === 'openai') {
				Object.assign(headers, this.rateLimitHeaders(limit, now), { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': formatDuration(waitMs) });
			}
			let b: unknown;
			if (azure)
				b = {
					error: {
						code: '429',
						message: `Requests to the Images_Generations Operation under Azure OpenAI API version ${ctx.rec.query['api-version'] ?? 'v1'} have exceeded call rate limit of your current AIServices S0 pricing tier. Please retry after ${Math.ceil(waitMs / 1000)} seconds. Please contact Azure support service if you would like to further increase the default rate limit.`,
					},
				};
			else if (flavor === 'openai')
				b = { error: { message: rateLimitMessage(modelName, limit, waitMs), type: 'requests', param: null, code: 'rate_limit_exceeded' } };
			else b = statusErrorBody(style, 429, modelName, ctx.requestId);
			return this.send(ctx, { status: 429, body: b, headers });
		}
		if (ctx.rec.origin !== 'batch') this.window.push(now);
		if (flavor === 'openai') {
			ctx.extraHeaders = this.rateLimitHeaders(limit ?? NOMINAL_RATE_LIMIT, now);
			ctx.extraHeaders['openai-version'] = '2020-10-01';
			ctx.extraHeaders['openai-organization'] = 'org-test';
			if (azure) {
				ctx.extraHeaders['apim-request-id'] = randomUUID();
				ctx.extraHeaders['x-ms-region'] = 'Sweden Central';
			}
		}

		// 6. Per-prompt directives.
		const prompt = promptOf();
		const attempt = (this.attempts.get(prompt) ?? 0) + 1;
		this.attempts.set(prompt, attempt);
		const plan: DirectivePlan = planDirectives(parseDirectives(prompt), attempt);
		if (!(await this.sleep(plan.delayMs, res))) return;
		const withHints = (a: Answer): Answer => ({ ...a, headers: { ...a.headers, ...plan.retryHeaders } });
		if (plan.answer) {
			switch (plan.answer.kind) {
				case 'reset':
					res.socket?.destroy();
					return;
				case 'hang':
					return;
				case 'html502':
					return this.send(ctx, withHints({ status: 502, body: NGINX_502, contentType: 'text/html' }));
				case 'plaintext500':
					return this.send(ctx, withHints({ status: 500, body: PLAINTEXT_500, contentType: 'text/plain; charset=utf-8' }));
				case 'quota': {
					const b =
						style === 'vllm' || style === 'localai'
							? statusErrorBody(style, 429, modelName, ctx.requestId)
							: { error: { message: QUOTA_MESSAGE, type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };
					return this.send(ctx, withHints({ status: 429, body: b }));
				}
				case 'status':
					return this.send(ctx, withHints({ status: plan.answer.status, body: statusErrorBody(style, plan.answer.status, modelName, ctx.requestId) }));
			}
		}

		// 7. Random server errors (after the model time).
		const errorRate = this.opts.errorRate ?? 0;
		if (errorRate > 0 && this.random() < errorRate) {
			if (!(await this.sleep(this.opts.latencyMs ?? 0, res))) return;
			return this.send(ctx, { status: 500, body: statusErrorBody(style, 500, modelName, ctx.requestId) });
		}

		// 8. Validation.
		let edited: ValidatedEdit | undefined;
		let r: ValidatedRequest;
		let editForm = ctx.edit?.form;
		if (ctx.edit?.json) {
			const fetches: ImageFetch[] = [];
			ctx.rec.imageFetches = fetches;
			const j = await resolveJsonEdit(body, model, {
				fetches,
				file: async (id) => {
					const file = this.fileStore.get(id);
					return file ? { purpose: file.purpose, data: await this.fileStore.read(id) } : undefined;
				},
			});
			if (!j.ok) return this.send(ctx, withHints(this.openaiErr(j.status, j.error)));
			ctx.rec.jsonEdit = j.refs;
			editForm = j.form;
		}
		if (editForm) {
			const e = await validateEdit(editForm, { azure, model, retiredModels: this.opts.retiredModels });
			if (!e.ok) return this.send(ctx, withHints(this.openaiErr(e.status, ctx.edit?.json ? { ...e.error, param: jsonParam(e.error.param) } : e.error)));
			edited = e.edit;
			r = e.edit.req;
		} else {
			const v = this.validate(flavor, azure, body, model);
			if (!v.ok) return this.send(ctx, withHints(v.answer));
			r = v.req;
		}

		// The server's own rules passed: a schema violation is the answer (schemaCheck 'enforce').
		if (violation && (this.opts.schemaCheck ?? 'enforce') === 'enforce') {
			return this.send(ctx, withHints(this.openaiErr(400, { message: violation, type: 'invalid_request_error', param: null, code: 'schema_violation' })));
		}

		// 9. Model time.
		if (!(await this.sleep(this.opts.latencyMs ?? 0, res))) return;

		// 10. Safety system.
		if (plan.moderation) {
			if (azure && plan.moderation === 'contentfilter') return this.send(ctx, withHints({ status: 400, body: azureContentFilterError() }));
			if (flavor === 'vllm' || flavor === 'localai') return this.send(ctx, withHints({ status: 400, body: statusErrorBody(style, 400, r.model, ctx.requestId) }));
			return this.send(ctx, withHints(this.openaiErr(400, moderationError(r.gpt, ctx.requestId))));
		}

		// 11. The images (edits: the first input, recoloured).
		const img = edited ? await editedImage(edited) : await getImage({
			width: r.width,
			height: r.height,
			format: r.outputFormat,
			mode: this.opts.imageMode ?? 'solid',
			compression: r.outputFormat === 'jpeg' || r.outputFormat === 'webp' ? r.compression : undefined,
			alpha: r.background === 'transparent',
			frames: r.frameCount,
			frameDurationMs: r.frameDurationMs,
		});
		if (res.destroyed) return;
		ctx.extraHeaders['openai-processing-ms'] = String(Date.now() - ctx.rec.receivedAt);
		if (r.stream && flavor === 'openai') return await this.stream(ctx, r, img, plan.stream, edited ? 'image_edit' : 'image_generation');
		const success = this.successBody(flavor, azure, r, img);
		// Answers that lie ([lie:...] tags, lies.ts): built from the honest one.
		const lies = parseLies(r.prompt);
		if (lies) {
			const store = (file?: StoredFile, ext?: string) => this.fileUrl(flavor, file ?? img, ext ?? extensionOf(img));
			return this.send(ctx, applyLies(lies, success, { b64: img.b64, contentType: img.contentType }, r.model, store));
		}
		this.send(ctx, { status: 200, body: success, contentType: 'application/json' });
	}

	private validate(
		flavor: Flavor,
		azure: boolean,
		body: unknown,
		model: string | undefined,
	): { ok: true; req: ValidatedRequest } | { ok: false; answer: Answer } {
		if (flavor === 'openai') {
			const v = validateGeneration(body, { azure, model, retiredModels: this.opts.retiredModels });
			return v.ok ? v : { ok: false, answer: this.openaiErr(v.status, v.error) };
		}
		const b = (body ?? {}) as Record<string, unknown>;
		const prompt = b.prompt;
		if (flavor === 'vllm') {
			if (typeof prompt !== 'string')
				return {
					ok: false,
					answer: {
						status: 422,
						body: {
							detail: [
								prompt === undefined
									? { type: 'missing', loc: ['body', 'prompt'], msg: 'Field required', input: b }
									: { type: 'string_type', loc: ['body', 'prompt'], msg: 'Input should be a valid string', input: prompt },
							],
						},
					},
				};
			if (b.response_format !== undefined && b.response_format !== 'b64_json')
				return { ok: false, answer: { status: 400, body: { detail: "Only response_format='b64_json' is supported." } } };
		} else if (typeof prompt !== 'string' || prompt === '') {
			return { ok: false, answer: { status: 400, body: { error: { code: 400, message: 'prompt is required', type: '' } } } };
		}
		const defaultSize = flavor === 'localai' ? '512x512' : '1024x1024';
		const size = typeof b.size === 'string' && b.size !== 'auto' ? b.size : defaultSize;
		const m = /^(\d+)x(\d+)$/.exec(size);
		const width = m ? Number(m[1]) : 0;
		const height = m ? Number(m[2]) : 0;
		if (!m || width < 16 || height < 16 || width > 4096 || height > 4096) {
			const msg = `Invalid size '${size}'. Expected WIDTHxHEIGHT with edges between 16 and 4096.`;
			return {
				ok: false,
				answer: flavor === 'vllm' ? { status: 400, body: { detail: msg } } : { status: 400, body: { error: { code: 400, message: msg, type: '' } } },
			};
		}
		const n = typeof b.n === 'number' && Number.isInteger(b.n) && b.n >= 1 ? Math.min(b.n, 10) : 1;
		return {
			ok: true,
			req: {
				model: typeof b.model === 'string' ? b.model : flavor === 'vllm' ? 'Qwen/Qwen-Image' : 'stablediffusion',
				family: 'unknown',
				gpt: false,
				prompt: prompt as string,
				n,
				width,
				height,
				size: `${width}x${height}`,
				quality: 'standard',
				background: 'opaque',
				outputFormat: 'png',
				responseFormat: flavor === 'vllm' ? 'b64_json' : b.response_format === 'b64_json' ? 'b64_json' : 'url',
				stream: false,
				partialImages: 0,
			},
		};
	}

	private fileUrl(flavor: Flavor, img: StoredFile, ext: string): string {
		const id = this.storeFile(img);
		if (flavor === 'localai') return `${this.url}/generated-images/${id}.${ext}`;
		const now = Date.now();
		const q = new URLSearchParams({
			st: new Date(now - 60_000).toISOString().slice(0, 19) + 'Z',
			se: new Date(now + 3_600_000).toISOString().slice(0, 19) + 'Z',
			sp: 'r',
			sv: '2024-08-04',
			sr: 'b',
			sig: randomBytes(24).toString('base64url'),
		});
		return `${this.url}/files/${id}.${ext}?${q}`;
	}

	/** JSON text of a success answer; base64 payloads are spliced in without re-escaping. */
	private successBody(flavor: Flavor, azure: boolean, r: ValidatedRequest, img: EncodedImage): string {
		const created = Math.floor(Date.now() / 1000);
		const entries: Array<Record<string, unknown>> = [];
		for (let i = 0; i < r.n; i++) {
			const e: Record<string, unknown> = {};
			if (r.responseFormat === 'url') e.url = this.fileUrl(flavor, img, extensionOf(img));
			else e.b64_json = this.token;
			if (r.family === 'dall-e-3') e.revised_prompt = `A detailed, high-quality rendering of: ${r.prompt}`;
			if (azure) {
				e.content_filter_results = azureContentFilterResults();
				e.prompt_filter_results = azurePromptFilterResults();
			}
			entries.push(e);
		}
		let out: Record<string, unknown>;
		if (flavor === 'localai') out = { id: randomUUID(), data: entries };
		else if (flavor === 'vllm') out = { created, data: entries };
		else if (r.gpt) {
			out = {
				created,
				data: entries,
				background: r.background,
				output_format: r.outputFormat,
				quality: r.quality,
				size: r.size,
				usage: usageFor(r),
				...(r.svg ? { svg_usage: svgUsageFor(r) } : {}),
				...(r.safetyIdentifier ? { safety_identifier: r.safetyIdentifier } : {}),
			};
		} else out = { created, data: entries };
		const json = JSON.stringify(out);
		return r.responseFormat === 'url' ? json : json.split(this.token).join(img.b64);
	}

	/**
	 * A streamed answer (`stream: true`), as the reference describes it: for each image,
	 * `partial_images` partial_image events (real, blurrier PNG/JPEG/WEBP bytes of the same size),
	 * then its completed event with usage. The prompt's stream directives slow it down, stall it,
	 * end it early or send an error event.
	 */
	private async stream(ctx: Ctx, r: ValidatedRequest, img: EncodedImage, plan: DirectivePlan['stream'], prefix: 'image_generation' | 'image_edit' = 'image_generation'): Promise<void> {
		const { res } = ctx;
		const common = { size: r.size, quality: r.quality, background: r.background, output_format: r.outputFormat };
		const partials = await Promise.all(
			Array.from({ length: r.partialImages }, (_, index) =>
				getImage({
					width: r.width,
					height: r.height,
					format: r.outputFormat,
					mode: this.opts.imageMode ?? 'solid',
					compression: r.compression,
					alpha: r.background === 'transparent',
					partial: { index, count: r.partialImages },
				}),
			),
		);
		// Encoded before the headers go out: the stream's own pace is then only [event-gap].
		if (res.destroyed) return;
		res.writeHead(200, {
			'content-type': 'text/event-stream; charset=utf-8',
			'cache-control': 'no-cache',
			'x-request-id': ctx.requestId,
			...ctx.extraHeaders,
		});
		res.flushHeaders();
		const events: Array<{ name: string; data: Record<string, unknown>; image: EncodedImage }> = [];
		for (let i = 0; i < r.n; i++) {
			partials.forEach((partial, index) =>
				events.push({ name: `${prefix}.partial_image`, data: { partial_image_index: index }, image: partial }),
			);
			const safety = r.safetyIdentifier ? { safety_identifier: r.safetyIdentifier } : {};
			events.push({ name: `${prefix}.completed`, data: { usage: usageFor({ ...r, n: 1 }), ...safety }, image: img });
		}
		if (plan.note) {
			res.write(`: keep-alive\n\nevent: ${prefix}.in_progress\ndata: ${JSON.stringify({ type: `${prefix}.in_progress`, sequence_number: 0 })}\n\n`);
		}
		let sent = 0;
		ctx.rec.eventsSent = 0;
		for (const event of events) {
			if (plan.after && sent === plan.after.events) break;
			if (!(await this.sleep(plan.gapMs, res))) return;
			const json = JSON.stringify({ type: event.name, b64_json: this.token, created_at: Math.floor(Date.now() / 1000), ...common, ...event.data });
			res.write(`event: ${event.name}\ndata: ${json.split(this.token).join(event.image.b64)}\n\n`);
			ctx.rec.eventsSent = ++sent;
		}
		if (plan.after?.then === 'stall') return;
		if (plan.after?.then === 'ping') {
			// Comments only, never another event, for as long as the client stays.
			while (await this.sleep(Math.max(plan.gapMs, 100), res)) res.write(': keep-alive\n\n');
			return;
		}
		if (plan.after?.then === 'error') {
			if (!(await this.sleep(plan.gapMs, res))) return;
			const error = { type: 'server_error', code: 'image_generation_failed', message: 'The image could not be generated. Please try again.', param: null };
			res.write(`event: error\ndata: ${JSON.stringify({ type: 'error', error })}\n\n`);
		}
		res.end();
	}
}
