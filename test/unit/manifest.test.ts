/**
 * manifest.yml as Slack reads it, for the Workflow Builder step and the Home tab: the rules of Slack's
 * manifest schema that apply to them (major version 2: parameters as `properties` and `required`;
 * types from Slack's set; a function's title; `function_runtime: remote` and an org-ready app for
 * functions; the events they need), and the code and the manifest naming the same step, inputs and
 * outputs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { STEP_CALLBACK_ID, STEP_INPUTS } from '../../src/workflow/inputs';
import { stepEnd } from '../../src/workflow/outcome';
import { parameterProblems, type FunctionDefinition } from '../fakes/slack-functions';
import { makeRun, makeSession } from './blocks-fixtures';

type Json = Record<string, unknown>;

const manifest = parse(readFileSync(path.join(__dirname, '../../manifest.yml'), 'utf8')) as Json;

/**
 * The parameter types Slack's manifest takes: the schema's plain types, Slack's own types, and its
 * custom object types (deno-slack-sdk's `Schema.types`, `Schema.slack.types`).
 */
const SLACK_TYPES = new Set([
  'string',
  'integer',
  'number',
  'boolean',
  'object',
  'array',
  'slack#/types/blocks',
  'slack#/types/canvas_id',
  'slack#/types/canvas_template_id',
  'slack#/types/channel_id',
  'slack#/types/date',
  'slack#/types/expanded_rich_text',
  'slack#/types/file_id',
  'slack#/types/list_id',
  'slack#/types/message_ts',
  'slack#/types/credential/oauth2',
  'slack#/types/rich_text',
  'slack#/types/team_id',
  'slack#/types/timestamp',
  'slack#/types/user_id',
  'slack#/types/usergroup_id',
  'slack#/types/interactivity',
  'slack#/types/user_context',
  'slack#/types/message_context',
]);
const PARAMETER_FIELDS = new Set(['type', 'title', 'description', 'hint', 'default', 'items', 'properties', 'dynamic_options']);

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What Slack's schema would refuse in a manifest's `functions` and the settings they need; empty when fine. */
function functionProblems(m: Json): string[] {
  const problems: string[] = [];
  const functions = m.functions;
  if (functions === undefined) return problems;
  if (!isObject(functions)) return ['functions must be an object'];
  const meta = m._metadata;
  if (!isObject(meta) || meta.major_version !== 2) problems.push('_metadata.major_version must be 2 for parameters given as properties and required');
  const settings = isObject(m.settings) ? m.settings : {};
  if (settings.function_runtime !== 'remote') problems.push('settings.function_runtime must be remote for a Bolt app’s functions');
  if (settings.org_deploy_enabled !== true) problems.push('settings.org_deploy_enabled must be true for an app with functions');
  const events = isObject(settings.event_subscriptions) ? settings.event_subscriptions.bot_events : undefined;
  if (!Array.isArray(events) || !events.includes('function_executed')) problems.push('settings.event_subscriptions.bot_events must include function_executed');
  for (const [callbackId, definition] of Object.entries(functions)) {
    const at = `functions.${callbackId}`;
    if (!/^[a-z0-9_]{1,100}$/.test(callbackId)) problems.push(`${at}: the callback ID must be 1 to 100 lower-case letters, digits or _`);
    if (!isObject(definition)) {
      problems.push(`${at} must be an object`);
      continue;
    }
    if (typeof definition.title !== 'string' || definition.title === '' || definition.title.length > 255)
      problems.push(`${at}.title is required, 1 to 255 characters`);
    if (definition.description !== undefined && typeof definition.description !== 'string') problems.push(`${at}.description must be a string`);
    for (const side of ['input_parameters', 'output_parameters']) {
      const parameters = definition[side];
      if (parameters === undefined) continue;
      if (!isObject(parameters) || !isObject(parameters.properties)) {
        problems.push(`${at}.${side} must have properties`);
        continue;
      }
      const required = parameters.required ?? [];
      if (!Array.isArray(required) || required.some((name) => typeof name !== 'string' || !(name in (parameters.properties as Json)))) {
        problems.push(`${at}.${side}.required must list names of its properties`);
      }
      for (const [name, parameter] of Object.entries(parameters.properties)) {
        const where = `${at}.${side}.properties.${name}`;
        if (!isObject(parameter) || typeof parameter.type !== 'string') problems.push(`${where}.type is required`);
        else if (!SLACK_TYPES.has(parameter.type)) problems.push(`${where}.type ${parameter.type} is not one of Slack's types`);
        for (const field of Object.keys(isObject(parameter) ? parameter : {}))
          if (!PARAMETER_FIELDS.has(field) && field !== 'is_required') problems.push(`${where}.${field} is not a field of a parameter`);
        if (isObject(parameter) && 'is_required' in parameter) problems.push(`${where}.is_required is manifest version 1: list it in required`);
      }
    }
  }
  return problems;
}

const step = (manifest.functions as Record<string, FunctionDefinition>)[STEP_CALLBACK_ID];

describe('manifest.yml: the Workflow Builder step and the Home tab', () => {
  test('its functions follow the rules of Slack’s manifest schema', () => {
    expect(functionProblems(manifest)).toEqual([]);
  });

  test('the rules can fail: a wrong type, a required name that is no property, a version 1 field, no runtime', () => {
    const broken = structuredClone(manifest) as Json & { functions: Record<string, Json & { input_parameters: Json & { properties: Json } }> };
    const fn = broken.functions[STEP_CALLBACK_ID]!;
    (fn.input_parameters.properties.channel as Json).type = 'channel';
    (fn.input_parameters.properties.target as Json).is_required = true;
    fn.input_parameters.required = ['target', 'channels'];
    delete fn.title;
    delete (broken.settings as Json).function_runtime;
    expect(functionProblems(broken)).toEqual([
      'settings.function_runtime must be remote for a Bolt app’s functions',
      `functions.${STEP_CALLBACK_ID}.title is required, 1 to 255 characters`,
      `functions.${STEP_CALLBACK_ID}.input_parameters.required must list names of its properties`,
      `functions.${STEP_CALLBACK_ID}.input_parameters.properties.target.is_required is manifest version 1: list it in required`,
      `functions.${STEP_CALLBACK_ID}.input_parameters.properties.channel.type channel is not one of Slack's types`,
    ]);
  });

  test('the step the code registers is the one declared, with the inputs the code reads, target and channel required', () => {
    expect(step).toBeDefined();
    expect(Object.keys(step!.input_parameters.properties).sort()).toEqual([...STEP_INPUTS].sort());
    expect(step!.input_parameters.required?.sort()).toEqual(['channel', 'target']);
    expect(step!.input_parameters.properties.channel?.type).toBe('slack#/types/channel_id');
    expect(step!.input_parameters.properties.user?.type).toBe('slack#/types/user_id');
  });

  test('the outputs the code completes a step with are the ones declared, every one present and of its type', () => {
    const run = makeRun({
      phase: 'final',
      ts: '1700000000.000100',
      sessions: [makeSession({ status: 'PASSED' }), makeSession({ status: 'FAILED' }), makeSession({ status: 'DEGRADED' })],
    });
    const end = stepEnd(run, 'https://team.slack.com/archives/C1/p1700000000000100');
    if (!('outputs' in end)) throw new Error('a final run ends its step with outputs');
    expect(end.outputs).toMatchObject({ status: 'failed', passed: 1, failed: 1 });
    expect(parameterProblems(step!.output_parameters, end.outputs, 'outputs')).toEqual([]);
    expect(Object.keys(end.outputs).sort()).toEqual(Object.keys(step!.output_parameters.properties).sort());
    expect(parameterProblems(step!.output_parameters, { ...end.outputs, passed: '1' }, 'outputs')).toEqual(['outputs.passed must be of type integer']);
  });

  test('the events and settings: app_home_opened and function_executed at the request URL, the Home tab on', () => {
    const settings = manifest.settings as Json & { event_subscriptions: Json; interactivity: Json };
    expect(settings.event_subscriptions.bot_events).toEqual(expect.arrayContaining(['app_home_opened', 'function_executed']));
    expect(settings.event_subscriptions.request_url).toBe(settings.interactivity.request_url);
    expect((manifest.features as Json & { app_home: Json }).app_home.home_tab_enabled).toBe(true);
  });
});
