import { KeyStoreProps } from '../workflow/types';

/** The parts of the resource schema that validation reads. */
interface PropertySchema {
    type?: string;
    pattern?: string;
    minLength?: number;
    maxLength?: number;
    enum?: unknown[];
}
interface ResourceSchema {
    typeName: string;
    properties: Record<string, PropertySchema>;
    required?: string[];
    readOnlyProperties?: string[];
    createOnlyProperties?: string[];
}

// The registered type's own schema, bundled with the function: one source of truth for both entry points.
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const SCHEMA = require('../../custom-kms-cloudhsmkeystore.json') as ResourceSchema;

/** CloudFormation's own properties of a custom resource, never the provider's. */
const PROTOCOL_PROPERTIES = new Set(['ServiceToken', 'ServiceTimeout']);
const names = (pointers: string[] = []) => pointers.map((p) => p.replace(/^\/properties\//, ''));
const READ_ONLY = new Set(names(SCHEMA.readOnlyProperties));
export const CREATE_ONLY = names(SCHEMA.createOnlyProperties);

/**
 * CloudFormation passes every scalar of a custom resource as a string ("true", "14"); the schema's
 * booleans and numbers are turned back into what the registered type receives. Anything else is left
 * as it is, so validation reports it with the type it arrived as.
 */
export function coerce(raw: Record<string, unknown> | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(raw ?? {})) {
        if (PROTOCOL_PROPERTIES.has(name)) continue;
        const type = SCHEMA.properties[name]?.type;
        if (typeof value === 'string' && type === 'boolean' && (value === 'true' || value === 'false')) out[name] = value === 'true';
        else if (typeof value === 'string' && (type === 'integer' || type === 'number') && value.trim() !== '' && Number.isFinite(Number(value))) out[name] = Number(value);
        else out[name] = value;
    }
    return out;
}

const TYPE_NAMES: Record<string, string> = { string: 'String', boolean: 'Boolean', integer: 'Integer', number: 'Number', object: 'JSONObject', array: 'JSONArray' };

function typeOf(value: unknown): string {
    if (Array.isArray(value)) return 'JSONArray';
    if (value === null) return 'Null';
    if (typeof value === 'object') return 'JSONObject';
    if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'Number';
    return TYPE_NAMES[typeof value] ?? typeof value;
}

function matchesType(type: string | undefined, value: unknown): boolean {
    switch (type) {
        case undefined: return true;
        case 'string': return typeof value === 'string';
        case 'boolean': return typeof value === 'boolean';
        case 'integer': return typeof value === 'number' && Number.isInteger(value);
        case 'number': return typeof value === 'number';
        case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
        case 'array': return Array.isArray(value);
        default: return true;
    }
}

/**
 * The checks CloudFormation makes against the schema before a registered type's handler runs, worded
 * as CloudFormation words them (its resource-schema validator: values are never echoed). [assumed: the
 * keyword list covers what this schema uses: type, pattern, minLength, maxLength, enum, required,
 * additionalProperties false and read-only properties.]
 */
export function validate(props: Record<string, unknown>): string[] {
    const errors: string[] = [];
    for (const name of SCHEMA.required ?? []) if (props[name] === undefined) errors.push(`#: required key [${name}] not found`);
    for (const [name, value] of Object.entries(props)) {
        const def = SCHEMA.properties[name];
        if (!def) {
            errors.push(`#: extraneous key [${name}] is not permitted`);
            continue;
        }
        if (READ_ONLY.has(name)) {
            errors.push(`#/${name}: is read-only and cannot be set in a template (CloudFormation sets it)`);
            continue;
        }
        if (!matchesType(def.type, value)) {
            errors.push(`#/${name}: expected type: ${TYPE_NAMES[def.type ?? ''] ?? def.type}, found: ${typeOf(value)}`);
            continue;
        }
        if (typeof value === 'string') {
            if (def.minLength !== undefined && value.length < def.minLength) errors.push(`#/${name}: expected minLength: ${def.minLength}, actual: ${value.length}`);
            if (def.maxLength !== undefined && value.length > def.maxLength) errors.push(`#/${name}: expected maxLength: ${def.maxLength}, actual: ${value.length}`);
            if (def.pattern !== undefined && !new RegExp(def.pattern, 'u').test(value)) errors.push(`#/${name}: failed validation constraint for keyword [pattern]`);
        }
        if (def.enum && !def.enum.includes(value)) errors.push(`#/${name}: failed validation constraint for keyword [enum]`);
    }
    return errors;
}

/** The message CloudFormation gives when properties fail the schema. [assumed: a list in brackets when several fail] */
export function validationMessage(logicalResourceId: string, errors: string[]): string {
    const detail = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
    return `Properties validation failed for resource ${logicalResourceId} with message: ${detail}`;
}

/** Template property names (PascalCase) -> the model's field names, as `cfn generate` writes them. */
export function toKeyStoreProps(props: Record<string, unknown>): KeyStoreProps {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(props)) if (SCHEMA.properties[name] && value !== undefined) out[name[0].toLowerCase() + name.slice(1)] = value;
    return out as KeyStoreProps;
}

export type Parsed = { ok: true; props: KeyStoreProps; raw: Record<string, unknown> } | { ok: false; message: string };

/** Coerces and validates one ResourceProperties object. */
export function parseProperties(logicalResourceId: string, raw: Record<string, unknown> | undefined): Parsed {
    const props = coerce(raw);
    const errors = validate(props);
    if (errors.length) return { ok: false, message: validationMessage(logicalResourceId, errors) };
    return { ok: true, props: toKeyStoreProps(props), raw: props };
}

/** Create-only properties whose value differs: CloudFormation's rule is that such a change replaces the resource. */
export function createOnlyChanges(oldProps: Record<string, unknown>, newProps: Record<string, unknown>): string[] {
    return CREATE_ONLY.filter((name) => JSON.stringify(oldProps[name]) !== JSON.stringify(newProps[name]));
}

/** The properties CloudFormation passes as strings, read as numbers (e.g. ServiceTimeout). */
export function serviceTimeoutSeconds(raw: Record<string, unknown> | undefined): number {
    const n = Number(raw?.ServiceTimeout);
    // ServiceTimeout: 1-3600 seconds, default 3600 (crpg-ref-requests); CloudFormation rejects other values itself.
    return Number.isFinite(n) && n >= 1 && n <= 3600 ? Math.floor(n) : 3600;
}
