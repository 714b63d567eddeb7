/**
 * POST /images/edits with a JSON body (OpenAI's openapi spec, openai/openai-openapi f85dbe2 of
 * 2026-08-21, `EditImageBodyJsonParam` and `ImageRefParam`; images-api.md "Edits by reference"):
 * `images: [{image_url} | {file_id}]` (1 to 16), `mask: {image_url} | {file_id}`, the other edit
 * fields as JSON values. The server checks the shape, fetches `image_url` addresses itself
 * (loopback only: any other host is "unreachable", as an address the real API cannot download),
 * decodes data URLs, resolves file ids of Files API uploads (purpose vision or user_data), and then
 * turns the request into the multipart form the multipart path checks (edits.ts validateEdit), so
 * both shapes answer alike.
 */
import { formatOf } from './edits';
import { familyOf, type ApiErrorBody } from './models';
import type { FormFile, ParsedForm } from './multipart';

/** ImageRefParam.image_url maxLength (the API reference: 20,971,520 characters). */
export const MAX_IMAGE_URL_LENGTH = 20_971_520;
const MAX_IMAGES = 16;
/** Purposes of Files API uploads that image inputs may reference (images-api.md, "Batch API"). */
const IMAGE_FILE_PURPOSES = new Set(['vision', 'user_data']);
const INTEGER_FIELDS = new Set(['n', 'output_compression', 'partial_images', 'frame_count', 'frame_duration_ms']);
const BOOLEAN_FIELDS = new Set(['stream']);
const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,/i;
const DATA_URL_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp']);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** The user agent of the server's own downloads (its request log marks them `origin: 'fetch'`). */
export const FETCHER_AGENT = 'image-server-fetcher/1.0';

export interface ImageRef {
	image_url?: string;
	file_id?: string;
}

/** One download the server made for a JSON edit (data URLs are not downloads and are not listed). */
export interface ImageFetch {
	url: string;
	/** HTTP status received, undefined when the address was refused or unreachable. */
	status?: number;
	bytes?: number;
}

export interface JsonEditDeps {
	/** A Files API upload's purpose and bytes, or undefined when there is no such live file. */
	file(id: string): Promise<{ purpose: string; data: Buffer } | undefined>;
	/** Downloads made are appended here (the request log shows them). */
	fetches: ImageFetch[];
}

type Refusal = { ok: false; status: number; error: ApiErrorBody };
export type JsonEditResolution = { ok: true; form: ParsedForm; refs: { images: ImageRef[]; mask?: ImageRef } } | Refusal;

const refuse = (message: string, param: string | null, code: string | null = 'invalid_value', status = 400): Refusal => ({
	ok: false,
	status,
	error: { message, type: 'invalid_request_error', param, code },
});

const jsonType = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value);
const cut = (text: string) => (text.length > 80 ? `${text.slice(0, 77)}...` : text);

/** Checks one ImageRefParam's shape; returns the refusal or undefined. */
function checkRef(ref: unknown, param: string): Refusal | undefined {
	if (!ref || typeof ref !== 'object' || Array.isArray(ref)) {
		return refuse(`Invalid type for '${param}': expected an object, but got ${jsonType(ref)} instead.`, param, 'invalid_type');
	}
	const keys = Object.keys(ref);
	for (const key of keys) {
		if (key !== 'image_url' && key !== 'file_id') return refuse(`Unknown parameter: '${param}.${key}'.`, `${param}.${key}`, 'unknown_parameter');
	}
	if (keys.length === 0) return refuse(`Invalid '${param}': provide exactly one of 'image_url' or 'file_id'.`, param, 'missing_required_parameter');
	if (keys.length > 1) return refuse(`Invalid '${param}': provide exactly one of 'image_url' or 'file_id', not both.`, param);
	const [key] = keys;
	const value = (ref as Record<string, unknown>)[key];
	if (typeof value !== 'string') return refuse(`Invalid type for '${param}.${key}': expected a string, but got ${jsonType(value)} instead.`, `${param}.${key}`, 'invalid_type');
	if (key === 'image_url') {
		if (value.length > MAX_IMAGE_URL_LENGTH) {
			return refuse(
				`Invalid '${param}.image_url': string too long. Expected a string with maximum length ${MAX_IMAGE_URL_LENGTH}, but got a string with length ${value.length} instead.`,
				`${param}.image_url`,
				'string_above_max_length',
			);
		}
		const data = DATA_URL.exec(value);
		if (value.startsWith('data:')) {
			if (!data) return refuse(`Invalid '${param}.image_url': expected a base64-encoded data URL of an image ('data:image/png;base64,...').`, `${param}.image_url`, 'invalid_image_url');
			if (!DATA_URL_TYPES.has(data[1].toLowerCase())) {
				return refuse(
					`Invalid '${param}.image_url': unsupported image type '${data[1]}'. Supported types are 'image/png', 'image/jpeg' and 'image/webp'.`,
					`${param}.image_url`,
					'invalid_image_format',
				);
			}
			return undefined;
		}
		let url: URL | undefined;
		try {
			url = new URL(value);
		} catch {
			url = undefined;
		}
		if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
			return refuse(`Invalid '${param}.image_url': expected a fully qualified URL or a base64-encoded data URL, but got '${cut(value)}'.`, `${param}.image_url`, 'invalid_url');
		}
	} else if (value === '') {
		return refuse(`Invalid '${param}.file_id': empty string.`, `${param}.file_id`, 'empty_string');
	}
	return undefined;
}

/** The bytes behind a reference: a decoded data URL, a download (loopback only) or a Files API upload. */
async function load(ref: ImageRef, param: string, deps: JsonEditDeps): Promise<{ ok: true; data: Buffer } | Refusal> {
	if (ref.file_id !== undefined) {
		const file = await deps.file(ref.file_id);
		if (!file) return refuse(`Invalid '${param}.file_id': no such File object: ${ref.file_id}.`, `${param}.file_id`, 'invalid_value');
		if (!IMAGE_FILE_PURPOSES.has(file.purpose)) {
			return refuse(
				`Invalid '${param}.file_id': the file '${ref.file_id}' has purpose '${file.purpose}'; image inputs take files uploaded with purpose 'vision' or 'user_data'.`,
				`${param}.file_id`,
				'invalid_value',
			);
		}
		return { ok: true, data: file.data };
	}
	const address = ref.image_url as string;
	const data = DATA_URL.exec(address);
	if (data) return { ok: true, data: Buffer.from(address.slice(data[0].length), 'base64') };
	const unreachable = refuse(`Error while downloading ${cut(address)}.`, `${param}.image_url`, 'invalid_image_url');
	const fetched: ImageFetch = { url: address };
	deps.fetches.push(fetched);
	// The test server reaches only its own machine: every other host counts as unreachable.
	if (!LOOPBACK.has(new URL(address).hostname)) return unreachable;
	try {
		// Like the provider's fetcher: no Authorization header, no cookies (a signed link must work alone).
		const response = await fetch(address, { headers: { 'user-agent': FETCHER_AGENT }, redirect: 'follow' });
		fetched.status = response.status;
		if (!response.ok) return unreachable;
		const bytes = Buffer.from(await response.arrayBuffer());
		fetched.bytes = bytes.length;
		return { ok: true, data: bytes };
	} catch {
		return unreachable;
	}
}

/** A form file part for fetched bytes: its type as sniffed from the bytes (as the API does). */
function part(name: string, data: Buffer, index: number): FormFile {
	const format = formatOf(data);
	return { name, fileName: `${name.replace('[]', '')}-${index}.${format ?? 'bin'}`, contentType: format ? `image/${format}` : 'application/octet-stream', data };
}

/** Form fields for the other JSON values, type-checked as the JSON API does (no "2" for n). */
function fieldsOf(body: Record<string, unknown>): { ok: true; fields: Array<[string, string]> } | Refusal {
	const fields: Array<[string, string]> = [];
	const add = (name: string, value: unknown, depth: number): Refusal | undefined => {
		if (value === null || value === undefined) return undefined;
		const top = name.split('[')[0];
		if (depth === 0 && INTEGER_FIELDS.has(top) && !(typeof value === 'number' && Number.isInteger(value))) {
			return refuse(`Invalid type for '${name}': expected an integer, but got ${jsonType(value)} instead.`, name, 'invalid_type');
		}
		if (depth === 0 && BOOLEAN_FIELDS.has(top) && typeof value !== 'boolean') {
			return refuse(`Invalid type for '${name}': expected a boolean, but got ${jsonType(value)} instead.`, name, 'invalid_type');
		}
		if (typeof value === 'object' && !Array.isArray(value)) {
			for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
				const refusal = add(`${name}[${key}]`, inner, depth + 1);
				if (refusal) return refusal;
			}
			return undefined;
		}
		if (Array.isArray(value)) return refuse(`Invalid type for '${name}': expected a string, but got an array instead.`, name, 'invalid_type');
		if (depth === 0 && !INTEGER_FIELDS.has(top) && !BOOLEAN_FIELDS.has(top) && typeof value !== 'string') {
			return refuse(`Invalid type for '${name}': expected a string, but got ${jsonType(value)} instead.`, name, 'invalid_type');
		}
		fields.push([name, String(value)]);
		return undefined;
	};
	for (const [name, value] of Object.entries(body)) {
		if (name === 'images' || name === 'mask') continue;
		const refusal = add(name, value, 0);
		if (refusal) return refusal;
	}
	return { ok: true, fields };
}

/**
 * Checks a JSON edit body and loads its images. In: the parsed body, the model the route fixes
 * (Azure deployments) and the file/fetch helpers. Out: the equivalent multipart form (`image` for
 * one image, `image[]` for several, `mask`) and the references as sent, or the API's refusal
 * (400; the order: shape, DALL-E, fields, then each image in order, then the mask). Never throws.
 */
export async function resolveJsonEdit(body: unknown, model: string | undefined, deps: JsonEditDeps): Promise<JsonEditResolution> {
	if (!body || typeof body !== 'object' || Array.isArray(body)) return refuse('The request body must be a JSON object.', null, 'invalid_type');
	const b = body as Record<string, unknown>;
	for (const name of ['image', 'image[]', 'markup']) {
		if (name in b) return refuse(`Unknown parameter: '${name}'. JSON edits take 'images' (image references); files go in a multipart request.`, name, 'unknown_parameter');
	}
	const effectiveModel = model ?? (typeof b.model === 'string' ? b.model : undefined);
	if (effectiveModel !== undefined) {
		const family = familyOf(effectiveModel);
		if (family === 'dall-e-2' || family === 'dall-e-3') {
			return refuse('JSON edits support GPT image models only; DALL-E edits require multipart.', 'model', 'invalid_value');
		}
	}
	if (!('images' in b) || b.images === null) return refuse("Missing required parameter: 'images'.", 'images', 'missing_required_parameter');
	if (!Array.isArray(b.images)) return refuse(`Invalid type for 'images': expected an array, but got ${jsonType(b.images)} instead.`, 'images', 'invalid_type');
	if (b.images.length === 0) return refuse("Invalid 'images': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'images', 'empty_array');
	if (b.images.length > MAX_IMAGES) {
		return refuse(
			`Invalid 'images': array too long. Expected an array with maximum length ${MAX_IMAGES}, but got an array with length ${b.images.length} instead.`,
			'images',
			'array_above_max_length',
		);
	}
	for (const [index, ref] of b.images.entries()) {
		const refusal = checkRef(ref, `images[${index}]`);
		if (refusal) return refusal;
	}
	if (b.mask !== undefined && b.mask !== null) {
		const refusal = checkRef(b.mask, 'mask');
		if (refusal) return refusal;
	}
	const fields = fieldsOf(b);
	if (!fields.ok) return fields;

	const images = b.images as ImageRef[];
	const mask = b.mask === null ? undefined : (b.mask as ImageRef | undefined);
	const files: FormFile[] = [];
	const name = images.length === 1 ? 'image' : 'image[]';
	for (const [index, ref] of images.entries()) {
		const loaded = await load(ref, `images[${index}]`, deps);
		if (!loaded.ok) return loaded;
		files.push(part(name, loaded.data, index));
	}
	if (mask) {
		const loaded = await load(mask, 'mask', deps);
		if (!loaded.ok) return loaded;
		files.push(part('mask', loaded.data, 0));
	}
	return { ok: true, form: { fields: fields.fields, files }, refs: { images, ...(mask ? { mask } : {}) } };
}

/** The multipart path names parts `image` / `image[i]`; a JSON request names them `images[i]`. */
export function jsonParam(param: string | null): string | null {
	if (param === null) return null;
	if (param === 'image') return 'images[0]';
	return param.replace(/^image\[(\d+)\]/, 'images[$1]');
}
