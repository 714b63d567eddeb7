/** What the e2e suite reads from the host lockfiles: entries, tarball addresses, integrity. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface LockEntry {
	version?: string;
	integrity?: string;
	resolved?: string;
	name?: string;
	link?: boolean;
	optional?: boolean;
	os?: string | string[];
	cpu?: string | string[];
	[key: string]: unknown;
}
export interface Lockfile {
	packages: Record<string, LockEntry>;
	[key: string]: unknown;
}

/** The registry's tarball address of a package (the layout every npm registry uses). */
export function tarballUrl(registry: string, name: string, version: string): string {
	const base = registry.endsWith('/') ? registry : `${registry}/`;
	return `${base}${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${version}.tgz`;
}

/** The package name behind a lockfile path (aliases carry their real name in `name`). */
export function packageName(path: string, entry: LockEntry): string {
	return entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** The strongest hash of an SRI string (lockfiles may list several, e.g. sha512 and sha1). */
function strongest(integrity: string): [algorithm: string, digest: string] {
	const hashes = integrity.trim().split(/\s+/).map((hash) => hash.split(/-(.*)/s) as [string, string]);
	return hashes.find(([algorithm]) => algorithm === 'sha512') ?? hashes[0];
}

export function verifyIntegrity(body: Buffer, integrity: string, what: string): void {
	const [algorithm, expected] = strongest(integrity);
	if (!algorithm || !expected) throw new Error(`No usable integrity for ${what}`);
	if (createHash(algorithm).update(body).digest('base64') !== expected) {
		throw new Error(`${what} does not match the lockfile's integrity ${integrity}`);
	}
}

export function verifyFile(file: string, integrity: string): void {
	verifyIntegrity(readFileSync(file), integrity, file);
}
