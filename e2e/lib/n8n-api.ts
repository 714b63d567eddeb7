/**
 * A running n8n (`n8n start`) driven through its HTTP APIs, as a user or a script would:
 * the owner's session for the REST API the editor uses (API keys, binary data), and an API
 * key for the public API (credentials, workflows, executions). Checked against n8n 2.41.1:
 * `POST /rest/api-keys` takes { label, scopes, expiresAt } and answers the key once in
 * `rawApiKey`; `GET /rest/api-keys/scopes` lists the scopes the user may grant; the public
 * API's execution list leaves running executions out unless `status=running` is asked for.
 */
import { login, type Editor, type Owner } from '../../scripts/lib/editor';

export interface PublicExecution {
	id: string;
	status: string;
	finished: boolean;
	mode: string;
	workflowId: string;
	startedAt: string | null;
	stoppedAt: string | null;
	/** With includeData: the run data (resultData.runData[node][run].data.main ...). */
	data?: {
		resultData: {
			runData: Record<string, Array<{ executionStatus?: string; error?: { message: string }; data?: { main: Array<PublicItem[] | null> } }>>;
			error?: { message: string; [key: string]: unknown };
			lastNodeExecuted?: string;
		};
	};
}

export interface PublicItem {
	json: Record<string, unknown>;
	binary?: Record<string, { id?: string; data?: string; mimeType: string; fileName?: string; fileSize?: string; [key: string]: unknown }>;
	pairedItem?: unknown;
	[key: string]: unknown;
}

export class N8nApi {
	private constructor(
		readonly baseUrl: string,
		private readonly cookie: string,
		private readonly apiKey: string,
	) {}

	/** Logs the owner in and creates an API key with every scope the owner may grant. */
	static async connect(editor: Editor, owner: Owner): Promise<N8nApi> {
		const baseUrl = `http://127.0.0.1:${editor.port}`;
		const cookie = await login(editor, owner);
		const session = new N8nApi(baseUrl, cookie, '');
		const scopes = await session.rest<string[]>('GET', '/rest/api-keys/scopes');
		const created = await session.rest<{ rawApiKey: string }>('POST', '/rest/api-keys', { label: 'e2e queue suite', scopes, expiresAt: null });
		return new N8nApi(baseUrl, cookie, created.rawApiKey);
	}

	/** The editor's REST API with the owner's session; returns its `data`. */
	async rest<T>(method: string, path: string, body?: unknown): Promise<T> {
		const response = await this.fetch(method, path, { cookie: `n8n-auth=${this.cookie}` }, body);
		return ((await response.json()) as { data: T }).data;
	}

	/** The public API (`/api/v1`) with the API key. */
	async publicApi<T>(method: string, path: string, body?: unknown): Promise<T> {
		const response = await this.fetch(method, `/api/v1${path}`, { 'x-n8n-api-key': this.apiKey }, body);
		return (await response.json()) as T;
	}

	async createCredential(credential: { name: string; type: string; data: Record<string, unknown> }): Promise<string> {
		return (await this.publicApi<{ id: string }>('POST', '/credentials', credential)).id;
	}

	/** Creates a workflow and publishes it (its webhooks go live); returns its id. */
	async createAndPublish(workflow: Record<string, unknown>): Promise<string> {
		const { id } = await this.publicApi<{ id: string }>('POST', '/workflows', workflow);
		await this.publicApi('POST', `/workflows/${id}/publish`);
		return id;
	}

	/** POSTs JSON to a production webhook (`/webhook/<path>`); returns the status and body text. */
	async callWebhook(path: string, body: unknown): Promise<{ status: number; text: string }> {
		const response = await fetch(`${this.baseUrl}/webhook/${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
			signal: AbortSignal.timeout(60_000),
		});
		return { status: response.status, text: await response.text() };
	}

	/** A workflow's executions with the given status (default: every finished one), all pages. */
	async executions(workflowId: string, status?: string): Promise<PublicExecution[]> {
		const all: PublicExecution[] = [];
		let cursor: string | undefined;
		do {
			const query = new URLSearchParams({ workflowId, limit: '250' });
			if (status) query.set('status', status);
			if (cursor) query.set('cursor', cursor);
			const page = await this.publicApi<{ data: PublicExecution[]; nextCursor: string | null }>('GET', `/executions?${query}`);
			all.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return all;
	}

	/** One execution with its run data, however large. */
	async execution(id: string): Promise<PublicExecution> {
		return this.publicApi<PublicExecution>('GET', `/executions/${id}?includeData=true&ignoreDataSizeLimit=true`);
	}

	/** Stops a running execution (`POST /api/v1/executions/{id}/stop`). */
	async stopExecution(id: string): Promise<{ status: string }> {
		return this.publicApi<{ status: string }>('POST', `/executions/${id}/stop`);
	}

	/** The bytes of a stored binary file (its `id` in the run data), as the editor downloads it. */
	async binary(id: string): Promise<{ contentType: string | null; bytes: Buffer }> {
		const response = await this.fetch('GET', `/rest/binary-data?${new URLSearchParams({ id, action: 'download' })}`, {
			cookie: `n8n-auth=${this.cookie}`,
		});
		return { contentType: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
	}

	private async fetch(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(60_000),
		});
		if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${(await response.text()).slice(0, 500)}`);
		return response;
	}
}
