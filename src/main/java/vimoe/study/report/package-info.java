/**
 * Rendering a study's report: pages ({@link vimoe.study.report.Page}) written as one self-contained
 * HTML file and its Markdown twin, charts (JFreeChart, PNG) and routing pictures. It knows nothing
 * of runs or models: callers hand it text, numbers and images.
 */
package vimoe.study.report;
