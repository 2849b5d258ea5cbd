package vimoe.moe.routing;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One entry of the router registry ({@link Routers}): everything the project knows about a router
 * in one place.
 *
 * @param name the identifier used on the command line, in configs and in {@code route}
 * @param family the router family
 * @param score what a sparse router ranks by when it fills slots, and its gates; {@code null} for
 *     {@code soft} and {@code dense}
 * @param rule how a sparse router's scores fill slots; {@code null} for {@code soft} and {@code
 *     dense}
 * @param input the logits the router takes, which say what the MoE layer learns to produce them
 * @param selects one line on what is selected, e.g. "top-K experts per token by softmax gates"
 * @param paper the paper that introduced it, with its arXiv number
 * @param defaults the options whose default for this router differs from the common one ({@link
 *     RouterSpec#of(String)})
 * @param factory builds the router for a spec; {@code null} for {@code dense}, which has none
 * @param studied whether the router is one of the eight of "Routers in Vision Mixture of Experts"
 *     (arXiv 2401.15969), which a study and {@code bench} run when no routers are named
 */
public record RouterInfo(
    String name,
    Family family,
    SelectionScore score,
    SelectionRule rule,
    RouterInput input,
    String selects,
    String paper,
    Map<String, Object> defaults,
    Function<RouterSpec, Router> factory,
    boolean studied) {

  /** Copies the collections: an entry is immutable. */
  public RouterInfo {
    defaults = Map.copyOf(defaults);
  }

  /**
   * The JSON names of the options that apply to this router (their declarations say which), in the
   * order of {@link RouterOptions#ALL}; every other option keeps its common default.
   */
  public List<String> options() {
    return RouterOptions.ALL.stream()
        .filter(o -> o.appliesTo(this))
        .map(RouterOption::name)
        .toList();
  }

  /**
   * The score's id that pairs routers across families in the study ({@link SelectionScore#id()}),
   * or {@code null} for routers without a score.
   */
  public String scoreId() {
    return score == null ? null : score.id();
  }

  /** Whether the router takes training noise on its logits (then its default sigma is 1). */
  public boolean noisy() {
    return score != null && score.noisy();
  }
}
