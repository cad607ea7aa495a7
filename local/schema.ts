/**
 * The resource schema as the local CloudFormation stand-in sees it.
 *
 * - `loadSchema(path?)` reads a CloudFormation resource provider schema (default: the repo's
 *   schema `.rpdk-config` names) and exposes the property lists as property NAMES, the handler
 *   timeouts, and two ajv (draft-07) validators:
 *     - `validateDesired(props)`: what CloudFormation checks before it calls CREATE/UPDATE (types,
 *       patterns, lengths, required, no unknown property) plus "read-only properties must not be supplied";
 *     - `validateModel(model)`: the same checks minus `required`, for models a handler RETURNS (outputs
 *       may carry read-only properties and leave write-only ones out).
 * - `checkSchemaShape(doc)`: the structural rules `cfn validate` enforces (see the list in the function).
 *
 * Local-only tooling: nothing here ships in the Lambda package.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';

/** The schema `cfn` uses in a type's folder: `<typeName with '::' -> '-', lower case>.json` beside its `.rpdk-config` (so `npm run rename` moves it). */
export function schemaPathIn(folder: string): string {
    const { typeName } = JSON.parse(fs.readFileSync(path.join(folder, '.rpdk-config'), 'utf8')) as { typeName: string };
    return path.join(folder, `${typeName.split('::').join('-').toLowerCase()}.json`);
}

/** The key store's schema, at the root. */
export const DEFAULT_SCHEMA_PATH = schemaPathIn(path.resolve(__dirname, '..'));

export type HandlerAction = 'create' | 'read' | 'update' | 'delete' | 'list';
export const HANDLER_ACTIONS: readonly HandlerAction[] = ['create', 'read', 'update', 'delete', 'list'];

/** CloudFormation's default handler timeout when the schema does not give one (provider definition schema). */
export const DEFAULT_TIMEOUT_IN_MINUTES = 120;
export const MIN_TIMEOUT_IN_MINUTES = 2;
export const MAX_TIMEOUT_IN_MINUTES = 2160;
export const TYPE_NAME_PATTERN = /^[a-zA-Z0-9]{2,64}::[a-zA-Z0-9]{2,64}::[a-zA-Z0-9]{2,64}$/;

export interface HandlerDefinition {
    permissions?: string[];
    timeoutInMinutes?: number;
}

/** The parts of a resource provider schema this module reads (everything else is carried along). */
export interface ResourceSchemaDocument {
    typeName: string;
    description?: string;
    properties: Record<string, Record<string, unknown>>;
    definitions?: Record<string, unknown>;
    additionalProperties?: boolean;
    required?: string[];
    readOnlyProperties?: string[];
    writeOnlyProperties?: string[];
    createOnlyProperties?: string[];
    primaryIdentifier?: string[];
    additionalIdentifiers?: string[][];
    handlers?: Partial<Record<HandlerAction, HandlerDefinition>>;
    tagging?: { taggable?: boolean; [k: string]: unknown };
    [k: string]: unknown;
}

export type Props = Record<string, unknown>;

export interface LoadedSchema {
    /** absolute path of the file it was read from (or '<inline>') */
    readonly path: string;
    readonly document: ResourceSchemaDocument;
    readonly typeName: string;
    /** every top-level property name */
    readonly properties: readonly string[];
    readonly readOnly: readonly string[];
    readonly writeOnly: readonly string[];
    readonly createOnly: readonly string[];
    readonly required: readonly string[];
    readonly primaryIdentifier: readonly string[];
    /** handlers as written in the schema (missing handlers are absent) */
    readonly handlers: Readonly<Partial<Record<HandlerAction, HandlerDefinition>>>;
    /** handlers[action].timeoutInMinutes, or CloudFormation's default (120) */
    timeoutInMinutes(action: HandlerAction | string): number;
    /** validation of the properties a template supplies (CREATE/UPDATE input): list of messages, [] = valid */
    validateDesired(props: unknown): string[];
    /** validation of a model a handler returns: types/patterns/unknown keys, no `required` check */
    validateModel(model: unknown): string[];
    /** a NEW object: `props` with the schema's top-level defaults filled in (the argument is not touched) */
    withDefaults(props: Props): Props;
    /** the primary identifier values of a model, or undefined if any component is missing */
    primaryIdentifierOf(model: unknown): Props | undefined;
    /** the structural rules `cfn validate` enforces on this document; [] = valid */
    checkSchemaShape(): string[];
}

/** '/properties/Foo' -> 'Foo'; '/properties/Foo/Bar' -> 'Foo/Bar' (nested pointers are kept whole) */
export function pointerToName(pointer: string): string {
    return pointer.replace(/^\/properties\//, '');
}

function topLevelName(pointer: string): string {
    return pointerToName(pointer).split('/')[0];
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** CloudFormation-only keywords: removed from the copy ajv compiles (ajv would tolerate them with strict:false anyway). */
const CFN_TOP_LEVEL_KEYWORDS = [
    '$schema',
    '$id',
    'typeName',
    'sourceUrl',
    'documentationUrl',
    'replacementStrategy',
    'taggable',
    'tagging',
    'readOnlyProperties',
    'writeOnlyProperties',
    'createOnlyProperties',
    'conditionalCreateOnlyProperties',
    'deprecatedProperties',
    'nonPublicProperties',
    'nonPublicDefinitions',
    'primaryIdentifier',
    'additionalIdentifiers',
    'handlers',
    'remote',
    'propertyTransform',
    'resourceLink',
    'typeConfiguration',
];

function formatError(e: ErrorObject, typeName: string): string {
    const at = `#${e.instancePath}`;
    switch (e.keyword) {
        case 'required': {
            const missing = String((e.params as { missingProperty?: string }).missingProperty);
            return `${at}/${missing}: is required`;
        }
        case 'additionalProperties': {
            const extra = String((e.params as { additionalProperty?: string }).additionalProperty);
            return `${at}/${extra}: is not a property of ${typeName} (additionalProperties is false)`;
        }
        default:
            return `${at}: ${e.message ?? e.keyword}`;
    }
}

function makeValidators(doc: ResourceSchemaDocument): { desired: ValidateFunction; model: ValidateFunction } {
    const base: Record<string, unknown> = JSON.parse(JSON.stringify(doc));
    for (const k of CFN_TOP_LEVEL_KEYWORDS) delete base[k];
    const ajv = new Ajv({
        strict: false, // CloudFormation keywords (insertionOrder, arrayType, relationshipRef, ...) are tolerated
        allErrors: true,
        useDefaults: false, // defaults are never written into what we validate (see withDefaults)
        validateFormats: true,
        logger: false, // unknown formats (no ajv-formats here) are ignored silently
    });
    const desired = ajv.compile(base);
    const modelSchema: Record<string, unknown> = JSON.parse(JSON.stringify(base));
    delete modelSchema.required;
    const model = ajv.compile(modelSchema);
    return { desired, model };
}

/** The rules `cfn validate` enforces beyond the meta-schema's plain shape. Returns messages; [] = valid. */
export function checkSchemaShape(docIn: unknown): string[] {
    const out: string[] = [];
    if (!isRecord(docIn)) return ['schema: must be a JSON object'];
    const doc = docIn as Partial<ResourceSchemaDocument>;

    for (const key of ['typeName', 'description', 'properties', 'primaryIdentifier', 'additionalProperties'] as const) {
        if (doc[key] === undefined) out.push(`${key}: is required`);
    }
    if (typeof doc.typeName !== 'string' || !TYPE_NAME_PATTERN.test(doc.typeName)) {
        out.push(`typeName: ${JSON.stringify(doc.typeName)} must match ${TYPE_NAME_PATTERN.source}`);
    }
    if (doc.additionalProperties !== false) {
        out.push('additionalProperties: must be false at the top level');
    }
    const props = isRecord(doc.properties) ? doc.properties : {};
    if (!isRecord(doc.properties) || Object.keys(props).length === 0) {
        out.push('properties: must be a non-empty object');
    }

    const lists: Array<[string, unknown]> = [
        ['readOnlyProperties', doc.readOnlyProperties],
        ['writeOnlyProperties', doc.writeOnlyProperties],
        ['createOnlyProperties', doc.createOnlyProperties],
        ['primaryIdentifier', doc.primaryIdentifier],
    ];
    for (const [name, list] of lists) {
        if (list === undefined) continue;
        if (!Array.isArray(list)) {
            out.push(`${name}: must be an array of JSON pointers`);
            continue;
        }
        list.forEach((p, i) => {
            if (typeof p !== 'string' || !p.startsWith('/properties/')) {
                out.push(`${name}[${i}]: ${JSON.stringify(p)} must be a pointer of the form /properties/<Name>`);
            } else if (!(topLevelName(p) in props)) {
                out.push(`${name}[${i}]: ${p} names no defined property`);
            }
        });
    }
    if (Array.isArray(doc.primaryIdentifier) && doc.primaryIdentifier.length === 0) {
        out.push('primaryIdentifier: must name at least one property');
    }
    if (doc.required !== undefined) {
        if (!Array.isArray(doc.required)) out.push('required: must be an array of property names');
        else
            doc.required.forEach((r, i) => {
                if (typeof r !== 'string' || !(r in props)) out.push(`required[${i}]: ${JSON.stringify(r)} names no defined property`);
            });
    }

    const ptrSet = (l: unknown): Set<string> => new Set(Array.isArray(l) ? l.filter((x): x is string => typeof x === 'string') : []);
    const ro = ptrSet(doc.readOnlyProperties);
    const co = ptrSet(doc.createOnlyProperties);
    const wo = ptrSet(doc.writeOnlyProperties);
    for (const p of ptrSet(doc.primaryIdentifier)) {
        if (!ro.has(p) && !co.has(p)) out.push(`primaryIdentifier: ${p} must be readOnly or createOnly`);
    }
    for (const p of ro) {
        if (wo.has(p)) out.push(`readOnlyProperties: ${p} is also writeOnly (it could never be read or written)`);
    }
    if (Array.isArray(doc.required)) {
        for (const r of doc.required) {
            if (typeof r === 'string' && ro.has(`/properties/${r}`)) {
                out.push(`required: ${r} is readOnly, so no template could supply it`);
            }
        }
    }

    if (!isRecord(doc.handlers)) {
        out.push('handlers: is required (create, read, update, delete, list)');
    } else {
        for (const action of HANDLER_ACTIONS) {
            const h = (doc.handlers as Record<string, unknown>)[action];
            if (!isRecord(h)) {
                out.push(`handlers.${action}: is required`);
                continue;
            }
            if (!Array.isArray(h.permissions) || h.permissions.length === 0) {
                out.push(`handlers.${action}.permissions: must be a non-empty array`);
            } else if (h.permissions.some((p) => typeof p !== 'string' || p.length === 0)) {
                out.push(`handlers.${action}.permissions: every entry must be a non-empty string`);
            }
            if (h.timeoutInMinutes !== undefined) {
                const t = h.timeoutInMinutes;
                if (typeof t !== 'number' || !Number.isInteger(t) || t < MIN_TIMEOUT_IN_MINUTES || t > MAX_TIMEOUT_IN_MINUTES) {
                    out.push(
                        `handlers.${action}.timeoutInMinutes: ${JSON.stringify(t)} must be an integer between ${MIN_TIMEOUT_IN_MINUTES} and ${MAX_TIMEOUT_IN_MINUTES}`,
                    );
                }
            }
        }
    }

    if (!isRecord(doc.tagging) || typeof doc.tagging.taggable !== 'boolean') {
        out.push('tagging.taggable: is required (boolean)');
    }

    // the property definitions must themselves compile as JSON schema
    if (out.length === 0) {
        try {
            makeValidators(doc as ResourceSchemaDocument);
        } catch (err) {
            out.push(`properties: not a valid JSON schema: ${(err as Error).message}`);
        }
    }
    return out;
}

export function schemaFromDocument(doc: ResourceSchemaDocument, sourcePath = '<inline>'): LoadedSchema {
    if (!isRecord(doc) || !isRecord(doc.properties) || typeof doc.typeName !== 'string') {
        throw new Error(`${sourcePath}: not a resource schema (typeName and properties are required)`);
    }
    const names = (l?: string[]): string[] => (l ?? []).map(pointerToName);
    const validators = makeValidators(doc);
    const readOnly = names(doc.readOnlyProperties);
    const primaryIdentifier = names(doc.primaryIdentifier);
    const handlers = doc.handlers ?? {};

    const schema: LoadedSchema = {
        path: sourcePath,
        document: doc,
        typeName: doc.typeName,
        properties: Object.keys(doc.properties),
        readOnly,
        writeOnly: names(doc.writeOnlyProperties),
        createOnly: names(doc.createOnlyProperties),
        required: [...(doc.required ?? [])],
        primaryIdentifier,
        handlers,
        timeoutInMinutes(action) {
            const h = (handlers as Record<string, HandlerDefinition | undefined>)[String(action).toLowerCase()];
            return h?.timeoutInMinutes ?? DEFAULT_TIMEOUT_IN_MINUTES;
        },
        validateDesired(props) {
            if (!isRecord(props)) return ['#: must be an object of resource properties'];
            const out: string[] = [];
            for (const ro of readOnly) {
                if (!ro.includes('/') && props[ro] !== undefined) {
                    out.push(`#/${ro}: is read-only and must not be supplied`);
                }
            }
            const copy = JSON.parse(JSON.stringify(props));
            if (!validators.desired(copy)) {
                for (const e of validators.desired.errors ?? []) out.push(formatError(e, doc.typeName));
            }
            return out;
        },
        validateModel(model) {
            if (!isRecord(model)) return ['#: must be an object'];
            const copy = JSON.parse(JSON.stringify(model));
            if (validators.model(copy)) return [];
            return (validators.model.errors ?? []).map((e) => formatError(e, doc.typeName));
        },
        withDefaults(props) {
            const copy: Props = JSON.parse(JSON.stringify(props ?? {}));
            for (const [name, def] of Object.entries(doc.properties)) {
                if (copy[name] === undefined && def.default !== undefined) {
                    copy[name] = JSON.parse(JSON.stringify(def.default));
                }
            }
            return copy;
        },
        primaryIdentifierOf(model) {
            if (!isRecord(model) || primaryIdentifier.length === 0) return undefined;
            const id: Props = {};
            for (const k of primaryIdentifier) {
                if (model[k] === undefined || model[k] === null || model[k] === '') return undefined;
                id[k] = model[k];
            }
            return id;
        },
        checkSchemaShape() {
            return checkSchemaShape(doc);
        },
    };
    return schema;
}

export function loadSchema(schemaPath: string = DEFAULT_SCHEMA_PATH): LoadedSchema {
    const abs = path.resolve(schemaPath);
    let doc: ResourceSchemaDocument;
    try {
        doc = JSON.parse(fs.readFileSync(abs, 'utf8'));
    } catch (err) {
        throw new Error(`cannot read resource schema ${abs}: ${(err as Error).message}`);
    }
    return schemaFromDocument(doc, abs);
}
