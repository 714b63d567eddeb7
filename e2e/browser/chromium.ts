/**
 * Headless Chromium (Debian's /usr/bin/chromium) through playwright-core, with a fresh profile
 * each time. The machine's network is closed: without these flags Chromium hangs on its own
 * background connections (QUIC, component updates, sync ...).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** What to tell the user when Chromium is not at CHROMIUM_PATH (undefined when it is there). */
export function chromiumMissing(): string | undefined {
	if (existsSync(CHROMIUM_PATH)) return undefined;
	return (
		`Chromium was not found at ${CHROMIUM_PATH}: the browser check drives Debian's Chromium. Install it with ` +
		'`apt-get update && apt-get install -y chromium` (as root; .ci/run does this), or point CHROMIUM_PATH at a Chromium binary.'
	);
}

const FLAGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

export interface Chromium {
	context: BrowserContext;
	/** Closes the browser and removes its profile. */
	close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
	const profile = mkdtempSync(join(tmpdir(), 'n8n-browser-profile-'));
	try {
		const context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM_PATH,
			headless: true,
			args: FLAGS,
			viewport: { width: 1440, height: 900 },
			// The scripts stop everything themselves (scripts/lib/processes.ts); playwright still
			// kills the browser when this process exits.
			handleSIGINT: false,
			handleSIGTERM: false,
			handleSIGHUP: false,
			timeout: 120_000,
		});
		let closed: Promise<void> | undefined;
		return {
			context,
			close: () =>
				(closed ??= context
					.close()
					.catch(() => undefined)
					.finally(() => rmSync(profile, { recursive: true, force: true }))),
		};
	} catch (error) {
		rmSync(profile, { recursive: true, force: true });
		throw error;
	}
}
