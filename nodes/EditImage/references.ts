/**
 * Edits by reference: the images (and the mask) given as addresses or OpenAI file ids, sent as
 * the JSON body of POST /images/edits. The node never downloads an address: the provider does.
 *
 * Source: OpenAI's API reference for this shape, the openapi spec's `EditImageBodyJsonParam`
 * and `ImageRefParam` (openai/openai-openapi, 2026-08): `images: [{ image_url } | { file_id }]`
 * (1 to 16), `mask: { image_url } | { file_id }`, `image_url` "a fully qualified URL or a
 * base64-encoded data URL" of at most 20,971,520 characters; "JSON edits support GPT image models
 * only; DALL-E edits require multipart". The openai npm types (7.59.0 `ImageEditParams`) model
 * only multipart; for this shape the API reference is followed.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { EDIT_LIMITS } from '../shared/models';
import { inputError, readText } from '../shared/parameters';

/** Where the images of an edit come from (the `imageSource` parameter). */
export type ImageSource = 'binary' | 'url' | 'fileId';

export const IMAGE_SOURCES: readonly ImageSource[] = ['binary', 'url', 'fileId'];

/** The longest `image_url` the API takes (a data URL, mostly): the API reference's maxLength. */
export const MAX_IMAGE_URL_LENGTH = 20_971_520;

/** `data:` URLs the API takes: base64 PNG, JPEG or WEBP (the edit's image types). */
const DATA_URL = /^data:image\/(png|jpeg|webp);base64,/i;

/** The panel's labels of the reference parameters, for messages. */
export const REFERENCE_LABELS = {
	url: { list: 'Image URLs', mask: 'Options › Mask URL', what: 'address', apiName: 'image_url' },
	fileId: { list: 'Image File IDs', mask: 'Options › Mask File ID', what: 'file id', apiName: 'file_id' },
} as const;

/** One image reference as the API takes it. */
export type ImageRef = { image_url: string } | { file_id: string };

/** The checked references of one item: the images in order, and the mask if any. */
export interface References {
	source: 'url' | 'fileId';
	images: ImageRef[];
	mask?: ImageRef;
}

/** A value cut to `max` characters for a message (a data URL can be megabytes long). */
function cut(value: string, max = 60): string {
	return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/**
 * Reads the Image Source of one item (readText): binary, url or fileId; unset: `fallback`.
 * Throws ItemInputError naming the field for anything else.
 */
export function readImageSource(ctx: IExecuteFunctions, itemIndex: number, fallback: ImageSource): ImageSource {
	const value = (readText(ctx, itemIndex, 'Image Source', ctx.getNodeParameter('imageSource', itemIndex, fallback)) ?? '').trim() || fallback;
	if (!IMAGE_SOURCES.includes(value as ImageSource)) {
		throw inputError(ctx, itemIndex, 'Image Source', `${JSON.stringify(cut(value))} is not accepted; accepted: ${IMAGE_SOURCES.join(', ')}`);
	}
	return value as ImageSource;
}

/**
 * A list of references as n8n hands it over: text with one entry per line (the text's leading
 * and trailing blank space aside), or a list from an expression. Every entry is kept: an empty
 * line or entry is refused, never dropped. Returns the entries with their 1-based position and
 * what the position is called ("line", "entry"). Throws ItemInputError naming the item and field.
 */
export function readReferenceList(
	ctx: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
): Array<{ text: string; at: string }> {
	const fail = (message: string): never => {
		throw inputError(ctx, itemIndex, label, message);
	};
	if (Array.isArray(value)) {
		return value.map((entry, index) => {
			const at = `entry ${index + 1}`;
			if (typeof entry !== 'string') return fail(`${at} is ${entry === null ? 'null' : typeof entry === 'object' ? 'an object' : JSON.stringify(entry)}; expected text`);
			if (!entry.trim()) return fail(`${at} is empty; remove it or give a value`);
			return { text: entry.trim(), at };
		});
	}
	const text = (readText(ctx, itemIndex, label, value) ?? '').trim();
	if (!text) return [];
	return text.split(/\r?\n/).map((line, index) => {
		const at = `line ${index + 1}`;
		if (!line.trim()) fail(`${at} is empty; remove the empty line (each line is one image, in order)`);
		return { text: line.trim(), at };
	});
}

/**
 * Checks one image address: `https://` or `http://` (a well-formed URL), or a base64 PNG, JPEG
 * or WEBP data URL of at most MAX_IMAGE_URL_LENGTH characters. Returns a problem to report
 * (naming the value, cut short), or undefined when the address is accepted.
 */
export function addressProblem(address: string): string | undefined {
	const shown = JSON.stringify(cut(address));
	if (/^data:/i.test(address)) {
		if (!DATA_URL.test(address)) return `${shown} is not accepted: a data URL must be base64 PNG, JPEG or WEBP (data:image/png;base64,…)`;
		if (address.length > MAX_IMAGE_URL_LENGTH) {
			return `the data URL is ${address.length.toLocaleString('en-US')} characters long; the API takes at most ${MAX_IMAGE_URL_LENGTH.toLocaleString('en-US')} (give an https:// address instead)`;
		}
		if (address.length === address.indexOf(',') + 1) return `${shown} holds no image data after the comma`;
		return undefined;
	}
	let url: URL | undefined;
	try {
		url = new URL(address);
	} catch {
		url = undefined;
	}
	if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
		return `${shown} is not accepted; accepted: an https:// or http:// address, or a data:image/png|jpeg|webp;base64,… data URL`;
	}
	if (/\s/.test(address)) return `${shown} has blank space inside; encode it (%20)`;
	return undefined;
}

/** A file id problem (blank space inside, too long to be an id, or an address), or undefined. */
function fileIdProblem(id: string): string | undefined {
	if (/^[a-z][a-z0-9+.-]*:/i.test(id)) return `${JSON.stringify(cut(id))} is an address, not a file id (e.g. file-abc123); for addresses choose Image Source › URL`;
	if (/\s/.test(id) || id.length > 256) return `${JSON.stringify(cut(id))} is not a file id (e.g. file-abc123)`;
	return undefined;
}

/** One reference checked: the API's object, or ItemInputError naming the item, field and entry. */
function toRef(ctx: IExecuteFunctions, itemIndex: number, source: 'url' | 'fileId', label: string, entry: { text: string; at?: string }): ImageRef {
	const problem = source === 'url' ? addressProblem(entry.text) : fileIdProblem(entry.text);
	if (problem) throw inputError(ctx, itemIndex, label, entry.at ? `${entry.at}: ${problem}` : problem);
	return source === 'url' ? { image_url: entry.text } : { file_id: entry.text };
}

/**
 * Reads and checks one item's references for a `url` or `fileId` source: the list (Image URLs
 * or Image File IDs, 1 to EDIT_LIMITS.maxImages entries, each checked) and the matching mask
 * option (Mask URL or Mask File ID). Throws ItemInputError; nothing is fetched.
 */
export function readReferences(ctx: IExecuteFunctions, itemIndex: number, source: 'url' | 'fileId'): References {
	const labels = REFERENCE_LABELS[source];
	const fail = (label: string, message: string): never => {
		throw inputError(ctx, itemIndex, label, message);
	};
	const parameter = source === 'url' ? 'imageUrls' : 'imageFileIds';
	const entries = readReferenceList(ctx, itemIndex, labels.list, ctx.getNodeParameter(parameter, itemIndex, ''));
	if (entries.length === 0) {
		fail(labels.list, `no image ${labels.what} is given; give 1 to ${EDIT_LIMITS.maxImages}, one per line${source === 'url' ? ' (e.g. https://example.com/photo.png)' : ' (e.g. file-abc123)'}`);
	}
	if (entries.length > EDIT_LIMITS.maxImages) {
		fail(labels.list, `${entries.length} images are given; the API takes 1 to ${EDIT_LIMITS.maxImages}`);
	}
	const images = entries.map((entry) => toRef(ctx, itemIndex, source, labels.list, entry));

	// n8n hands the node only the options the panel shows for this Image Source (the binary Mask
	// and Markup, and the other source's mask, are dropped before the node runs).
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const maskText = (readText(ctx, itemIndex, labels.mask, options[source === 'url' ? 'maskUrl' : 'maskFileId']) ?? '').trim();
	const mask = maskText ? toRef(ctx, itemIndex, source, labels.mask, { text: maskText }) : undefined;
	return { source, images, mask };
}

/**
 * The JSON body of one edit by reference: the generation body of the same options (planRequests:
 * model, prompt, every option, Extra Body Fields winning) with `images`, `mask` and
 * `input_fidelity` added.
 */
export function referenceBody(body: IDataObject, references: References, inputFidelity: string | undefined): IDataObject {
	return {
		...(inputFidelity && { input_fidelity: inputFidelity }),
		images: references.images as unknown as IDataObject[],
		...(references.mask && { mask: references.mask as unknown as IDataObject }),
		...body,
	};
}
