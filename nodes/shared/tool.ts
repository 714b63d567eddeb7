/**
 * The node as an AI Agent tool ("Create Image Tool", the variant n8n makes of a node that
 * declares `usableAsTool`). The agent's model receives only each output item's JSON, as text
 * (n8n 2.41: `JSON.stringify` of the items' `json`, no size cap; binary data never reaches it),
 * so in tool mode every image's JSON is a short description the model can use, and the file
 * itself stays on the item for the workflow.
 */
import {
	BINARY_ENCODING,
	NodeOperationError,
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { now } from './clock';
import { imageDimensions } from './dimensions';
import { boundedInteger } from './parameters';
import { throwIfAborted } from './transport/limiter';

/** Longest revised prompt handed to the model (the API's can be a page long). */
export const REVISED_PROMPT_MAX = 300;
/** Longest error message handed to the model. */
export const TOOL_ERROR_MAX = 600;
/** Any longer string in a tool answer is left out: nothing like base64 reaches the model. */
const STRING_MAX = 2000;
export const DEFAULT_LINK_MINUTES = 1440;
const MAX_LINK_MINUTES = 43_200;

/** Shown only for the tool variant: n8n's `@tool` display rule is true when the node's type ends in "Tool". */
const TOOL_ONLY = { show: { '@tool': [true] } };

/** The tool variant's own parameters (n8n shows them only on "Create Image Tool"). */
export const toolProperties: INodeProperties[] = [
	{
		displayName: 'Image Link for the Agent',
		name: 'imageLinkForAgent',
		type: 'options',
		options: [
			{
				name: 'None',
				value: 'none',
				description: 'The agent is told the image was delivered to the workflow, and gets no link',
			},
			{
				name: 'Signed URL',
				value: 'signedUrl',
				description:
					"A link to the stored file that opens without a login, made by n8n (needs a stored binary data mode, e.g. n8n 2.x's default filesystem mode)",
			},
		],
		default: 'none',
		description: 'Whether the agent gets a link to each image, which it can put in its answer or hand to another node',
		displayOptions: TOOL_ONLY,
	},
	{
		displayName: 'Link Valid For (Minutes)',
		name: 'imageLinkMinutes',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_LINK_MINUTES },
		default: DEFAULT_LINK_MINUTES,
		description: 'How long the link opens the image (at most 30 days). The execution must be kept that long too.',
		displayOptions: { show: { ...TOOL_ONLY.show, imageLinkForAgent: ['signedUrl'] } },
	},
];

/** Whether the node runs as the AI Agent tool: n8n names the tool variant `<type>Tool`. */
export function isToolNode(ctx: IExecuteFunctions): boolean {
	return ctx.getNode().type.endsWith('Tool');
}

/** An error message for the model: no item prefix (a tool call is one item), at most TOOL_ERROR_MAX characters. */
export function toolErrorMessage(message: string): string {
	const text = message.replace(/^\[item \d+\]\s*/, '').trim();
	return text.length > TOOL_ERROR_MAX ? `${text.slice(0, TOOL_ERROR_MAX - 1)}…` : text;
}

function cut(text: unknown, max: number): string | undefined {
	if (typeof text !== 'string' || text === '') return undefined;
	return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A copy with every long string (a base64 payload in a Raw Response row, say) replaced by a short mark. */
function withoutLongStrings(value: unknown): unknown {
	if (typeof value === 'string') return value.length > STRING_MAX ? `(${value.length} characters left out)` : value;
	if (Array.isArray(value)) return value.map(withoutLongStrings);
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, withoutLongStrings(entry)]));
	}
	return value;
}

async function fileBytes(ctx: IExecuteFunctions, binary: IBinaryData): Promise<Buffer> {
	if (binary.id) return await ctx.helpers.binaryToBuffer(await ctx.helpers.getBinaryStream(binary.id));
	return Buffer.from(binary.data, BINARY_ENCODING);
}

interface LinkSettings {
	mode: 'none' | 'signedUrl';
	minutes: number;
}

/**
 * Image Link for the Agent and its minutes (numeric text from an expression too; unset: the
 * default). Throws ItemInputError for minutes that are not a whole number from 1 to
 * MAX_LINK_MINUTES: a link must never live longer than asked.
 */
function readLinkSettings(ctx: IExecuteFunctions): LinkSettings {
	const mode = ctx.getNodeParameter('imageLinkForAgent', 0, 'none') as LinkSettings['mode'];
	const value = mode === 'signedUrl' ? ctx.getNodeParameter('imageLinkMinutes', 0, DEFAULT_LINK_MINUTES) : undefined;
	return { mode, minutes: boundedInteger(ctx, 0, 'Link Valid For (Minutes)', value, DEFAULT_LINK_MINUTES, 1, MAX_LINK_MINUTES) };
}

/** The short JSON the model gets for one image item; the item keeps its binary. */
async function describeImage(
	ctx: IExecuteFunctions,
	item: INodeExecutionData,
	link: LinkSettings,
): Promise<IDataObject> {
	const binary = Object.values(item.binary ?? {})[0];
	const json = item.json;
	const bytes = await fileBytes(ctx, binary);
	const fileName = binary.fileName ?? 'image';
	const described: IDataObject = {
		fileName,
		mimeType: binary.mimeType,
		bytes: bytes.length,
		...imageDimensions(bytes),
		model: json.model,
		revisedPrompt: cut(json.revisedPrompt, REVISED_PROMPT_MAX),
		url: json.url,
		partialImageIndex: json.partialImageIndex,
	};
	let note = `The image was delivered to the workflow as the file ${fileName}.`;
	// Stream with Partial Images: the previews come as items before their final image.
	if (typeof json.partialImageIndex === 'number') note = `A rough preview made while the image was generated (the final image follows), delivered to the workflow as the file ${fileName}.`;
	if (link.mode === 'signedUrl' && !binary.id) {
		described.linkUnavailable = 'This n8n keeps files in memory (binary data mode "default"), so it cannot sign a link to them.';
	}
	if (link.mode === 'signedUrl' && binary.id) {
		described.link = ctx.helpers.createBinarySignedUrl(binary, `${link.minutes}m`);
		described.linkExpiresAt = new Date(now() + link.minutes * 60_000).toISOString();
		note += ` To show or share it, use "link" exactly as given (it opens without a login until linkExpiresAt); never make up another link.`;
	} else if (typeof json.url === 'string') {
		note += ` "url" is the provider's own temporary link to it (about 60 minutes); never make up another link.`;
	} else {
		note += ' You have no link to it: do not write or make up a URL for it; say that it was created.';
	}
	described.note = note;
	return Object.fromEntries(Object.entries(described).filter(([, value]) => value !== undefined));
}

/** The error again, with the model-readable message (its description, the details, kept). */
function shortError(ctx: IExecuteFunctions, error: Error & { description?: string | null }): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), toolErrorMessage(String(error.message)), {
		itemIndex: 0,
		description: error.description ?? undefined,
	});
}

/**
 * Runs the node's operation as an AI Agent tool: the Result output only (the Configuration
 * output means nothing to an agent), each image as a short JSON for the model (file name, type,
 * size in bytes, width and height from the file, model, revised prompt cut to
 * REVISED_PROMPT_MAX characters, the provider's URL or a signed link when asked, and a note
 * that the file went to the workflow), never base64; the binary stays on the item. A failure
 * becomes one item `{ error }` with a short, model-readable message (what was wrong, what is
 * accepted); it is thrown only when the node's On Error is explicitly Stop Workflow, or when
 * the execution was stopped (the node's own cancel error).
 */
export async function runAsTool(
	ctx: IExecuteFunctions,
	run: () => Promise<INodeExecutionData[][]>,
): Promise<INodeExecutionData[][]> {
	let results: INodeExecutionData[];
	let link: LinkSettings;
	try {
		// Read first: a link setting that is wrong is refused before any image is paid for.
		link = readLinkSettings(ctx);
		[results] = await run();
	} catch (error) {
		// A stopped execution is no failed call to hand back to the model: the node stops too.
		throwIfAborted(ctx.getExecutionCancelSignal());
		const short = shortError(ctx, error as Error);
		// n8n 2.41 hands a failed tool's message to the model and lets the agent go on unless the
		// node's On Error is Stop Workflow; n8n 1.x stops the workflow. An error item does the
		// former on both, so the model can correct its call.
		if (ctx.getNode().onError === 'stopWorkflow') throw short;
		return [[{ json: { error: short.message }, error: short, pairedItem: { item: 0 } }]];
	}
	const items: INodeExecutionData[] = [];
	for (const item of results) {
		if (item.error || item.json.error) {
			// n8n sets a failed item's JSON from its error's message: the error carries the short one.
			const failure = item.json.error as { message?: string; description?: string } | string;
			const error = shortError(
				ctx,
				item.error ??
					(typeof failure === 'string' ? new Error(failure) : Object.assign(new Error(String(failure.message)), { description: failure.description })),
			);
			items.push({ ...item, json: { error: error.message }, error });
		} else if (item.binary && Object.keys(item.binary).length > 0) {
			items.push({ ...item, json: await describeImage(ctx, item, link) });
		} else {
			items.push({ ...item, json: withoutLongStrings(item.json) as IDataObject }); // Raw Response rows
		}
	}
	return [items];
}
