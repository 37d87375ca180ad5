/**
 * Kibana's `xpack.alerting.rules.run.alerts.max` (default 1000): whatever a rule's max_signals,
 * one execution writes at most this many alerts, and Kibana warns that it caps it.
 */
export const KIBANA_MAX_ALERTS_PER_RUN = 1000;
