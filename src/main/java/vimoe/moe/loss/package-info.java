/**
 * Auxiliary losses of the routers (importance, load, z-loss) as small pure functions of NDArrays.
 */
package vimoe.moe.loss;
