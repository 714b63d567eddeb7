/**
 * Real image bytes for the test server, made with sharp and cached.
 *
 * solid mode: one flat colour -> tiny files, fast.
 * noise mode: deterministic pseudo-random pixels, each channel byte one of 12 levels, PNG
 *   written without row filters: about 1.5 bytes per pixel whatever the size, so
 *   1024x1024 -> ~1.57 MB (1.5 MiB), 1536x1024 -> ~2.36 MB, 512x512 -> ~0.39 MB,
 *   like real gpt-image PNGs (1-3 MB). JPEG/WEBP of noise are about as big.
 * The cache key is (width, height, format, mode, compression, alpha); the base64 string is
 * cached next to the bytes, so repeated requests cost nothing.
 */
import sharp, { type Sharp } from 'sharp';

import type { ImageMode } from './types';

export type OutputFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'svg';

export const CONTENT_TYPES: Record<OutputFormat, string> = {
	png: 'image/png',
	jpeg: 'image/jpeg',
	webp: 'image/webp',
	gif: 'image/gif',
	svg: 'image/svg+xml',
};

export interface ImageSpec {
	width: number;
	height: number;
	format: OutputFormat;
	mode: ImageMode;
	/** output_compression 0-100 (jpeg/webp quality); undefined = 100. */
	compression?: number;
	/** Transparent background (png/webp/gif alpha). */
	alpha?: boolean;
	/** GIF: frames of the animation (each a shade further), and ms per frame. */
	frames?: number;
	frameDurationMs?: number;
	/**
	 * A partial image of a streamed answer: the same picture, blurred and paler the earlier it
	 * comes (index 0 of count is the roughest), so its bytes differ from the final image's.
	 */
	partial?: { index: number; count: number };
}

export class EncodedImage {
	private b64Cache?: string;
	constructor(
		readonly buffer: Buffer,
		readonly format: OutputFormat,
		readonly width: number,
		readonly height: number,
	) {}
	get contentType(): string {
		return CONTENT_TYPES[this.format];
	}
	get b64(): string {
		this.b64Cache ??= this.buffer.toString('base64');
		return this.b64Cache;
	}
}

const MAX_CACHE = 64;
const cache = new Map<string, Promise<EncodedImage>>();

function keyOf(spec: ImageSpec): string {
	const partial = spec.partial ? `p${spec.partial.index}/${spec.partial.count}` : 'final';
	return [spec.width, spec.height, spec.format, spec.mode, spec.compression ?? 100, spec.alpha ? 'a' : 'o', partial, spec.frames ?? 1, spec.frameDurationMs ?? 0].join('|');
}

/** Encoded image for `spec`, from the cache when possible (concurrent callers share one encoding). */
export function getImage(spec: ImageSpec): Promise<EncodedImage> {
	const key = keyOf(spec);
	let hit = cache.get(key);
	if (hit) {
		cache.delete(key); // refresh LRU position
		cache.set(key, hit);
		return hit;
	}
	hit = encode(spec);
	hit.catch(() => cache.delete(key));
	cache.set(key, hit);
	while (cache.size > MAX_CACHE) cache.delete(cache.keys().next().value as string);
	return hit;
}

export function clearImageCache(): void {
	cache.clear();
}

const SOLID = { r: 52, g: 120, b: 198 };

function noisePixels(width: number, height: number, channels: number): Buffer {
	const buf = Buffer.allocUnsafe(width * height * channels);
	let s = (Math.imul(width, 73856093) ^ Math.imul(height, 19349663) ^ channels) | 1;
	for (let i = 0; i < buf.length; i++) {
		s ^= s << 13;
		s ^= s >>> 17;
		s ^= s << 5;
		buf[i] = ((s >>> 8) % 12) * 17 + 20;
	}
	if (channels === 4) for (let i = 3; i < buf.length; i += 4) buf[i] = 160; // semi-transparent
	return buf;
}

async function encode(spec: ImageSpec): Promise<EncodedImage> {
	const { width, height, format, mode } = spec;
	if (format === 'svg') {
		const fill = `rgb(${SOLID.r},${SOLID.g},${SOLID.b})`;
		const svg =
			`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
			`<rect width="100%" height="100%" fill="${spec.alpha ? 'none' : fill}"/>` +
			`<circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 4}" fill="${fill}"/></svg>`;
		return new EncodedImage(Buffer.from(svg), format, width, height);
	}
	if (format === 'gif' && (spec.frames ?? 1) > 1) return animatedGif(spec);
	const alpha = !!spec.alpha && format !== 'jpeg';
	const channels = alpha ? 4 : 3;
	let img =
		mode === 'noise'
			? sharp(noisePixels(width, height, channels), { raw: { width, height, channels } })
			: sharp({
					create: { width, height, channels, background: alpha ? { ...SOLID, alpha: 0.5 } : SOLID },
				});
	if (spec.partial) {
		const { index, count } = spec.partial;
		img = img.blur(1 + 2 * (count - index)).modulate({ saturation: (index + 1) / (count + 1) });
	}
	const quality = Math.max(1, Math.min(100, spec.compression ?? 100));
	let out: Sharp;
	switch (format) {
		case 'png':
			out = img.png({ compressionLevel: 6, adaptiveFiltering: false });
			break;
		case 'jpeg':
			out = img.jpeg({ quality });
			break;
		case 'webp':
			out = img.webp({ quality, effort: 0 });
			break;
		case 'gif':
			out = img.gif();
			break;
	}
	return new EncodedImage(await out.toBuffer(), format, width, height);
}

/** An animated GIF: `frames` frames (the colour shifts frame by frame), `frameDurationMs` each. */
async function animatedGif(spec: ImageSpec): Promise<EncodedImage> {
	const { width, height } = spec;
	const frames = spec.frames ?? 1;
	const pixels = Buffer.allocUnsafe(width * height * frames * 3);
	for (let frame = 0; frame < frames; frame++) {
		const shade = Math.round((frame * 200) / frames);
		for (let i = frame * width * height * 3; i < (frame + 1) * width * height * 3; i += 3) {
			pixels[i] = shade;
			pixels[i + 1] = SOLID.g;
			pixels[i + 2] = SOLID.b;
		}
	}
	const buffer = await sharp(pixels, { raw: { width, height: height * frames, channels: 3, pageHeight: height } })
		.gif({ delay: Array(frames).fill(spec.frameDurationMs ?? 200), loop: 0 })
		.toBuffer();
	return new EncodedImage(buffer, 'gif', width, height);
}
