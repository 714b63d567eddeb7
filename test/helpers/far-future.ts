/**
 * jest setup file of the far-future run (jest.future.config.js, part of `npm test`): `Date` in the
 * test environment runs CLOCK_SHIFT_YEARS (default 5) years ahead of the machine's clock, for the
 * tests, the image server, n8n's engine and the built node alike (they all read this global).
 * The shift is an offset, so time still passes at its real pace; timers, `performance.now()` and
 * the node's monotonic durations are untouched. A test whose verdict depends on today's date
 * fails here: the suite must pass with the clock years ahead.
 *
 * The run is marked with `globalThis.__clockShiftMs`; test/clock.test.ts checks that the shift is
 * in force (and reaches the node) when the mark is set.
 */
const YEAR_MS = 365.25 * 24 * 3600_000;
const years = Number(process.env.CLOCK_SHIFT_YEARS ?? '5');
if (!Number.isFinite(years)) throw new Error(`CLOCK_SHIFT_YEARS is not a number: ${process.env.CLOCK_SHIFT_YEARS}`);
const SHIFT_MS = Math.round(years * YEAR_MS);

const RealDate = Date;
const shiftedNow = (): number => RealDate.now() + SHIFT_MS;

// A Proxy rather than a subclass: `Date()` called without `new` (a string of now) must work too,
// and `instanceof Date`, Date.parse, Date.UTC and the prototype stay the real ones.
const ShiftedDate: DateConstructor = new Proxy(RealDate, {
	construct(target, args: unknown[], newTarget): object {
		return Reflect.construct(target, args.length === 0 ? [shiftedNow()] : args, newTarget === ShiftedDate ? target : newTarget);
	},
	apply() {
		return new RealDate(shiftedNow()).toString();
	},
	get(target, property) {
		if (property === 'now') return shiftedNow;
		return Reflect.get(target, property, target);
	},
});

globalThis.Date = ShiftedDate;
(globalThis as { __clockShiftMs?: number }).__clockShiftMs = SHIFT_MS;
