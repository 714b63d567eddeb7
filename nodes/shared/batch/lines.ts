/**
 * JSON Lines from a byte stream, one parsed line at a time (batch input files read back by
 * Image Batch): never the whole file in memory. Blank lines are skipped.
 */
export async function* jsonLines(stream: AsyncIterable<Buffer>): AsyncGenerator<Record<string, unknown>> {
	let pending: Buffer[] = [];
	const parse = (raw: Buffer) => (raw.toString().trim() === '' ? undefined : (JSON.parse(raw.toString()) as Record<string, unknown>));
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
	const last = parse(Buffer.concat(pending));
	if (last) yield last;
}
