import type { INodeProperties } from 'n8n-workflow';

import {
	authenticationProperty,
	hiddenForModelIds,
	imageOptions,
	modelProperty,
	optionsCollection,
	promptProperty,
	resultFormatProperty,
	batchProperties,
} from '../shared/description';
import { EDIT_LIMITS, MODEL_FAMILIES } from '../shared/models';

/**
 * Generation options that POST /images/edits does not take (openai 7.59.0 `ImageEditParams`
 * has no `moderation` and no `style`). Every other entry of the shared `imageOptions` is an
 * edit option too, with the same name, rules and model table.
 */
export const NOT_FOR_EDITS: readonly string[] = ['moderation', 'style'];

const MIB = 1024 * 1024;

/** Known model ids that take no input fidelity, or no markup: the panel hides those options for them. */
const idsWithout = (takes: (family: (typeof MODEL_FAMILIES)[number], id: string) => boolean) =>
	MODEL_FAMILIES.flatMap((family) => family.ids.filter((id) => !takes(family, id)));

/** The options only edits have. */
const editOptions: INodeProperties[] = [
	{
		displayName: 'Input Fidelity',
		name: 'inputFidelity',
		type: 'options',
		options: [
			{ name: 'High', value: 'high', description: 'Keep faces and fine details of the input images closer' },
			{ name: 'Low', value: 'low' },
		],
		default: 'high',
		description:
			'How closely the edit keeps the style and features (faces especially) of the input images. gpt-image-1.5 takes high and low, gpt-image-1-mini low only; gpt-image-2 and later do not take it.',
		...hiddenForModelIds(idsWithout((family, id) => Boolean(family.edits?.inputFidelity?.[id]))),
	},
	{
		displayName: 'Markup',
		name: 'markup',
		type: 'string',
		default: '',
		placeholder: 'e.g. markup',
		description:
			'The binary field holding a transparent PNG the size of the first image, drawn over it to guide the edit (GPT Image 2.5). Not together with Mask.',
		...hiddenForModelIds(idsWithout((family) => Boolean(family.edits?.markup))),
	},
	{
		displayName: 'Mask',
		name: 'mask',
		type: 'string',
		default: '',
		placeholder: 'e.g. mask',
		description: `The binary field holding a PNG mask (under ${EDIT_LIMITS.maxMaskBytes / MIB} MB, the size of the first image): its fully transparent pixels mark where the first image is edited`,
	},
];

/** The Edit Image node's parameters, in the order the panel shows them. */
export const properties: INodeProperties[] = [
	authenticationProperty,
	modelProperty,
	{
		...promptProperty,
		placeholder: 'e.g. Put the product from the first image on a marble table in soft daylight',
		description: 'How to change or combine the images. gpt-image models take up to 32,000 characters.',
	},
	{
		displayName: 'Images',
		name: 'images',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'e.g. data, logo',
		description: `The input item's binary fields holding the images to edit, comma-separated, in order (1 to ${EDIT_LIMITS.maxImages}). PNG, WEBP or JPEG, each under ${EDIT_LIMITS.maxImageBytes / MIB} MB. Create Image puts its image in "data".`,
	},
	resultFormatProperty,
	...batchProperties,
	optionsCollection([...imageOptions.filter((option) => !NOT_FOR_EDITS.includes(option.name)), ...editOptions]),
];
