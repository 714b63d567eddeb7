/** Public types of the OpenAI-compatible image test server (see index.ts for the overview). */
import type { BatchTiming, ServerBatch } from './batches';
import type { StoredApiFile } from './files';
import type { SchemaViolation } from './judge';

export type { StoredApiFile } from './files';
export type { BatchTiming, ServerBatch } from './batches';
export type { SchemaViolation } from './judge';

export type ImageMode = 'solid' | 'noise';
export type Flavor = 'openai' | 'localai' | 'vllm';
/**
 * 'file': GET of an image file a `url` answer points at (/files/..., /generated-images/...);
 * 'files': the Files API (/v1/files...); 'batches': the Batch API (/v1/batches...).
 */
export type RequestKind = 'generation' | 'edit' | 'models' | 'file' | 'files' | 'batches' | 'deployments' | 'chat' | 'other';

export interface ImageServerOptions {
	/** Port to listen on; default 0 (random). The server always binds 127.0.0.1. */
	port?: number;
	/** Default 'sk-test-0123456789abcdef'. OpenAI style: `Authorization: Bearer <key>`; Azure style: `api-key: <key>`. */
	apiKey?: string;
	/** Delay ("model time") before answering each generation that reaches the model; default 0. */
	latencyMs?: number;
	/** 0..1 fraction of generations answered 500 server_error (deterministic when `seed` is set). */
	errorRate?: number;
	/** Seed of the pseudo-random generator used by `errorRate`. */
	seed?: number;
	/** Sliding 60 s window over admitted generation requests; above it -> 429 rate_limit_exceeded. */
	rateLimitPerMinute?: number;
	/** Model id -> message (empty string = OpenAI's default wording). Requests for these answer 404 model_not_found. */
	retiredModels?: Record<string, string>;
	/** 'solid' (default): one flat colour, tiny files. 'noise': ~1.5 bytes per pixel PNG (1024x1024 -> ~1.5 MiB). */
	imageMode?: ImageMode;
	/** How /v1 routes behave: the real OpenAI API (default), LocalAI, or vLLM(-Omni). */
	flavor?: Flavor;
	/**
	 * Azure deployments: deployment name -> underlying model.
	 * Default { 'gpt-image-2': 'gpt-image-2', 'my-image-deployment': 'gpt-image-1', dalle3: 'dall-e-3' }.
	 */
	azureDeployments?: Record<string, string>;
	/** Extra: delay before serving GET /files/... (to observe downloads in flight); default 0. */
	fileLatencyMs?: number;
	/** Extra: GET /files/... sends its headers and this many bytes, then stalls (never ends); default: whole files. */
	fileStallAfterBytes?: number;
	/**
	 * The clock of the Files and Batch APIs (clock.ts): 'manual' stands still until
	 * `advanceClock(ms)`; a number runs that many times faster than real time. Default 1 (real
	 * time). Changing it with set() keeps the clock's reading continuous.
	 */
	batchClock?: 'manual' | number;
	/** How long each batch phase lasts on that clock (batches.ts; default validating 2 s, 0.5 s per line, finalizing 2 s, cancelling 2 s). */
	batchTiming?: Partial<BatchTiming>;
	/** Seed of the shuffled order in which batch lines run and appear in the output (default 1; batch k uses seed + 7919 k). */
	batchSeed?: number;
	/**
	 * Each GET /v1/batches/{id} first moves the clock forward by this many ms and runs what is due
	 * (deterministic progress for a client that polls, whatever the real time). Default: off.
	 */
	batchStepPerPoll?: number;
	/**
	 * The outside judge (judge.ts): each images request (OpenAI shape) is checked against OpenAI's
	 * published schemas. 'enforce' (default): a violation is recorded (`schemaViolations`) and,
	 * when the server's own rules pass, answered 400 code `schema_violation`; 'record': recorded
	 * only; 'off': not checked.
	 */
	schemaCheck?: 'enforce' | 'record' | 'off';
}

export interface RecordedRequest {
	method: string;
	/** Path without the query string. */
	path: string;
	query: Record<string, string>;
	/** Header names in lower case; repeated headers joined with ', '. */
	headers: Record<string, string>;
	/** Parsed JSON body, or undefined when there is no body or it is not JSON. Edits: the text fields of the form (repeated names as arrays). */
	body: unknown;
	/** Edits: the file parts of the form, in order. */
	files?: Array<{ name: string; fileName: string; contentType: string; size: number }>;
	/** Date.now() when the request headers arrived. */
	receivedAt: number;
	kind: RequestKind;
	/**
	 * Set when the exchange has ended (the connection closed or the answer was written): the
	 * status sent, or undefined when no answer was sent (the client went away first, or a
	 * scripted reset/hang).
	 */
	status?: number;
	/** Date.now() when the exchange ended; undefined while it is still in flight. */
	endedAt?: number;
	/** Streamed answers: the events written so far (a client that closes early stops the count). */
	eventsSent?: number;
	/**
	 * Who sent it: 'client' (default: a request from outside), 'batch' (a line of a batch the
	 * server runs through its own routes; see `batch`), 'fetch' (the server downloading an
	 * `image_url` of a JSON edit: recorded with the headers it carried).
	 */
	origin: 'client' | 'batch' | 'fetch';
	/** origin 'batch': the batch and the line's custom_id. */
	batch?: { batchId: string; customId: string };
	/** JSON edits (content-type application/json): the image references as received, in order. */
	jsonEdit?: { images: Array<{ image_url?: string; file_id?: string }>; mask?: { image_url?: string; file_id?: string } };
	/** JSON edits: the downloads the server made for `image_url` addresses (data URLs are decoded, not listed). */
	imageFetches?: Array<{ url: string; status?: number; bytes?: number }>;
}

export interface ImageServerStats {
	/** Generation requests and file downloads currently being answered. */
	inFlight: number;
	maxInFlight: number;
	/** Generation requests received (every one, whatever the answer; batch lines too: their requests have origin 'batch'). */
	generations: number;
	/** Edit requests received (every one, whatever the answer; batch lines too). */
	edits: number;
}

export type ScriptStep =
	| { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
	| { reset: true; afterBytes?: number }
	| { hang: true }
	/** Headers and the first `afterBytes` bytes of the normal answer, then nothing (the socket stays open). */
	| { stall: true; afterBytes: number }
	| { delayMs: number };

export interface ImageServer {
	/** http://127.0.0.1:PORT */
	url: string;
	/** url + '/v1' */
	baseUrl: string;
	apiKey: string;
	/** Every request received, in arrival order (the same array instance for the server's life). */
	requests: RecordedRequest[];
	stats: ImageServerStats;
	/** Change behaviour at runtime. */
	set(opts: Partial<ImageServerOptions>): void;
	/** Queue one-off answers for the next generation requests (consumed in order, before anything else). */
	script(...steps: ScriptStep[]): void;
	/** Clear requests, stats, scripts, per-prompt counters, the rate-limit window, and every Files API file (and batch). */
	reset(): void;
	/** Every Files API file created since the last reset() (uploads and batch outputs), deleted ones included (`deleted: true`), in creation order. */
	readonly storedFiles: readonly StoredApiFile[];
	/** The bytes of a live Files API file; throws when there is none with that id. */
	readStoredFile(id: string): Promise<Buffer>;
	/** Stores a file as POST /v1/files would (no request recorded, no checks); returns its record. */
	addStoredFile(data: Buffer | string, filename: string, purpose: string): Promise<StoredApiFile>;
	/** Requests that broke OpenAI's published schemas (judge.ts), in arrival order; cleared by reset() and takeSchemaViolations(). */
	readonly schemaViolations: readonly SchemaViolation[];
	/** Returns the schema violations recorded so far and forgets them (the jest harness fails a test that leaves any). */
	takeSchemaViolations(): SchemaViolation[];
	/** Every batch since the last reset(), in creation order: the API object, the lines' run order (= output order), what is done. */
	readonly batches: readonly ServerBatch[];
	/** Moves the Files/Batch clock forward by `ms` (any clock mode), then runs every batch step due; resolves when done. */
	advanceClock(ms: number): Promise<void>;
	/** Runs every batch step due at the clock's present reading; resolves when done. */
	settleBatches(): Promise<void>;
	/** Stop listening and destroy every open socket (keep-alive and hanging ones too). */
	close(): Promise<void>;
}
