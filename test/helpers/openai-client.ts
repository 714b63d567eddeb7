/** Helpers for the image server's own tests (test/image-server*.test.ts) with the openai SDK as the client. */
import OpenAI from 'openai';
import sharp from 'sharp';

/** The APIError a request ends with; throws when it succeeds or fails another way. */
export async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof OpenAI.APIError) return error;
		throw error;
	}
	throw new Error('expected an APIError');
}

/** A PNG of one colour, width x height pixels (half transparent with `alpha`). */
export const solid = (width: number, height: number, colour: { r: number; g: number; b: number }, alpha = false) =>
	sharp({ create: { width, height, channels: alpha ? 4 : 3, background: alpha ? { ...colour, alpha: 0.5 } : colour } }).png().toBuffer();

/** The [r, g, b] of an image's centre pixel. */
export async function centre(data: Buffer): Promise<number[]> {
	const { data: pixels, info } = await sharp(data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
	const at = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
	return [pixels[at], pixels[at + 1], pixels[at + 2]];
}
