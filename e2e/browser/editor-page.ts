/// <reference lib="dom" />
/**
 * The parts of n8n's editor (2.41.1) the browser test works with, by the `data-test-id`s n8n's
 * own tests use. Every step waits for what it needs to see; nothing sleeps.
 */
import type { Locator, Page } from 'playwright-core';

/** Headless Chromium on 2 busy cores: the first page load alone can take 20 s. */
export const NAVIGATION_TIMEOUT_MS = 120_000;
export const ACTION_TIMEOUT_MS = 60_000;

const testId = (id: string) => `[data-test-id="${id}"]`;

export class EditorPage {
	constructor(
		readonly page: Page,
		readonly baseUrl: string,
	) {
		page.setDefaultTimeout(ACTION_TIMEOUT_MS);
		page.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
	}

	/** Signs in through the sign-in form, as a person would. */
	async signIn(email: string, password: string): Promise<void> {
		await this.page.goto(`${this.baseUrl}/signin`);
		await this.page.locator('#emailOrLdapLoginId').fill(email);
		await this.page.locator('#password').fill(password);
		await this.page.locator(testId('form-submit-button')).click();
		await this.page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: NAVIGATION_TIMEOUT_MS });
	}

	async openWorkflow(id: string): Promise<void> {
		await this.page.goto(`${this.baseUrl}/workflow/${id}`);
		await this.page.locator(testId('canvas-node')).first().waitFor({ timeout: NAVIGATION_TIMEOUT_MS });
	}

	canvasNode(name: string): Locator {
		return this.page.locator(`${testId('canvas-node')}[data-node-name="${name}"]`);
	}

	/** The labels of a node's outputs on the canvas, in output order ('' for an unnamed one). */
	async outputLabels(nodeName: string): Promise<string[]> {
		const handles = this.page.locator(`${testId('canvas-node-output-handle')}[data-node-name="${nodeName}"]`);
		await handles.first().waitFor();
		const found = await handles.evaluateAll((elements) =>
			elements.map((element) => ({
				index: Number(element.getAttribute('data-index')),
				label: (element as HTMLElement).innerText.trim(),
			})),
		);
		return found.sort((a, b) => a.index - b.index).map((handle) => handle.label);
	}

	/** Clicks "Execute workflow" and waits until the node shows success (or throws on an error). */
	async executeWorkflow(untilNode: string, timeoutMs = 120_000): Promise<void> {
		await this.page.locator(testId('execute-workflow-button')).click();
		const node = this.canvasNode(untilNode);
		const success = node.locator(testId('canvas-node-status-success'));
		const failure = node.locator('[data-test-id^="canvas-node-status-error"], [data-test-id="canvas-node-status-issues"]');
		await success.or(failure).first().waitFor({ timeout: timeoutMs });
		if (!(await success.isVisible())) throw new Error(`"${untilNode}" did not succeed: ${await node.innerText()}`);
	}

	/** The "N items" label on the connection between two nodes. */
	async edgeLabel(from: string, to: string): Promise<string> {
		const label = this.page.locator(`${testId('edge-label')}[data-source-node-name="${from}"][data-target-node-name="${to}"]`);
		return (await label.innerText()).trim();
	}

	/** Opens a node's panel (NDV) by double-clicking it on the canvas. */
	async openNode(name: string): Promise<Locator> {
		await this.canvasNode(name).dblclick();
		const ndv = this.ndv();
		await ndv.locator(testId('node-parameters')).waitFor();
		return ndv;
	}

	ndv(): Locator {
		return this.page.locator(testId('ndv'));
	}

	/** The labels of the parameters the panel shows (top level and added options). */
	async parameterLabels(): Promise<string[]> {
		const parameters = this.ndv().locator(testId('node-parameters'));
		await parameters.locator(testId('input-label')).first().waitFor();
		return parameters.evaluate((root) => {
			const labels: string[] = [];
			for (const element of Array.from(root.querySelectorAll('label, [data-test-id="parameter-item"] .n8n-text'))) {
				const text = (element as HTMLElement).innerText.split('\n')[0].trim();
				if (text && !labels.includes(text)) labels.push(text);
			}
			return labels;
		});
	}

	/** Whether the panel shows an input for this parameter (e.g. `background`). */
	parameterInput(name: string): Locator {
		return this.ndv().locator(testId(`parameter-input-${name}`));
	}

	/** Opens the Options collection's "Add option" list and returns what it offers. */
	async addOptionList(): Promise<string[]> {
		await this.ndv().locator(testId('collection-parameter-add')).click();
		const options = this.page.locator(`${testId('collection-parameter-option')}:visible`);
		await options.first().waitFor();
		return (await options.allInnerTexts()).map((text) => text.trim());
	}

	/** Closes the "Add option" list (if open) and waits until it is gone. */
	async closeDropdown(): Promise<void> {
		const open = this.page.locator(`${testId('collection-parameter-option')}:visible`);
		if (await open.count()) await this.page.keyboard.press('Escape');
		await open.first().waitFor({ state: 'hidden' });
	}

	/** Adds an option through the "Add option" list; waits for its input. */
	async addOption(displayName: string, parameterName: string): Promise<void> {
		await this.closeDropdown();
		await this.ndv().locator(testId('collection-parameter-add')).click();
		const exact = new RegExp(`^\\s*${displayName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
		await this.page.locator(`${testId('collection-parameter-option')}:visible`).filter({ hasText: exact }).click();
		await this.parameterInput(parameterName).waitFor();
		await this.closeDropdown();
	}

	/** Picks a value of an options parameter (a select) by its label. */
	async selectValue(parameterName: string, label: string): Promise<void> {
		const input = this.parameterInput(parameterName);
		await input.click();
		// An item holds its label and maybe a description ("Taken by ...").
		const item = this.page.locator('.el-select-dropdown__item:visible').filter({ has: this.page.getByText(label, { exact: true }) });
		await item.click();
		await this.page.waitForFunction(
			([selector, value]) => (document.querySelector(selector) as HTMLInputElement | null)?.value === value,
			[`[data-test-id="parameter-input-${parameterName}"] input`, label] as const,
		);
	}

	/** The labels a select offers (first line of each item: a description may follow), then closes it. */
	async selectOptions(parameterName: string): Promise<string[]> {
		await this.parameterInput(parameterName).click();
		const items = this.page.locator('.el-select-dropdown__item:visible');
		await items.first().waitFor();
		const labels = (await items.allInnerTexts()).map((text) => text.split('\n')[0].trim());
		await this.page.keyboard.press('Escape');
		await items.first().waitFor({ state: 'hidden' });
		return labels;
	}

	/** Switches a parameter set by an expression to a fixed value (the Fixed / Expression toggle). */
	async toFixed(parameterName: string): Promise<void> {
		// `has` is relative to each item: the input's own selector, not one rooted at the panel.
		const item = this.ndv().locator(testId('parameter-item')).filter({ has: this.page.locator(testId(`parameter-input-${parameterName}`)) }).last();
		await item.hover();
		await item.locator(testId('radio-button-fixed')).click();
		await this.parameterInput(parameterName).locator('.el-select, .el-input').first().waitFor();
	}

	/** The text a parameter's input shows (a select's chosen label, or an expression). */
	async inputValue(parameterName: string): Promise<string> {
		const input = this.parameterInput(parameterName);
		await input.waitFor();
		const field = input.locator('input, textarea, [contenteditable]').first();
		return ((await field.evaluate((element) => ('value' in element ? (element as HTMLInputElement).value : (element as HTMLElement).innerText))) ?? '').trim();
	}

	/** Closes the node's panel and waits until it is gone. */
	async closeNode(): Promise<void> {
		await this.ndv().locator(testId('ndv-close-button')).click();
		await this.ndv().waitFor({ state: 'hidden' });
	}

	/** A workflow as n8n stores it (through the editor's own REST API, signed in). */
	async storedWorkflow(id: string): Promise<{ nodes: Array<{ name: string; type: string; parameters: unknown }> }> {
		return this.page.evaluate(async (workflowId) => {
			const response = await fetch(`/rest/workflows/${workflowId}`, { credentials: 'include', headers: { 'browser-id': localStorage.getItem('n8n-browserId') ?? '' } });
			if (!response.ok) throw new Error(`GET /rest/workflows/${workflowId}: ${response.status} ${await response.text()}`);
			const body = (await response.json()) as { data: { nodes: Array<{ name: string; type: string; parameters: unknown }> } };
			return body.data;
		}, id);
	}

	/** Types a model id into the Model field (ID mode) and leaves the field. */
	async setModelById(id: string): Promise<void> {
		const model = this.parameterInput('model');
		const input = model.locator(testId('rlc-input'));
		await input.fill(id);
		await input.press('Tab');
		await this.page.waitForFunction(
			([selector, value]) => (document.querySelector(selector) as HTMLInputElement | null)?.value === value,
			[`${testId('parameter-input-model')} ${testId('rlc-input')}`, id] as const,
		);
	}

	/** Closes the notifications n8n shows in the corner (e.g. "Workflow executed successfully"). */
	async dismissNotifications(): Promise<void> {
		const close = this.page.locator('.el-notification .el-notification__closeBtn:visible');
		// A notification may fade out between the count and the click: then there is nothing to click.
		while ((await close.count()) > 0) await close.first().click({ timeout: 2000 }).catch(() => undefined);
		await this.page.locator('.el-notification:visible').first().waitFor({ state: 'hidden' });
	}

	/** Screenshot of the panel, made tall enough to show every parameter without scrolling. */
	async screenshotPanel(path: string): Promise<void> {
		await this.dismissNotifications();
		const parameters = this.ndv().locator(testId('node-parameters'));
		await parameters.evaluate((element) => element.closest('[class*="scroll"], [class*="Scroll"]')?.scrollTo(0, 0));
		await this.ndv().screenshot({ path });
	}

	/** The file names in the panel's output (Binary view) of one output branch. */
	async outputFileNames(branchIndex: number): Promise<string[]> {
		const output = this.ndv().locator(testId('output-panel'));
		await output.locator(`${testId('branches')} ${testId(`tab-${branchIndex}`)}`).click();
		await output.locator(testId('radio-button-binary')).click();
		const cards = output.locator('[data-test-id^="ndv-binary-data_"]');
		await cards.first().waitFor();
		return cards.evaluateAll((elements) =>
			elements.map((element) => {
				const text = (element as HTMLElement).innerText;
				return /File Name:\s*(\S+)/.exec(text)?.[1] ?? '';
			}),
		);
	}
}
