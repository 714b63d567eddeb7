/**
 * The files an edit sends, read from the input item's binary fields through n8n's helpers, so
 * that every binary data mode works: in memory (base64 in the item), filesystem, database.
 * Checking reads only a file's first bytes and its size; the bytes are read when the request is
 * sent, straight into the request body.
 */
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import { imageTypeOf, SVG_HEAD_BYTES } from '../shared/files';
import { inputError } from '../shared/parameters';
import type { PartSource } from '../shared/transport/multipart';

/** A checked input file: its name and type as sent, and where its bytes come from. */
export interface InputFile {
	field: string;
	fileName: string;
	contentType: string;
	source: PartSource;
}

/** What a file must be: the formats its bytes may show and its size limit. */
export interface FileRule {
	/** The parameter that named the field, for messages, e.g. "Images", "Options › Mask". */
	label: string;
	formats: readonly string[];
	maxBytes: number;
}

/** Enough of a file to tell its type as imageTypeOf does (an SVG's root element may come after a prolog). */
const HEAD_BYTES = SVG_HEAD_BYTES;

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;

/** The binary fields an item has, for messages. */
function fieldsOf(binary: Record<string, IBinaryData> | undefined): string {
	const names = Object.keys(binary ?? {});
	return names.length
		? `its binary fields: ${names.join(', ')}`
		: 'it has no binary fields (put a node that outputs files before this one, e.g. Create Image)';
}

/**
 * The number of bytes a base64 text decodes to, as n8n decodes it (Buffer, 'base64'). For plain
 * base64 it is computed from the length; text with line breaks or other characters the decoder
 * skips (MIME-style base64) is decoded once to count, as Buffer.byteLength would overcount it.
 */
function base64Size(data: string): number {
	return /[^A-Za-z0-9+/=_-]/.test(data) ? Buffer.from(data, 'base64').length : Buffer.byteLength(data, 'base64');
}

/** Size and first bytes of a stored file (filesystem or database mode). */
async function storedFile(ctx: IExecuteFunctions, binary: IBinaryData & { id: string }): Promise<{ size: number; head: Buffer }> {
	const metadata = await ctx.helpers.getBinaryMetadata(binary.id);
	const stream = await ctx.helpers.getBinaryStream(binary.id, HEAD_BYTES);
	let head = Buffer.alloc(0);
	for await (const chunk of stream as AsyncIterable<Buffer>) {
		head = Buffer.concat([head, chunk]);
		if (head.length >= HEAD_BYTES) break;
	}
	(stream as { destroy?: () => void }).destroy?.();
	return { size: Number(metadata.fileSize ?? binary.bytes), head };
}

/** Where the bytes of a binary come from when the request is sent. */
function sourceOf(ctx: IExecuteFunctions, binary: IBinaryData, size: number, describe: string): PartSource {
	const changed = (got: number) => new Error(`${describe} changed while the request was built: ${got} bytes instead of ${size}`);
	const id = binary.id;
	if (!id) {
		// In memory the item holds base64: decoded straight into the request body.
		return {
			size,
			writeInto: async (target, offset) => {
				const written = target.write(binary.data, offset, size, 'base64');
				if (written !== size) throw changed(written);
			},
		};
	}
	return {
		size,
		writeInto: async (target, offset) => {
			let written = 0;
			for await (const chunk of (await ctx.helpers.getBinaryStream(id)) as AsyncIterable<Buffer>) {
				if (written + chunk.length > size) throw changed(written + chunk.length);
				chunk.copy(target, offset + written);
				written += chunk.length;
			}
			if (written !== size) throw changed(written);
		},
	};
}

/**
 * Checks that an item's binary field exists and holds an accepted file within the size limit;
 * returns it ready to send. Throws ItemInputError naming the item, the field, and what would
 * be accepted (for a missing field: the binary fields the item has).
 */
export async function readInputFile(ctx: IExecuteFunctions, itemIndex: number, field: string, rule: FileRule): Promise<InputFile> {
	const fail = (message: string): never => {
		throw inputError(ctx, itemIndex, rule.label, message);
	};
	const item = ctx.getInputData()[itemIndex];
	if (!item.binary?.[field]) fail(`the item has no binary field "${field}"; ${fieldsOf(item.binary)}`);
	const binary = ctx.helpers.assertBinaryData(itemIndex, field);
	const { size, head } = binary.id
		? await storedFile(ctx, binary as IBinaryData & { id: string })
		: { size: base64Size(binary.data), head: Buffer.from(binary.data.slice(0, Math.ceil(HEAD_BYTES / 3) * 4), 'base64') };

	const accepted = rule.formats.map((format) => format.toUpperCase()).join(', ');
	const type = imageTypeOf(head);
	const format = type && (type.extension === 'jpg' ? 'jpeg' : type.extension);
	if (!type || !format || !rule.formats.includes(format)) {
		const what = format ? `${/^[AEFHILMNORSX]/.test(format.toUpperCase()) ? 'an' : 'a'} ${format.toUpperCase()} file` : `not an image file the node knows (mime type ${binary.mimeType || 'unknown'})`;
		return fail(`"${field}" is ${what}; accepted: ${accepted}`);
	}
	if (!(size > 0)) fail(`"${field}" is empty`);
	if (size >= rule.maxBytes) {
		fail(`"${field}" is ${megabytes(size)} (${size.toLocaleString('en-US')} bytes); the API takes files under ${megabytes(rule.maxBytes)}`);
	}
	const stem = field.replace(/[^\w.-]+/g, '_') || 'image';
	return {
		field,
		fileName: binary.fileName || `${stem}.${type.extension}`,
		contentType: type.mimeType,
		source: sourceOf(ctx, binary, size, `The binary field "${field}" of item ${itemIndex}`),
	};
}
