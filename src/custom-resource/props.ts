import { KeyStoreProps } from '../keystore/types';

/** The parts of a resource schema that validation reads. */
export interface PropertySchema {
    type?: string | string[];
    pattern?: string;
    minLength?: number;
    maxLength?: number;
    minimum?: number;
    maximum?: number;
    enum?: unknown[];
    maxItems?: number;
    uniqueItems?: boolean;
    items?: PropertySchema;
    properties?: Record<string, PropertySchema>;
    required?: string[];
    additionalProperties?: boolean;
    $ref?: string;
}
export interface ResourceSchema {
    typeName: string;
    properties: Record<string, PropertySchema>;
    definitions?: Record<string, PropertySchema>;
    required?: string[];
    readOnlyProperties?: string[];
    createOnlyProperties?: string[];
}

// The registered type's own schema, bundled with the function: one source of truth for both entry points.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the schema is bundled as required, and read at run time
export const SCHEMA = require('../../custom-kms-cloudhsmkeystore.json') as ResourceSchema;

/** CloudFormation's own properties of a custom resource, never the provider's. */
const PROTOCOL_PROPERTIES = new Set(['ServiceToken', 'ServiceTimeout']);
const names = (pointers: string[] = []) => pointers.map((p) => p.replace(/^\/properties\//, ''));

const TYPE_NAMES: Record<string, string> = {
    string: 'String',
    boolean: 'Boolean',
    integer: 'Integer',
    number: 'Number',
    object: 'JSONObject',
    array: 'JSONArray',
};

function typeOf(value: unknown): string {
    if (Array.isArray(value)) return 'JSONArray';
    if (value === null) return 'Null';
    if (typeof value === 'object') return 'JSONObject';
    if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'Number';
    return TYPE_NAMES[typeof value] ?? typeof value;
}

function matchesType(type: string | string[] | undefined, value: unknown): boolean {
    if (Array.isArray(type)) return type.some((t) => matchesType(t, value));
    switch (type) {
        case undefined:
            return true;
        case 'string':
            return typeof value === 'string';
        case 'boolean':
            return typeof value === 'boolean';
        case 'integer':
            return typeof value === 'number' && Number.isInteger(value);
        case 'number':
            return typeof value === 'number';
        case 'object':
            return typeof value === 'object' && value !== null && !Array.isArray(value);
        case 'array':
            return Array.isArray(value);
        default:
            return true;
    }
}

const expectedType = (type: string | string[]) =>
    Array.isArray(type) ? `one of [${type.map((t) => TYPE_NAMES[t] ?? t).join(', ')}]` : (TYPE_NAMES[type] ?? type);

/**
 * The property rules of one resource schema: what CloudFormation checks before a registered type's handler
 * runs, and how a custom resource's string properties become the schema's types.
 */
export class PropertyRules {
    private readonly readOnly: Set<string>;
    readonly createOnly: string[];

    constructor(readonly schema: ResourceSchema) {
        this.readOnly = new Set(names(schema.readOnlyProperties));
        this.createOnly = names(schema.createOnlyProperties);
    }

    private resolve(def: PropertySchema): PropertySchema {
        const ref = def.$ref?.replace(/^#\/definitions\//, '');
        return ref !== undefined ? (this.schema.definitions?.[ref] ?? {}) : def;
    }

    /**
     * CloudFormation passes every scalar of a custom resource as a string ("true", "14"); the schema's
     * booleans and numbers are turned back into what the registered type receives. Anything else is left
     * as it is, so validation reports it with the type it arrived as.
     */
    coerce(raw: Record<string, unknown> | undefined): Record<string, unknown> {
        const out: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(raw ?? {})) {
            if (PROTOCOL_PROPERTIES.has(name)) continue;
            out[name] = this.coerceValue(this.schema.properties[name], value);
        }
        return out;
    }

    private coerceValue(schemaDef: PropertySchema | undefined, value: unknown): unknown {
        if (!schemaDef) return value;
        const def = this.resolve(schemaDef);
        const type = def.type;
        if (typeof value === 'string' && type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
        if (typeof value === 'string' && (type === 'integer' || type === 'number') && value.trim() !== '' && Number.isFinite(Number(value)))
            return Number(value);
        // Nested values of a template's lists and objects (e.g. Tags) arrive as strings too.
        if (Array.isArray(value) && def.items) return value.map((v) => this.coerceValue(def.items, v));
        if (value && typeof value === 'object' && !Array.isArray(value) && def.properties) {
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.coerceValue(def.properties?.[k], v)]));
        }
        return value;
    }

    /**
     * The checks CloudFormation makes against the schema before a registered type's handler runs, worded
     * as CloudFormation words them (its resource-schema validator: values are never echoed). [assumed: the
     * keyword list covers what the schemas use: type, pattern, minLength, maxLength, minimum, maximum, enum,
     * required, maxItems, uniqueItems, items, $ref, additionalProperties false and read-only properties; the
     * wording of minimum, maximum, maxItems, uniqueItems and of a list of types is everit's, not seen from
     * CloudFormation itself.]
     */
    validate(props: Record<string, unknown>): string[] {
        const errors: string[] = [];
        for (const name of this.schema.required ?? []) if (props[name] === undefined) errors.push(`#: required key [${name}] not found`);
        for (const [name, value] of Object.entries(props)) {
            const def = this.schema.properties[name];
            if (!def) {
                errors.push(`#: extraneous key [${name}] is not permitted`);
                continue;
            }
            if (this.readOnly.has(name)) {
                errors.push(`#/${name}: is read-only and cannot be set in a template (CloudFormation sets it)`);
                continue;
            }
            this.check(def, value, `#/${name}`, errors);
        }
        return errors;
    }

    private check(schemaDef: PropertySchema, value: unknown, at: string, errors: string[]): void {
        const def = this.resolve(schemaDef);
        if (def.type !== undefined && !matchesType(def.type, value)) {
            errors.push(`${at}: expected type: ${expectedType(def.type)}, found: ${typeOf(value)}`);
            return;
        }
        if (typeof value === 'string') {
            if (def.minLength !== undefined && value.length < def.minLength)
                errors.push(`${at}: expected minLength: ${def.minLength}, actual: ${value.length}`);
            if (def.maxLength !== undefined && value.length > def.maxLength)
                errors.push(`${at}: expected maxLength: ${def.maxLength}, actual: ${value.length}`);
            if (def.pattern !== undefined && !new RegExp(def.pattern, 'u').test(value))
                errors.push(`${at}: failed validation constraint for keyword [pattern]`);
        }
        if (typeof value === 'number') {
            if (def.minimum !== undefined && value < def.minimum) errors.push(`${at}: failed validation constraint for keyword [minimum]`);
            if (def.maximum !== undefined && value > def.maximum) errors.push(`${at}: failed validation constraint for keyword [maximum]`);
        }
        if (def.enum && !def.enum.includes(value)) errors.push(`${at}: failed validation constraint for keyword [enum]`);
        if (Array.isArray(value)) {
            if (def.maxItems !== undefined && value.length > def.maxItems)
                errors.push(`${at}: expected maximum item count: ${def.maxItems}, found: ${value.length}`);
            if (def.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) errors.push(`${at}: array items are not unique`);
            if (def.items) value.forEach((v, i) => this.check(def.items as PropertySchema, v, `${at}/${i}`, errors));
        }
        if (value && typeof value === 'object' && !Array.isArray(value) && def.properties) {
            const obj = value as Record<string, unknown>;
            for (const name of def.required ?? []) if (obj[name] === undefined) errors.push(`${at}: required key [${name}] not found`);
            for (const [name, v] of Object.entries(obj)) {
                const inner = def.properties[name];
                if (inner) this.check(inner, v, `${at}/${name}`, errors);
                else if (def.additionalProperties === false) errors.push(`${at}: extraneous key [${name}] is not permitted`);
            }
        }
    }

    /** Coerces and validates one ResourceProperties object: the template's properties, or CloudFormation's message. */
    parse(logicalResourceId: string, raw: Record<string, unknown> | undefined): Checked {
        const props = this.coerce(raw);
        const errors = this.validate(props);
        return errors.length ? { ok: false, message: validationMessage(logicalResourceId, errors) } : { ok: true, raw: props };
    }

    /** Create-only properties whose value differs: CloudFormation's rule is that such a change replaces the resource. */
    createOnlyChanges(oldProps: Record<string, unknown>, newProps: Record<string, unknown>): string[] {
        return this.createOnly.filter((name) => JSON.stringify(oldProps[name]) !== JSON.stringify(newProps[name]));
    }
}

export type Checked = { ok: true; raw: Record<string, unknown> } | { ok: false; message: string };

/** The key store's rules (the registered type's schema). */
export const STORE_RULES = new PropertyRules(SCHEMA);
export const CREATE_ONLY = STORE_RULES.createOnly;

export const coerce = (raw: Record<string, unknown> | undefined) => STORE_RULES.coerce(raw);
export const validate = (props: Record<string, unknown>) => STORE_RULES.validate(props);
export const createOnlyChanges = (oldProps: Record<string, unknown>, newProps: Record<string, unknown>) => STORE_RULES.createOnlyChanges(oldProps, newProps);

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

/** Coerces and validates one key store ResourceProperties object. */
export function parseProperties(logicalResourceId: string, raw: Record<string, unknown> | undefined): Parsed {
    const checked = STORE_RULES.parse(logicalResourceId, raw);
    return checked.ok ? { ok: true, props: toKeyStoreProps(checked.raw), raw: checked.raw } : checked;
}

/** The properties CloudFormation passes as strings, read as numbers (e.g. ServiceTimeout). */
export function serviceTimeoutSeconds(raw: Record<string, unknown> | undefined): number {
    const n = Number(raw?.ServiceTimeout);
    // ServiceTimeout: 1-3600 seconds, default 3600 (crpg-ref-requests); CloudFormation rejects other values itself.
    return Number.isFinite(n) && n >= 1 && n <= 3600 ? Math.floor(n) : 3600;
}
