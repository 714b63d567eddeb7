/** The per-machine cache of the e2e suite: where it lives, and a lock for filling it. */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';

const LOCK_WAIT_MS = 20 * 60_000;

/** `$N8N_E2E_CACHE_DIR`, else `${XDG_CACHE_HOME:-~/.cache}/n8n-nodes-create-image/e2e`. */
export function cacheRoot(): string {
	if (process.env.N8N_E2E_CACHE_DIR) return resolve(process.env.N8N_E2E_CACHE_DIR);
	const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
	return join(xdg, 'n8n-nodes-create-image', 'e2e');
}

/**
 * Runs `fn` while holding a lock folder (mkdir is atomic). A lock whose owner process has
 * died on this machine is taken over; otherwise this waits for it to go.
 */
export async function withLock<T>(lockDir: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
	mkdirSync(resolve(lockDir, '..'), { recursive: true });
	const ownerFile = join(lockDir, 'owner.json');
	const deadline = Date.now() + LOCK_WAIT_MS;
	let announced = false;
	for (;;) {
		try {
			mkdirSync(lockDir);
			writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, host: hostname() }));
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		if (lockIsStale(lockDir, ownerFile)) {
			rmSync(lockDir, { recursive: true, force: true });
			continue;
		}
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockDir}; remove it if no install is running`);
		if (!announced) log(`waiting for another run that holds ${lockDir}`);
		announced = true;
		await new Promise((wake) => setTimeout(wake, 1000));
	}
	try {
		return await fn();
	} finally {
		rmSync(lockDir, { recursive: true, force: true });
	}
}

function lockIsStale(lockDir: string, ownerFile: string): boolean {
	let owner: { pid: number; host: string };
	try {
		owner = JSON.parse(readFileSync(ownerFile, 'utf8'));
	} catch {
		// No owner file: just taken (not stale), or its owner died before writing it.
		try {
			return Date.now() - statSync(lockDir).mtimeMs > 60_000;
		} catch {
			return false;
		}
	}
	if (owner.host !== hostname() || owner.pid === process.pid) return false;
	try {
		process.kill(owner.pid, 0);
		return false;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'ESRCH';
	}
}
