/**
 * The Workflow Builder step "Run Checkly checks" (docs/commands.md#the-workflow-step): its callback
 * ID and its inputs as manifest.yml declares them, read and checked. Pure.
 */
import { parseCommand } from '../grammar/parse';
import type { Target } from '../runs/types';
import { oneLine } from '../blocks/escape';

/** The step's callback ID, the key of its entry in manifest.yml's `functions`. */
export const STEP_CALLBACK_ID = 'run_checkly_checks';

/** The inputs the step reads, as manifest.yml names them (the manifest test holds the two together). */
export const STEP_INPUTS = ['target', 'channel', 'title', 'user'] as const;

/** A title is one line beside the header's 150 characters, as an API run's. */
const MAX_TITLE_LENGTH = 150;

/** What a step asks for, once its inputs are read. */
export interface StepRequest {
  target: Target;
  refreshCache: boolean;
  channel: string;
  title?: string;
  /** The person the run is for (`user`): checked like the person typing a command, and mentioned. */
  userId?: string;
}

/** The step's inputs as the workflow gave them, or what is wrong with them in words. */
export function readStepInputs(inputs: Readonly<Record<string, unknown>>, commandName: string): StepRequest | { problem: string } {
  const { target, channel, title, user } = inputs;
  if (typeof target !== 'string' || target.trim() === '') {
    return { problem: `The step has no checks to run: give its target as ${commandName} run takes it (tags such as \`prod,api\`, or \`--check <uuid>\`).` };
  }
  const parsed = parseCommand(`run ${target}`, commandName);
  if (parsed.kind === 'error') return { problem: `The step's target \`${oneLine(target)}\` is not one ${commandName} run takes: ${parsed.problem}` };
  if (parsed.kind !== 'run') return { problem: `The step's target \`${oneLine(target)}\` names no checks to run.` };
  if (typeof channel !== 'string' || !/^[CGD][A-Z0-9]{2,}$/.test(channel)) return { problem: 'The step needs a channel to post the run in.' };
  const request: StepRequest = { target: parsed.target, refreshCache: parsed.refreshCache, channel };
  if (title !== undefined && title !== null && title !== '') {
    const line = typeof title === 'string' ? oneLine(title) : '';
    if (line === '' || [...line].length > MAX_TITLE_LENGTH) return { problem: `The step's title must be one line of 1 to ${MAX_TITLE_LENGTH} characters.` };
    request.title = line;
  }
  if (user !== undefined && user !== null && user !== '') {
    if (typeof user !== 'string' || !/^[UW][A-Z0-9]{2,}$/.test(user)) return { problem: 'The step’s “On behalf of” must be a person.' };
    request.userId = user;
  }
  return request;
}
