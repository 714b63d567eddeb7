import { type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { answerTime, describeB64, describeBytes, describeNonJson, untrustedAnswer } from './answerChecks';
import { answerUsage, requestCost } from './cost';
import { imageFromValue } from './transport/answer';
import { fileNameFor, imageTypeOf, type FileType } from './files';
import type { ItemConfig } from './parameters';
import { DOCUMENTED_URL_LIFETIME_MS, type Endpoint } from './transport/endpoint';
import { buildApiError } from './transport/errors';
import type { ApiAnswer, SendSettings } from './transport/http';
import { downloadImage } from './transport/http';
import { header } from './transport/retry';
import { imageEventAnswers } from './transport/stream';

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

/**
 * The images of one successful answer, with their metadata. Each image's bytes are held once:
 * the base64 text is dropped from the answer as soon as it is decoded, and URLs are downloaded
 * (without credentials) into the binary. Nothing is trusted as it comes: an image is made only
 * from non-empty bytes that are an image (its type from the bytes); an empty `b64_json` next to
 * a `url` uses the url; a 2xx with an `error` object is that error; anything else is the item's
 * error, naming the image's position and what arrived. `endpoint` (the server that answered)
 * decides whose words lead in errors and whether its URLs expire (`urlLifetimeMs`).
 */
export async function imagesFromAnswer(
	ctx: IExecuteFunctions,
	config: ItemConfig,
	answer: ApiAnswer,
	receivedAt: number,
	settings: SendSettings,
	endpoint?: Pick<Endpoint, 'kind' | 'urlLifetimeMs'>,
): Promise<MadeImage[]> {
	if (answer.events) {
		// Streamed: each partial or completed event is an answer of one image.
		const images: MadeImage[] = [];
		for (const event of imageEventAnswers(ctx.getNode(), settings.itemIndex, config.model, answer, endpoint?.kind)) {
			const [image] = await imagesFromAnswer(ctx, config, event.answer, receivedAt, settings, endpoint);
			if (event.partialImageIndex !== undefined) image.json.partialImageIndex = event.partialImageIndex;
			images.push(image);
		}
		return images;
	}
	const { itemIndex } = settings;
	if (!answer.body || typeof answer.body !== 'object' || Buffer.isBuffer(answer.body)) {
		throw untrustedAnswer(ctx, itemIndex, describeNonJson(answer.body, answer.status, header(answer.headers, 'content-type')));
	}
	const body = answer.body as IDataObject;
	if (!Array.isArray(body.data) && body.error) {
		// A relay's error inside a 2xx: the same error as with an error status.
		throw buildApiError(ctx.getNode(), itemIndex, answer.status, body, config.model, answer.attempts, { headers: answer.headers }, endpoint?.kind);
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
		const where = `image ${position} of the answer`;
		let bytes: Buffer | undefined;
		let contentType: string | undefined;
		let source = '';
		const b64 = datum.b64_json;
		if (typeof b64 === 'string') {
			const decoded = imageFromValue(b64, answer.images ?? []);
			delete datum.b64_json;
			if (decoded.length > 0) bytes = decoded;
		}
		if (!bytes && typeof datum.url === 'string' && datum.url !== '') {
			({ data: bytes, contentType } = await downloadImage(ctx, datum.url, settings));
			source = ` (downloaded from ${datum.url.startsWith('data:') ? 'its data: URL' : safeOrigin(datum.url)})`;
		} else if (!bytes) {
			const url = datum.url === undefined ? 'no url' : `url ${JSON.stringify(datum.url)}`;
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
				// Usage is per request: on its first image only, so that a sum over items is right.
				usage: position === 0 ? body.usage : undefined,
				// What the request cost, from its usage (cost.ts): per request, like usage.
				estimatedCost: position === 0 ? requestCost(config, endpoint?.kind, body.usage, answer.batch) : undefined,
				// SVG authoring tokens, per request like usage (openai 7.59.0: `svg_usage`).
				svgUsage: position === 0 ? body.svg_usage : undefined,
				safetyIdentifier: body.safety_identifier,
				contentFilterResults: datum.content_filter_results,
				promptFilterResults: datum.prompt_filter_results ?? common.promptFilterResults,
			}),
		});
	}
	if (images.length === 0) {
		throw untrustedAnswer(ctx, itemIndex, `it holds no image (no "data" entries): ${JSON.stringify(body).slice(0, 300)}`);
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
		const cost = answer.status < 400 ? requestCost(config, endpointKind, answerUsage(answer.body), answer.batch) : undefined;
		return {
			json: { body: answer.body as IDataObject, status: answer.status, ...(cost ? { estimatedCost: cost } : {}) },
			pairedItem: { item: itemIndex },
		};
	});
}
