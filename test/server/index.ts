/**
 * OpenAI-compatible image server for tests, demos and benchmarks: a test double that behaves
 * like the real Images API (OpenAI, Azure OpenAI, LocalAI, vLLM-Omni), built on node:http and
 * sharp. Its validation rules are its own knowledge of the API, independent of the node's code.
 *
 *   const server = await startImageServer({ rateLimitPerMinute: 5 });
 *   const client = new OpenAI({ apiKey: server.apiKey, baseURL: server.baseUrl, maxRetries: 0 });
 *   ...
 *   await server.close();
 *
 * Routes (all on 127.0.0.1):
 *   GET  /v1/models, /v1/models/{id}                      Bearer auth; OpenAI list shape
 *   POST /v1/images/generations                           Bearer auth; behaviour per `flavor`
 *   POST /v1/images/edits                                 multipart/form-data (flavor openai; others 404); edits.ts;
 *                                                          or JSON by reference (images: [{image_url}|{file_id}], mask):
 *                                                          jsonEdits.ts fetches loopback URLs (others: "Error while
 *                                                          downloading"), decodes data URLs, resolves file ids
 *                                                          (purpose vision/user_data), then checks as multipart;
 *                                                          the log shows rec.jsonEdit, rec.imageFetches, and the
 *                                                          server's own downloads as origin 'fetch'
 *   POST /v1/files (multipart file, purpose, expires_after)  Files API, Bearer auth (files.ts); GET /v1/files[?purpose,
 *        limit, after, order], GET|DELETE /v1/files/{id}, GET /v1/files/{id}/content (streamed from disk).
 *        Tests: server.storedFiles (every file, deleted ones flagged), readStoredFile(id), addStoredFile(...)
 *   POST /v1/batches, GET /v1/batches[?limit,after] (newest first), GET /v1/batches/{id},
 *        POST /v1/batches/{id}/cancel: Batch API for /v1/images/generations and /v1/images/edits
 *        (batches.ts): validation with line numbers, shuffled output, error file, expiry, cancel.
 *        Each line runs through the routes above (logged with origin 'batch' and rec.batch).
 *
 * The Files/Batch clock (clock.ts), which the tests control:
 *   option batchClock: 'manual' (stands still) or N (N times real time; default 1)
 *   server.advanceClock(ms)      move it and run every batch step due (resolves when done)
 *   server.settleBatches()       run what is due now
 *   option batchStepPerPoll: ms  every GET /v1/batches/{id} first advances the clock that much
 *   option batchTiming: { validatingMs, perLineMs, finalizingMs, cancellingMs }  (default 2000, 500, 2000, 2000)
 *   option batchSeed: N          the shuffled line order (default 1); server.batches[i].order shows it
 *   A running clock (a number) moves batches on a 20 ms timer; e2e/real n8n: e.g. batchClock: 100.
 *   GET  /files/{id}.{ext}, /generated-images/{id}.{ext}  no auth; bytes of `url` answers
 *   POST /openai/deployments/{dep}/images/generations?api-version=YYYY-MM-DD[-preview]   Azure dated
 *   POST /openai/v1/images/generations[?api-version=preview]  Azure v1 (deployment in body.model)
 *   POST .../images/edits on both Azure routes, like generations
 *   GET  /openai/deployments?api-version=...              Azure deployment list
 *   GET  /openai/v1/models                                Azure v1 model list
 *   POST /v1/chat/completions, /v1/responses              Bearer auth; a scripted chat model for
 *                                                          n8n's AI Agent (chat.ts), non-streaming
 *   anything else                                          404 JSON
 *   Azure routes take `api-key: <key>` (or `Authorization: Bearer <key>`), ignore `flavor`.
 *
 * Order of handling for a generation request:
 *   1. queued script step (server.script), if any - before everything else
 *   2. auth (401)          3. Azure api-version / deployment (404)     4. JSON body (400)
 *   5. rate limit (429 with retry-after-ms, retry-after, x-ratelimit-*; admitted requests fill
 *      the sliding 60 s window)
 *   6. per-prompt directives (see below; [delay] waits, answer-directives answer immediately)
 *   7. errorRate -> 500 server_error (after latencyMs)
 *   8. validation per model family (400 / 404 model_not_found for retiredModels)
 *   9. latencyMs ("model time")   10. [moderation]/[contentfilter] safety block (400)
 *   11. success: real PNG/JPEG/WEBP bytes of the requested size (auto -> 1024x1024); with
 *       `stream: true` (openai flavor) server-sent events: per image, `partial_images`
 *       image_generation.partial_image events (blurrier, paler bytes of the same size), then
 *       image_generation.completed with usage
 * Edits take the same steps; 4 parses multipart/form-data, 8 checks the parts, files and the
 * model's edit rules (edits.ts) and then the text fields as a generation body, 11 answers the
 * first image recoloured (negated) at the requested size (auto: the first image's size).
 *     Edit streams send image_edit.partial_image and image_edit.completed.
 *
 * Per-prompt directives (tags in the prompt; counters keyed by the exact prompt string):
 *   directive := "[" name [ ":" number ] [ "x" count ] "]"
 *   [status:500]  [status:429x2]  [reset]  [resetx1]  [hang]  [delay:300]  [moderation]
 *   [contentfilter]  [quota]  [html502]  [plaintext500]
 *   [retry-after:2]  [retry-after-ms:150]  [retry-after-date]  (wait hints on error answers)
 *   streamed answers: [event-gap:400]  [stream-stall:1]  [stream-error:1]  [stream-end:1]  [stream-note]
 *   "xN" = only the first N attempts with that prompt. Full grammar: directives.ts.
 *
 * Answers that lie (tags in the prompt, applied to a success answer; lies.ts): [lie:b64-empty-url]
 *   [lie:b64-null-url] [lie:b64-empty] [lie:data-url] [lie:url-html] [lie:url-json] [lie:url-empty]
 *   [lie:error-200] [lie:html-200] [lie:text-200] [lie:created=N|null|text] [lie:not-found-local]
 *
 * Image sizes in noise mode: ~1.5 bytes per pixel as PNG, so the default 1024x1024 is
 * ~1.5 MiB (1536x1024 ~2.4 MB, 512x512 ~0.4 MB). Solid mode: a few KB.
 */
import { ImageServerImpl } from './server';
import type { ImageServer, ImageServerOptions } from './types';

export type {
	Flavor,
	ImageMode,
	ImageServer,
	ImageServerOptions,
	ImageServerStats,
	RecordedRequest,
	RequestKind,
	ScriptStep,
	SchemaViolation,
	ServerBatch,
	StoredApiFile,
	BatchTiming,
} from './types';
export { DEFAULT_API_KEY, DEFAULT_AZURE_DEPLOYMENTS } from './server';
export { parseDirectives, planDirectives } from './directives';
export { checkFlexibleSize, familyOf, validateGeneration } from './models';

const REGISTRY = Symbol.for('n8n-nodes-create-image.image-servers');

/** The servers started in this process and not closed yet (the jest harness, test/judge-harness.ts, checks their schema violations after each test). */
export function liveImageServers(): Set<ImageServer> {
	const holder = globalThis as { [REGISTRY]?: Set<ImageServer> };
	holder[REGISTRY] ??= new Set();
	return holder[REGISTRY];
}

export async function startImageServer(opts: ImageServerOptions = {}): Promise<ImageServer> {
	const server = new ImageServerImpl(opts);
	await server.listen();
	const live = liveImageServers();
	live.add(server);
	const close = server.close.bind(server);
	server.close = async () => {
		live.delete(server);
		await close();
	};
	return server;
}
