/**
 * Batch input files (nodes/shared/batch/plan.ts) with the Batch API's real limits (openai 7.59.0
 * `BatchCreateParams.input_file_id`: 50,000 requests and 200 MB per file): grouped by model,
 * split by lines and by encoded bytes, an item's lines never split across files. Line sizes are
 * given as numbers here, so the 200 MB split is checked without writing 200 MB.
 */
import { BATCH_LIMITS, encodeLine, LineTooLargeError, planFiles, type BatchLine } from '../nodes/shared/batch/plan';

const line = (itemIndex: number, model = 'gpt-image-2', bytes = 100, part = 0): BatchLine => ({
	customId: `item-${itemIndex}-${part}`,
	itemIndex,
	part,
	model,
	bytes,
});

const shape = (files: ReturnType<typeof planFiles>) => files.map((file) => ({ model: file.model, lines: file.lines.length, bytes: file.bytes }));

test('the limits are the API reference\'s: 50,000 lines and 200 MB (as 200,000,000 bytes) per input file', () => {
	expect(BATCH_LIMITS).toEqual({ maxLines: 50_000, maxBytes: 200_000_000 });
});

test('50,001 requests of one model make two files: 50,000 lines, then 1', () => {
	const lines = Array.from({ length: 50_001 }, (_, itemIndex) => line(itemIndex));
	const files = planFiles(lines);
	expect(shape(files)).toEqual([
		{ model: 'gpt-image-2', lines: 50_000, bytes: 5_000_000 },
		{ model: 'gpt-image-2', lines: 1, bytes: 100 },
	]);
	expect(files[1].lines[0].customId).toBe('item-50000-0');
});

test('exactly 50,000 requests fit in one file', () => {
	expect(shape(planFiles(Array.from({ length: 50_000 }, (_, i) => line(i))))).toEqual([{ model: 'gpt-image-2', lines: 50_000, bytes: 5_000_000 }]);
});

test('lines over 200 MB as encoded start a new file; exactly 200,000,000 bytes still fit', () => {
	// 3 lines of 70 MB: 140 MB fits, a third would make 210 MB.
	expect(shape(planFiles([line(0, 'gpt-image-2', 70_000_000), line(1, 'gpt-image-2', 70_000_000), line(2, 'gpt-image-2', 70_000_000)]))).toEqual([
		{ model: 'gpt-image-2', lines: 2, bytes: 140_000_000 },
		{ model: 'gpt-image-2', lines: 1, bytes: 70_000_000 },
	]);
	expect(shape(planFiles([line(0, 'gpt-image-2', 100_000_000), line(1, 'gpt-image-2', 100_000_000)]))).toEqual([
		{ model: 'gpt-image-2', lines: 2, bytes: 200_000_000 },
	]);
	expect(shape(planFiles([line(0, 'gpt-image-2', 100_000_000), line(1, 'gpt-image-2', 100_000_001)]))).toEqual([
		{ model: 'gpt-image-2', lines: 1, bytes: 100_000_000 },
		{ model: 'gpt-image-2', lines: 1, bytes: 100_000_001 },
	]);
});

test('one model per file: items of two models interleaved make one file per model, each in item order', () => {
	const lines = [line(0, 'gpt-image-2'), line(1, 'gpt-image-2.5-flare'), line(2, 'gpt-image-2'), line(3, 'gpt-image-2.5-flare'), line(4, 'gpt-image-2')];
	const files = planFiles(lines);
	expect(files.map((file) => [file.model, file.lines.map((l) => l.itemIndex)])).toEqual([
		['gpt-image-2', [0, 2, 4]],
		['gpt-image-2.5-flare', [1, 3]],
	]);
});

test("an item's lines (a split n) stay in one file: the file closes before the item rather than splitting it", () => {
	const lines = [
		...Array.from({ length: 49_999 }, (_, i) => line(i)),
		line(49_999, 'gpt-image-2', 100, 0),
		line(49_999, 'gpt-image-2', 100, 1),
	];
	const files = planFiles(lines);
	expect(files.map((file) => file.lines.length)).toEqual([49_999, 2]);
	expect(files[1].lines.map((l) => l.customId)).toEqual(['item-49999-0', 'item-49999-1']);
});

test('an item whose lines alone exceed 200 MB is refused, naming the item', () => {
	expect(() => planFiles([line(0), line(1, 'gpt-image-2', 200_000_001)])).toThrow(LineTooLargeError);
	try {
		planFiles([line(0), line(1, 'gpt-image-2', 200_000_001)]);
	} catch (error) {
		expect((error as LineTooLargeError).itemIndex).toBe(1);
	}
});

test('a line is the JSONL of the batch guide, its size counted in encoded bytes (UTF-8), newline included', () => {
	const encoded = encodeLine(3, 1, '/v1/images/generations', { model: 'gpt-image-2', prompt: 'café ☕' });
	const text = encoded.data!.toString();
	expect(text.endsWith('\n')).toBe(true);
	expect(JSON.parse(text)).toEqual({ custom_id: 'item-3-1', method: 'POST', url: '/v1/images/generations', body: { model: 'gpt-image-2', prompt: 'café ☕' } });
	expect(encoded.bytes).toBe(Buffer.byteLength(text));
	expect(encoded.bytes).toBeGreaterThan(text.length);
	expect(encoded).toMatchObject({ customId: 'item-3-1', itemIndex: 3, part: 1, model: 'gpt-image-2' });
});
