/** Installs the real n8n hosts into the per-machine cache: `npx tsx e2e/install-hosts.ts [n8n-2] [n8n-1]`. */
import { ensureHost, HOST_NAMES, type HostName } from './lib/hosts';

async function main() {
	const requested = process.argv.slice(2) as HostName[];
	const names = requested.length > 0 ? requested : [...HOST_NAMES];
	for (const name of names) {
		if (!HOST_NAMES.includes(name)) throw new Error(`Unknown host ${name}; known: ${HOST_NAMES.join(', ')}`);
	}
	const started = Date.now();
	// In parallel: downloads and extraction overlap with the other host's compile.
	const hosts = await Promise.all(names.map((name) => ensureHost(name)));
	for (const host of hosts) {
		console.log(`${host.name}: n8n ${host.n8nVersion} ${host.installed ? 'installed' : 'cached'} in ${host.dir}`);
	}
	console.log(`hosts ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
