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
import { toolProperties } from '../shared/tool';
import { MAX_IMAGE_URL_LENGTH } from './references';

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
			'How closely the edit keeps the style and features (faces especially) of the input images. Taken by gpt-image-1.5 (high, low) and gpt-image-1-mini (low), which OpenAI retired on 2026-12-01 (Azure deployments and compatible servers may still serve them); gpt-image-2 and later do not take it.',
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
		displayOptions: {
			...hiddenForModelIds(idsWithout((family) => Boolean(family.edits?.markup))).displayOptions,
			show: { '/imageSource': ['binary'] },
		},
	},
	{
		displayName: 'Mask',
		name: 'mask',
		type: 'string',
		default: '',
		placeholder: 'e.g. mask',
		description: `The binary field holding a PNG mask (under ${EDIT_LIMITS.maxMaskBytes / MIB} MB, the size of the first image): its fully transparent pixels mark where the first image is edited`,
		displayOptions: { show: { '/imageSource': ['binary'] } },
	},
	{
		displayName: 'Mask URL',
		name: 'maskUrl',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://example.com/mask.png',
		description: 'The address of a PNG mask (https://, http:// or a data:image/png;base64 URL), the size of the first image: its fully transparent pixels mark where the first image is edited. The provider fetches it.',
		displayOptions: { show: { '/imageSource': ['url'] } },
	},
	{
		displayName: 'Mask File ID',
		name: 'maskFileId',
		type: 'string',
		default: '',
		placeholder: 'e.g. file-abc123',
		description: 'The OpenAI file ID of a PNG mask, the size of the first image: its fully transparent pixels mark where the first image is edited',
		displayOptions: { show: { '/imageSource': ['fileId'] } },
	},
];

const TOOL = { '@tool': [true] };

const sourceOptions = {
	binary: { name: 'Binary Files', value: 'binary', description: "Files of the input item (multipart upload), e.g. Create Image's output" },
	url: {
		name: 'Image URLs',
		value: 'url',
		description: 'Addresses of the images (https://, http:// or data URLs), sent as they are: the provider fetches them',
	},
	fileId: { name: 'OpenAI File IDs', value: 'fileId', description: 'Files uploaded to OpenAI (POST /v1/files), by ID' },
};

/**
 * Image Source, twice under one name: the node offers every source (default Binary Files, what
 * the node always did); the AI Agent tool variant offers only references (default Image URLs),
 * since a tool call carries the model's text and never a file.
 */
const imageSourceProperties: INodeProperties[] = [
	{
		displayName: 'Image Source',
		name: 'imageSource',
		type: 'options',
		options: [sourceOptions.binary, sourceOptions.url, sourceOptions.fileId],
		default: 'binary',
		description: 'Where the images to edit come from',
		displayOptions: { hide: TOOL },
	},
	{
		displayName: 'Image Source',
		name: 'imageSource',
		type: 'options',
		options: [sourceOptions.url, sourceOptions.fileId],
		default: 'url',
		description: 'Where the images to edit come from: the agent gives their addresses or file IDs',
		displayOptions: { show: TOOL },
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
	...imageSourceProperties,
	{
		displayName: 'Images',
		name: 'images',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'e.g. data, logo',
		description: `The input item's binary fields holding the images to edit, comma-separated, in order (1 to ${EDIT_LIMITS.maxImages}). PNG, WEBP or JPEG, each under ${EDIT_LIMITS.maxImageBytes / MIB} MB. Create Image puts its image in "data".`,
		displayOptions: { show: { imageSource: ['binary'] } },
	},
	{
		displayName: 'Image URLs',
		name: 'imageUrls',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		placeholder: 'e.g. https://example.com/photo.png',
		description: `The addresses of the images to edit, one per line (or an expression giving a list), in order (1 to ${EDIT_LIMITS.maxImages}): https://, http://, or data:image/png|jpeg|webp;base64 URLs of up to ${MAX_IMAGE_URL_LENGTH.toLocaleString('en-US')} characters. The provider fetches them (the node does not); GPT image models only.`,
		displayOptions: { show: { imageSource: ['url'] } },
	},
	{
		displayName: 'Image File IDs',
		name: 'imageFileIds',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		placeholder: 'e.g. file-abc123',
		description: `The OpenAI file IDs of the images to edit, one per line (or an expression giving a list), in order (1 to ${EDIT_LIMITS.maxImages}); GPT image models only`,
		displayOptions: { show: { imageSource: ['fileId'] } },
	},
	resultFormatProperty,
	...batchProperties,
	optionsCollection([...imageOptions.filter((option) => !NOT_FOR_EDITS.includes(option.name)), ...editOptions]),
	...toolProperties,
];
