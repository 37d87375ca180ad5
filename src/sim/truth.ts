/** Ground truth: which emitted events belong to which injected attack story. */

export interface StoryRun {
  story: string;
  /** 1-based, in order of the story's start */
  instance: number;
  host: string;
  containerId: string | undefined;
  pod: string | undefined;
  /** ISO time the story began */
  start: string;
  eventIds: string[];
  /** the events a detection of this story should find (e.g. the shell's exec) */
  keyEventIds: string[];
}

export interface TruthRecord {
  story: string;
  instance: number;
  host: string;
  container_id?: string;
  pod?: string;
  start: string;
  event_ids: string[];
  key_event_ids: string[];
}

export function truthRecord(run: StoryRun): TruthRecord {
  return {
    story: run.story,
    instance: run.instance,
    host: run.host,
    ...(run.containerId ? { container_id: run.containerId } : {}),
    ...(run.pod ? { pod: run.pod } : {}),
    start: run.start,
    event_ids: run.eventIds,
    key_event_ids: run.keyEventIds,
  };
}
