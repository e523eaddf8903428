/**
 * The one door to runs for every entrance: the slash command, the buttons, the picker modal and the
 * HTTP API. An entrance checks access, calls the service, and answers with what the result carries
 * (the parent run, the sessions a cancel was for, a message's permalink); it never reads the store
 * or the chat itself. What happens to a run after it starts is the Runner's.
 */
import type { Permalinks } from './ports';
import type { CancelResult, RerunResult, Runner, RunRequest, StartResult } from './runner';
import { HISTORY_RUNS } from './history';
import type { RerunKind, Run, Target } from './types';

export type { CancelResult, RunRequest, StartResult } from './runner';

export interface RerunRequest {
  /** The run whose message was clicked, as `read` gave it. */
  parent: Run;
  kind: RerunKind;
  /** For a row's Rerun: the check it names. */
  checkId?: string;
  requester: string;
}

/** A rerun already going for the same thing carries the link to its message, when Slack gives one. */
export type RerunOutcome = Exclude<RerunResult, { kind: 'in_progress' }> | (Extract<RerunResult, { kind: 'in_progress' }> & { permalink?: string });

/** The runs in progress in a channel, oldest first, with the links to their messages Slack gave. */
export interface ChannelStatus {
  runs: Run[];
  permalinks: Record<string, string>;
}

export interface RunServiceDeps {
  runner: Pick<Runner, 'start' | 'rerun' | 'cancel' | 'get' | 'unfinishedIn' | 'recent'>;
  permalinks: Permalinks;
}

export class RunService {
  constructor(private readonly options: RunServiceDeps) {}

  /** Starts a run (its origin says who or what started it); see `RunRequest` for the callbacks. */
  start(request: RunRequest): Promise<StartResult> {
    return this.options.runner.start(request);
  }

  /** One run, or undefined when the store no longer knows it. */
  read(runId: string): Promise<Run | undefined> {
    return this.options.runner.get(runId);
  }

  /** Reruns the failed checks, all of them, or one, in the parent's thread. */
  async rerun(request: RerunRequest): Promise<RerunOutcome> {
    const { runner, permalinks } = this.options;
    const result = await runner.rerun(request.parent, request.kind, request.requester, request.checkId);
    if (result.kind !== 'in_progress') return result;
    const going = await runner.get(result.rerun.runId);
    const permalink = going?.ts ? await permalinks.of(going.channel, going.ts) : undefined;
    return { ...result, permalink };
  }

  /** Cancels the sessions of a run that are not final yet. */
  cancel(run: Run): Promise<CancelResult> {
    return this.options.runner.cancel(run);
  }

  /** What `/checkly status` shows for a channel. */
  /** A target's last `limit` runs in a channel, newest first. */
  recent(teamId: string, channel: string, target: Target, limit: number): Promise<Run[]> {
    return this.options.runner.recent(teamId, channel, target, limit);
  }

  /** `/checkly history`: a target's last runs in a channel (HISTORY_RUNS), newest first, with their messages' links. */
  async history(teamId: string, channel: string, target: Target): Promise<ChannelStatus> {
    const runs = await this.options.runner.recent(teamId, channel, target, HISTORY_RUNS);
    return { runs, permalinks: await this.linksOf(runs) };
  }

  async status(teamId: string, channel: string): Promise<ChannelStatus> {
    const runs = await this.options.runner.unfinishedIn(teamId, channel);
    return { runs, permalinks: await this.linksOf(runs) };
  }

  private async linksOf(runs: readonly Run[]): Promise<Record<string, string>> {
    const permalinks: Record<string, string> = {};
    await Promise.all(
      runs.map(async (run) => {
        const link = run.ts ? await this.options.permalinks.of(run.channel, run.ts) : undefined;
        if (link) permalinks[run.id] = link;
      }),
    );
    return permalinks;
  }
}
