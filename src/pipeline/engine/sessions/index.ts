/** The stages' ORT sessions: made from the stored files, kept resident or loaded one at a time. */
export { LowMemorySessionPool, ResidentSessionPool, type StageSessionPool } from './session-pools.js';
export {
  stageSettings,
  type SessionSettings,
  type StageLoader,
  type StageSource,
  type StageStreamer,
  type StageTiming,
} from './stage-sessions.js';
export type { StageSession } from './parted-stage-session.js';
