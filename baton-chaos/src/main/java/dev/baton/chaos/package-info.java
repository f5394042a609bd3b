/**
 * The chaos suite: a worker process that records every execution in a history file ({@link
 * dev.baton.chaos.ChaosWorker}), and a checker that reads those histories, the faults injected and
 * the final task records, and computes lost, stuck, duplicated and stale-write figures ({@link
 * dev.baton.chaos.Checker}). The fault-injecting runner is the module's integration test.
 */
package dev.baton.chaos;
