import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { planRequests } from '../shared/body';
import { nowDate } from '../shared/clock';
import { EDIT_LIMITS, inputFidelitiesOf, isRetired, OUTPUT_FORMAT_RULES, MODEL_FAMILIES, type ModelFamily } from '../shared/models';
import { inputError, readText, type ItemConfig } from '../shared/parameters';
import type { ImageOperation } from '../shared/run';
import { isToolNode } from '../shared/tool';
import type { Endpoint } from '../shared/transport/endpoint';
import { formFields, MultipartBody, type FilePart } from '../shared/transport/multipart';
import { readInputFile, type InputFile } from './inputs';
import { readImageSource, readReferences, referenceBody, type References } from './references';

/** The edit-only parameters of one item, as the user set them. */
export interface EditInputs {
	images: string[];
	mask?: string;
	markup?: string;
	inputFidelity?: string;
}

const INPUT_FIDELITIES = ['high', 'low'];

/**
 * Reads the item's edit parameters: `images` (comma-separated field names; with `withImages`
 * false, for edits by reference, none), mask, markup, input fidelity, each as text (readText).
 * Throws ItemInputError for an object or list.
 */
export function readEditInputs(ctx: IExecuteFunctions, itemIndex: number, withImages = true): EditInputs {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const text = (label: string, value: unknown) => (readText(ctx, itemIndex, label, value) ?? '').trim();
	const images = withImages
		? text('Images', ctx.getNodeParameter('images', itemIndex, 'data'))
				.split(',')
				.map((name) => name.trim())
				.filter(Boolean)
		: [];
	return {
		images,
		mask: text('Options › Mask', options.mask) || undefined,
		markup: text('Options › Markup', options.markup) || undefined,
		inputFidelity: text('Options › Input Fidelity', options.inputFidelity) || undefined,
	};
}

/**
 * The model ids that edit on `now` (default: the package clock, clock.ts), in the model table's
 * order, as text: every family with edits whose shutdown date has not come; a shutdown still to
 * come is named (`<id> (until <date>)`), a family past its date is left out. Source: the model
 * table (models.ts).
 */
export function editingModels(now: Date = nowDate()): string {
	return MODEL_FAMILIES.filter((family) => family.edits && !isRetired(family, now))
		.flatMap((family) => family.ids.map((id) => (family.retirement ? `${id} (until ${family.retirement.date})` : id)))
		.join(', ');
}

/**
 * Checks what only edits have against the model (openai 7.59.0 `ImageEditParams`): whether it
 * edits at all, input fidelity, markup, mask with markup or with GIF output, the number of
 * binary images (`references` given: an edit by reference, whose list readReferences checked).
 * Unknown model ids get only the checks that hold for every model. Throws ItemInputError.
 */
export function checkEditInputs(
	ctx: IExecuteFunctions,
	itemIndex: number,
	config: ItemConfig,
	family: ModelFamily | undefined,
	inputs: EditInputs,
	references?: References,
): void {
	const fail = (label: string, message: string): never => {
		throw inputError(ctx, itemIndex, label, message);
	};
	const model = config.model;
	if (family && !family.edits) fail('Model', `${model} does not edit images; models that do: ${editingModels()}`);
	const count = inputs.images.length;
	if (!references && count === 0) fail('Images', 'no binary field is named; give the field that holds the image, e.g. data');
	if (count > EDIT_LIMITS.maxImages) {
		fail('Images', `${count} fields are named (${inputs.images.join(', ')}); the API takes 1 to ${EDIT_LIMITS.maxImages} images`);
	}
	if (inputs.mask && inputs.markup) {
		fail('Options › Markup', 'cannot be used together with Mask; remove one of them');
	}
	const format = String(config.extraBody.output_format ?? config.outputFormat ?? 'png');
	if (inputs.mask && OUTPUT_FORMAT_RULES[format]?.mask === false) {
		fail('Options › Mask', `${format.toUpperCase()} output does not take a mask; choose another Output Format or remove Mask`);
	}
	if (inputs.inputFidelity !== undefined) {
		if (!INPUT_FIDELITIES.includes(inputs.inputFidelity)) {
			fail('Options › Input Fidelity', `${JSON.stringify(inputs.inputFidelity)} is not accepted; accepted: ${INPUT_FIDELITIES.join(', ')}`);
		}
		const taken = inputFidelitiesOf(model, family);
		if (family && !taken.includes(inputs.inputFidelity)) {
			fail(
				'Options › Input Fidelity',
				taken.length
					? `${JSON.stringify(inputs.inputFidelity)} is not accepted by ${model}; accepted: ${taken.join(', ')}`
					: `${model} does not take this option; remove it`,
			);
		}
	}
	if (inputs.markup && family && !family.edits?.markup) {
		fail('Options › Markup', `${model} does not take markup (GPT Image 2.5 does); remove it or use Mask`);
	}
}

/** The files of one edit request: the images (`image`, or `image[]` for several), then mask or markup. */
async function readFiles(ctx: IExecuteFunctions, itemIndex: number, inputs: EditInputs): Promise<FilePart[]> {
	const imageRule = { label: 'Images', formats: EDIT_LIMITS.imageTypes, maxBytes: EDIT_LIMITS.maxImageBytes };
	const images: InputFile[] = [];
	for (const field of inputs.images) images.push(await readInputFile(ctx, itemIndex, field, imageRule));
	const imageName = images.length === 1 ? 'image' : 'image[]';
	const parts: FilePart[] = images.map((file) => ({ ...file, name: imageName }));
	if (inputs.mask) {
		const rule = { label: 'Options › Mask', formats: EDIT_LIMITS.maskTypes, maxBytes: EDIT_LIMITS.maxMaskBytes };
		parts.push({ ...(await readInputFile(ctx, itemIndex, inputs.mask, rule)), name: 'mask' });
	}
	if (inputs.markup) {
		const rule = { label: 'Options › Markup', formats: EDIT_LIMITS.markupTypes, maxBytes: EDIT_LIMITS.maxImageBytes };
		parts.push({ ...(await readInputFile(ctx, itemIndex, inputs.markup, rule)), name: 'markup' });
	}
	return parts;
}

/**
 * What an edit by reference may not have, whatever its list: a DALL-E model (multipart only),
 * an Azure OpenAI credential (Microsoft's docs describe both edit routes,
 * `/openai/deployments/{deployment}/images/edits?api-version=2025-04-01-preview` and
 * `/openai/v1/images/edits`, with `image` as image file(s) and `mask` as a PNG file, and no
 * `images` list of image_url / file_id: the REST references "Image generations - Edit" and
 * "Create image edit", MicrosoftDocs/azure-ai-docs articles/ai-foundry/openai/includes/
 * api-versions/latest-inference-preview.md and new-inference-preview.md, and the how-to
 * learn.microsoft.com/azure/ai-foundry/openai/how-to/dall-e, read 2026-12-03),
 * Response Format (the API reference's JSON edit has no response_format). Throws ItemInputError.
 */
function checkReferenceEdit(ctx: IExecuteFunctions, itemIndex: number, config: ItemConfig, family: ModelFamily | undefined, endpoint: Endpoint): void {
	const fail = (label: string, message: string): never => {
		throw inputError(ctx, itemIndex, label, message);
	};
	if (family?.binaryEditsOnly) {
		fail('Image Source', `${config.model} is a DALL-E model, and DALL-E edits from binary files only (never from image URLs or file ids); set Image Source to Binary, or choose a GPT image model`);
	}
	if (endpoint.kind === 'azure') {
		fail('Image Source', 'Azure OpenAI\'s image edit routes take image files only (Microsoft documents no image URLs or file ids for them); set Image Source to Binary and give the images as files');
	}
	if (config.responseFormat !== undefined) {
		fail('Options › Response Format', 'is not taken by edits by reference (the API\'s JSON edit has no response_format; GPT image models return base64); remove it');
	}
}

/**
 * Edit Image: `POST /images/edits`. Image Source Binary: a multipart/form-data body per request;
 * the text fields are the generation body of the same options (planRequests: every option
 * Create Image sends, `n` split, Extra Body Fields winning), as form fields; then
 * `input_fidelity`, and the files. Image Source URL or File ID: the same fields as a JSON body
 * with `images` and `mask` by reference (references.ts). As an AI Agent tool the source is by
 * reference only (a tool call carries no files); the default is URL.
 */
export const edit: ImageOperation = {
	path: 'edits',
	plan: async (ctx, itemIndex, config, family, modelInBody, endpoint) => {
		const tool = isToolNode(ctx);
		const source = readImageSource(ctx, itemIndex, tool ? 'url' : 'binary');
		if (source !== 'binary') {
			checkReferenceEdit(ctx, itemIndex, config, family, endpoint);
			const references = readReferences(ctx, itemIndex, source);
			const inputs = readEditInputs(ctx, itemIndex, false);
			checkEditInputs(ctx, itemIndex, config, family, { ...inputs, mask: references.mask && 'mask' }, references);
			return planRequests(config, family, modelInBody).map((body) => referenceBody(body, references, inputs.inputFidelity));
		}
		if (tool) {
			throw inputError(ctx, itemIndex, 'Image Source', 'an AI Agent tool call carries no files; set Image Source to URL (or File ID) and let the model give the image addresses');
		}
		const inputs = readEditInputs(ctx, itemIndex);
		checkEditInputs(ctx, itemIndex, config, family, inputs);
		const files = await readFiles(ctx, itemIndex, inputs);
		return planRequests(config, family, modelInBody).map(
			(body) =>
				new MultipartBody(formFields({ ...(inputs.inputFidelity && { input_fidelity: inputs.inputFidelity }), ...body }), files, body.stream === true),
		);
	},
	/**
	 * Batch mode: a batch line is JSON, so the edit takes the JSON edit shape (references.ts,
	 * OpenAI's openapi spec `EditImageBodyJsonParam`). Image Source URL or File ID: `plan`'s
	 * bodies as they are. Binary: the files are uploaded first (batch/run.ts, once per distinct
	 * file) and referenced by their file ids. Markup and Response Format have no field in that
	 * shape: refused with ItemInputError.
	 */
	planBatch: async (ctx, itemIndex, config, family, endpoint) => {
		if (readImageSource(ctx, itemIndex, 'binary') !== 'binary') {
			const bodies = (await edit.plan(ctx, itemIndex, config, family, true, endpoint)) as IDataObject[];
			return { files: [], bodies: () => bodies };
		}
		const inputs = readEditInputs(ctx, itemIndex);
		checkEditInputs(ctx, itemIndex, config, family, inputs);
		if (family?.binaryEditsOnly) {
			throw inputError(ctx, itemIndex, 'Model', `${config.model} edits by multipart only, and a batch line is JSON; choose a GPT image model, or Request Mode › Direct`);
		}
		if (config.responseFormat !== undefined) {
			throw inputError(ctx, itemIndex, 'Options › Response Format', "is not taken in Request Mode › Batch (a batch line is a JSON edit, which has no response_format; GPT image models return base64); remove it, or choose Request Mode › Direct");
		}
		if (inputs.markup) {
			throw inputError(ctx, itemIndex, 'Options › Markup', 'is not taken in Request Mode › Batch (the JSON edit shape a batch line uses has no markup field); remove it, or choose Request Mode › Direct');
		}
		const files = await readFiles(ctx, itemIndex, inputs);
		const imageCount = inputs.images.length;
		return {
			files,
			bodies: (fileIds) => {
				const references: References = {
					source: 'fileId',
					images: fileIds.slice(0, imageCount).map((fileId) => ({ file_id: fileId })),
					...(inputs.mask && { mask: { file_id: fileIds[imageCount] } }),
				};
				return planRequests(config, family, true).map((body) => referenceBody(body, references, inputs.inputFidelity));
			},
		};
	},
};
