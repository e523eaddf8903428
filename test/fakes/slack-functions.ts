/**
 * Workflow steps on the fake Slack (an app's custom functions, run by Workflow Builder): a step's
 * execution, the `function_executed` event Slack sends the app about it, and the two methods that end
 * it. As Slack's:
 * - each execution has its own just-in-time token (`bot_access_token` in the event), good for 15
 *   minutes and revoked when the step completes; `functions.completeSuccess`/`completeError` accept
 *   only that token (`access_denied` for any other, the bot token included);
 * - a step completes once: a second completion answers `function_execution_not_found`;
 * - the outputs must match the function's output parameters as the manifest declares them
 *   (`parameter_validation_failed` otherwise), and the inputs the event carries match its inputs.
 * The definitions are read from manifest.yml, so the fake knows the step the way Slack would.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

type Json = Record<string, unknown>;
type Result = { ok: boolean; error?: string } & Record<string, unknown>;

/** Slack: a workflow token expires 15 minutes after it was issued, or when its step completes. */
export const JIT_TOKEN_TTL_MS = 15 * 60_000;

export interface ParameterDefinition {
  type: string;
  title?: string;
  description?: string;
  hint?: string;
}

/** A function as the manifest (major version 2) declares it. */
export interface FunctionDefinition {
  title: string;
  description?: string;
  input_parameters: { properties: Record<string, ParameterDefinition>; required?: string[] };
  output_parameters: { properties: Record<string, ParameterDefinition>; required?: string[] };
}

export interface FakeExecution {
  id: string;
  callbackId: string;
  inputs: Json;
  /** The step's own token (`bot_access_token`). */
  token: string;
  issuedAt: number;
  /** How the step ended: once, by the first completion Slack took. */
  completed?: { at: number; outputs: Json } | { at: number; error: string };
}

export interface FakeFunctions {
  readonly definitions: ReadonlyMap<string, FunctionDefinition>;
  readonly executions: Map<string, FakeExecution>;
  /**
   * Runs a step of the app's `callbackId` with `inputs`, as a workflow does: a new execution and the
   * `event_callback` envelope Slack sends about it (post it signed to the app, or over its socket).
   */
  execute(callbackId: string, inputs: Json): { execution: FakeExecution; envelope: Json };
  /** For the fake's authentication: whether `token` is a workflow token, and its state now. */
  tokenState(token: string): 'live' | 'expired' | 'revoked' | undefined;
  methods: Record<'functions.completeSuccess' | 'functions.completeError', (args: Json, token: string | undefined) => Result>;
}

export interface FakeFunctionsOptions {
  teamId: string;
  appId: string;
  botUserId: string;
  now: () => number;
  refuse: (method: string, error: string, extra?: Json) => Result;
  /** Default: the `functions` of the repository's manifest.yml. */
  definitions?: Record<string, FunctionDefinition>;
}

const MANIFEST = path.join(__dirname, '../../manifest.yml');

/** The `functions` section of manifest.yml. */
export function manifestFunctions(file = MANIFEST): Record<string, FunctionDefinition> {
  const manifest = parse(readFileSync(file, 'utf8')) as { functions?: Record<string, FunctionDefinition> };
  return manifest.functions ?? {};
}

/** What a value must look like for a parameter type; the types the app's step uses, and Slack's plain ones. */
const TYPE_CHECKS: Record<string, (value: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  'slack#/types/channel_id': (v) => typeof v === 'string' && /^[CGD][A-Z0-9]{2,}$/.test(v),
  'slack#/types/user_id': (v) => typeof v === 'string' && /^[UW][A-Z0-9]{2,}$/.test(v),
};

/** What is wrong with `values` for `parameters`, as Slack's validation says it; empty when fine. */
export function parameterProblems(parameters: FunctionDefinition['input_parameters'], values: unknown, what: string): string[] {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return [`${what} must be an object`];
  const problems: string[] = [];
  for (const name of parameters.required ?? []) {
    if ((values as Json)[name] === undefined) problems.push(`${what}.${name} is required`);
  }
  for (const [name, value] of Object.entries(values as Json)) {
    const parameter = parameters.properties[name];
    if (parameter === undefined) problems.push(`${what}.${name} is not a parameter of this function`);
    else if (value !== undefined && !(TYPE_CHECKS[parameter.type]?.(value) ?? false)) problems.push(`${what}.${name} must be of type ${parameter.type}`);
  }
  return problems;
}

export function createFakeFunctions(opts: FakeFunctionsOptions): FakeFunctions {
  const definitions = new Map(Object.entries(opts.definitions ?? manifestFunctions()));
  const executions = new Map<string, FakeExecution>();
  const byToken = new Map<string, FakeExecution>();
  let counter = 0;
  const id = (prefix: string): string => `${prefix}${(++counter).toString(36).toUpperCase().padStart(10, '0')}`;

  const wireParameters = (parameters: FunctionDefinition['input_parameters']) =>
    Object.entries(parameters.properties).map(([name, p]) => ({
      type: p.type,
      name,
      description: p.description ?? '',
      title: p.title ?? name,
      is_required: (parameters.required ?? []).includes(name),
    }));

  /** The checks both completions share; a refusal, or the execution to complete. */
  const completable = (method: string, args: Json, token: string | undefined): { refused: Result } | { execution: FakeExecution } => {
    const execution = typeof args.function_execution_id === 'string' ? executions.get(args.function_execution_id) : undefined;
    if (execution === undefined || execution.completed !== undefined) return { refused: opts.refuse(method, 'function_execution_not_found') };
    if (token !== execution.token) return { refused: opts.refuse(method, 'access_denied') };
    if (opts.now() - execution.issuedAt > JIT_TOKEN_TTL_MS) return { refused: opts.refuse(method, 'token_expired') };
    return { execution };
  };

  return {
    definitions,
    executions,
    execute(callbackId, inputs) {
      const definition = definitions.get(callbackId);
      if (definition === undefined) throw new Error(`fake Slack: the manifest declares no function ${callbackId}`);
      const problems = parameterProblems(definition.input_parameters, inputs, 'inputs');
      if (problems.length > 0) throw new Error(`fake Slack: Workflow Builder would not run these inputs: ${problems.join('; ')}`);
      const at = opts.now();
      const execution: FakeExecution = { id: id('Fx'), callbackId, inputs, token: `xwfp-${randomBytes(24).toString('hex')}`, issuedAt: at };
      executions.set(execution.id, execution);
      byToken.set(execution.token, execution);
      const seconds = Math.floor(at / 1000);
      const envelope: Json = {
        token: 'deprecated-verification-token',
        team_id: opts.teamId,
        api_app_id: opts.appId,
        event: {
          type: 'function_executed',
          function: {
            id: id('Fn'),
            callback_id: callbackId,
            title: definition.title,
            description: definition.description ?? '',
            type: 'app',
            input_parameters: wireParameters(definition.input_parameters),
            output_parameters: wireParameters(definition.output_parameters),
            app_id: opts.appId,
            date_created: seconds,
            date_updated: seconds,
            date_deleted: 0,
          },
          inputs,
          function_execution_id: execution.id,
          workflow_execution_id: id('Wx'),
          event_ts: `${seconds}.${String(at % 1000).padStart(3, '0')}000`,
          bot_access_token: execution.token,
        },
        type: 'event_callback',
        event_id: id('Ev'),
        event_time: seconds,
        authorizations: [{ enterprise_id: null, team_id: opts.teamId, user_id: opts.botUserId, is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
      };
      return { execution, envelope };
    },
    tokenState(token) {
      const execution = byToken.get(token);
      if (execution === undefined) return undefined;
      if (execution.completed !== undefined) return 'revoked';
      return opts.now() - execution.issuedAt > JIT_TOKEN_TTL_MS ? 'expired' : 'live';
    },
    methods: {
      'functions.completeSuccess': (args, token) => {
        const found = completable('functions.completeSuccess', args, token);
        if ('refused' in found) return found.refused;
        const { execution } = found;
        const definition = definitions.get(execution.callbackId);
        const problems = definition ? parameterProblems(definition.output_parameters, args.outputs, 'outputs') : ['unknown function'];
        if (problems.length > 0) return opts.refuse('functions.completeSuccess', 'parameter_validation_failed', { errors: problems });
        execution.completed = { at: opts.now(), outputs: args.outputs as Json };
        return { ok: true };
      },
      'functions.completeError': (args, token) => {
        const found = completable('functions.completeError', args, token);
        if ('refused' in found) return found.refused;
        if (typeof args.error !== 'string' || args.error.trim() === '') return opts.refuse('functions.completeError', 'invalid_arguments');
        found.execution.completed = { at: opts.now(), error: args.error };
        return { ok: true };
      },
    },
  };
}
