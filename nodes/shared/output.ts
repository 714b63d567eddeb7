import * as workflow from 'n8n-workflow';
import { NodeApiError, type accumulateTokenUsage, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { answerTime, describeB64, describeBytes, describeNonJson, untrustedAnswer } from './answerChecks';
import { requestCost } from './cost';
import { imageFromValue, type ImageAnswer } from './transport/answer';
import { fileNameFor, imageTypeOf, type FileType } from './files';
import type { ItemConfig } from './parameters';
import { DOCUMENTED_URL_LIFETIME_MS, type Endpoint } from './transport/endpoint';
import { buildApiError, quoteServerText } from './transport/errors';
import type { ApiAnswer, SendSettings } from './transport/http';
import { downloadImage, streamShortfall } from './transport/http';
import { header } from './transport/retry';

interface ImageDatum {
	b64_json?: string;
	url?: string;
	revised_prompt?: string;
	/** Azure OpenAI: per image. */
	content_filter_results?: IDataObject;
	prompt_filter_results?: IDataObject;
}

/** An image made for an item: its bytes and what the answer said about it. */
export interface MadeImage {
	data: Buffer;
	type: FileType;
	json: IDataObject;
}

const defined = (object: IDataObject): IDataObject =>
	Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined && value !== null));

/** What an answer made: its images and, when fewer came than were asked for, the item's error beside them. */
export interface AnswerImages {
	images: MadeImage[];
	/**
	 * A streamed answer with fewer final images than asked for (its stream cut short, ended early,
	 * or ended by an error event after some images): why the others are missing. The images that
	 * arrived are in `images` all the same: they were made and paid for.
	 */
	shortfall?: NodeApiError;
}

/** Where and when an answer came from, for imagesFromAnswer. */
export interface AnswerSource {
	/** When the answer arrived (ms since the epoch): `createdAt` when the answer's `created` is not believable. */
	receivedAt: number;
	/** The item's request settings: its index, and the bounds for downloading returned URLs. */
	settings: SendSettings;
	/** The server that answered: whose words lead in errors, whether its URLs expire, its origin. Default: OpenAI's rules. */
	endpoint?: Pick<Endpoint, 'kind' | 'urlLifetimeMs' | 'origin'>;
	/** How many final images the request asked for (its `n`, default 1): a streamed answer with fewer has a shortfall. */
	asked?: number;
}

/** The answers an answer is made of: a plain answer is one; a streamed one is its image and error events, each of the plain shape. */
function answerParts(answer: ApiAnswer): ImageAnswer[] {
	return answer.events ?? [{ body: answer.body, images: answer.images ?? [] }];
}

/**
 * The token usage one request reported (OpenAI's `usage`: `input_tokens`, `output_tokens`): of
 * a plain answer, its `usage`; of a streamed one, the sum over its completed events' `usage`
 * (partial images carry none). Undefined when the answer reports none. Raw and Images answers
 * alike. Source: openai 7.59.0 images.d.ts (ImagesResponse.usage, ImageGenCompletedEvent.usage).
 */
export function answerUsage(answer: ApiAnswer): { inputTokens: number; outputTokens: number } | undefined {
	let usage: { inputTokens: number; outputTokens: number } | undefined;
	for (const part of answerParts(answer)) {
		const reported = (part.body as { usage?: { input_tokens?: unknown; output_tokens?: unknown } } | undefined)?.usage;
		if (!reported || typeof reported !== 'object') continue;
		const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);
		usage ??= { inputTokens: 0, outputTokens: 0 };
		usage.inputTokens += count(reported.input_tokens);
		usage.outputTokens += count(reported.output_tokens);
	}
	return usage;
}

/**
 * Adds one request's token usage (answerUsage) to the node run's, where n8n keeps it: its run
 * data's `metadata.tokenUsage` (`inputTokens`, `outputTokens`), through n8n-workflow's
 * `accumulateTokenUsage` (n8n 2.x; n8n 2.41.1 reads it in its telemetry helper, n8n-workflow
 * telemetry-helpers extractNodeTokenUsage). Call it once per request, with its
 * final answer (after retries). n8n 1.x's n8n-workflow has no such helper: then nothing is
 * reported (usage stays in the items' JSON). Never throws: a run's metadata is no reason to fail.
 */
export function reportUsage(ctx: IExecuteFunctions, answer: ApiAnswer): void {
	const usage = answerUsage(answer);
	// Read from the host's n8n-workflow at run time: undefined on n8n 1.x.
	const accumulate = (workflow as { accumulateTokenUsage?: typeof accumulateTokenUsage }).accumulateTokenUsage;
	if (!usage || typeof accumulate !== 'function') return;
	try {
		accumulate(ctx, usage.inputTokens, usage.outputTokens);
	} catch {
		// A context without run data to write to (none known): the items still carry their usage.
	}
}

/**
 * The images of one answer (any status), with their metadata: the one path from an answer to
 * images, for plain answers, streamed ones (each image event is an answer of the plain shape,
 * transport/stream.ts) and any other source of plain answers (a batch's output lines): call it
 * with `{ status, headers, body, attempts }` and `{ receivedAt, settings }`.
 *
 * Each image's bytes are held once: the base64 text is dropped from the answer as soon as it is
 * decoded, and URLs are downloaded (without credentials) into the binary. Nothing is trusted as
 * it comes: an image is made only from non-empty bytes that are an image (its type from the
 * bytes); an empty `b64_json` next to a `url` uses the url. Throws NodeApiError for an error
 * status, a 2xx with an `error` object (or an error event before any image), a body that is not
 * JSON, an image that cannot be made (naming its position and what arrived), and an answer that
 * yields no image at all. Partial images (streamed) come before their final image with
 * `partialImageIndex`; previews of an image that never completed are left out. A streamed
 * answer with fewer final images than `source.asked` returns them with a `shortfall`.
 */
export async function imagesFromAnswer(
	ctx: IExecuteFunctions,
	config: ItemConfig,
	answer: ApiAnswer,
	source: AnswerSource,
): Promise<AnswerImages> {
	const { settings, endpoint } = source;
	const { itemIndex } = settings;
	if (answer.status >= 400) {
		throw buildApiError(ctx.getNode(), itemIndex, answer.status, answer.body, config.model, answer.attempts, answer, endpoint?.kind);
	}
	const images: MadeImage[] = [];
	let finals = 0;
	let streamError: NodeApiError | undefined;
	for (const part of answerParts(answer)) {
		const outcome = await imagesFromPart(ctx, config, answer, part, source).then(
			(made) => ({ made }),
			(error: unknown) => ({ error }),
		);
		if ('error' in outcome) {
			// An error event after images arrived: those images are kept, the error is the shortfall's.
			if (!part.event || finals === 0 || !(outcome.error instanceof NodeApiError)) throw outcome.error;
			streamError = outcome.error;
			break;
		}
		for (const image of outcome.made) {
			if (part.partialImageIndex !== undefined) image.json.partialImageIndex = part.partialImageIndex;
			else finals++;
			images.push(image);
		}
	}
	// Previews of an image whose completed event never came.
	while (images.length && images[images.length - 1].json.partialImageIndex !== undefined) images.pop();
	if (finals === 0) {
		// The same guard for every answer: a request that succeeded but made no image is an error.
		const what = answer.events
			? `its event stream held no completed image event (${describeEvents(answer.events)})`
			: `it holds no image (no "data" entries): ${quoteServerText(JSON.stringify(answer.body) ?? '')}`;
		throw untrustedAnswer(ctx, itemIndex, what);
	}
	const asked = source.asked ?? 1;
	if (!answer.events || finals >= asked) return { images };
	return { images, shortfall: streamShortfall(ctx, settings, endpoint?.origin, answer, streamError, finals, asked) };
}

/** The event types of a stream, counted, for an error: "2 image_generation.partial_image, 1 error". */
function describeEvents(events: ImageAnswer[]): string {
	if (events.length === 0) return 'no image or error event';
	const counts = new Map<string, number>();
	for (const event of events) counts.set(event.event ?? 'event', (counts.get(event.event ?? 'event') ?? 0) + 1);
	return [...counts].map(([name, count]) => `${count} ${name}`).join(', ');
}

/** The images of one answer of the plain shape (a plain answer, or one event of a stream). */
async function imagesFromPart(
	ctx: IExecuteFunctions,
	config: ItemConfig,
	answer: ApiAnswer,
	part: ImageAnswer,
	{ receivedAt, settings, endpoint }: AnswerSource,
): Promise<MadeImage[]> {
	const { itemIndex } = settings;
	if (!part.body || typeof part.body !== 'object' || Buffer.isBuffer(part.body)) {
		throw untrustedAnswer(ctx, itemIndex, describeNonJson(part.body, answer.status, header(answer.headers, 'content-type'), answer.bytes));
	}
	const body = part.body as IDataObject;
	if (!Array.isArray(body.data) && body.error) {
		// A relay's error inside a 2xx, or an error event: the same error as with an error status.
		const error = buildApiError(ctx.getNode(), itemIndex, answer.status, body, config.model, answer.attempts, { headers: answer.headers }, endpoint?.kind);
		if (part.event) error.description = `${error.description}, sent as an error event in the answer's event stream`;
		throw error;
	}
	const data = (Array.isArray(body.data) ? body.data : []) as ImageDatum[];
	const createdMs = answerTime(body.created, receivedAt);
	const common = {
		model: config.model,
		prompt: config.prompt,
		size: (body.size as string) ?? config.size,
		quality: (body.quality as string) ?? config.quality,
		background: (body.background as string) ?? config.background,
		createdAt: new Date(createdMs).toISOString(),
		requestId: header(answer.headers, 'x-request-id'),
		promptFilterResults: body.prompt_filter_results,
	};
	const images: MadeImage[] = [];
	for (const [position, entry] of data.entries()) {
		const datum = (entry && typeof entry === 'object' ? entry : {}) as ImageDatum;
		const where = part.event ? `the ${part.event} event` : `image ${position} of the answer`;
		let bytes: Buffer | undefined;
		let contentType: string | undefined;
		let source = '';
		const b64 = datum.b64_json;
		if (typeof b64 === 'string') {
			const decoded = imageFromValue(b64, part.images);
			delete datum.b64_json;
			if (decoded.length > 0) bytes = decoded;
		}
		if (!bytes && typeof datum.url === 'string' && datum.url !== '') {
			({ data: bytes, contentType } = await downloadImage(ctx, datum.url, settings));
			source = ` (downloaded from ${datum.url.startsWith('data:') ? 'its data: URL' : safeOrigin(datum.url)})`;
		} else if (!bytes) {
			const url = datum.url === undefined ? 'no url' : `url ${quoteServerText(JSON.stringify(datum.url))}`;
			throw untrustedAnswer(ctx, itemIndex, `${where} has ${describeB64(b64)} and ${url}: no image was made from it`);
		}
		const type = imageTypeOf(bytes);
		if (!type) {
			throw untrustedAnswer(ctx, itemIndex, `${where} is not an image${source}: ${describeBytes(bytes, contentType)}`);
		}
		const isHttpUrl = typeof datum.url === 'string' && /^https?:/i.test(datum.url);
		const lifetime = endpoint ? endpoint.urlLifetimeMs : DOCUMENTED_URL_LIFETIME_MS;
		images.push({
			data: bytes,
			type,
			json: defined({
				...common,
				// The file's own format, from its bytes: what the server said it sent may differ.
				outputFormat: type.extension.replace('jpg', 'jpeg'),
				revisedPrompt: datum.revised_prompt,
				expiresAt: isHttpUrl && lifetime ? new Date(createdMs + lifetime).toISOString() : undefined,
				url: isHttpUrl ? datum.url : undefined,
				// Usage is per request (streamed: per completed event): on its first image only, so that a sum over items is right.
				usage: position === 0 ? body.usage : undefined,
				// What the request cost, from its usage (cost.ts): per request, like usage.
				estimatedCost: position === 0 ? requestCost(config, endpoint?.kind, [body.usage], answer.batch) : undefined,
				// SVG authoring tokens, per request like usage (openai 7.59.0: `svg_usage`).
				svgUsage: position === 0 ? body.svg_usage : undefined,
				safetyIdentifier: body.safety_identifier,
				contentFilterResults: datum.content_filter_results,
				promptFilterResults: datum.prompt_filter_results ?? common.promptFilterResults,
			}),
		});
	}
	return images;
}

function safeOrigin(url: string): string {
	try {
		return new URL(url).origin;
	} catch {
		return 'its url';
	}
}

/** Output items for an item's images, in image order, with binary files named and typed. */
export async function imageItems(
	ctx: IExecuteFunctions,
	itemIndex: number,
	config: ItemConfig,
	images: MadeImage[],
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	// Partial images (streaming) share the index of the final image they come before.
	const finals = images.filter((image) => image.json.partialImageIndex === undefined).length;
	let index = 0;
	for (const image of images) {
		const { type } = image;
		const partial = image.json.partialImageIndex as number | undefined;
		const fileName = partialFileName(fileNameFor(config.fileName, itemIndex, index, finals, type), partial);
		const binary = await ctx.helpers.prepareBinaryData(image.data, fileName, type.mimeType);
		image.data = Buffer.alloc(0);
		items.push({
			json: { index, ...image.json },
			binary: { [config.binaryPropertyName]: binary },
			pairedItem: { item: itemIndex },
		});
		if (partial === undefined) index++;
	}
	return items;
}

/** A partial image's file name: its final image's name with `_partial<N>` before the extension. */
function partialFileName(fileName: string, partialImageIndex: number | undefined): string {
	if (partialImageIndex === undefined) return fileName;
	const dot = fileName.lastIndexOf('.');
	return dot === -1 ? `${fileName}_partial${partialImageIndex}` : `${fileName.slice(0, dot)}_partial${partialImageIndex}${fileName.slice(dot)}`;
}

/**
 * Raw Response rows: one per request, `{ body, status }`, whatever the status, and beside them
 * the request's `estimatedCost` when it succeeded and a price is known (cost.ts).
 */
export function rawItems(
	itemIndex: number,
	answers: ApiAnswer[],
	config: Pick<ItemConfig, 'model' | 'prices'>,
	endpointKind?: Endpoint['kind'],
): INodeExecutionData[] {
	return answers.map((answer) => {
		const cost = answer.status < 400 ? requestCost(config, endpointKind, answerParts(answer).map((part) => (part.body as IDataObject | undefined)?.usage), answer.batch) : undefined;
		return {
			json: { body: answer.body as IDataObject, status: answer.status, ...(cost ? { estimatedCost: cost } : {}) },
			pairedItem: { item: itemIndex },
		};
	});
}
