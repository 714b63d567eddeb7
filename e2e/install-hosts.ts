/**
 * Installs the real n8n hosts into the per-machine cache (cached after the first run):
 *   npx tsx e2e/install-hosts.ts [n8n-2] [n8n-1] [--prune]
 * --prune also removes cached hosts that the current lockfiles no longer use.
 */
import { cacheRoot, ensureHost, HOST_NAMES, pruneCache, type HostName } from './lib/hosts';

async function main() {
	const args = process.argv.slice(2);
	const prune = args.includes('--prune');
	const requested = args.filter((arg) => arg !== '--prune') as HostName[];
	const names = requested.length > 0 ? requested : [...HOST_NAMES];
	for (const name of names) {
		if (!HOST_NAMES.includes(name)) throw new Error(`Unknown host ${name}; known: ${HOST_NAMES.join(', ')}`);
	}
	const started = Date.now();
	// In parallel: one host's downloads and extraction overlap the other's and the sqlite3 compile.
	const hosts = await Promise.all(names.map((name) => ensureHost(name)));
	for (const host of hosts) {
		console.log(`${host.name}: n8n ${host.n8nVersion} ${host.installed ? 'installed' : 'cached'} in ${host.dir}`);
	}
	console.log(`hosts ready in ${((Date.now() - started) / 1000).toFixed(1)} s (cache: ${cacheRoot()})`);
	if (prune) {
		for (const dir of pruneCache()) console.log(`removed ${dir}`);
	}
}

main().catch((error) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
