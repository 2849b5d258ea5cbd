/**
 * A run directory and everything written into it: the configuration ({@link vimoe.run.RunConfig}),
 * the checkpoint and its crash-safe save and recovery protocol ({@link vimoe.run.Checkpoint}), the
 * metrics log, the typed results ({@link vimoe.run.RunResult}, {@link vimoe.run.EvalResult}) and
 * the lock that gives a run directory one writer ({@link vimoe.run.RunLock}). {@link
 * vimoe.run.RunDir} ties them together; every file is written atomically ({@link
 * vimoe.run.AtomicFiles}), so a kill at any instant leaves the old or the new state. Imports
 * nothing from train, eval, study or cli.
 */
package vimoe.run;
