/**
 * SSM Parameter Store, the String parameters the handler keeps its key-store records in: PutParameter,
 * GetParameter, DeleteParameter, GetParametersByPath. Standard tier only (values up to 4 KB).
 * Errors and constraints as the SSM API reference gives them (ParameterAlreadyExists without Overwrite,
 * ParameterNotFound, names that start with "aws"/"ssm" refused); the exact wording of the messages is assumed.
 */
import type { Sim } from '../sim';
import type { Parameter } from '../state';
import { AwsError, decodeToken, encodeToken, Json, page, Validator } from '../wire';

type Handler = (sim: Sim, body: Json) => Json;

const NAME = { min: 1, max: 2048, pattern: /^[a-zA-Z0-9_.\-/]+$/ };
const STANDARD_MAX_VALUE = 4096;

function checkName(name: string): void {
    const bare = name.replace(/^\//, '').toLowerCase();
    if (bare.startsWith('aws') || bare.startsWith('ssm')) {
        throw new AwsError('ValidationException', 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).');
    }
    if (name.includes('/') && !name.startsWith('/')) throw new AwsError('ValidationException', 'Parameter name must be a fully qualified name.');
    if (name.split('/').length - 1 > 15) throw new AwsError('HierarchyLevelLimitExceededException', 'A hierarchy can have a maximum of 15 levels.');
}

function shape(sim: Sim, p: Parameter): Json {
    return {
        Name: p.name,
        Type: p.type,
        Value: p.value,
        Version: p.version,
        LastModifiedDate: sim.epoch(p.modifiedAt),
        ARN: `arn:aws:ssm:${sim.config.region}:${sim.config.accountId}:parameter${p.name.startsWith('/') ? '' : '/'}${p.name}`,
        DataType: 'text',
    };
}

function find(sim: Sim, name: string): Parameter {
    const p = sim.world.parameters.get(name);
    if (!p) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
    return p;
}

const PutParameter: Handler = (sim, body) => {
    const v = new Validator(body);
    const name = v.str('Name', { required: true, ...NAME })!;
    const value = v.str('Value', { required: true, min: 1 })!;
    const type = v.str('Type', { enum: ['String', 'StringList', 'SecureString'] });
    const description = v.str('Description', { max: 1024 });
    const overwrite = v.bool('Overwrite') ?? false;
    v.str('Tier', { enum: ['Standard', 'Advanced', 'Intelligent-Tiering'] });
    v.str('DataType');
    v.done();
    checkName(name);
    if (value.length > STANDARD_MAX_VALUE)
        throw new AwsError('ValidationException', `Standard parameters can have a value of at most ${STANDARD_MAX_VALUE} characters.`);
    const existing = sim.world.parameters.get(name);
    if (existing && !overwrite)
        throw new AwsError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    if (existing && type && type !== existing.type)
        throw new AwsError('HierarchyTypeMismatchException', 'Parameter Type cannot be changed for an existing parameter.');
    if (!existing && !type) throw new AwsError('ValidationException', 'A parameter type is required when you create a parameter.');
    const p: Parameter = {
        name,
        type: existing?.type ?? type!,
        value,
        description: description ?? existing?.description,
        version: (existing?.version ?? 0) + 1,
        modifiedAt: sim.now(),
    };
    sim.world.parameters.set(name, p);
    return { Version: p.version, Tier: 'Standard' };
};

const GetParameter: Handler = (sim, body) => {
    const v = new Validator(body);
    const name = v.str('Name', { required: true, ...NAME })!;
    v.bool('WithDecryption');
    v.done();
    return { Parameter: shape(sim, find(sim, name)) };
};

const DeleteParameter: Handler = (sim, body) => {
    const v = new Validator(body);
    const name = v.str('Name', { required: true, ...NAME })!;
    v.done();
    find(sim, name);
    sim.world.parameters.delete(name);
    return {};
};

const GetParametersByPath: Handler = (sim, body) => {
    const v = new Validator(body);
    const path = v.str('Path', { required: true, ...NAME })!;
    const recursive = v.bool('Recursive') ?? false;
    v.bool('WithDecryption');
    const max = v.int('MaxResults', { min: 1, max: 10 }) ?? 10;
    const token = v.str('NextToken');
    v.done();
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const all = [...sim.world.parameters.values()]
        .filter((p) => p.name.startsWith(prefix) && (recursive || !p.name.slice(prefix.length).includes('/')))
        .sort((a, b) => a.name.localeCompare(b.name));
    const p = page(all, decodeToken(token, 'InvalidNextToken', 'The specified token is not valid.'), max);
    return { Parameters: p.items.map((x) => shape(sim, x)), ...(p.next !== undefined ? { NextToken: encodeToken(p.next) } : {}) };
};

export const parameterOperations: Record<string, Handler> = { PutParameter, GetParameter, DeleteParameter, GetParametersByPath };
