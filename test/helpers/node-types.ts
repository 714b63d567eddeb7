/**
 * Node and credential types for in-process runs, loaded the way n8n loads a community package:
 * n8n-core's PackageDirectoryLoader reads package.json's "n8n" block and requires each listed file
 * (class name = file name up to the first dot), fixes icon paths, adds the special node parameters
 * and validates the descriptions. For this repository that means the BUILT files in dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { PackageDirectoryLoader } from 'n8n-core';
import type {
	ICredentialType,
	IDataObject,
	INodeProperties,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
} from 'n8n-workflow';
import { NodeHelpers, UnexpectedError } from 'n8n-workflow';

/** Root of this repository (the package under test). */
export const PACKAGE_DIR = resolve(__dirname, '..', '..');

/** Test-only package with EmitItems / HarnessProbe nodes and the harnessProbeApi credential. */
export const FIXTURE_PACKAGE_DIR = resolve(__dirname, 'fixtures', 'harness-package');

/** Name under which the CLI's credentials tester looks up the no-op node for `test.request`. */
const NO_OP_TYPE = 'n8n-nodes-base.noOp';

/** INodeTypes plus the credential-type registry n8n's CredentialTypes provides. */
export class HarnessTypes implements INodeTypes {
	private readonly nodes = new Map<string, INodeType | IVersionedNodeType>();

	private readonly credentials = new Map<string, ICredentialType>();

	/** credential type -> full node type names that declare it (like n8n's `supportedNodes`). */
	private readonly nodesByCredential: Record<string, string[]> = {};

	/** Packages loaded so far: package name -> directory. */
	readonly packages: Record<string, string> = {};

	/**
	 * Load a package directory like n8n does for a community package (PackageDirectoryLoader).
	 * Node types are registered as `<package name>.<description.name>` and as the bare name.
	 */
	addPackage(directory: string): this {
		const pkgPath = join(directory, 'package.json');
		const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
			name: string;
			version?: string;
			n8n?: { nodes?: string[]; credentials?: string[] };
		};
		const missing = [...(pkg.n8n?.nodes ?? []), ...(pkg.n8n?.credentials ?? [])].filter(
			(file) => !existsSync(join(directory, file)),
		);
		if (missing.length > 0) {
			throw new Error(
				`${pkg.name}: files listed in package.json "n8n" are missing: ${missing.join(', ')}. ` +
					'Build the package first (npm run build): tests run the node as built.',
			);
		}

		// Same steps as PackageDirectoryLoader.loadAll(), done synchronously.
		const loader = new PackageDirectoryLoader(directory);
		for (const nodePath of pkg.n8n?.nodes ?? []) loader.loadNodeFromFile(nodePath, pkg.version);
		for (const credentialPath of pkg.n8n?.credentials ?? []) loader.loadCredentialFromFile(credentialPath);
		(loader as unknown as { inferSupportedNodes(): void }).inferSupportedNodes();

		for (const [name, { type }] of Object.entries(loader.nodeTypes)) {
			this.registerNode(type, `${pkg.name}.${name}`);
		}
		for (const { type } of Object.values(loader.credentialTypes)) this.registerCredential(type);
		this.packages[pkg.name] = directory;
		return this;
	}

	/** Register a node type instance (e.g. `new MyNode()`); also under its bare description name. */
	registerNode(type: INodeType | IVersionedNodeType, fullName?: string): this {
		const bare = type.description.name;
		const name = fullName ?? bare;
		this.nodes.set(name, type);
		if (!this.nodes.has(bare)) this.nodes.set(bare, type);
		const versions =
			'nodeVersions' in type ? Object.values(type.nodeVersions) : [type as INodeType];
		for (const version of versions) {
			for (const { name: credentialName } of version.description.credentials ?? []) {
				const list = (this.nodesByCredential[credentialName] ??= []);
				if (!list.includes(name)) list.push(name);
			}
		}
		return this;
	}

	registerCredential(type: ICredentialType): this {
		this.credentials.set(type.name, type);
		return this;
	}

	// ---- INodeTypes -------------------------------------------------------------------------

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const type = this.nodes.get(nodeType);
		if (!type) {
			throw new UnexpectedError(`Unrecognized node type: ${nodeType}`, {
				extra: { known: [...this.nodes.keys()] },
			});
		}
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		if (nodeType === NO_OP_TYPE && !this.nodes.has(NO_OP_TYPE)) return noOpNodeType;
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes(): IDataObject {
		return Object.fromEntries([...this.nodes.keys()].map((name) => [name, { className: name, sourcePath: '' }]));
	}

	/** Full and bare names of every registered node type. */
	get nodeTypeNames(): string[] {
		return [...this.nodes.keys()];
	}

	// ---- credential types (n8n's CredentialTypes) --------------------------------------------

	getCredentialType(name: string): ICredentialType {
		const type = this.credentials.get(name);
		if (!type) throw new UnexpectedError(`Unrecognized credential type: ${name}`);
		return type;
	}

	hasCredentialType(name: string): boolean {
		return this.credentials.has(name);
	}

	get credentialTypeNames(): string[] {
		return [...this.credentials.keys()];
	}

	/** All ancestors through `extends`, nearest first (like CredentialTypes.getParentTypes). */
	getParentTypes(name: string): string[] {
		const type = this.credentials.get(name);
		if (!type?.extends) return [];
		const parents: string[] = [];
		for (const parent of type.extends) parents.push(parent, ...this.getParentTypes(parent));
		return parents;
	}

	getSupportedNodes(credentialType: string): string[] {
		return this.nodesByCredential[credentialType] ?? [];
	}

	/** Credential properties with inherited ones merged in (CredentialsHelper.getCredentialsProperties). */
	getCredentialsProperties(name: string): INodeProperties[] {
		const type = this.getCredentialType(name);
		if (type.extends === undefined) {
			if (['oAuth1Api', 'oAuth2Api'].includes(name)) {
				return [
					...type.properties,
					{ displayName: 'oauthTokenData', name: 'oauthTokenData', type: 'json', required: false, default: {} },
				];
			}
			return type.properties;
		}
		const combined: INodeProperties[] = [];
		for (const parent of type.extends) {
			NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parent));
		}
		NodeHelpers.mergeNodeProperties(combined, type.properties);
		return combined;
	}

	/** Every registered node type instance with its full name (each once). */
	entries(): Array<[string, INodeType | IVersionedNodeType]> {
		const seen = new Set<INodeType | IVersionedNodeType>();
		const out: Array<[string, INodeType | IVersionedNodeType]> = [];
		for (const [name, type] of this.nodes) {
			if (seen.has(type)) continue;
			seen.add(type);
			out.push([name, type]);
		}
		return out;
	}
}

/** Stand-in for n8n-nodes-base.noOp, which the credentials tester uses to run `test.request`. */
const noOpNodeType: INodeType = {
	description: {
		displayName: 'No Operation, do nothing',
		name: NO_OP_TYPE,
		group: ['organization'],
		version: 1,
		description: 'No Operation',
		defaults: { name: 'No Operation, do nothing' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [],
	},
};

export interface LoadTypesOptions {
	/** Package to load (default: this repository, i.e. its dist/ files). */
	packageDir?: string;
	/** Also load the fixture package (EmitItems, HarnessProbe, harnessProbeApi). Default true. */
	withFixtures?: boolean;
	/** More node type instances, registered under their description name. */
	extraNodes?: Array<INodeType | IVersionedNodeType>;
	extraCredentials?: ICredentialType[];
}

/**
 * Node/credential types of the BUILT package (package.json "n8n" -> dist/...), plus the test
 * fixtures. The package's node types are `n8n-nodes-create-image.<name>` (bare `<name>` works too);
 * fixtures: `n8n-nodes-harness-fixture.emitItems` / `.harnessProbe`.
 */
export function loadPackageNodeTypes(options: LoadTypesOptions = {}): HarnessTypes {
	const types = new HarnessTypes();
	types.addPackage(options.packageDir ?? PACKAGE_DIR);
	if (options.withFixtures ?? true) {
		if (resolve(options.packageDir ?? PACKAGE_DIR) !== FIXTURE_PACKAGE_DIR) types.addPackage(FIXTURE_PACKAGE_DIR);
	}
	for (const node of options.extraNodes ?? []) types.registerNode(node);
	for (const credential of options.extraCredentials ?? []) types.registerCredential(credential);
	return types;
}

/** Only the fixture package (for harness tests that must not depend on dist/). */
export function loadFixtureNodeTypes(): HarnessTypes {
	return new HarnessTypes().addPackage(FIXTURE_PACKAGE_DIR);
}
