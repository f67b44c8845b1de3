export { type ConsumedRefreshDecision, type ConsumedRefreshFacts, decideConsumedRefresh } from './refresh-decision.ts';
