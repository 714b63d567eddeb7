/**
 * Scenario 5 of the benchmark (issue 17): reading a Batch API output file of N images of ~1.5 MB
 * (300: about 600 MB of JSONL) the way the node does, in n8n's filesystem binary mode.
 *
 * The file is written once to a temp folder (deleted after) and served over loopback HTTP by a
 * child process (scripts/bench/file-server.ts), as `GET /v1/files/{id}/content`. In n8n's engine,
 * a bench node reads it through n8n's HTTP helper as a byte stream (`encoding: 'stream'`), with
 * the BUILT reader (dist/nodes/shared/batch/outputFile.js), makes each line's images with the
 * node's own output code (imagesFromAnswer, imageItems: prepareBinaryData, which in filesystem
 * mode writes each image to disk and keeps an id). This is the node's reading path; the batch
 * itself (upload, create, poll) is not part of it. Figures: peak memory growth over the process's
 * baseline, and the read speed against plain line-by-line reading of the same file (node:readline
 * over the same HTTP stream) in the same process.
 */
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { constants, PerformanceObserver } from 'node:perf_hooks';

import { NodeConnectionTypes, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeType } from 'n8n-workflow';

import type * as OutputFile from '../../nodes/shared/batch/outputFile';
import type * as Output from '../../nodes/shared/output';
import type { ItemConfig } from '../../nodes/shared/parameters';
import type { SendSettings } from '../../nodes/shared/transport/http';
import { binaryBuffer, chain, FIXTURE_TYPES, PACKAGE_DIR, runWorkflow } from '../../test/helpers/engine';
import { getImage } from '../../test/server/images';
import { startFileServer } from './file-server';
import { gcNow, MB, memorySampler, nodeTypes, sleep } from './scenarios';

export interface BatchReadParams {
	/** Lines of the output file, one 1024x1024 noise PNG (~1.5 MB) each. */
	images: number;
	/** Reads of each baseline (medians taken); 0: memory and the node path only. */
	rounds: number;
}

const CONTENT_PATH = '/v1/files/file-bench-output/content';
const WARM_UP_PATH = '/v1/files/file-bench-warm-up/content';
const READER = 'Read Batch File';

interface Built {
	outputFile: typeof OutputFile;
	output: typeof Output;
}

/** The built modules the node reads with: this repository's dist/, or --package DIR's. */
async function builtModules(): Promise<Built> {
	const shared = join(process.env.BENCH_PACKAGE_DIR || PACKAGE_DIR, 'dist', 'nodes', 'shared');
	const load = async <T>(file: string) => (await import(pathToFileURL(join(shared, file)).href)) as T;
	return { outputFile: await load<typeof OutputFile>('batch/outputFile.js'), output: await load<typeof Output>('output.js') };
}

/** What a Create Image item in batch mode is configured with (the fields the output code reads). */
const CONFIG = {
	model: 'gpt-image-2',
	prompt: 'a lighthouse at dawn',
	resultFormat: 'images',
	binaryPropertyName: 'data',
	fileName: '',
} as unknown as ItemConfig;

/**
 * A bench-only node: GET the file through n8n's helper as a stream, then for each line what the
 * node's batch mode does with it (nodes/shared/batch/run.ts on branch i17): imagesFromAnswer, then
 * imageItems (prepareBinaryData). Item index from the custom_id (`item-<index>-<part>`).
 */
function readerNode({ outputFile, output }: Built): INodeType {
	return {
		description: {
			displayName: 'Read Batch File (bench)',
			name: 'benchReadBatchFile',
			group: ['transform'],
			version: 1,
			description: "Reads a batch output file as Create Image's batch mode does",
			defaults: { name: READER },
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			properties: [
				{ displayName: 'URL', name: 'url', type: 'string', default: '' },
				{ displayName: 'Store Images', name: 'store', type: 'boolean', default: true },
			],
		},
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			const response = (await this.helpers.httpRequest({
				method: 'GET',
				url: this.getNodeParameter('url', 0) as string,
				encoding: 'stream',
				returnFullResponse: true,
				timeout: 600_000,
			})) as { body: AsyncIterable<Buffer> & { destroy(): void } };
			const settings = { timeout: 600_000, maxRetries: 0 } as SendSettings;
			const store = this.getNodeParameter('store', 0) as boolean;
			const items: INodeExecutionData[] = [];
			try {
				for await (const line of outputFile.readBatchOutput(response.body, 'images')) {
					if (!line.answer) throw new Error(`line ${line.lineNumber}: ${line.error?.message}`);
					const itemIndex = Number(line.customId.split('-')[1]);
					const { images } = await output.imagesFromAnswer(this, CONFIG, line.answer, { receivedAt: Date.now(), settings: { ...settings, itemIndex } });
					for (const image of images) Object.assign(image.json, { customId: line.customId });
					if (store) items.push(...(await output.imageItems(this, itemIndex, CONFIG, images)));
					else items.push(...images.map((image) => ({ json: { bytes: image.data.length } })));
				}
			} finally {
				response.body.destroy();
			}
			return [items];
		},
	};
}

/**
 * Writes an output file of `count` lines (custom_ids shuffled, as the Batch API's output is in
 * any order), each with `png` as its one image; returns its size in bytes.
 */
async function writeOutputFile(path: string, count: number, png: Buffer): Promise<number> {
	const b64 = png.toString('base64');
	const order = Array.from({ length: count }, (_, i) => i);
	for (let i = count - 1, seed = 1; i > 0; i--) {
		seed = (seed * 48271) % 2147483647;
		const j = seed % (i + 1);
		[order[i], order[j]] = [order[j], order[i]];
	}
	const out = createWriteStream(path);
	for (const index of order) {
		const body = `{"created":1764748800,"background":"opaque","data":[{"b64_json":"${b64}"}],"output_format":"png","quality":"medium","size":"1024x1024","usage":{"input_tokens":12,"input_tokens_details":{"image_tokens":0,"text_tokens":12},"output_tokens":1056,"total_tokens":1068}}`;
		const line = `{"id":"batch_req_${index}","custom_id":"item-${index}-0","response":{"status_code":200,"request_id":"req_${index}","body":${body}},"error":null}\n`;
		if (!out.write(line)) await once(out, 'drain');
	}
	out.end();
	await once(out, 'close');
	return statSync(path).size;
}

/** Wall and CPU time (this process, all its threads, GC included) in ms; GC pauses (ms, count of major GCs). */
export interface Timing {
	ms: number;
	cpuMs: number;
	gcMs: number;
	majorGcs: number;
}

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
	let gcMs = 0;
	let majorGcs = 0;
	const observer = new PerformanceObserver((list) => {
		for (const entry of list.getEntries()) {
			gcMs += entry.duration;
			if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
		}
	});
	observer.observe({ entryTypes: ['gc'] });
	const cpu = process.cpuUsage();
	const started = performance.now();
	await fn();
	const used = process.cpuUsage(cpu);
	const ms = performance.now() - started;
	// GC entries are delivered asynchronously.
	await sleep(50);
	observer.disconnect();
	return { ms, cpuMs: (used.user + used.system) / 1000, gcMs, majorGcs };
}

/** GET `url` with node:http and hand its body to `read`. */
async function timedRead(url: string, read: (body: http.IncomingMessage) => Promise<void>): Promise<Timing> {
	return await timed(async () => {
		const body = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, resolve).on('error', reject));
		await read(body);
	});
}

/** The median wall time and the median CPU time of several timings. */
function median(timings: Timing[]): Timing | undefined {
	if (timings.length === 0) return undefined;
	const middle = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)];
	return {
		ms: middle(timings.map((t) => t.ms)),
		cpuMs: middle(timings.map((t) => t.cpuMs)),
		gcMs: middle(timings.map((t) => t.gcMs)),
		majorGcs: middle(timings.map((t) => t.majorGcs)),
	};
}

export async function batchRead(p: BatchReadParams): Promise<IDataObject> {
	const dir = mkdtempSync(join(os.tmpdir(), 'n8n-create-image-batch-bench-'));
	let server: Awaited<ReturnType<typeof startFileServer>> | undefined;
	try {
		const png = (await getImage({ width: 1024, height: 1024, format: 'png', mode: 'noise' })).buffer;
		const generated = performance.now();
		const fileBytes = await writeOutputFile(join(dir, 'output.jsonl'), p.images, png);
		const generateMs = performance.now() - generated;
		await writeOutputFile(join(dir, 'warm-up.jsonl'), 8, png);
		server = await startFileServer({ [CONTENT_PATH]: join(dir, 'output.jsonl'), [WARM_UP_PATH]: join(dir, 'warm-up.jsonl') });
		const url = `${server.url}${CONTENT_PATH}`;

		const built = await builtModules();
		nodeTypes.registerNode(readerNode(built));
		const runReader = async (from: string, store = true) => {
			const run = await runWorkflow({
				nodes: [
					{ name: 'Start', type: FIXTURE_TYPES.emitItems, parameters: { items: '[{}]' } },
					{ name: READER, type: 'benchReadBatchFile', parameters: { url: from, store } },
				],
				connections: chain('Start', READER),
				startNode: 'Start',
				binaryDataMode: 'filesystem',
				nodeTypes,
			});
			if (run.status !== 'success') throw new Error(`the reader failed: ${run.error?.message ?? run.status}`);
			return run.outputs(READER)[0] ?? [];
		};

		// Warm-up: load and JIT every code path, then let it go.
		await runReader(`${server.url}${WARM_UP_PATH}`);
		gcNow();
		await sleep(300);
		gcNow();
		const base = process.memoryUsage();
		const sampler = memorySampler(base);
		let items: INodeExecutionData[] = [];
		const node = await timed(async () => (items = await runReader(url)));
		const peak = sampler.stop();
		// What is still held after a full GC, the items included (ids and metadata only).
		gcNow();
		const retained = process.memoryUsage();

		// Every image stored, whole (checked on a few, read back from disk).
		let storedBytes = 0;
		for (const item of [items[0], items[Math.floor(items.length / 2)], items[items.length - 1]]) {
			const bytes = await binaryBuffer(item, 'data');
			if (!bytes.equals(png)) throw new Error('a stored image differs from the one in the file');
			storedBytes += bytes.length;
		}
		const inFilesystem = items.every((item) => item.binary?.data?.id !== undefined);

		// The node path without storing the images (n8n's helper, reader, imagesFromAnswer).
		let unstoredItems: INodeExecutionData[] = [];
		const unstored = p.rounds > 0 ? await timed(async () => (unstoredItems = await runReader(url, false))) : undefined;

		// The same file in the same process: plain line-by-line reading, the bytes alone, the reader
		// alone; interleaved, medians of p.rounds each (the machine's load varies).
		let lines = 0;
		let bytes = 0;
		let decoded = 0;
		const times: Record<'readline' | 'transfer' | 'reader', Timing[]> = { readline: [], transfer: [], reader: [] };
		for (let round = 0; round < p.rounds; round++) {
			lines = bytes = decoded = 0;
			times.readline.push(
				await timedRead(url, async (body) => {
					for await (const line of readline.createInterface({ input: body, crlfDelay: Infinity })) if (line.length) lines++;
				}),
			);
			times.transfer.push(
				await timedRead(url, async (body) => {
					for await (const chunk of body) bytes += (chunk as Buffer).length;
				}),
			);
			times.reader.push(
				await timedRead(url, async (body) => {
					for await (const line of built.outputFile.readBatchOutput(body, 'images')) decoded += line.answer?.images?.length ?? 0;
				}),
			);
		}
		return {
			images: p.images,
			rounds: p.rounds,
			ok: items.length,
			inFilesystem,
			imageBytes: png.length,
			storedBytesChecked: storedBytes,
			fileMB: fileBytes / MB,
			generateMs,
			node,
			unstored,
			unstoredOk: unstoredItems.length,
			readline: median(times.readline),
			readlineLines: lines,
			transfer: median(times.transfer),
			transferBytes: bytes,
			reader: median(times.reader),
			readerImages: decoded,
			times,
			baseRssMB: base.rss / MB,
			peakRssMB: peak.peakRss / MB,
			sampledPeakRssMB: peak.sampledPeakRss / MB,
			peakHeapExtMB: peak.peakHeapExt / MB,
			baseHeapExtMB: (base.heapUsed + base.external) / MB,
			retainedHeapExtMB: (retained.heapUsed + retained.external) / MB,
			retainedRssMB: retained.rss / MB,
			atPeak: peak.atPeak,
		};
	} finally {
		await server?.close();
		rmSync(dir, { recursive: true, force: true });
	}
}
