/**
 * The project's image server (test/server) in its own process, for the benchmark: its CPU and
 * memory stay out of the process that runs the node. Started with child_process.fork by
 * scripts/bench/server.ts; options come as JSON in argv[2]. Over IPC it answers:
 *   { type: 'log' }   -> { type: 'log', log: ServedRequest[], cpuMs }   (every generation answered)
 *   { type: 'reset' } -> { type: 'reset' }                               (clears log, window, counters)
 *   { type: 'set', opts } -> { type: 'set' }                             (server.set(opts), e.g. batchClock)
 * and sends { type: 'ready', url, baseUrl, apiKey } once listening.
 *
 * The log comes from node:http itself (request event -> response 'finish'), so it holds the status
 * the node really got and the server's own time for each answer (latency included).
 */
import http from 'node:http';

import { startImageServer, type ImageServerOptions } from '../../test/server';

export interface ServedRequest {
	/** Date.now() when the request arrived / when its answer was fully written. */
	start: number;
	end: number;
	/** Server time in ms (hrtime), from the request event to the answer being written. */
	ms: number;
	status: number;
	method: string;
	path: string;
}

const log: ServedRequest[] = [];
const cpuAtReset = { value: process.cpuUsage() };

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (this: http.Server, event: string, ...args: unknown[]): boolean {
	if (event === 'request') {
		const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
		const start = Date.now();
		const t0 = process.hrtime.bigint();
		res.once('finish', () => {
			log.push({
				start,
				end: Date.now(),
				ms: Number(process.hrtime.bigint() - t0) / 1e6,
				status: res.statusCode,
				method: req.method ?? '',
				path: (req.url ?? '').split('?')[0],
			});
		});
	}
	return (emit as (this: http.Server, event: string, ...args: unknown[]) => boolean).call(this, event, ...args);
} as typeof http.Server.prototype.emit;

async function main(): Promise<void> {
	const opts = JSON.parse(process.argv[2] ?? '{}') as ImageServerOptions;
	const server = await startImageServer(opts);
	process.on('message', (msg: { type: string; opts?: Partial<ImageServerOptions> }) => {
		if (msg.type === 'set') {
			server.set(msg.opts ?? {});
			process.send!({ type: 'set' });
		} else if (msg.type === 'log') {
			const cpu = process.cpuUsage(cpuAtReset.value);
			process.send!({ type: 'log', log, cpuMs: (cpu.user + cpu.system) / 1000 });
		} else if (msg.type === 'reset') {
			server.reset();
			log.length = 0;
			cpuAtReset.value = process.cpuUsage();
			process.send!({ type: 'reset' });
		}
	});
	process.on('disconnect', () => void server.close().then(() => process.exit(0)));
	process.send!({ type: 'ready', url: server.url, baseUrl: server.baseUrl, apiKey: server.apiKey });
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
