/**
 * The step "Run Checkly checks" as Workflow Builder runs it: Slack sends `function_executed` (Bolt's
 * `app.function`, acknowledged at once), the step is recorded with its token (a delivery Slack repeats
 * starts nothing), its inputs read, guarded like every entrance, and its run started through the run
 * service. The step is completed when the run ends (completion.ts), or at once when it cannot start.
 */
import type { AllMiddlewareArgs, Middleware, SlackEventMiddlewareArgs } from '@slack/bolt';
import { namedRefusalText } from '../blocks/refusal';
import { type Asked, type GuardDeps, guard } from '../guard';
import { auditTarget } from '../ops/audit';
import type { RunService } from '../runs/service';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import type { StepBook } from './book';
import type { StepCompleter } from './completion';
import { type StepRequest, readStepInputs } from './inputs';
import { START_FAILED, notPosted } from './outcome';

/** Who the run is for when the step names no person: the thread reply names the workflow, and pings nobody. */
const NOBODY = 'Workflow';

export interface StepDeps extends GuardDeps {
  runs: RunService;
  book: StepBook;
  completer: StepCompleter;
  commandName: string;
  newId: () => string;
  logger: Logger;
}

/** Bolt's arguments of a custom step's listener (`app.function`). */
type StepEvent = SlackEventMiddlewareArgs<'function_executed'>;
type StepArgs = StepEvent & AllMiddlewareArgs;

/** The step as the middleware goes on with it: recorded, then its inputs read. */
interface Step {
  executionId: string;
  runId: string;
  teamId: string;
  request: StepRequest;
}

const stepOf = (args: Pick<StepArgs, 'context'>): Step => args.context.step as Step;

export function runChecklyChecksStep(deps: StepDeps): Array<Middleware<StepEvent>> {
  return [open(deps), guardStep(deps), start(deps)];
}

/** Records the step with its token, and reads its inputs: inputs that say no run end the step at once. */
function open(deps: StepDeps): Middleware<StepEvent> {
  return async ({ event, body, context, next }) => {
    const executionId = event.function_execution_id;
    const runId = deps.newId();
    const teamId = body.team_id ?? context.teamId ?? '';
    if (!(await deps.book.open(executionId, { runId, teamId, token: event.bot_access_token }))) {
      deps.logger.info({ executionId }, 'a workflow step delivered again: already started');
      return;
    }
    const request = readStepInputs(event.inputs ?? {}, deps.commandName);
    if ('problem' in request) {
      await deps.completer.end(executionId, { error: request.problem });
      return;
    }
    context.step = { executionId, runId, teamId, request } satisfies Step;
    await next();
  };
}

/** The same rules as a typed command: the channel, the person the step names (lists of people), `--all`. */
function guardStep(deps: StepDeps): Middleware<StepEvent> {
  return async (args) => {
    const { executionId, teamId, request } = stepOf(args);
    const userId = request.userId ?? NOBODY;
    const asked: Asked = {
      request: { action: 'run', userId, channelId: request.channel, target: request.target },
      audit: { action: 'trigger', userId, teamId, channelId: request.channel, via: 'workflow', target: auditTarget(request.target) },
    };
    const allowed = await guard(deps, asked, async (refusal) => {
      await deps.completer.end(executionId, { error: namedRefusalText(refusal, request.channel, request.userId) });
    });
    if (allowed) await args.next();
  };
}

function start(deps: StepDeps): Middleware<StepEvent> {
  return async (args) => {
    const { executionId, runId, teamId, request } = stepOf(args);
    try {
      const started = await deps.runs.start({
        id: runId,
        teamId,
        channel: request.channel,
        requester: request.userId ?? NOBODY,
        target: request.target,
        refreshCache: request.refreshCache,
        origin: { kind: 'workflow', executionId, ...(request.userId !== undefined && { userId: request.userId }) },
        title: request.title,
      });
      // A run that started, or ended at once, completes the step when the runner tells of its end.
      if ('unreachable' in started) await deps.completer.end(executionId, notPosted(request.channel, started.unreachable));
    } catch (err) {
      deps.logger.error({ err: errorText(err), executionId, channel: request.channel }, 'starting a workflow step’s run failed');
      await deps.completer.end(executionId, START_FAILED);
    }
  };
}
