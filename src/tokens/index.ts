export { type ConsumedRefreshDecision, type ConsumedRefreshFacts, decideConsumedRefresh } from './refresh-decision.ts';
export { openSuccessor, sealSuccessor } from './successor-seal.ts';
