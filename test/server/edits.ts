/**
 * POST /images/edits as the API checks it (openai 7.59.0 `ImageEditParams`, written from the
 * API reference independently of the node's code): the multipart parts, the files' types,
 * sizes and dimensions per model; the text fields as a generation body (validateGeneration);
 * and a real edited image: the first input, recoloured (negated), at the requested size.
 */
import sharp from 'sharp';

import { EncodedImage, getImage } from './images';
import { familyOf, modelNotFound, validateGeneration, type ApiErrorBody, type ValidateOptions, type ValidatedRequest } from './models';
import type { FormFile, ParsedForm } from './multipart';

const MIB = 1024 * 1024;
const MAX_IMAGES = 16;
const MAX_IMAGE_BYTES = 50 * MIB;
const MAX_MASK_BYTES = 4 * MIB;
/** input_fidelity per model id (ImageEditParams: gpt-image-1.5 high and low, gpt-image-1-mini low only). */
const INPUT_FIDELITY: Record<string, string[]> = { 'gpt-image-1.5': ['high', 'low'], 'gpt-image-1-mini': ['low'] };
const INTEGER_FIELDS = new Set(['n', 'output_compression', 'partial_images', 'frame_count', 'frame_duration_ms']);
const BOOLEAN_FIELDS = new Set(['stream']);
/** Generation fields that edits do not take. */
const NOT_FOR_EDITS = new Set(['style', 'moderation']);
const FILE_FIELDS = new Set(['image', 'image[]', 'mask', 'markup']);
const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

export interface ValidatedEdit {
	req: ValidatedRequest;
	/** The first input image, which the edit starts from. */
	first: Buffer;
	firstWidth: number;
	firstHeight: number;
}

export type EditValidation = { ok: true; edit: ValidatedEdit } | { ok: false; status: number; error: ApiErrorBody };

const invalid = (message: string, param: string | null, code: string | null = 'invalid_value', status = 400): EditValidation => ({
	ok: false,
	status,
	error: { message, type: 'invalid_request_error', param, code },
});

/** The image format of some bytes by their magic number (png, jpeg, webp), undefined for anything else. */
export function formatOf(data: Buffer): string | undefined {
	if (data.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) return 'png';
	if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
	if (data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
	return undefined;
}

/** Text fields as the JSON body a generation would have: `svg[model]` nested, numbers and booleans typed. */
export function typedFields(fields: Array<[string, string]>): Record<string, unknown> {
	const body: Record<string, unknown> = {};
	for (const [name, raw] of fields) {
		const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name);
		const path = match ? [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])] : [name];
		let value: unknown = raw;
		if (INTEGER_FIELDS.has(path[0]) && /^-?\d+$/.test(raw)) value = Number(raw);
		if (BOOLEAN_FIELDS.has(path[0]) && (raw === 'true' || raw === 'false')) value = raw === 'true';
		let target = body;
		for (const key of path.slice(0, -1)) {
			target[key] ??= {};
			target = target[key] as Record<string, unknown>;
		}
		target[path[path.length - 1]] = value;
	}
	return body;
}

/** Checks an image file part; returns its dimensions, or the error answer. */
async function checkImage(
	file: FormFile,
	param: string,
	allowed: string[],
	maxBytes: number,
): Promise<{ ok: true; width: number; height: number; hasAlpha: boolean } | Extract<EditValidation, { ok: false }>> {
	const format = formatOf(file.data);
	const declared = file.contentType.split(';')[0].trim().toLowerCase();
	if (!format || !allowed.includes(format) || !allowed.some((type) => IMAGE_TYPES[type] === declared)) {
		return invalid(
			`Invalid file '${param}': unsupported mimetype ('${format ? IMAGE_TYPES[format] : declared}'). Supported file formats are ${allowed.map((type) => `'${IMAGE_TYPES[type]}'`).join(', ')}.`,
			param,
			'invalid_image_format',
		) as Extract<EditValidation, { ok: false }>;
	}
	if (file.data.length >= maxBytes) {
		return invalid(
			`Invalid file '${param}': file too large (${file.data.length} bytes). Expected a file smaller than ${maxBytes / MIB}MB.`,
			param,
			'file_too_large',
		) as Extract<EditValidation, { ok: false }>;
	}
	try {
		const metadata = await sharp(file.data).metadata();
		return { ok: true, width: metadata.width ?? 0, height: metadata.height ?? 0, hasAlpha: Boolean(metadata.hasAlpha) };
	} catch {
		return invalid(`Invalid image file or mode for '${param}', please check your image file.`, param, 'invalid_image') as Extract<
			EditValidation,
			{ ok: false }
		>;
	}
}

/** Validates an edit request (after auth and routing). `opts.model` is the Azure deployment's model. */
export async function validateEdit(form: ParsedForm, opts: ValidateOptions = {}): Promise<EditValidation> {
	const body = typedFields(form.fields);

	for (const file of form.files) {
		if (!FILE_FIELDS.has(file.name)) return invalid(`Unknown parameter: '${file.name}'.`, file.name, 'unknown_parameter');
	}
	for (const key of Object.keys(body)) {
		if (NOT_FOR_EDITS.has(key) || key === 'image' || key === 'mask' || key === 'markup') {
			return invalid(`Unknown parameter: '${key}'.`, key, 'unknown_parameter');
		}
	}
	const single = form.files.filter((file) => file.name === 'image');
	const several = form.files.filter((file) => file.name === 'image[]');
	if (single.length > 1) return invalid("Duplicate parameter: 'image'. Send several images as 'image[]'.", 'image', 'duplicate_parameter');
	if (single.length && several.length) return invalid("Send either 'image' or 'image[]', not both.", 'image', 'invalid_value');
	const images = single.length ? single : several;
	if (images.length === 0) return invalid("Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
	if (images.length > MAX_IMAGES) {
		return invalid(
			`Invalid 'image': array too long. Expected an array with maximum length ${MAX_IMAGES}, but got an array with length ${images.length} instead.`,
			'image',
			'array_above_max_length',
		);
	}
	const mask = form.files.filter((file) => file.name === 'mask');
	const markup = form.files.filter((file) => file.name === 'markup');
	if (mask.length > 1 || markup.length > 1) return invalid('Only one mask and one markup file are accepted.', mask.length > 1 ? 'mask' : 'markup');
	if (mask.length && markup.length) return invalid("'markup' cannot be combined with 'mask'.", 'markup');

	const model = opts.model ?? (typeof body.model === 'string' ? body.model : undefined);
	if (model !== undefined && !(opts.retiredModels && model in opts.retiredModels)) {
		const family = familyOf(model);
		if (family === 'dall-e-2' || family === 'dall-e-3') {
			return model === 'dall-e-2' ? modelNotFound(model) as EditValidation : invalid(`Invalid value: '${model}'. This model does not support image edits.`, 'model');
		}
		if (body.input_fidelity !== undefined) {
			const taken = INPUT_FIDELITY[model.replace(/-\d{4}-\d{2}-\d{2}$/, '')];
			if (family !== 'unknown' && !taken) {
				return invalid(`Invalid parameter: 'input_fidelity' is not supported for model '${model}'.`, 'input_fidelity', 'unsupported_parameter');
			}
			if (taken && !taken.includes(String(body.input_fidelity))) {
				return invalid(`Invalid value: '${String(body.input_fidelity)}'. Supported values are: ${taken.map((v) => `'${v}'`).join(' and ')}.`, 'input_fidelity');
			}
		}
		if (markup.length && family !== 'gpt-image-2.5' && family !== 'unknown') {
			return invalid(`Invalid parameter: 'markup' is not supported for model '${model}'.`, 'markup', 'unsupported_parameter');
		}
	}
	if (body.input_fidelity !== undefined && !['high', 'low'].includes(String(body.input_fidelity))) {
		return invalid(`Invalid value: '${String(body.input_fidelity)}'. Supported values are: 'high' and 'low'.`, 'input_fidelity');
	}

	const dimensions: Array<{ width: number; height: number }> = [];
	for (const [index, image] of images.entries()) {
		const checked = await checkImage(image, images.length > 1 ? `image[${index}]` : 'image', ['png', 'jpeg', 'webp'], MAX_IMAGE_BYTES);
		if (!checked.ok) return checked;
		dimensions.push(checked);
	}
	const [first] = dimensions;
	for (const [param, file, maxBytes] of [
		['mask', mask[0], MAX_MASK_BYTES],
		['markup', markup[0], MAX_IMAGE_BYTES],
	] as const) {
		if (!file) continue;
		const checked = await checkImage(file, param, ['png'], maxBytes);
		if (!checked.ok) return checked;
		if (!checked.hasAlpha) return invalid(`Invalid '${param}': the image must have an alpha channel (transparency).`, param, 'invalid_image');
		// ImageEditParams.markup: "contain transparent pixels" (an opaque PNG with an alpha channel is not markup).
		if (param === 'markup' && (await sharp(file.data).stats()).channels[3].min > 0) {
			return invalid("Invalid 'markup': the image must contain transparent pixels.", param, 'invalid_image');
		}
		if (checked.width !== first.width || checked.height !== first.height) {
			return invalid(
				`Invalid '${param}': it must have the same dimensions as the first image (${first.width}x${first.height}), but got ${checked.width}x${checked.height}.`,
				param,
				'invalid_image_dimensions',
			);
		}
	}
	if (mask.length && body.output_format === 'gif') return invalid('GIF output does not support masks.', 'mask', 'unsupported_parameter');

	const generationBody = { ...body };
	delete generationBody.input_fidelity;
	const validated = validateGeneration(generationBody, opts);
	if (!validated.ok) return validated;
	const req = validated.req;
	// Size auto: the first image's size.
	if (body.size === undefined || body.size === 'auto') Object.assign(req, { width: first.width, height: first.height, size: `${first.width}x${first.height}` });
	return { ok: true, edit: { req, first: images[0].data, firstWidth: first.width, firstHeight: first.height } };
}

/** The edited image: the first input negated (a visible recolouring), at the requested size and format. */
export async function editedImage(edit: ValidatedEdit): Promise<EncodedImage> {
	const { req } = edit;
	const format = req.outputFormat;
	if (format === 'gif' || format === 'svg') {
		return await getImage({ width: req.width, height: req.height, format, mode: 'solid', alpha: req.background === 'transparent' });
	}
	const quality = Math.max(1, Math.min(100, req.compression ?? 100));
	let image = sharp(edit.first).resize(req.width, req.height, { fit: 'fill' }).negate({ alpha: false });
	image = format === 'jpeg' ? image.flatten().jpeg({ quality }) : format === 'webp' ? image.webp({ quality, effort: 0 }) : image.png();
	return new EncodedImage(await image.toBuffer(), format, req.width, req.height);
}
