package vimoe.moe;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import vimoe.moe.routing.RouterInfo;
import vimoe.moe.routing.RouterLogits;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;

/**
 * The learned part in front of a router: tokens (G, S, D) to the {@link RouterLogits} the router
 * takes. Which one a router gets follows its registry entry's {@link RouterInfo#input()} ({@link
 * #of}), so {@link MoeLayer} never asks which router it holds.
 */
public abstract class LogitsBlock extends AbstractBlock {

  /** A block with the given version byte. */
  protected LogitsBlock(byte version) {
    super(version);
  }

  /** The logits block for a router: a {@link LinearRouter} or Soft MoE's {@link SlotLogits}. */
  public static LogitsBlock of(RouterSpec spec, int experts) {
    return switch (Routers.info(spec.router()).input()) {
      case TOKEN_LOGITS -> new LinearRouter(experts, spec.noiseStd());
      case SLOT_LOGITS -> new SlotLogits(experts, spec);
      case NONE ->
          throw new IllegalArgumentException(
              "router " + spec.router() + " takes no logits: it is the dense MLP baseline");
    };
  }

  /**
   * The router's input for tokens {@code x}.
   *
   * @param x (G, S, D)
   */
  public abstract RouterLogits logits(ParameterStore ps, NDArray x, boolean training);

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    RouterLogits l = logits(ps, inputs.head(), training);
    return new NDList(l.clean(), l.noisy());
  }

  @Override
  protected void saveMetadata(DataOutputStream os) throws IOException {
    saveInputShapes(os);
  }

  @Override
  public void loadMetadata(byte loadVersion, DataInputStream is)
      throws IOException, MalformedModelException {
    if (loadVersion != version) {
      throw new MalformedModelException(
          getClass().getSimpleName()
              + ": unsupported version "
              + loadVersion
              + ", expected "
              + version);
    }
    readInputShapes(is);
  }
}
