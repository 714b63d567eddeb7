/**
 * The servers n8n's queue mode needs beside n8n, started and stopped by the suite itself on
 * 127.0.0.1 and free ports: Redis (Debian's `redis-server`) and PostgreSQL 17 (postgres.ts).
 * Each lives in a temporary folder that `stop()` removes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { startService, type Service, type StartOptions } from '../../scripts/lib/processes';
import { freePorts } from './n8n';

export interface LocalServer {
	port: number;
	/** What n8n needs to reach it (environment variables). */
	env: Record<string, string>;
	logFile: string;
	/** Stops the server and removes its folder. */
	stop(): Promise<void>;
}

/** How to install Redis where it is missing: the suite says this, and `.ci/run` does it. */
export const REDIS_INSTALL_HINT = 'apt-get update && apt-get install -y redis-server (as root; .ci/run does this)';

/** The path of Debian's `redis-server` (or one on PATH); throws saying how to install it. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string {
	const candidates = [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
	for (const dir of candidates) {
		const path = join(dir, 'redis-server');
		if (existsSync(path)) return path;
	}
	throw new Error(`redis-server was not found (n8n's queue mode needs Redis). Install it: ${REDIS_INSTALL_HINT}`);
}

/**
 * Starts `redis-server` on 127.0.0.1 and a free port, without persistence; resolves once it
 * accepts connections. `env` has n8n's QUEUE_BULL_REDIS_HOST / QUEUE_BULL_REDIS_PORT.
 */
export async function startRedis(): Promise<LocalServer> {
	const bin = findRedisServer();
	const dir = mkdtempSync(join(tmpdir(), 'n8n-queue-redis-'));
	const [port] = await freePorts(1);
	const logFile = join(dir, 'redis.log');
	const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
	const service = await startUntilReady('redis-server', bin, args, /Ready to accept connections/, { cwd: dir, logFile }, dir);
	return {
		port,
		logFile,
		env: { QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(port) },
		stop: async () => {
			await service.stop(10_000);
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

/**
 * Starts a long-running process and resolves once it prints a line matching `ready`; throws
 * (with its last lines) when it exits first or `timeoutMs` passes, after stopping it and
 * removing `folder`.
 */
export async function startUntilReady(
	name: string,
	command: string,
	args: string[],
	ready: RegExp,
	options: StartOptions,
	folder: string,
	timeoutMs = 60_000,
): Promise<Service> {
	let markReady: () => void = () => undefined;
	const isReady = new Promise<void>((resolve) => (markReady = resolve));
	const service = startService(name, command, args, {
		...options,
		onLine: (line) => {
			options.onLine?.(line);
			if (ready.test(line)) markReady();
		},
	});
	let timer: NodeJS.Timeout | undefined;
	const exitedFirst = service.exited.then((code) => Promise.reject(new Error(`${name} exited (code ${code}) before it was ready`)));
	exitedFirst.catch(() => undefined); // it ends later, when stopped: not an error then
	try {
		await Promise.race([
			isReady,
			exitedFirst,
			new Promise<never>((_, reject) => {
				timer = setTimeout(() => reject(new Error(`${name} was not ready after ${timeoutMs / 1000} s`)), timeoutMs);
			}),
		]);
		return service;
	} catch (error) {
		await service.stop(5_000);
		const tail = service.tail(20);
		rmSync(folder, { recursive: true, force: true });
		throw new Error(`${(error as Error).message}\n${tail}`);
	} finally {
		clearTimeout(timer);
	}
}
