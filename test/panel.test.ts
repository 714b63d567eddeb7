/**
 * The settings panel: which options n8n's display rules show for each model (the same
 * NodeHelpers.displayParameter the editor uses), and the parameter names saved in workflows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { NodeHelpers, type INodeParameters, type INodeProperties, type INodeTypeDescription } from 'n8n-workflow';

import { CreateImage } from '../nodes/CreateImage/CreateImage.node';
import { ImageBatch } from '../nodes/ImageBatch/ImageBatch.node';

const description: INodeTypeDescription = new CreateImage().description;
const optionsCollection = description.properties.find((p) => p.name === 'options')!;
const options = optionsCollection.options as INodeProperties[];

/** The entries of the options collection n8n shows for a model (`mode`: how it was chosen). */
function shown(model: string, chosen: INodeParameters = {}, mode = 'id'): INodeProperties[] {
	const parameters: INodeParameters = { model: { __rl: true, mode, value: model }, options: chosen };
	const node = { id: '1', name: 'Create Image', type: 'n8n-nodes-create-image.createImage', typeVersion: 1, position: [0, 0] as [number, number], parameters };
	return options.filter((option) => NodeHelpers.displayParameter(parameters.options as INodeParameters, option, node, description, parameters));
}

function visibleOptions(model: string, chosen: INodeParameters = {}): string[] {
	const names = shown(model, chosen).map((option) => option.name).sort();
	// Several entries share a name (one per model family): exactly one of them may show.
	expect(names).toEqual([...new Set(names)]);
	return names;
}

/** The values the panel offers for a select option with this model. */
function offered(model: string, name: string, chosen: INodeParameters = {}, mode = 'id'): string[] {
	const entries = shown(model, chosen, mode).filter((option) => option.name === name);
	expect(entries).toHaveLength(1);
	return (entries[0].options as Array<{ value: string }>).map((option) => option.value);
}

const ALWAYS = ['binaryPropertyName', 'concurrency', 'extraBody', 'fileName', 'maxRetries', 'n', 'quality', 'retryOnUnknownOutcome', 'safetyIdentifier', 'size', 'timeout', 'user'];
const GPT_ONLY = ['background', 'complexity', 'moderation', 'outputFormat', 'stream', 'prices'];
const GPT_2_SIZES = ['auto', '1024x1024', '1024x1536', '1152x2048', '1440x2560', '1536x1024', '2048x1152', '2048x2048', '2160x3840', '2560x1440', '3840x2160'];

test.each(['gpt-image-2', 'gpt-image-2-2026-04-21', 'gpt-image-1.5', 'gpt-image-2.5-flare-2026-09-08', 'gpt-image-2.6-flare'])('%s shows the GPT image options', (model) => {
	expect(visibleOptions(model)).toEqual([...ALWAYS, ...GPT_ONLY].sort());
});

test.each(['jpeg', 'webp'])('Output Compression appears once Output Format is %s, not with png', (outputFormat) => {
	expect(visibleOptions('gpt-image-2', { outputFormat })).toContain('outputCompression');
	expect(visibleOptions('gpt-image-2', { outputFormat: 'png' })).not.toContain('outputCompression');
	expect(visibleOptions('dall-e-3', { outputFormat })).not.toContain('outputCompression');
});

test('dall-e-3 shows style and response format, not the GPT image options', () => {
	expect(visibleOptions('dall-e-3')).toEqual([...ALWAYS, 'responseFormat', 'style'].sort());
});

test('dall-e-2 shows response format but not style', () => {
	expect(visibleOptions('dall-e-2')).toEqual([...ALWAYS, 'responseFormat'].sort());
});

test.each(['my-local-model', '={{ $json.model }}'])('an unknown id or an expression (%s) shows every option its output format allows', (model) => {
	const every = [...new Set(options.map((o) => o.name))];
	const gifOnly = ['frameCount', 'frameDurationMs'];
	const svgOnly = ['svgModel', 'svgReasoningEffort'];
	const streamOnly = ['stream', 'partialImages'];
	expect(visibleOptions(model, { outputFormat: 'webp', stream: true })).toEqual(every.filter((name) => !gifOnly.includes(name) && !svgOnly.includes(name)).sort());
	const notWith = (format: string[]) => (name: string) => name !== 'outputCompression' && !format.includes(name) && !streamOnly.includes(name);
	expect(visibleOptions(model, { outputFormat: 'gif', stream: true })).toEqual(every.filter(notWith(svgOnly)).sort());
	expect(visibleOptions(model, { outputFormat: 'svg', stream: true })).toEqual(every.filter(notWith(gifOnly)).sort());
});

test.each(['my-local-model', '={{ $json.model }}'])('an unknown id or an expression (%s) is offered every value of Size, Quality and Output Format', (model) => {
	expect(offered(model, 'size')).toEqual(expect.arrayContaining([...GPT_2_SIZES, '256x256', '512x512', '1792x1024', '1024x1792']));
	expect(offered(model, 'quality').sort()).toEqual(['auto', 'hd', 'high', 'low', 'max', 'medium', 'standard', 'xhigh']);
	expect(offered(model, 'outputFormat').sort()).toEqual(['gif', 'jpeg', 'png', 'svg', 'webp']);
});

test.each([['id'], ['list']])('dall-e-3 (chosen by %s) is offered only its sizes and qualities', (mode) => {
	expect(offered('dall-e-3', 'size', {}, mode)).toEqual(['1024x1024', '1024x1792', '1792x1024']);
	expect(offered('dall-e-3', 'quality', {}, mode)).toEqual(['hd', 'standard']);
});

test.each(['gpt-image-2', 'gpt-image-2-2026-04-21'])('%s is offered its size presets and auto, four qualities, three formats', (model) => {
	expect(offered(model, 'size')).toEqual(GPT_2_SIZES);
	expect(offered(model, 'quality').sort()).toEqual(['auto', 'high', 'low', 'medium']);
	expect(offered(model, 'outputFormat').sort()).toEqual(['jpeg', 'png', 'webp']);
});

test.each(['gpt-image-2.5-flare', 'gpt-image-2.5-sunburst-2026-09-08'])('%s adds xhigh and max quality', (model) => {
	expect(offered(model, 'quality').sort()).toEqual(['auto', 'high', 'low', 'max', 'medium', 'xhigh']);
	expect(offered(model, 'size')).toEqual(GPT_2_SIZES);
});

test.each(['gpt-image-2.6-flare', 'gpt-image-2.6-sunburst'])('%s is offered GIF and SVG, the standard sizes and qualities', (model) => {
	expect(offered(model, 'outputFormat').sort()).toEqual(['gif', 'jpeg', 'png', 'svg', 'webp']);
	expect(offered(model, 'size')).toEqual(['auto', '1024x1024', '1024x1536', '1536x1024']);
	expect(offered(model, 'quality').sort()).toEqual(['auto', 'high', 'low', 'medium']);
});

test('GIF options show with a 2.6 model once the output format is GIF; SVG options once it is SVG', () => {
	expect(visibleOptions('gpt-image-2.6-flare', { outputFormat: 'gif' })).toEqual(expect.arrayContaining(['frameCount', 'frameDurationMs']));
	expect(visibleOptions('gpt-image-2.6-flare', { outputFormat: 'gif' })).not.toContain('svgModel');
	expect(visibleOptions('gpt-image-2.6-flare', { outputFormat: 'gif' })).not.toContain('outputCompression');
	expect(visibleOptions('gpt-image-2.6-flare', { outputFormat: 'svg' })).toEqual(expect.arrayContaining(['svgModel', 'svgReasoningEffort']));
	expect(visibleOptions('gpt-image-2.6-flare', { outputFormat: 'svg' })).not.toContain('frameCount');
	expect(visibleOptions('gpt-image-2.6-flare')).not.toContain('frameCount');
	// A model without GIF never shows them, even with a value left over from another model.
	expect(visibleOptions('gpt-image-2', { outputFormat: 'gif' })).not.toContain('frameCount');
	expect(offered('gpt-image-2.6-flare', 'svgReasoningEffort', { outputFormat: 'svg' })).toEqual(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);
});

test('Partial Images appears once Stream is on; neither appears with GIF or SVG output, or for DALL-E', () => {
	expect(visibleOptions('gpt-image-2', { stream: true })).toContain('partialImages');
	expect(visibleOptions('gpt-image-2', { stream: false })).not.toContain('partialImages');
	for (const outputFormat of ['gif', 'svg']) {
		expect(visibleOptions('gpt-image-2.6-flare', { outputFormat, stream: true })).not.toContain('stream');
		expect(visibleOptions('gpt-image-2.6-flare', { outputFormat, stream: true })).not.toContain('partialImages');
	}
	expect(visibleOptions('gpt-image-2.6-flare', { outputFormat: 'jpeg', stream: true })).toEqual(expect.arrayContaining(['stream', 'partialImages']));
	expect(visibleOptions('dall-e-3', { stream: true })).not.toContain('stream');
	expect(visibleOptions('dall-e-3', { stream: true })).not.toContain('partialImages');
});

test('the public interface: node type, outputs, parameters and options keep their names', () => {
	expect(description.name).toBe('createImage');
	expect(description.version).toBe(1);
	expect(description.inputs).toEqual([{ type: 'main', displayName: 'Configuration' }]);
	expect(description.outputs).toEqual([
		{ type: 'main', displayName: 'Result' },
		{ type: 'main', displayName: 'Configuration' },
	]);
	expect(description.properties.map((p) => p.name)).toEqual([
		'authentication',
		'model',
		'prompt',
		'resultFormat',
		'requestMode',
		'batchWait',
		'batchMaxWaitHours',
		'batchDeleteFiles',
		'options',
		'imageLinkForAgent',
		'imageLinkMinutes',
	]);
	expect(options.map((o) => o.name)).toEqual(
		expect.arrayContaining(['n', 'size', 'quality', 'style', 'background', 'outputFormat', 'outputCompression', 'moderation', 'responseFormat', 'user', 'binaryPropertyName', 'fileName', 'extraBody', 'timeout', 'concurrency', 'maxRetries', 'retryOnUnknownOutcome', 'stream', 'partialImages', 'complexity', 'safetyIdentifier', 'frameCount', 'frameDurationMs', 'svgModel', 'svgReasoningEffort', 'prices']),
	);
	const model = description.properties.find((p) => p.name === 'model')!;
	expect(model.default).toEqual({ mode: 'id', value: 'gpt-image-2' });
	expect(model.modes?.map((m) => m.name)).toEqual(['list', 'id']);
	expect(description.properties.find((p) => p.name === 'resultFormat')!.options).toEqual([
		expect.objectContaining({ value: 'images' }),
		expect.objectContaining({ name: 'Raw Response', value: 'rawResponse' }),
	]);
	// Request Mode and the batch settings (issue 17): names, values and defaults as the issue gives them.
	const byName = (name: string) => description.properties.find((p) => p.name === name)!;
	expect(byName('requestMode')).toMatchObject({ displayName: 'Request Mode', default: 'direct' });
	expect(byName('requestMode').options).toEqual([
		expect.objectContaining({ name: 'Direct', value: 'direct' }),
		expect.objectContaining({ name: 'Batch', value: 'batch', description: expect.stringMatching(/^Batch API: half price, results within 24 h/) }),
	]);
	expect([byName('batchWait').default, byName('batchMaxWaitHours').default, byName('batchDeleteFiles').default]).toEqual([true, 25, true]);
});

test('the Image Batch node: its type, operations and Batch ID keep their names', () => {
	const imageBatch = new ImageBatch().description;
	expect(imageBatch.name).toBe('imageBatch');
	expect(imageBatch.displayName).toBe('Image Batch');
	expect(imageBatch.properties.find((p) => p.name === 'operation')!.options!.map((o) => (o as { value: string }).value)).toEqual(['getResults', 'cancel', 'list']);
	expect(imageBatch.properties.find((p) => p.name === 'batchId')).toMatchObject({ default: '={{ $json.batchId }}' });
	expect(JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).n8n.nodes).toContain('dist/nodes/ImageBatch/ImageBatch.node.js');
});
