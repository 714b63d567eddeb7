/**
 * Batch input files: one JSONL line per request, grouped by model (one model per file) and split
 * by the Batch API's limits per input file. Source: openai 7.59.0 `BatchCreateParams.input_file_id`
 * ("The file can contain up to 50,000 requests, and can be up to 200 MB in size"), `endpoint`
 * (`/v1/images/generations`, `/v1/images/edits`); OpenAI's batch guide (one model per file).
 */
import type { IDataObject } from 'n8n-workflow';

/** Limits of one batch input file (openai 7.59.0 `BatchCreateParams.input_file_id`). */
export interface BatchLimits {
	/** Requests (lines) per file: 50,000. */
	maxLines: number;
	/** Bytes per file as encoded (UTF-8 JSONL, newlines included): 200 MB, taken as 200,000,000 bytes (the smaller reading of "MB"). */
	maxBytes: number;
}

export const BATCH_LIMITS: BatchLimits = { maxLines: 50_000, maxBytes: 200_000_000 };

/** One request of an item as a line of the input file. */
export interface BatchLine {
	/** `item-<itemIndex>-<part>`: unique in the node's batches, and names the input item it came from. */
	customId: string;
	itemIndex: number;
	/** The request's position among the item's requests (a split `n` makes several). */
	part: number;
	model: string;
	/** The line's encoded bytes, newline included. */
	bytes: number;
	/** The encoded line, until it is written into its file. */
	data?: Buffer;
}

/** The lines of one input file (one model), in item order. */
export interface BatchFilePlan {
	model: string;
	lines: BatchLine[];
	bytes: number;
}

/** The custom_id of an item's request: `item-<itemIndex>-<part>`. */
export const customIdOf = (itemIndex: number, part: number) => `item-${itemIndex}-${part}`;

/** The item and part a custom_id of this node names, or undefined for any other custom_id. */
export function parseCustomId(customId: string): { itemIndex: number; part: number } | undefined {
	const match = /^item-(\d+)-(\d+)$/.exec(customId);
	return match ? { itemIndex: Number(match[1]), part: Number(match[2]) } : undefined;
}

/**
 * One JSONL line of the input file (OpenAI's batch guide): `{"custom_id", "method": "POST",
 * "url", "body"}` and a newline; `url` is the batch endpoint (`/v1/images/generations`).
 */
export function encodeLine(itemIndex: number, part: number, url: string, body: IDataObject): BatchLine {
	const customId = customIdOf(itemIndex, part);
	const data = Buffer.from(`${JSON.stringify({ custom_id: customId, method: 'POST', url, body })}\n`);
	return { customId, itemIndex, part, model: String(body.model ?? ''), bytes: data.length, data };
}

/** An item whose requests alone do not fit in one input file. */
export class LineTooLargeError extends Error {
	constructor(
		readonly itemIndex: number,
		readonly bytes: number,
		readonly lines: number,
	) {
		super(`its requests take ${bytes.toLocaleString('en-US')} bytes in ${lines} line(s)`);
	}
}

/**
 * The input files for the lines of all items, by model (files of a model in the order its first
 * item came), each within `limits` (lines and bytes as encoded). An item's lines stay in one file,
 * so that each item belongs to one batch. Input: lines in item order, then part order. Throws
 * LineTooLargeError for an item whose lines exceed the limits on their own.
 */
export function planFiles(lines: readonly BatchLine[], limits: BatchLimits = BATCH_LIMITS): BatchFilePlan[] {
	const byModel = new Map<string, BatchLine[][]>();
	let current: BatchLine[] = [];
	const flush = () => {
		if (current.length === 0) return;
		const model = current[0].model;
		const groups = byModel.get(model) ?? [];
		groups.push(current);
		byModel.set(model, groups);
		current = [];
	};
	for (const line of lines) {
		if (current.length && current[0].itemIndex !== line.itemIndex) flush();
		current.push(line);
	}
	flush();

	const files: BatchFilePlan[] = [];
	for (const [model, items] of byModel) {
		let file: BatchFilePlan = { model, lines: [], bytes: 0 };
		for (const itemLines of items) {
			const bytes = itemLines.reduce((sum, line) => sum + line.bytes, 0);
			if (itemLines.length > limits.maxLines || bytes > limits.maxBytes) {
				throw new LineTooLargeError(itemLines[0].itemIndex, bytes, itemLines.length);
			}
			if (file.lines.length + itemLines.length > limits.maxLines || file.bytes + bytes > limits.maxBytes) {
				files.push(file);
				file = { model, lines: [], bytes: 0 };
			}
			file.lines.push(...itemLines);
			file.bytes += bytes;
		}
		if (file.lines.length) files.push(file);
	}
	return files;
}
