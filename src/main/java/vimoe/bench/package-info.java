/** Benchmarks that print numbers and ratios against a baseline measured in the same run. */
package vimoe.bench;
