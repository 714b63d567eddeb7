/**
 * Where Create Image sends its requests in `npm run dev`, `npm run demo` and the browser test:
 * the project's OpenAI-compatible image server on localhost (test/server), or, when
 * OPENAI_API_KEY is set, OpenAI itself.
 */
import { startImageServer } from '../../test/server';

export interface ImageBackend {
	kind: 'local' | 'openai';
	/** The credential's base URL. */
	baseUrl: string;
	apiKey: string;
	/** One line for the console, without the key. */
	description: string;
	close(): Promise<void>;
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export async function startImageBackend(env: NodeJS.ProcessEnv = process.env): Promise<ImageBackend> {
	const apiKey = env.OPENAI_API_KEY?.trim();
	if (apiKey) {
		return {
			kind: 'openai',
			baseUrl: OPENAI_BASE_URL,
			apiKey,
			description: `OpenAI (${OPENAI_BASE_URL}, the key in OPENAI_API_KEY; images cost money)`,
			close: async () => undefined,
		};
	}
	// Noise images are about as large as real ones (1-3 MB), so files and previews look real-sized.
	const server = await startImageServer({ imageMode: 'noise' });
	return {
		kind: 'local',
		baseUrl: server.baseUrl,
		apiKey: server.apiKey,
		description: `the local image server at ${server.baseUrl} (test/server; set OPENAI_API_KEY to use OpenAI)`,
		close: () => server.close(),
	};
}
