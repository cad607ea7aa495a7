/** What the docs and examples tests share: the schema (found through .rpdk-config) and a YAML reader for templates. */
import { readFileSync } from 'fs';
import * as yaml from 'js-yaml';
import { join } from 'path';

export const ROOT = join(__dirname, '../..');

export interface Schema {
    typeName: string;
    properties: Record<string, { type: string; pattern?: string; minLength?: number; maxLength?: number; default?: unknown; description: string }>;
    required: string[];
    readOnlyProperties: string[];
    writeOnlyProperties: string[];
    createOnlyProperties: string[];
    primaryIdentifier: string[];
    handlers: Record<string, { permissions: string[] }>;
    [key: string]: unknown;
}

const typeName = (JSON.parse(readFileSync(join(ROOT, '.rpdk-config'), 'utf8')) as { typeName: string }).typeName;
export const SCHEMA_FILE = `${typeName.split('::').join('-').toLowerCase()}.json`;
export const SCHEMA = JSON.parse(readFileSync(join(ROOT, SCHEMA_FILE), 'utf8')) as Schema;

const names = (pointers: string[]) => pointers.map((p) => p.replace('/properties/', ''));
export const READ_ONLY = names(SCHEMA.readOnlyProperties);
export const WRITE_ONLY = names(SCHEMA.writeOnlyProperties);
export const CREATE_ONLY = names(SCHEMA.createOnlyProperties);
/** The union of every handler's permissions: what the execution role must grant. */
export const HANDLER_PERMISSIONS = [...new Set(Object.values(SCHEMA.handlers).flatMap((h) => h.permissions))].sort();

/** CloudFormation's short-form intrinsic functions, read as their long forms. */
const INTRINSICS = [
    'Ref',
    'GetAtt',
    'Sub',
    'ImportValue',
    'If',
    'Equals',
    'Not',
    'And',
    'Or',
    'Join',
    'Select',
    'Split',
    'FindInMap',
    'GetAZs',
    'Base64',
    'Cidr',
    'Condition',
];
const longName = (tag: string) => (tag === 'Ref' || tag === 'Condition' ? tag : `Fn::${tag}`);
const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend(
    INTRINSICS.flatMap((tag) =>
        (['scalar', 'sequence', 'mapping'] as const).map(
            (kind) =>
                new yaml.Type(`!${tag}`, {
                    kind,
                    construct: (data: unknown) => ({ [longName(tag)]: tag === 'GetAtt' && typeof data === 'string' ? data.split('.') : data }),
                }),
        ),
    ),
);

export interface Statement {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource: unknown;
    Principal?: unknown;
    Condition?: unknown;
}
export interface Resource {
    Type: string;
    Properties?: Record<string, unknown>;
    DependsOn?: unknown;
    DeletionPolicy?: string;
    UpdateReplacePolicy?: string;
}
export interface Template {
    Description?: string;
    Parameters?: Record<string, { Type: string; Default?: unknown; AllowedPattern?: string }>;
    Conditions?: Record<string, unknown>;
    Resources: Record<string, Resource>;
    Outputs?: Record<string, { Value: unknown }>;
}

export const loadTemplate = (file: string): Template => yaml.load(readFileSync(join(ROOT, file), 'utf8'), { schema: CFN_SCHEMA }) as Template;

export const actions = (s: Statement): string[] => ([] as string[]).concat(s.Action);

/** Every {Fn::GetAtt: [resource, attribute]} and {Ref: name} in a template. */
export function references(node: unknown, out: { getAtts: Array<[string, string]>; refs: string[] } = { getAtts: [], refs: [] }) {
    if (Array.isArray(node)) node.forEach((n) => references(n, out));
    else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
            if (k === 'Fn::GetAtt' && Array.isArray(v)) out.getAtts.push([String(v[0]), String(v[1])]);
            else if (k === 'Ref' && typeof v === 'string') out.refs.push(v);
            else references(v, out);
        }
    }
    return out;
}

/** The names ${Name} inside every Fn::Sub string of a template (AWS:: pseudo parameters included). */
export function subNames(node: unknown, out: string[] = []): string[] {
    if (Array.isArray(node)) node.forEach((n) => subNames(n, out));
    else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
            if (k === 'Fn::Sub' && typeof v === 'string') for (const m of v.matchAll(/\$\{([^}!]+)\}/g)) out.push(m[1]);
            else subNames(v, out);
        }
    }
    return out;
}
