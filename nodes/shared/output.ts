import { NodeApiError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { imageFromValue } from './transport/answer';
import { detectFileType, fileNameFor, type FileType } from './files';
import type { ItemConfig } from './parameters';
import type { ApiAnswer, SendSettings } from './transport/http';
import { downloadImage } from './transport/http';
import { header } from './transport/retry';

/** Returned URLs stay valid this long (OpenAI: 60 minutes). */
const URL_LIFETIME_MS = 60 * 60_000;

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

function unexpectedAnswer(ctx: IExecuteFunctions, itemIndex: number, what: string): NodeApiError {
	const message = `Unexpected answer from the API: ${what}`;
	return new NodeApiError(ctx.getNode(), { message }, { message, itemIndex });
}

const defined = (object: IDataObject): IDataObject =>
	Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined && value !== null));

/**
 * The images of one successful answer, with their metadata. Each image's bytes are held once:
 * the base64 text is dropped from the answer as soon as it is decoded, and URLs are downloaded
 * (without credentials) into the binary.
 */
export async function imagesFromAnswer(
	ctx: IExecuteFunctions,
	config: ItemConfig,
	answer: ApiAnswer,
	receivedAt: number,
	settings: SendSettings,
): Promise<MadeImage[]> {
	const body = (answer.body && typeof answer.body === 'object' ? answer.body : {}) as IDataObject;
	const data = (Array.isArray(body.data) ? body.data : []) as ImageDatum[];
	const createdMs = typeof body.created === 'number' ? body.created * 1000 : receivedAt;
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
	for (const [position, datum] of data.entries()) {
		let bytes: Buffer;
		let contentType: string | undefined;
		if (typeof datum.b64_json === 'string') {
			bytes = imageFromValue(datum.b64_json, answer.images ?? []);
			delete datum.b64_json;
		} else if (typeof datum.url === 'string') {
			({ data: bytes, contentType } = await downloadImage(ctx, datum.url, settings));
		} else {
			throw unexpectedAnswer(ctx, settings.itemIndex, `its image ${position} has neither b64_json nor url`);
		}
		const isHttpUrl = typeof datum.url === 'string' && /^https?:/i.test(datum.url);
		const type = detectFileType(bytes, contentType, (body.output_format as string) ?? config.outputFormat);
		images.push({
			data: bytes,
			type,
			json: defined({
				...common,
				outputFormat: (body.output_format as string) ?? config.outputFormat ?? type.extension.replace('jpg', 'jpeg'),
				revisedPrompt: datum.revised_prompt,
				expiresAt: isHttpUrl ? new Date(createdMs + URL_LIFETIME_MS).toISOString() : undefined,
				url: isHttpUrl ? datum.url : undefined,
				// Usage is per request: on its first image only, so that a sum over items is right.
				usage: position === 0 ? body.usage : undefined,
				// SVG authoring tokens, per request like usage (openai 7.59.0: `svg_usage`).
				svgUsage: position === 0 ? body.svg_usage : undefined,
				safetyIdentifier: body.safety_identifier,
				contentFilterResults: datum.content_filter_results,
				promptFilterResults: datum.prompt_filter_results ?? common.promptFilterResults,
			}),
		});
	}
	if (images.length === 0) throw unexpectedAnswer(ctx, settings.itemIndex, 'it holds no image (no "data" entries)');
	return images;
}

/** Output items for an item's images, in image order, with binary files named and typed. */
export async function imageItems(
	ctx: IExecuteFunctions,
	itemIndex: number,
	config: ItemConfig,
	images: MadeImage[],
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	for (const [index, image] of images.entries()) {
		const { type } = image;
		const fileName = fileNameFor(config.fileName, itemIndex, index, images.length, type);
		const binary = await ctx.helpers.prepareBinaryData(image.data, fileName, type.mimeType);
		image.data = Buffer.alloc(0);
		items.push({
			json: { index, ...image.json },
			binary: { [config.binaryPropertyName]: binary },
			pairedItem: { item: itemIndex },
		});
	}
	return items;
}

/** Raw Response rows: one per request, `{ body, status }`, whatever the status. */
export function rawItems(itemIndex: number, answers: ApiAnswer[]): INodeExecutionData[] {
	return answers.map((answer) => ({
		json: { body: answer.body as IDataObject, status: answer.status },
		pairedItem: { item: itemIndex },
	}));
}
