/** Child processes for the e2e suite: one place that spawns, times out and captures output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { constants } from 'node:os';

export interface RunOptions {
	cwd?: string;
	env?: NodeJS.ProcessEnv;
	timeoutMs: number;
	/** Append stdout and stderr here instead of keeping them in memory. */
	logFile?: string;
	/** Run as this user and group (when this process is root; e.g. PostgreSQL refuses to run as root). */
	uid?: number;
	gid?: number;
}

export interface RunResult {
	/** The exit code; 128 + the signal's number when a signal ended the process (as shells report it). */
	exitCode: number;
	/** The signal that ended the process, if one did. */
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	durationMs: number;
}

export class ProcessError extends Error {
	constructor(
		message: string,
		readonly result: RunResult,
	) {
		super(message);
	}
}

/** Runs a command to completion; kills its whole process group when the timeout passes. */
export async function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
	const started = Date.now();
	const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
	log?.write(`\n$ ${[command, ...args].join(' ')}  (cwd ${options.cwd ?? process.cwd()})\n`);
	const child = spawn(command, args, {
		cwd: options.cwd,
		env: options.env,
		stdio: ['ignore', 'pipe', 'pipe'],
		// Own process group, so a timeout also stops grandchildren (node-gyp, n8n's task runner).
		detached: true,
		uid: options.uid,
		gid: options.gid,
	});
	live.add(child);
	child.on('exit', () => live.delete(child));
	const stdout: Buffer[] = [];
	const stderr: Buffer[] = [];
	child.stdout.on('data', (chunk: Buffer) => (log ? log.write(chunk) : stdout.push(chunk)));
	child.stderr.on('data', (chunk: Buffer) => (log ? log.write(chunk) : stderr.push(chunk)));

	let timedOut = false;
	const timer = setTimeout(() => {
		timedOut = true;
		killGroup(child.pid);
	}, options.timeoutMs);

	const [exitCode, signal] = await new Promise<[number, NodeJS.Signals | null]>((resolve, reject) => {
		child.on('error', reject);
		child.on('close', (code, signal) => resolve([code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1), signal]));
	}).finally(() => clearTimeout(timer));
	if (log) await new Promise<void>((resolve) => log.end(resolve));

	const result: RunResult = {
		exitCode,
		signal,
		stdout: Buffer.concat(stdout).toString('utf8'),
		stderr: Buffer.concat(stderr).toString('utf8'),
		durationMs: Date.now() - started,
	};
	if (timedOut) {
		throw new ProcessError(
			`${command} ${args.join(' ')} timed out after ${Math.round(options.timeoutMs / 1000)} s`,
			result,
		);
	}
	return result;
}

/** `run`, throwing (with its output) unless the command exits 0. */
export async function mustRun(command: string, args: string[], options: RunOptions): Promise<RunResult> {
	const result = await run(command, args, options);
	if (result.exitCode !== 0) {
		throw new Error(`${command} ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
	}
	return result;
}

/** Children still running: stopped with their groups when this process ends. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
	for (const child of live) killGroup(child.pid);
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
	process.once(signal, () => {
		for (const child of live) killGroup(child.pid);
		// A script that handles the signal itself (scripts/dev.ts stops n8n's editor gracefully)
		// exits when it is done; otherwise exit now.
		if (process.listenerCount(signal) > 0) return;
		process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
	});
}

function killGroup(pid: number | undefined): void {
	if (pid === undefined) return;
	try {
		process.kill(-pid, 'SIGKILL');
	} catch {
		// Already gone.
	}
}

/** The environment for child tools: without settings that `npm run` or tsx leak into it. */
export function cleanEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
	for (const [key, value] of Object.entries(base)) {
		if (value === undefined) continue;
		// `npm run` exports the project's config (e.g. ignore-scripts=true) as npm_config_*.
		if (key.toLowerCase().startsWith('npm_') && !keep.has(key.toLowerCase())) continue;
		if (key === 'NODE_OPTIONS' || key.startsWith('N8N_') || key === 'INIT_CWD') continue;
		env[key] = value;
	}
	return env;
}
