/** Comparing trained runs head to head: summaries of run directories, tables and plots. */
package vimoe.study;
