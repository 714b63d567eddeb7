/** Parent side of scripts/bench/server-child.ts: the image server in a child process. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { ImageServerOptions } from '../../test/server';
import type { ServedRequest } from './server-child';

export type { ServedRequest } from './server-child';

export interface ChildServer {
	url: string;
	baseUrl: string;
	apiKey: string;
	pid: number;
	/** Every answer the server wrote since start (or the last reset), and the server's CPU ms since then. */
	log(): Promise<{ log: ServedRequest[]; cpuMs: number }>;
	reset(): Promise<void>;
	close(): Promise<void>;
}

function request<T>(child: ChildProcess, type: string): Promise<T> {
	return new Promise((resolve, reject) => {
		const onMessage = (msg: { type: string }) => {
			if (msg.type !== type) return;
			child.off('message', onMessage);
			child.off('exit', onExit);
			resolve(msg as T);
		};
		const onExit = (code: number | null) => reject(new Error(`image server exited (${code}) while waiting for '${type}'`));
		child.on('message', onMessage);
		child.once('exit', onExit);
		if (type !== 'ready') child.send({ type });
	});
}

export async function startChildServer(opts: ImageServerOptions): Promise<ChildServer> {
	const child = fork(join(__dirname, 'server-child.ts'), [JSON.stringify(opts)], {
		execArgv: ['--import', 'tsx'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		// Its own heap; keep n8n and jest settings of the parent out of it.
		env: { ...process.env, NODE_OPTIONS: '' },
	});
	const ready = await request<{ url: string; baseUrl: string; apiKey: string }>(child, 'ready');
	return {
		url: ready.url,
		baseUrl: ready.baseUrl,
		apiKey: ready.apiKey,
		pid: child.pid!,
		log: async () => await request<{ log: ServedRequest[]; cpuMs: number }>(child, 'log'),
		reset: async () => {
			await request(child, 'reset');
		},
		close: async () => {
			if (child.exitCode !== null) return;
			const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
			child.disconnect();
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
			await exited;
			clearTimeout(timer);
		},
	};
}
