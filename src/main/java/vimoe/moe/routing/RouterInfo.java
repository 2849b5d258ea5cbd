package vimoe.moe.routing;

/**
 * What the registry knows about a router: its name, family, what it selects and where it comes from.
 *
 * @param name the identifier used on the command line, in configs and in {@code route}
 * @param family the router family
 * @param selects one line on what is selected, e.g. "top-K experts per token by softmax gates"
 * @param paper the paper that introduced it, with its arXiv number
 * @param noisy whether the router takes training noise (default sigma = 1); otherwise sigma = 0
 */
public record RouterInfo(String name, Family family, String selects, String paper, boolean noisy) {}
