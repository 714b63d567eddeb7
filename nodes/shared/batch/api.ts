/**
 * OpenAI's Files and Batch APIs as the node meets them (openai 7.59.0 `resources/files.d.ts`,
 * `resources/batches.d.ts`): upload (POST /files, multipart, `purpose`), content (GET
 * /files/{id}/content, read as a byte stream), delete (DELETE /files/{id}); create (POST
 * /batches), retrieve (GET /batches/{id}), cancel (POST /batches/{id}/cancel), list (GET
 * /batches?limit&after, newest first). Every call goes through n8n's authenticated helper, to the
 * credential's own host, with the node's retries (transport/http.ts).
 */
import { NodeApiError, NodeOperationError, type IDataObject, type IExecuteFunctions, type IHttpRequestOptions, type JsonObject } from 'n8n-workflow';

import type { Endpoint } from '../transport/endpoint';
import { describeApiError } from '../transport/errors';
import { sendApiRequest, type SendSettings } from '../transport/http';
import { AdaptiveLimiter } from '../transport/limiter';
import { MultipartBody, type PartSource } from '../transport/multipart';
import type { BodyStream } from '../transport/stream';

/** A batch as GET /batches/{id} gives it (openai 7.59.0 `Batch`; the fields the node reads). */
export interface BatchObject {
	id: string;
	status: 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
	endpoint: string;
	input_file_id: string;
	created_at: number;
	output_file_id?: string | null;
	error_file_id?: string | null;
	errors?: { data?: Array<{ code?: string; line?: number | null; message?: string; param?: string | null }> } | null;
	request_counts?: { total: number; completed: number; failed: number };
	metadata?: Record<string, string> | null;
	model?: string;
	usage?: IDataObject;
	expires_at?: number;
}

/** Statuses after which a batch changes no more (openai 7.59.0 `Batch.status`). */
export const FINAL_STATUSES: ReadonlyArray<BatchObject['status']> = ['failed', 'completed', 'expired', 'cancelled'];

export const isFinal = (batch: Pick<BatchObject, 'status'>) => FINAL_STATUSES.includes(batch.status);

/** Thrown when the server has no Files or Batch API (404/405 on its route): the whole node fails once, clearly. */
export class NoBatchApiError extends NodeOperationError {}

/**
 * The Files and Batch API calls of one node execution. `signal` stops calls (the execution's
 * cancel); `withoutSignal()` gives a client for the clean-up calls made after a stop (cancelling
 * the node's batches), which must still go out.
 */
export class BatchApi {
	readonly baseUrl: string;

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly endpoint: Endpoint,
		private readonly settings: SendSettings,
	) {
		this.baseUrl = endpoint.apiBaseUrl ?? '';
	}

	/** The node, for errors made outside the client. */
	get node() {
		return this.ctx.getNode();
	}

	/** A client for one execution: `timeout` in ms per call, `maxRetries` per call, calls stopped by `signal`. */
	static create(ctx: IExecuteFunctions, endpoint: Endpoint, options: { timeout: number; maxRetries: number; signal?: AbortSignal }): BatchApi {
		const limiter = new AdaptiveLimiter(4, options.signal);
		return new BatchApi(ctx, endpoint, { itemIndex: 0, limiter, ...options });
	}

	/**
	 * The same calls, not stopped by the execution's cancel: for cancelling the node's batches
	 * after a stop. n8n's authenticated helper (n8n-core 2.x `httpRequestWithAuthentication`) gives
	 * every request the execution's cancel signal when its `this` has getExecutionCancelSignal, so
	 * after a stop the calls go through a view of the context without it: the same credentials and
	 * authentication, no cancel signal.
	 */
	withoutSignal(): BatchApi {
		const ctx = new Proxy(this.ctx, {
			has: (target, property) => property !== 'getExecutionCancelSignal' && property in target,
		});
		return new BatchApi(ctx, this.endpoint, { ...this.settings, signal: undefined, limiter: new AdaptiveLimiter(4) });
	}

	private async call(what: string, method: 'GET' | 'POST', path: string, body?: IDataObject | MultipartBody, qs?: IDataObject): Promise<IDataObject> {
		const answer = await sendApiRequest(this.ctx, this.endpoint, { method, url: `${this.baseUrl}${path}`, body, qs }, this.settings);
		if (answer.status < 400) return (answer.body ?? {}) as IDataObject;
		throw this.failure(what, path, answer.status, answer.body);
	}

	private failure(what: string, path: string, status: number, body: unknown): NodeApiError | NoBatchApiError {
		const details = describeApiError(body, status);
		// A 404 on one object's route (a batch or file by id) is that object missing, unless the
		// server says the route itself is unknown (OpenAI: "Invalid URL (GET /v1/…)").
		const objectRoute = /^\/(files|batches)\/[^/]+/.test(path);
		const noRoute = status === 405 || !objectRoute || /invalid url|^(\d{3} )?not found$|^HTTP 40[45]\b/i.test(details.message.trim());
		if ((status === 404 || status === 405) && !details.code && noRoute) {
			const api = path.startsWith('/files') ? 'Files API (/files)' : 'Batch API (/batches)';
			return new NoBatchApiError(
				this.ctx.getNode(),
				`The server at ${this.endpoint.origin} has no ${api}: ${what} was answered HTTP ${status}. Request Mode › Batch needs OpenAI's Files and Batch APIs; choose Request Mode › Direct for this server`,
				{ description: `${this.baseUrl}${path}: ${details.message}` },
			);
		}
		const message = `${what} failed: ${details.message} (HTTP ${status})`;
		return new NodeApiError(this.ctx.getNode(), { message, status } as JsonObject, {
			message,
			description: [details.type && `type: ${details.type}`, details.code && `code: ${details.code}`, details.param && `param: ${details.param}`]
				.filter(Boolean)
				.join(', '),
			httpCode: String(status),
		});
	}

	/** POST /files (multipart: `purpose`, `file`): the new file's id. `what` names the upload in errors (default: the file name). */
	async uploadFile(purpose: 'batch' | 'vision', fileName: string, contentType: string, source: PartSource, what = `Uploading ${fileName}`): Promise<string> {
		const form = new MultipartBody([['purpose', purpose]], [{ name: 'file', fileName, contentType, source }]);
		const file = await this.call(`${what} (POST /files)`, 'POST', '/files', form);
		if (typeof file.id !== 'string') throw this.failure(`${what} (POST /files)`, '/files', 502, { error: { message: `the answer names no file id: ${JSON.stringify(file).slice(0, 200)}` } });
		return file.id;
	}

	/** DELETE /files/{id}; a file already gone (404) counts as deleted. Returns whether it was deleted. */
	async deleteFile(fileId: string): Promise<boolean> {
		const options: IHttpRequestOptions = {
			method: 'DELETE',
			url: `${this.baseUrl}/files/${encodeURIComponent(fileId)}`,
			json: true,
			timeout: this.settings.timeout,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			sendCredentialsOnCrossOriginRedirect: false,
		};
		try {
			const answer = (await this.ctx.helpers.httpRequestWithAuthentication.call(this.ctx, this.endpoint.credentialType, options)) as { statusCode: number };
			return answer.statusCode < 300 || answer.statusCode === 404;
		} catch {
			return false;
		}
	}

	/**
	 * GET /files/{id}/content as a byte stream (n8n's helper with `encoding: 'stream'`, as
	 * transport/stream.ts reads events): never the whole file in memory. Throws NodeApiError for
	 * an error answer.
	 */
	async fileContent(fileId: string): Promise<BodyStream> {
		const path = `/files/${encodeURIComponent(fileId)}/content`;
		const options: IHttpRequestOptions = {
			method: 'GET',
			url: `${this.baseUrl}${path}`,
			encoding: 'stream',
			json: false,
			timeout: this.settings.timeout,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			sendCredentialsOnCrossOriginRedirect: false,
			headers: { accept: 'application/jsonl, application/json' },
		};
		const response = (await this.ctx.helpers.httpRequestWithAuthentication.call(this.ctx, this.endpoint.credentialType, options)) as {
			body: BodyStream;
			statusCode: number;
		};
		if (response.statusCode < 400) return response.body;
		const chunks: Buffer[] = [];
		for await (const chunk of response.body) {
			chunks.push(Buffer.from(chunk));
			if (chunks.length > 64) break;
		}
		response.body.destroy();
		throw this.failure(`Reading file ${fileId} (GET ${path})`, path, response.statusCode, Buffer.concat(chunks));
	}

	/** POST /batches: a batch of the uploaded JSONL file, 24 h window, with `metadata` (16 pairs at most). */
	async createBatch(inputFileId: string, endpoint: string, metadata: Record<string, string>): Promise<BatchObject> {
		const body = { input_file_id: inputFileId, endpoint, completion_window: '24h', metadata };
		return (await this.call('Creating the batch (POST /batches)', 'POST', '/batches', body)) as unknown as BatchObject;
	}

	/** GET /batches/{id}. */
	async retrieve(batchId: string): Promise<BatchObject> {
		return (await this.call(`Reading batch ${batchId}`, 'GET', `/batches/${encodeURIComponent(batchId)}`)) as unknown as BatchObject;
	}

	/** POST /batches/{id}/cancel: the batch, now `cancelling` (or already final). */
	async cancel(batchId: string): Promise<BatchObject> {
		return (await this.call(`Cancelling batch ${batchId}`, 'POST', `/batches/${encodeURIComponent(batchId)}/cancel`)) as unknown as BatchObject;
	}

	/** GET /batches?limit&after: one page, newest first. */
	async list(limit: number, after?: string): Promise<{ data: BatchObject[]; hasMore: boolean }> {
		const page = await this.call('Listing batches (GET /batches)', 'GET', '/batches', undefined, { limit, ...(after ? { after } : {}) });
		return { data: (Array.isArray(page.data) ? page.data : []) as unknown as BatchObject[], hasMore: page.has_more === true };
	}
}
