/**
 * Long-running children (n8n's editor) and clean shutdown for `npm run dev`, `npm run demo`
 * and the browser test: every child gets its own process group, is stopped gracefully
 * (SIGTERM, then SIGKILL) when the script ends or gets Ctrl-C, and is killed for sure when
 * this process exits in any other way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface Service {
	readonly name: string;
	readonly pid: number;
	/** Resolves with the exit code (128 + n for a signal) when the process has ended. */
	readonly exited: Promise<number>;
	/** The last lines it printed (stdout and stderr), for error messages. */
	tail(lines?: number): string;
	/** SIGTERM to its group, SIGKILL after `graceMs`; resolves when it has ended. */
	stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
	cwd?: string;
	env?: NodeJS.ProcessEnv;
	/** Everything it prints is appended here. */
	logFile?: string;
	/** Also called with each line it prints. */
	onLine?: (line: string) => void;
	/** Run as this user and group (when this process is root; e.g. PostgreSQL refuses to run as root). */
	uid?: number;
	gid?: number;
}

const running = new Set<ChildProcess>();

export function startService(name: string, command: string, args: string[], options: StartOptions = {}): Service {
	const child = spawn(command, args, {
		cwd: options.cwd,
		env: options.env,
		stdio: ['ignore', 'pipe', 'pipe'],
		// Its own group: Ctrl-C in the terminal reaches this script only, which stops the child
		// in order; and stopping the group also stops the child's children (n8n's task runner).
		detached: true,
		uid: options.uid,
		gid: options.gid,
	});
	if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
	running.add(child);
	const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
	const recent: string[] = [];
	let partial = '';
	const onData = (chunk: Buffer) => {
		log?.write(chunk);
		const lines = (partial + chunk.toString('utf8')).split(/\r?\n/);
		partial = lines.pop() ?? '';
		for (const line of lines) {
			recent.push(line);
			if (recent.length > 200) recent.shift();
			options.onLine?.(line);
		}
	};
	child.stdout?.on('data', onData);
	child.stderr?.on('data', onData);
	const exited = new Promise<number>((resolve) => {
		child.on('error', () => resolve(127));
		child.on('close', (code, signal) => {
			running.delete(child);
			log?.end();
			resolve(code ?? (signal ? 128 : 1));
		});
	});
	const pid = child.pid;
	return {
		name,
		pid,
		exited,
		tail: (lines = 40) => recent.slice(-lines).join('\n'),
		async stop(graceMs = 10_000) {
			if (!running.has(child)) return;
			signalGroup(pid, 'SIGTERM');
			const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
			await exited;
			clearTimeout(timer);
			signalGroup(pid, 'SIGKILL'); // whatever of the group outlived its leader
		},
	};
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// Already gone.
	}
}

// Whatever way this process ends, no child outlives it.
process.on('exit', () => {
	for (const child of running) if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
});

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];
let shuttingDown: Promise<void> | undefined;

/** Registers a step for shutdown; steps run last-registered first. Returns an unregister function. */
export function onShutdown(cleanup: Cleanup): () => void {
	cleanups.push(cleanup);
	return () => {
		const index = cleanups.indexOf(cleanup);
		if (index !== -1) cleanups.splice(index, 1);
	};
}

export function isShuttingDown(): boolean {
	return shuttingDown !== undefined;
}

/** Runs the registered shutdown steps (once; later calls wait for the same run). */
export function shutdown(): Promise<void> {
	shuttingDown ??= (async () => {
		while (cleanups.length > 0) {
			const cleanup = cleanups.pop()!;
			try {
				await cleanup();
			} catch (error) {
				process.stderr.write(`shutdown: ${error instanceof Error ? error.message : String(error)}\n`);
			}
		}
	})();
	return shuttingDown;
}

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP run the shutdown steps, then exit; Ctrl-C again (a
 * second later or more) exits at once (the children are still killed by the exit hook).
 * Signals within that second are one Ctrl-C: the terminal signals every process of the
 * group, and `npm run` and tsx pass it on to their child once more.
 */
export function exitOnSignals(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
	let firstAt = 0;
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		process.on(signal, () => {
			const code = 128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15);
			if (shuttingDown) {
				if (Date.now() - firstAt < 1000) return;
				log('stopping now');
				process.exit(code);
			}
			firstAt = Date.now();
			log(`${signal}: stopping (Ctrl-C again to force)`);
			void shutdown().then(() => process.exit(code));
		});
	}
}
