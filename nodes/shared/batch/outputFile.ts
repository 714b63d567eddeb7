/**
 * Interim reader of batch output and error files (branch i17): the `reader` branch replaces this
 * file with its own, of the same contract. Lines are read one at a time from the byte stream;
 * each line is parsed with the in-place base64 decoder (transport/answer.ts).
 */
import type { ApiAnswer } from '../transport/http';
import { parseImageAnswer } from '../transport/answer';

export interface BatchOutputLine {
	/** 1-based, in its file. */
	lineNumber: number;
	customId: string;
	/** The line's `response` as an answer of the direct kind. */
	answer?: ApiAnswer;
	/** The line's `error` object when response is null (e.g. { code: 'batch_expired', message }). */
	error?: { code?: string; message?: string };
}

/** Lines of a batch output or error file, in file order, read from a byte stream. */
export async function* readBatchOutput(stream: AsyncIterable<Buffer>, read: 'images' | 'json'): AsyncGenerator<BatchOutputLine> {
	let lineNumber = 0;
	let pending: Buffer[] = [];
	const parse = (raw: Buffer): BatchOutputLine | undefined => {
		lineNumber++;
		if (raw.length === 0 || /^\s*$/.test(raw.subarray(0, 8).toString())) return undefined;
		const parsed = read === 'images' ? parseImageAnswer(raw) : { body: JSON.parse(raw.toString()) as unknown, images: undefined };
		const line = parsed.body as { custom_id?: string; response?: { status_code?: number; request_id?: string; body?: unknown } | null; error?: { code?: string; message?: string } | null };
		const response = line.response;
		return {
			lineNumber,
			customId: String(line.custom_id ?? ''),
			answer: response
				? {
						status: Number(response.status_code ?? 0),
						headers: response.request_id ? { 'x-request-id': response.request_id } : {},
						body: response.body,
						images: parsed.images,
						attempts: 1,
					}
				: undefined,
			error: response ? undefined : (line.error ?? undefined),
		};
	};
	for await (const chunk of stream) {
		let start = 0;
		for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
			pending.push(chunk.subarray(start, newline));
			const line = parse(Buffer.concat(pending));
			pending = [];
			if (line) yield line;
			start = newline + 1;
		}
		if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
	}
	if (pending.length) {
		const line = parse(Buffer.concat(pending));
		if (line) yield line;
	}
}
