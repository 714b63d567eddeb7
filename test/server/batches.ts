/**
 * The Batch API of the test server (openai 7.59.0 `resources/batches.d.ts`; images-api.md "Batch
 * API"; OpenAI's batch guide for the error codes `invalid_json_line`, `duplicate_custom_id`,
 * `url_mismatch`, `model_mismatch`, `empty_file`, `too_many_tasks`), on the server's clock
 * (clock.ts), which the tests control.
 *
 * Life of a batch, in clock time (BatchTiming; defaults DEFAULT_BATCH_TIMING):
 *   created -> `validating` for validatingMs -> the input file is checked line by line: any bad
 *   line -> `failed` with errors.data [{code, line, message, param}] (lines 1-based), no files;
 *   else `in_progress`: one line is due every perLineMs, in a SHUFFLED order (seeded: batchSeed),
 *   and each due line runs through the server's own HTTP route (POST {endpoint}, marked
 *   `origin: 'batch'` in the request log), so images, prompt tags ([status:500], [moderation]...),
 *   validation and usage are those of direct requests (no scripts, no rate limit). 2xx answers go
 *   to the output file, others to the error file, as they finish (the file order is the shuffled
 *   order) -> when every line is done, `finalizing` for finalizingMs -> `completed` with
 *   output_file_id / error_file_id (a file only when it has lines) and request_counts, usage.
 *   At expires_at (created + 24 h) an unfinished batch becomes `expired`: the lines done are
 *   delivered, the others go to the error file as {"response": null, "error": {"code":
 *   "batch_expired", ...}} (not counted in request_counts.failed: never run, not billed).
 *   Cancel: `cancelling` at once (no line starts after it) for cancellingMs, then `cancelled` with
 *   the output of the lines done before the cancel.
 * Work happens in settle(): the server calls it on a timer when the clock runs (a number), after
 * advanceClock(ms), and (with batchStepPerPoll) on each GET /v1/batches/{id}.
 */
import { randomBytes } from 'node:crypto';

import type { ServerClock } from './clock';
import { mulberry32 } from './random';
import type { FileStore, FileWriter, StoredApiFile } from './files';
import type { ApiErrorBody } from './models';

/** How long each phase lasts on the server's clock, in ms. */
export interface BatchTiming {
	validatingMs: number;
	/** One line is due every perLineMs once in_progress (0: all at once). */
	perLineMs: number;
	finalizingMs: number;
	cancellingMs: number;
}

export const DEFAULT_BATCH_TIMING: BatchTiming = { validatingMs: 2000, perLineMs: 500, finalizingMs: 2000, cancellingMs: 2000 };
/** Endpoints this server runs in batches (BatchCreateParams.endpoint names more; they are not images). */
export const BATCH_ENDPOINTS = ['/v1/images/generations', '/v1/images/edits'];
/** Limits per input file (images-api.md "Batch API"). */
export const MAX_BATCH_LINES = 50_000;
export const MAX_BATCH_FILE_BYTES = 200 * 1024 * 1024;
const COMPLETION_WINDOW_MS = 24 * 3600 * 1000;
/** Lines run at once while catching up. */
const CONCURRENCY = 8;
/** Default models when a line's body names none (openapi spec defaults: generations dall-e-2, edits gpt-image-1.5). */
const DEFAULT_MODEL: Record<string, string> = { '/v1/images/generations': 'dall-e-2', '/v1/images/edits': 'gpt-image-1.5' };

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export interface BatchLine {
	/** 1-based line number in the input file. */
	line: number;
	customId: string;
	url: string;
	body: Record<string, unknown>;
}

/** What one line's request answered. */
export interface LineAnswer {
	status: number;
	/** The answer's body as JSON text (a non-JSON answer: a JSON string of its text). */
	bodyJson: string;
	requestId: string;
}

/** A batch as the server keeps it (the API object in `object`). */
export interface ServerBatch {
	id: string;
	/** The Batch object GET /v1/batches/{id} answers (live; do not modify). */
	object: Record<string, unknown> & { status: BatchStatus; request_counts: { total: number; completed: number; failed: number } };
	/** custom_ids in the order the lines run (= their order in the output and error files). */
	order: string[];
	/** custom_ids of the lines done so far (output or error file), in that order. */
	done: string[];
	/** Server-side details: the input lines after validation. */
	lines: BatchLine[];
	/** ms on the server clock. */
	createdMs: number;
	inProgressMs?: number;
	finalizingMs?: number;
	cancellingMs?: number;
	outputExpiresSeconds?: number;
	output?: FileWriter;
	errors?: FileWriter;
}

export interface BatchDeps {
	clock: ServerClock;
	files: FileStore;
	timing(): BatchTiming;
	seed(): number;
	/** Runs one line through the server's own route. */
	run(batch: ServerBatch, line: BatchLine): Promise<LineAnswer>;
}

type Refusal = { ok: false; status: number; error: ApiErrorBody };
const refuse = (message: string, param: string | null, code: string | null = 'invalid_value', status = 400): Refusal => ({
	ok: false,
	status,
	error: { message, type: 'invalid_request_error', param, code },
});

/** `"usage": {...}` of an Images answer's JSON text, found from its end (the b64 data is not parsed). */
function usageOf(json: string): { input_tokens?: number; output_tokens?: number; total_tokens?: number } | undefined {
	const at = json.lastIndexOf('"usage":');
	if (at < 0) return undefined;
	const start = json.indexOf('{', at);
	let depth = 0;
	for (let i = start; i >= 0 && i < json.length; i++) {
		if (json[i] === '{') depth++;
		else if (json[i] === '}' && --depth === 0) {
			try {
				return JSON.parse(json.slice(start, i + 1)) as { input_tokens?: number; output_tokens?: number; total_tokens?: number };
			} catch {
				return undefined;
			}
		}
	}
	return undefined;
}

interface BatchErrorEntry {
	code: string;
	line: number | null;
	message: string;
	param: string | null;
}

/** Checks an input file's JSONL text: the lines, or the errors a `failed` batch shows. */
export function validateBatchInput(text: string, bytes: number, endpoint: string): { lines: BatchLine[]; model?: string } | { errors: BatchErrorEntry[] } {
	const errors: BatchErrorEntry[] = [];
	if (bytes > MAX_BATCH_FILE_BYTES) {
		return { errors: [{ code: 'file_too_large', line: null, message: `The batch input file is larger than the ${MAX_BATCH_FILE_BYTES} bytes (200 MB) maximum.`, param: null }] };
	}
	if (text.trim() === '') return { errors: [{ code: 'empty_file', line: null, message: 'The batch input file is empty.', param: null }] };
	const raw = text.split('\n');
	while (raw.length && raw[raw.length - 1].trim() === '') raw.pop();
	if (raw.length === 0) return { errors: [{ code: 'empty_file', line: null, message: 'The batch input file is empty.', param: null }] };
	if (raw.length > MAX_BATCH_LINES) {
		return { errors: [{ code: 'too_many_tasks', line: null, message: `The batch input file has ${raw.length} requests; the maximum is ${MAX_BATCH_LINES}.`, param: null }] };
	}
	const lines: BatchLine[] = [];
	const seen = new Set<string>();
	let model: string | undefined;
	for (const [index, source] of raw.entries()) {
		const line = index + 1;
		let parsed: unknown;
		try {
			parsed = JSON.parse(source);
		} catch {
			parsed = undefined;
		}
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
			errors.push({ code: 'invalid_json_line', line, message: 'This line is not parseable as valid JSON.', param: null });
			continue;
		}
		const p = parsed as Record<string, unknown>;
		if (typeof p.custom_id !== 'string' || p.custom_id === '') {
			errors.push({ code: 'missing_required_parameter', line, message: "Missing required parameter: 'custom_id' (a string).", param: 'custom_id' });
			continue;
		}
		if (seen.has(p.custom_id)) {
			errors.push({
				code: 'duplicate_custom_id',
				line,
				message: 'The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.',
				param: 'custom_id',
			});
			continue;
		}
		seen.add(p.custom_id);
		if (p.method !== 'POST') {
			errors.push({ code: 'invalid_method', line, message: `Invalid method '${String(p.method)}': batch requests must use POST.`, param: 'method' });
			continue;
		}
		if (p.url !== endpoint) {
			errors.push({ code: 'url_mismatch', line, message: `The URL provided for this request ('${String(p.url)}') does not match the batch endpoint ('${endpoint}').`, param: 'url' });
			continue;
		}
		if (!p.body || typeof p.body !== 'object' || Array.isArray(p.body)) {
			errors.push({ code: 'invalid_request', line, message: "Missing required parameter: 'body' (a JSON object).", param: 'body' });
			continue;
		}
		const body = p.body as Record<string, unknown>;
		const lineModel = typeof body.model === 'string' ? body.model : DEFAULT_MODEL[endpoint];
		if (model === undefined) model = lineModel;
		else if (lineModel !== model) {
			errors.push({ code: 'model_mismatch', line, message: `The model '${lineModel}' of this request differs from '${model}': a batch input file must use one model.`, param: 'body.model' });
			continue;
		}
		lines.push({ line, customId: p.custom_id, url: p.url, body });
	}
	return errors.length ? { errors } : { lines, model };
}

export class BatchEngine {
	/** Every batch since the last clear(), in creation order. */
	readonly all: ServerBatch[] = [];
	private chain: Promise<void> = Promise.resolve();
	private running = false;

	constructor(private readonly deps: BatchDeps) {}

	get active(): boolean {
		return this.all.some((b) => !['failed', 'completed', 'expired', 'cancelled'].includes(b.object.status));
	}

	get(id: string): ServerBatch | undefined {
		return this.all.find((b) => b.id === id);
	}

	/** POST /v1/batches: checks the parameters (BatchCreateParams) and creates a `validating` batch, or refuses. */
	create(params: unknown): { ok: true; batch: ServerBatch } | Refusal {
		if (!params || typeof params !== 'object' || Array.isArray(params)) return refuse('The request body must be a JSON object.', null, 'invalid_type');
		const p = params as Record<string, unknown>;
		for (const name of ['input_file_id', 'endpoint', 'completion_window']) {
			if (p[name] === undefined || p[name] === null) return refuse(`Missing required parameter: '${name}'.`, name, 'missing_required_parameter');
		}
		if (typeof p.endpoint !== 'string' || !BATCH_ENDPOINTS.includes(p.endpoint)) {
			return refuse(`Invalid value: '${String(p.endpoint)}'. This test server runs batches for ${BATCH_ENDPOINTS.map((e) => `'${e}'`).join(' and ')} only.`, 'endpoint');
		}
		if (p.completion_window !== '24h') return refuse(`Invalid value: '${String(p.completion_window)}'. Supported values are: '24h'.`, 'completion_window');
		const file = typeof p.input_file_id === 'string' ? this.deps.files.get(p.input_file_id) : undefined;
		if (!file) return refuse(`Invalid 'input_file_id': '${String(p.input_file_id)}'. File with ID '${String(p.input_file_id)}' does not exist.`, 'input_file_id');
		if (file.purpose !== 'batch') return refuse(`Invalid 'input_file_id': '${file.id}' has purpose '${file.purpose}'; a batch input file needs purpose 'batch'.`, 'input_file_id');
		const metadata = p.metadata;
		if (metadata !== undefined && metadata !== null) {
			if (typeof metadata !== 'object' || Array.isArray(metadata)) return refuse("Invalid type for 'metadata': expected an object.", 'metadata', 'invalid_type');
			const entries = Object.entries(metadata as Record<string, unknown>);
			if (entries.length > 16) return refuse(`Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with ${entries.length} properties instead.`, 'metadata', 'object_above_max_properties');
			for (const [key, value] of entries) {
				if (key.length > 64) return refuse(`Invalid 'metadata': key '${key.slice(0, 20)}...' is longer than 64 characters (${key.length}).`, 'metadata', 'invalid_value');
				if (typeof value !== 'string') return refuse(`Invalid type for 'metadata.${key}': expected a string, but got ${typeof value} instead.`, `metadata.${key}`, 'invalid_type');
				if (value.length > 512) return refuse(`Invalid 'metadata.${key}': string too long. Expected a string with maximum length 512, but got a string with length ${value.length} instead.`, `metadata.${key}`, 'string_above_max_length');
			}
		}
		let outputExpiresSeconds: number | undefined;
		if (p.output_expires_after !== undefined && p.output_expires_after !== null) {
			const o = p.output_expires_after as Record<string, unknown>;
			if (o.anchor !== 'created_at') return refuse(`Invalid value for 'output_expires_after.anchor': expected 'created_at'.`, 'output_expires_after.anchor');
			if (typeof o.seconds !== 'number' || !Number.isInteger(o.seconds) || o.seconds < 3600 || o.seconds > 2_592_000) {
				return refuse("Invalid 'output_expires_after.seconds': expected an integer between 3600 (1 hour) and 2592000 (30 days).", 'output_expires_after.seconds');
			}
			outputExpiresSeconds = o.seconds;
		}
		const now = this.deps.clock.now();
		const created = Math.floor(now / 1000);
		const id = `batch_${randomBytes(16).toString('hex')}`;
		const batch: ServerBatch = {
			id,
			object: {
				id,
				object: 'batch',
				endpoint: p.endpoint,
				errors: null,
				input_file_id: file.id,
				completion_window: '24h',
				status: 'validating',
				output_file_id: null,
				error_file_id: null,
				created_at: created,
				in_progress_at: null,
				expires_at: Math.floor((now + COMPLETION_WINDOW_MS) / 1000),
				finalizing_at: null,
				completed_at: null,
				failed_at: null,
				expired_at: null,
				cancelling_at: null,
				cancelled_at: null,
				request_counts: { total: 0, completed: 0, failed: 0 },
				metadata: (metadata as Record<string, string> | undefined) ?? null,
				usage: { input_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 },
			},
			order: [],
			done: [],
			lines: [],
			createdMs: now,
			outputExpiresSeconds,
		};
		this.all.push(batch);
		return { ok: true, batch };
	}

	/** POST /v1/batches/{id}/cancel: `cancelling` now (no line starts after it); refused once the batch has ended. */
	cancel(batch: ServerBatch): { ok: true } | Refusal {
		const status = batch.object.status;
		if (status === 'cancelling') return { ok: true };
		if (!['validating', 'in_progress', 'finalizing'].includes(status)) {
			return refuse(`Cannot cancel a batch with status '${status}'.`, null, 'batch_not_cancellable', 409);
		}
		batch.cancellingMs = this.deps.clock.now();
		this.setStatus(batch, 'cancelling', batch.cancellingMs);
		return { ok: true };
	}

	/** Runs everything due on the clock (serialized: concurrent callers wait for the same work). */
	settle(): Promise<void> {
		this.chain = this.chain.then(() => this.work()).catch(() => undefined);
		return this.chain;
	}

	/** For a running clock: starts settling unless a settle is under way. */
	kick(): void {
		if (this.running) return;
		this.running = true;
		void this.settle().finally(() => (this.running = false));
	}

	clear(): void {
		this.all.length = 0;
	}

	private setStatus(batch: ServerBatch, status: BatchStatus, atMs: number): void {
		batch.object.status = status;
		const field = { in_progress: 'in_progress_at', finalizing: 'finalizing_at', completed: 'completed_at', failed: 'failed_at', expired: 'expired_at', cancelling: 'cancelling_at', cancelled: 'cancelled_at' }[status as string];
		if (field) batch.object[field] = Math.floor(atMs / 1000);
	}

	private async work(): Promise<void> {
		for (;;) {
			let changed = false;
			for (const batch of [...this.all]) if (await this.step(batch)) changed = true;
			if (!changed) return;
		}
	}

	/** One step of one batch; true when something changed. */
	private async step(batch: ServerBatch): Promise<boolean> {
		const now = this.deps.clock.now();
		const timing = this.deps.timing();
		const expiresMs = batch.createdMs + COMPLETION_WINDOW_MS;
		switch (batch.object.status) {
			case 'validating': {
				const at = batch.createdMs + timing.validatingMs;
				if (now < at) return false;
				if (now >= expiresMs) {
					this.setStatus(batch, 'expired', expiresMs);
					return true;
				}
				await this.validate(batch, at);
				return true;
			}
			case 'in_progress': {
				const until = Math.min(now, expiresMs);
				const due = timing.perLineMs > 0 ? Math.min(batch.order.length, Math.floor((until - (batch.inProgressMs ?? 0)) / timing.perLineMs)) : batch.order.length;
				if (batch.done.length < due) {
					await this.runLines(batch, batch.done.length, Math.min(due, batch.done.length + CONCURRENCY));
					return true;
				}
				if (batch.done.length === batch.order.length) {
					batch.finalizingMs = Math.min(now, (batch.inProgressMs ?? 0) + batch.order.length * timing.perLineMs);
					this.setStatus(batch, 'finalizing', batch.finalizingMs);
					return true;
				}
				if (now >= expiresMs) {
					await this.expire(batch, expiresMs);
					return true;
				}
				return false;
			}
			case 'finalizing': {
				const at = (batch.finalizingMs ?? now) + timing.finalizingMs;
				if (now < at) return false;
				await this.deliver(batch);
				this.setStatus(batch, 'completed', at);
				return true;
			}
			case 'cancelling': {
				const at = (batch.cancellingMs ?? now) + timing.cancellingMs;
				if (now < at) return false;
				await this.deliver(batch);
				this.setStatus(batch, 'cancelled', at);
				return true;
			}
			default:
				return false;
		}
	}

	private async validate(batch: ServerBatch, atMs: number): Promise<void> {
		const file = this.deps.files.get(String(batch.object.input_file_id));
		const result = file
			? validateBatchInput((await this.deps.files.read(file.id)).toString('utf8'), file.bytes, String(batch.object.endpoint))
			: { errors: [{ code: 'invalid_file', line: null, message: `The input file ${String(batch.object.input_file_id)} was deleted before the batch ran.`, param: null }] };
		if (batch.object.status !== 'validating') return; // cancelled meanwhile
		if ('errors' in result) {
			batch.object.errors = { object: 'list', data: result.errors };
			this.setStatus(batch, 'failed', atMs);
			return;
		}
		batch.lines = result.lines;
		if (result.model) batch.object.model = result.model;
		const random = mulberry32(this.deps.seed() + this.all.indexOf(batch) * 7919);
		const order = result.lines.map((line) => line.customId);
		for (let i = order.length - 1; i > 0; i--) {
			const j = Math.floor(random() * (i + 1));
			[order[i], order[j]] = [order[j], order[i]];
		}
		batch.order = order;
		batch.object.request_counts = { total: order.length, completed: 0, failed: 0 };
		batch.inProgressMs = atMs;
		this.setStatus(batch, 'in_progress', atMs);
	}

	private writer(batch: ServerBatch, kind: 'output' | 'errors'): FileWriter {
		batch[kind] ??= this.deps.files.writer({
			filename: `${batch.id}_${kind === 'output' ? 'output' : 'error'}.jsonl`,
			purpose: 'batch_output',
			origin: kind === 'output' ? 'batch_output' : 'batch_error',
			expiresAfterSeconds: batch.outputExpiresSeconds ?? 30 * 24 * 3600,
		});
		return batch[kind];
	}

	/** Runs the lines order[from..to) at once and writes their results in that order. */
	private async runLines(batch: ServerBatch, from: number, to: number): Promise<void> {
		const byId = new Map(batch.lines.map((line) => [line.customId, line]));
		const ids = batch.order.slice(from, to);
		const answers = await Promise.all(ids.map((id) => this.deps.run(batch, byId.get(id)!)));
		if (batch.object.status !== 'in_progress' || !this.all.includes(batch)) return; // cancelled or reset meanwhile: not delivered
		const usage = batch.object.usage as { input_tokens: number; output_tokens: number; total_tokens: number };
		for (const [index, answer] of answers.entries()) {
			const customId = ids[index];
			const ok = answer.status >= 200 && answer.status < 300;
			const text =
				`{"id":"batch_req_${randomBytes(16).toString('hex')}","custom_id":${JSON.stringify(customId)},` +
				`"response":{"status_code":${answer.status},"request_id":${JSON.stringify(answer.requestId)},"body":${answer.bodyJson}},"error":null}\n`;
			await this.writer(batch, ok ? 'output' : 'errors').write(text);
			batch.done.push(customId);
			batch.object.request_counts[ok ? 'completed' : 'failed']++;
			const used = ok ? usageOf(answer.bodyJson) : undefined;
			if (used) {
				usage.input_tokens += used.input_tokens ?? 0;
				usage.output_tokens += used.output_tokens ?? 0;
				usage.total_tokens += used.total_tokens ?? 0;
			}
		}
	}

	private async expire(batch: ServerBatch, atMs: number): Promise<void> {
		const done = new Set(batch.done);
		for (const customId of batch.order) {
			if (done.has(customId)) continue;
			const error = { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' };
			await this.writer(batch, 'errors').write(`${JSON.stringify({ id: `batch_req_${randomBytes(16).toString('hex')}`, custom_id: customId, response: null, error })}\n`);
		}
		await this.deliver(batch);
		this.setStatus(batch, 'expired', atMs);
	}

	/** Closes the output and error files and names them on the batch. */
	private async deliver(batch: ServerBatch): Promise<void> {
		const finish = async (writer: FileWriter | undefined): Promise<StoredApiFile | undefined> => (writer ? await writer.finish() : undefined);
		const output = await finish(batch.output);
		const errors = await finish(batch.errors);
		batch.output = undefined;
		batch.errors = undefined;
		if (output) batch.object.output_file_id = output.id;
		if (errors) batch.object.error_file_id = errors.id;
	}
}
