/**
 * One benchmark scenario in a fresh process (forked by scripts/bench.ts): argv[2] is the
 * scenario's name, argv[3] its parameters as JSON; the figures go back over IPC.
 */
import * as batchScenarios from './batch';
import * as allScenarios from './scenarios';

const scenarios = { ...allScenarios, ...batchScenarios };

type Scenario = (params: never) => Promise<unknown>;

async function main(): Promise<void> {
	const name = process.argv[2] as keyof typeof scenarios;
	const scenario = scenarios[name] as Scenario | undefined;
	if (typeof scenario !== 'function') throw new Error(`unknown scenario '${name}'`);
	const result = await scenario(JSON.parse(process.argv[3] ?? '{}') as never);
	await new Promise<void>((resolve) => process.send!({ type: 'result', result }, () => resolve()));
	process.exit(0);
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
