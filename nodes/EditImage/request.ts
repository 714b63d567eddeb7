import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { planRequests } from '../shared/body';
import { EDIT_LIMITS, inputFidelitiesOf, isRetired, OUTPUT_FORMAT_RULES, MODEL_FAMILIES, type ModelFamily } from '../shared/models';
import { inputError, readText, type ItemConfig } from '../shared/parameters';
import type { ImageOperation } from '../shared/run';
import { formFields, MultipartBody, type FilePart } from '../shared/transport/multipart';
import { readInputFile, type InputFile } from './inputs';

/** The edit-only parameters of one item, as the user set them. */
export interface EditInputs {
	images: string[];
	mask?: string;
	markup?: string;
	inputFidelity?: string;
}

const INPUT_FIDELITIES = ['high', 'low'];

/**
 * Reads the item's edit parameters: `images` (comma-separated field names), mask, markup, input
 * fidelity, each as text (readText). Throws ItemInputError for an object or list.
 */
export function readEditInputs(ctx: IExecuteFunctions, itemIndex: number): EditInputs {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const text = (label: string, value: unknown) => (readText(ctx, itemIndex, label, value) ?? '').trim();
	const images = text('Images', ctx.getNodeParameter('images', itemIndex, 'data'))
		.split(',')
		.map((name) => name.trim())
		.filter(Boolean);
	return {
		images,
		mask: text('Options › Mask', options.mask) || undefined,
		markup: text('Options › Markup', options.markup) || undefined,
		inputFidelity: text('Options › Input Fidelity', options.inputFidelity) || undefined,
	};
}

/**
 * The model ids that edit on `now` (default: today), in the model table's order, as text: every
 * family with edits whose shutdown date has not come; an announced shutdown is named
 * (`gpt-image-1.5 (until 2026-12-01)`). Source: the model table (models.ts).
 */
export function editingModels(now = new Date()): string {
	return MODEL_FAMILIES.filter((family) => family.edits && !isRetired(family, now))
		.flatMap((family) => family.ids.map((id) => (family.retirement ? `${id} (until ${family.retirement.date})` : id)))
		.join(', ');
}

/**
 * Checks what only edits have against the model (openai 7.59.0 `ImageEditParams`): whether it
 * edits at all, input fidelity, markup, mask with markup or with GIF output, the number of
 * images. Unknown model ids get only the checks that hold for every model. Throws ItemInputError.
 */
export function checkEditInputs(
	ctx: IExecuteFunctions,
	itemIndex: number,
	config: ItemConfig,
	family: ModelFamily | undefined,
	inputs: EditInputs,
): void {
	const fail = (label: string, message: string): never => {
		throw inputError(ctx, itemIndex, label, message);
	};
	const model = config.model;
	if (family && !family.edits) fail('Model', `${model} does not edit images; models that do: ${editingModels()}`);
	const count = inputs.images.length;
	if (count === 0) fail('Images', 'no binary field is named; give the field that holds the image, e.g. data');
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
 * Edit Image: `POST /images/edits` with a multipart/form-data body per request. The text fields
 * are the generation body of the same options (planRequests: every option Create Image sends,
 * `n` split, Extra Body Fields winning), as form fields; then `input_fidelity`, and the files.
 */
export const edit: ImageOperation = {
	path: 'edits',
	plan: async (ctx, itemIndex, config, family, modelInBody) => {
		const inputs = readEditInputs(ctx, itemIndex);
		checkEditInputs(ctx, itemIndex, config, family, inputs);
		const files = await readFiles(ctx, itemIndex, inputs);
		return planRequests(config, family, modelInBody).map(
			(body) =>
				new MultipartBody(formFields({ ...(inputs.inputFidelity && { input_fidelity: inputs.inputFidelity }), ...body }), files, body.stream === true),
		);
	},
	/**
	 * Batch mode: the JSON edit shape (OpenAI's openapi spec `EditImageBodyJsonParam`: `images:
	 * [{ file_id }]`, `mask: { file_id }`), since a batch line is JSON. The binaries are uploaded
	 * first (batch/run.ts, once per distinct file) and referenced by their file ids. Markup has no
	 * field in that shape: refused with ItemInputError.
	 */
	planBatch: async (ctx, itemIndex, config, family) => {
		const inputs = readEditInputs(ctx, itemIndex);
		checkEditInputs(ctx, itemIndex, config, family, inputs);
		if (inputs.markup) {
			throw inputError(ctx, itemIndex, 'Options › Markup', 'is not taken in Request Mode › Batch (the JSON edit shape a batch line uses has no markup field); remove it, or choose Request Mode › Direct');
		}
		const files = await readFiles(ctx, itemIndex, inputs);
		const imageCount = inputs.images.length;
		return {
			files,
			bodies: (fileIds) =>
				planRequests(config, family, true).map((body) => ({
					...body,
					images: fileIds.slice(0, imageCount).map((fileId) => ({ file_id: fileId })),
					...(inputs.mask && { mask: { file_id: fileIds[imageCount] } }),
					...(inputs.inputFidelity && { input_fidelity: inputs.inputFidelity }),
				})),
		};
	},
};
