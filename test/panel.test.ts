/**
 * The settings panel: which options n8n's display rules show for each model (the same
 * NodeHelpers.displayParameter the editor uses), and the parameter names saved in workflows.
 */
import { NodeHelpers, type INodeParameters, type INodeProperties, type INodeTypeDescription } from 'n8n-workflow';

import { CreateImage } from '../nodes/CreateImage/CreateImage.node';

const description: INodeTypeDescription = new CreateImage().description;
const optionsCollection = description.properties.find((p) => p.name === 'options')!;
const options = optionsCollection.options as INodeProperties[];

function visibleOptions(model: string, chosen: INodeParameters = {}): string[] {
	const parameters: INodeParameters = { model: { __rl: true, mode: 'id', value: model }, options: chosen };
	const node = { id: '1', name: 'Create Image', type: 'n8n-nodes-create-image.createImage', typeVersion: 1, position: [0, 0] as [number, number], parameters };
	return options
		.filter((option) => NodeHelpers.displayParameter(parameters.options as INodeParameters, option, node, description, parameters))
		.map((option) => option.name)
		.sort();
}

const ALWAYS = ['binaryPropertyName', 'concurrency', 'extraBody', 'fileName', 'maxRetries', 'n', 'quality', 'retryOnUnknownOutcome', 'size', 'timeout', 'user'];
const GPT_ONLY = ['background', 'moderation', 'outputFormat', 'stream'];

test.each(['gpt-image-2', 'gpt-image-2-2026-04-21', 'gpt-image-1.5', 'gpt-image-2.6-flare'])('%s shows the GPT image options', (model) => {
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

test.each(['my-local-model', '={{ $json.model }}'])('an unknown id or an expression (%s) shows every option', (model) => {
	expect(visibleOptions(model, { outputFormat: 'webp', stream: true })).toEqual(options.map((o) => o.name).sort());
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
	expect(description.properties.map((p) => p.name)).toEqual(['authentication', 'model', 'prompt', 'resultFormat', 'options', 'imageLinkForAgent', 'imageLinkMinutes']);
	expect(options.map((o) => o.name)).toEqual(
		expect.arrayContaining(['n', 'size', 'quality', 'style', 'background', 'outputFormat', 'outputCompression', 'moderation', 'responseFormat', 'user', 'binaryPropertyName', 'fileName', 'extraBody', 'timeout', 'concurrency', 'maxRetries', 'retryOnUnknownOutcome', 'stream', 'partialImages']),
	);
	const model = description.properties.find((p) => p.name === 'model')!;
	expect(model.default).toEqual({ mode: 'id', value: 'gpt-image-2' });
	expect(model.modes?.map((m) => m.name)).toEqual(['list', 'id']);
	expect(description.properties.find((p) => p.name === 'resultFormat')!.options).toEqual([
		expect.objectContaining({ value: 'images' }),
		expect.objectContaining({ name: 'Raw Response', value: 'rawResponse' }),
	]);
});
