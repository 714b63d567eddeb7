/**
 * Browser test: the Create Image node inside n8n's real editor (n8n 2.41.1), in headless
 * Chromium. It starts what `npm run dev` starts (scripts/lib/dev-environment.ts) on a
 * temporary instance and a free port, signs in through the form, and checks, on the example
 * workflow, what a user sees:
 *
 *   - the canvas shows Create Image's two named outputs, Result and Configuration;
 *   - "Execute workflow" runs it in the editor (local image server): 3 items on each output,
 *     the Result files are named after the prompts' slugs;
 *   - the panel lists Model, Prompt, Result Format and Options;
 *   - the example workflow, saved before the per-model value lists, shows its saved Quality and
 *     keeps its parameters when saved again;
 *   - per model (typed in ID mode), the Options "Add option" list offers what that model
 *     takes: gpt-image-2 Background, Complexity, Output Format, Moderation (Output Compression once
 *     the format is JPEG or WEBP) and no Style
 *     or Response Format; dall-e-3 Style and Response Format and none of the GPT image ones,
 *     and options added for gpt-image-2 that dall-e-3 does not take leave the panel;
 *   - Size, Quality and Output Format offer the values of the chosen model (gpt-image-2,
 *     gpt-image-2.6-flare, dall-e-3), every value for an unknown id; gpt-image-2.6-flare with GIF
 *     offers the GIF frame options and no Output Compression, with SVG the SVG options.
 *   - the second example (Create Image -> Edit Image): Edit Image's two outputs, a run in the
 *     editor (2 edited images), its panel (Images among the parameters) and its options per
 *     model: Mask always, no Moderation or Style; Input Fidelity for gpt-image-1.5 (retired by
 *     OpenAI, still served elsewhere), Markup for gpt-image-2.5-flare (the screenshot).
 *
 * Screenshots (canvas.png, panel-gpt-image-2.png, panel-gpt-image-2.6-gif.png, panel-dall-e-3.png,
 * canvas-edit.png, panel-edit-image.png) go to `screenshotsDir`
 * (default .e2e/browser/screenshots; `e2e/browser/run.ts --update-screenshots` writes
 * docs/screenshots). A failed check saves the page as .e2e/browser/failures/failure-N.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startDevEnvironment, type DevEnvironment } from '../../scripts/lib/dev-environment';
import { CREATE_IMAGE_NODE, EXAMPLES, ROOT } from '../../scripts/lib/example';
import { launchChromium, type Chromium } from './chromium';
import { EditorPage } from './editor-page';

export interface BrowserSuiteOptions {
	/** A packed package to install (default: build and pack this checkout). */
	tgz?: string;
	/** Where the screenshots go (default .e2e/browser/screenshots). */
	screenshotsDir?: string;
}

export const DEFAULT_SCREENSHOTS_DIR = join(ROOT, '.e2e', 'browser', 'screenshots');
/** Where a failed check saves the page (never into docs/). */
export const FAILURES_DIR = join(ROOT, '.e2e', 'browser', 'failures');
export const DOCS_SCREENSHOTS_DIR = join(ROOT, 'docs', 'screenshots');

/** Options only GPT image models take, and options only DALL-E models take (display names). */
const GPT_IMAGE_OPTIONS: Array<[string, string]> = [
	['Background', 'background'],
	['Complexity', 'complexity'],
	['Output Format', 'outputFormat'],
	['Output Compression', 'outputCompression'],
	['Moderation', 'moderation'],
];
const DALL_E_OPTIONS: Array<[string, string]> = [
	['Style', 'style'],
	['Response Format', 'responseFormat'],
];
const GPT_IMAGE_ONLY = GPT_IMAGE_OPTIONS.map(([displayName]) => displayName);
/** Offered where answers report usage (GPT image models), not for DALL-E: nothing to price there. */
const PRICES = 'Prices per 1M Tokens';
const DALL_E_ONLY = DALL_E_OPTIONS.map(([displayName]) => displayName);
const PARAMETERS = ['Model', 'Prompt', 'Result Format', 'Options'];
/** The values each model's Size, Quality and Output Format offer (labels, in the panel's order). */
const GPT_IMAGE_2_SIZES = ['Auto', '1024x1024', '1024x1536', '1152x2048', '1440x2560', '1536x1024', '2048x1152', '2048x2048', '2160x3840', '2560x1440', '3840x2160'];
const VALUE_LISTS: Record<string, Record<'size' | 'quality' | 'outputFormat', string[]>> = {
	'gpt-image-2': { size: GPT_IMAGE_2_SIZES, quality: ['Auto', 'High', 'Low', 'Medium'], outputFormat: ['JPEG', 'PNG', 'WEBP'] },
	'gpt-image-2.6-flare': {
		size: ['Auto', '1024x1024', '1024x1536', '1536x1024'],
		quality: ['Auto', 'High', 'Low', 'Medium'],
		outputFormat: ['GIF', 'JPEG', 'PNG', 'SVG', 'WEBP'],
	},
};
const DALL_E_3_VALUES = { size: ['1024x1024', '1024x1792', '1792x1024'], quality: ['HD', 'Standard'] };
/** Every value, as offered for an id the node does not know. */
const EVERY_QUALITY = ['Auto', 'Extra High', 'HD', 'High', 'Low', 'Max', 'Medium', 'Standard'];
const EVERY_OUTPUT_FORMAT = ['GIF', 'JPEG', 'PNG', 'SVG', 'WEBP'];
const EDIT_IMAGE_NODE = EXAMPLES[1].resultNode;

export async function runBrowserSuite(
	log: (line: string) => void,
	options: BrowserSuiteOptions = {},
): Promise<{ passed: number; failed: number }> {
	const started = Date.now();
	const screenshots = options.screenshotsDir ?? DEFAULT_SCREENSHOTS_DIR;
	mkdirSync(screenshots, { recursive: true });
	rmSync(FAILURES_DIR, { recursive: true, force: true });
	const userFolder = mkdtempSync(join(tmpdir(), 'n8n-browser-suite-'));
	let passed = 0;
	let failed = 0;
	let dev: DevEnvironment | undefined;
	let chromium: Chromium | undefined;
	let page: EditorPage | undefined;
	let broken: string | undefined;

	const check = async (name: string, body: () => Promise<void>): Promise<void> => {
		if (broken) {
			log(`SKIP ${name} (after: ${broken})`);
			return;
		}
		const stepStarted = Date.now();
		try {
			await body();
			passed++;
			log(`PASS ${name} (${seconds(stepStarted)})`);
		} catch (error) {
			failed++;
			broken = name;
			mkdirSync(FAILURES_DIR, { recursive: true });
			const shot = join(FAILURES_DIR, `failure-${failed}.png`);
			const saved = await page?.page.screenshot({ path: shot }).then(() => ` (page: ${shown(shot)})`, () => '');
			log(`FAIL ${name} (${seconds(stepStarted)})${saved ?? ''}\n     ${errorText(error)}`);
		}
	};
	const screenshot = async (file: string, target?: 'panel') => {
		const path = join(screenshots, file);
		if (target === 'panel') await page!.screenshotPanel(path);
		else await page!.page.screenshot({ path });
		log(`     screenshot ${shown(path)}`);
	};

	try {
		await check('n8n with the package, the example workflow and an owner is up', async () => {
			dev = await startDevEnvironment({ userFolder, port: 'any', tgz: options.tgz, log: (line) => log(`     ${line}`) });
			chromium = await launchChromium();
			page = new EditorPage(chromium.context.pages()[0] ?? (await chromium.context.newPage()), dev.editor.url);
		});

		await check('signs in through the sign-in form', async () => {
			await page!.signIn(dev!.owner.email, dev!.owner.password);
		});

		await check('canvas: Create Image shows its two outputs, Result and Configuration', async () => {
			await page!.openWorkflow(dev!.workflowId);
			await expectEventually(() => page!.outputLabels(CREATE_IMAGE_NODE), ['Result', 'Configuration'], 'output labels');
		});

		await check('"Execute workflow" in the editor: 3 images on Result, 3 configurations passed on', async () => {
			await page!.executeWorkflow('Prompts Used');
			// The node's success mark and the edges' item counts are drawn in separate renders.
			await expectEventually(() => page!.edgeLabel(CREATE_IMAGE_NODE, 'Images'), '3 items', 'Result -> Images');
			await expectEventually(() => page!.edgeLabel(CREATE_IMAGE_NODE, 'Prompts Used'), '3 items', 'Configuration -> Prompts Used');
			await screenshot('canvas.png');
		});

		await check('a workflow saved before the per-model lists (the example as committed): the panel shows its saved Quality, and saving keeps its parameters as they were', async () => {
			const saved = JSON.parse(readFileSync(join(ROOT, 'examples', 'create-images.workflow.json'), 'utf8')) as {
				nodes: Array<{ name: string; parameters: unknown }>;
			};
			const before = saved.nodes.find((node) => node.name === CREATE_IMAGE_NODE)!.parameters;
			await page!.openNode(CREATE_IMAGE_NODE);
			expectEqual(await page!.inputValue('quality'), 'Low', 'Quality as saved');
			await page!.closeNode();
			await page!.page.keyboard.press('Control+s');
			const stored = await page!.storedWorkflow(dev!.workflowId);
			expectEqual(stored.nodes.find((node) => node.name === CREATE_IMAGE_NODE)!.parameters, before, 'Create Image parameters after opening and saving');
		});

		await check('panel: lists Model, Prompt, Result Format, Options; Result holds lighthouse.png, ramen.png, fox.png', async () => {
			// Tall enough for the panel screenshots to show every parameter without scrolling.
			await page!.page.setViewportSize({ width: 1440, height: 1300 });
			await page!.openNode(CREATE_IMAGE_NODE);
			const labels = await page!.parameterLabels();
			expectIncludes(labels, PARAMETERS, 'panel parameters');
			await expectEventually(() => page!.outputFileNames(0), ['lighthouse.png', 'ramen.png', 'fox.png'], 'Result files');
		});

		await check('gpt-image-2: "Add option" offers Background, Output Format, Moderation (and Output Compression once the format is WEBP); no Style, Response Format', async () => {
			const offered = await page!.addOptionList();
			const beforeFormat = GPT_IMAGE_ONLY.filter((name) => name !== 'Output Compression');
			expectIncludes(offered, beforeFormat, 'Add option (gpt-image-2)');
			// Output Compression applies to JPEG and WEBP only: with the default PNG it is not offered.
			expectExcludes(offered, [...DALL_E_ONLY, 'Output Compression'], 'Add option (gpt-image-2)');
			for (const [displayName, name] of GPT_IMAGE_OPTIONS.filter(([, n]) => n !== 'outputCompression')) {
				await page!.addOption(displayName, name);
			}
			await page!.selectValue('outputFormat', 'WEBP');
			expectIncludes(await page!.addOptionList(), ['Output Compression'], 'Add option (gpt-image-2, WEBP)');
			await page!.addOption('Output Compression', 'outputCompression');
			await screenshot('panel-gpt-image-2.png', 'panel');
		});

		await check('gpt-image-2: Size offers its presets and Auto, Quality four values, Output Format JPEG, PNG, WEBP', async () => {
			// The example sets Size by an expression: switched to a fixed value, it is a list.
			await page!.toFixed('size');
			for (const [parameter, expected] of Object.entries(VALUE_LISTS['gpt-image-2'])) {
				expectEqual(await page!.selectOptions(parameter), expected, `gpt-image-2 ${parameter}`);
			}
		});

		await check('gpt-image-2.6-flare (by ID): GIF and SVG, the standard sizes; with GIF, "Add option" offers the frame options and no Output Compression', async () => {
			await page!.setModelById('gpt-image-2.6-flare');
			for (const [parameter, expected] of Object.entries(VALUE_LISTS['gpt-image-2.6-flare'])) {
				await expectEventually(() => page!.selectOptions(parameter), expected, `gpt-image-2.6-flare ${parameter}`);
			}
			await page!.selectValue('outputFormat', 'GIF');
			await page!.parameterInput('outputCompression').waitFor({ state: 'detached' });
			const offered = await page!.addOptionList();
			expectIncludes(offered, ['GIF Frame Count', 'GIF Frame Duration'], 'Add option (2.6, GIF)');
			expectExcludes(offered, ['Output Compression', 'SVG Author Model', 'SVG Reasoning Effort'], 'Add option (2.6, GIF)');
			await page!.addOption('GIF Frame Count', 'frameCount');
			await page!.addOption('GIF Frame Duration', 'frameDurationMs');
			await screenshot('panel-gpt-image-2.6-gif.png', 'panel');
			await page!.selectValue('outputFormat', 'SVG');
			await page!.parameterInput('frameCount').waitFor({ state: 'detached' });
			expectIncludes(await page!.addOptionList(), ['SVG Author Model', 'SVG Reasoning Effort'], 'Add option (2.6, SVG)');
			await page!.closeDropdown();
			await page!.selectValue('outputFormat', 'WEBP');
		});

		await check('an id the node does not know: every value of Quality and Output Format', async () => {
			await page!.setModelById('my-local-model');
			await expectEventually(() => page!.selectOptions('quality'), EVERY_QUALITY, 'my-local-model quality');
			expectEqual(await page!.selectOptions('outputFormat'), EVERY_OUTPUT_FORMAT, 'my-local-model outputFormat');
			await page!.setModelById('gpt-image-2');
		});

		await check('dall-e-3 (by ID): the GPT image options leave the panel; "Add option" offers Style, Response Format and none of them (nor Prices per 1M Tokens)', async () => {
			await page!.setModelById('dall-e-3');
			for (const [, name] of GPT_IMAGE_OPTIONS) await page!.parameterInput(name).waitFor({ state: 'detached' });
			const offered = await page!.addOptionList();
			expectIncludes(offered, DALL_E_ONLY, 'Add option (dall-e-3)');
			expectExcludes(offered, [...GPT_IMAGE_ONLY, PRICES], 'Add option (dall-e-3)');
			for (const [displayName, name] of DALL_E_OPTIONS) await page!.addOption(displayName, name);
			await screenshot('panel-dall-e-3.png', 'panel');
		});

		await check('dall-e-3: Size offers 1024x1024, 1024x1792, 1792x1024; Quality HD and Standard', async () => {
			for (const [parameter, expected] of Object.entries(DALL_E_3_VALUES)) {
				expectEqual(await page!.selectOptions(parameter), expected, `dall-e-3 ${parameter}`);
			}
		});

		await check('back to gpt-image-2: Style and Response Format leave the panel; "Add option" offers the GPT image options again', async () => {
			await page!.setModelById('gpt-image-2');
			for (const [, name] of DALL_E_OPTIONS) await page!.parameterInput(name).waitFor({ state: 'detached' });
			// n8n drops the values of options that were hidden: they are offered again, not shown.
			const offered = await page!.addOptionList();
			// Output Compression waits for Output Format to be JPEG or WEBP again.
			expectIncludes(offered, [...GPT_IMAGE_ONLY.filter((name) => name !== 'Output Compression'), PRICES], 'Add option (gpt-image-2 again)');
			expectExcludes(offered, DALL_E_ONLY, 'Add option (gpt-image-2 again)');
			await page!.closeDropdown();
		});

		await check('Create Image -> Edit Image example: Edit Image shows Result and Configuration; "Execute workflow" edits 2 images', async () => {
			// Leaving the changed workflow: accept the browser's "leave the page?" question.
			page!.page.once('dialog', (dialog) => void dialog.accept());
			await page!.openWorkflow(dev!.workflowIds[1]);
			await expectEventually(() => page!.outputLabels(EDIT_IMAGE_NODE), ['Result', 'Configuration'], 'Edit Image output labels');
			await page!.executeWorkflow('Edited Images');
			await expectEventually(() => page!.edgeLabel(CREATE_IMAGE_NODE, EDIT_IMAGE_NODE), '2 items', 'Create Image -> Edit Image');
			await expectEventually(() => page!.edgeLabel(EDIT_IMAGE_NODE, 'Edited Images'), '2 items', 'Result -> Edited Images');
			await expectEventually(() => page!.edgeLabel(EDIT_IMAGE_NODE, 'Product Photos'), '2 items', 'Configuration -> Product Photos');
			await screenshot('canvas-edit.png');
		});

		await check('Edit Image panel: lists Model, Prompt, Images, Result Format, Options; Result holds teapot-in-scene.png, sneaker-in-scene.png', async () => {
			await page!.openNode(EDIT_IMAGE_NODE);
			expectIncludes(await page!.parameterLabels(), ['Model', 'Prompt', 'Images', 'Result Format', 'Options'], 'Edit Image parameters');
			await expectEventually(() => page!.outputFileNames(0), ['teapot-in-scene.png', 'sneaker-in-scene.png'], 'Edit Image Result files');
		});

		await check('Edit Image options per model: Mask always, never Moderation or Style; Input Fidelity for gpt-image-1.5; Markup for gpt-image-2.5-flare', async () => {
			let offered = await page!.addOptionList();
			expectIncludes(offered, ['Mask', 'Output Format', 'Background', 'Number of Images'], 'Add option (Edit Image, gpt-image-2)');
			expectExcludes(offered, ['Input Fidelity', 'Markup', 'Moderation', 'Style'], 'Add option (Edit Image, gpt-image-2)');
			await page!.addOption('Mask', 'mask');
			await page!.setModelById('gpt-image-1.5');
			offered = await page!.addOptionList();
			expectIncludes(offered, ['Input Fidelity'], 'Add option (Edit Image, gpt-image-1.5)');
			expectExcludes(offered, ['Markup', 'Moderation', 'Style'], 'Add option (Edit Image, gpt-image-1.5)');
			await page!.closeDropdown();
			// The screenshot shows a current model: OpenAI retired gpt-image-1.5 on 2026-12-01 (Azure
			// deployments and compatible servers may still serve it, hence the check above).
			await page!.setModelById('gpt-image-2.5-flare');
			offered = await page!.addOptionList();
			expectIncludes(offered, ['Markup'], 'Add option (Edit Image, gpt-image-2.5-flare)');
			expectExcludes(offered, ['Input Fidelity', 'Moderation', 'Style'], 'Add option (Edit Image, gpt-image-2.5-flare)');
			await page!.addOption('Markup', 'markup');
			await screenshot('panel-edit-image.png', 'panel');
		});
	} finally {
		await chromium?.close();
		await (dev as DevEnvironment | undefined)?.stop();
		rmSync(userFolder, { recursive: true, force: true });
	}
	log(`browser suite: ${passed} passed, ${failed} failed in ${seconds(started)}`);
	return { passed, failed };
}

function expectEqual<T>(actual: T, expected: T, what: string): void {
	if (JSON.stringify(actual) !== JSON.stringify(expected)) {
		throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
	}
}

/**
 * What the editor shows settles over several renders: reads until it equals `expected`, and
 * fails with the last reading after `timeoutMs`.
 */
async function expectEventually<T>(read: () => Promise<T>, expected: T, what: string, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const actual = await read();
		if (JSON.stringify(actual) === JSON.stringify(expected) || Date.now() >= deadline) {
			expectEqual(actual, expected, what);
			return;
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

function expectIncludes(actual: string[], expected: string[], what: string): void {
	const missing = expected.filter((item) => !actual.includes(item));
	if (missing.length) throw new Error(`${what}: missing ${JSON.stringify(missing)} in ${JSON.stringify(actual)}`);
}

function expectExcludes(actual: string[], unexpected: string[], what: string): void {
	const present = unexpected.filter((item) => actual.includes(item));
	if (present.length) throw new Error(`${what}: should not offer ${JSON.stringify(present)}; offers ${JSON.stringify(actual)}`);
}

function errorText(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 12).join('\n     ');
}

function seconds(since: number): string {
	return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function shown(path: string): string {
	const inside = relative(ROOT, path);
	return inside && !inside.startsWith('..') ? inside : path;
}
