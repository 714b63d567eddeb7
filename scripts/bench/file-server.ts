/**
 * A loopback HTTP server that serves files from disk as streams, in a process of its own (so that
 * its CPU and memory stay out of the measured process), for the batch scenario: the output file
 * as the Files API hands it over (`GET /v1/files/{id}/content`, openai 7.59.0 files.d.ts
 * `content()`). Forked by startFileServer with argv[2] = JSON { "/url/path": "/file/path" }; sends
 * { type: 'ready', url } once listening; exits when the parent disconnects.
 */
import { fork } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileServer {
	/** http://127.0.0.1:PORT */
	url: string;
	close(): Promise<void>;
}

/** Starts the server in a child process; `files` maps URL paths to files on disk. */
export async function startFileServer(files: Record<string, string>): Promise<FileServer> {
	const child = fork(__filename, [JSON.stringify(files)], {
		execArgv: ['--import', 'tsx'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		env: { ...process.env, NODE_OPTIONS: '' },
	});
	const url = await new Promise<string>((resolve, reject) => {
		child.once('message', (msg: { type: string; url: string }) => resolve(msg.url));
		child.once('exit', (code) => reject(new Error(`file server exited (${code}) before it was ready`)));
	});
	return {
		url,
		close: async () => {
			if (child.exitCode !== null) return;
			const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
			child.disconnect();
			await exited;
		},
	};
}

function serve(files: Record<string, string>): void {
	const server = http.createServer((req, res) => {
		const path = files[(req.url ?? '').split('?')[0]];
		if (req.method !== 'GET' || !path) {
			res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"No such file","code":"not_found"}}');
			return;
		}
		res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(path).size });
		createReadStream(path, { highWaterMark: 64 * 1024 }).pipe(res);
	});
	server.listen(0, '127.0.0.1', () => {
		process.send!({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
	});
	process.on('disconnect', () => {
		server.closeAllConnections();
		server.close(() => process.exit(0));
	});
}

if (require.main === module) serve(JSON.parse(process.argv[2] ?? '{}') as Record<string, string>);
