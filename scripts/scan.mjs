#!/usr/bin/env node
/**
 * n8n's verification scanner (`@n8n/scan-community-package`, the exact version in package.json)
 * run as n8n runs it, on this checkout instead of a published package:
 *  1. the source: `analyzePackage(dir, SOURCE_FILE_PATTERNS)` (package.json, nodes/, credentials/);
 *  2. the packed package: `npm pack` of this checkout (the built dist/ must exist: `npm run
 *     build` first), unpacked, then `analyzePackage(dir, ['**\/*.js', 'package.json'])`.
 * These are the scanner's own exported functions, with its own ESLint config and
 * `allowInlineConfig: false` (eslint-disable comments are not honoured). Only the registry steps
 * of its CLI (provenance, downloading the published tarball and its GitHub source) are left out:
 * they need a published version. Exits 1 when either leg fails, printing the scanner's report.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = resolve(process.argv[2] ?? '.');
const work = mkdtempSync(join(tmpdir(), 'n8n-scan-'));
let failed = false;

function report(label, result) {
	if (result.passed) {
		console.log(`✅ ${label}: passed n8n's scanner`);
		return;
	}
	failed = true;
	console.log(`❌ ${label}: ${result.message}`);
	if (result.details) console.log(result.details);
}

try {
	report('source (package.json, nodes/, credentials/)', await analyzePackage(root, SOURCE_FILE_PATTERNS));

	execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work, root], { stdio: ['ignore', 'ignore', 'inherit'] });
	const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
	if (!tarball) throw new Error('npm pack made no tarball');
	const packageDir = join(work, 'package');
	execFileSync('tar', ['-xzf', join(work, tarball), '-C', work]);
	if (!readdirSync(packageDir).includes('dist')) throw new Error('the packed package has no dist/: run npm run build first');
	report(`packed package (${tarball})`, await analyzePackage(packageDir, ['**/*.js', 'package.json']));
} finally {
	rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
