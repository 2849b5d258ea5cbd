package vimoe.djl;

import ai.djl.Application;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import vimoe.model.VisionTransformer;
import vimoe.run.Checkpoint;
import vimoe.run.ModelFiles;
import vimoe.run.RunConfig;
import vimoe.run.RunDir;

/**
 * vimoe's DJL model zoo: it loads a model trained by {@code vimoe train} from its run directory (or
 * a checkpoint directory) into a {@link ZooModel}. The {@link VisionTransformer} is built from the
 * run's {@code config.json}, the parameters come from the checkpoint, and the translator is a
 * {@link VitTranslator} unless the criteria name another one.
 *
 * <pre>{@code
 * Criteria<Image, Classifications> criteria =
 *     Criteria.builder()
 *         .setTypes(Image.class, Classifications.class)
 *         .optGroupId(VimoeModelZoo.GROUP_ID)
 *         .optArgument(VimoeModelZoo.RUN, "runs/softmax-ec")
 *         .build();
 * }</pre>
 *
 * <p>A run directory is not in DJL's own model format (its parameters are a checkpoint, its
 * architecture a configuration), so {@code optModelPath} does not apply: it would pick DJL's
 * default zoo, which loads a saved DJL model.
 */
public final class VimoeModelZoo extends ModelZoo {
  /** The group id of the zoo. */
  public static final String GROUP_ID = "vimoe";

  /** The artifact id of its one loader. */
  public static final String ARTIFACT_ID = "vit-moe";

  /** The criteria argument naming the run directory or checkpoint directory (Path or String). */
  public static final String RUN = "run";

  private static final String ENGINE = "PyTorch";

  /** The zoo, with its run loader. */
  public VimoeModelZoo() {
    addModel(new RunLoader());
  }

  /**
   * Criteria that load the run (or checkpoint) in {@code dir} on {@code device} (null: default).
   */
  public static Criteria<Image, Classifications> criteria(Path dir, Device device) {
    return Criteria.builder()
        .setTypes(Image.class, Classifications.class)
        .optGroupId(GROUP_ID)
        .optArtifactId(ARTIFACT_ID)
        .optArgument(RUN, dir)
        .optDevice(device)
        .build();
  }

  @Override
  public String getGroupId() {
    return GROUP_ID;
  }

  @Override
  public Set<String> getSupportedEngines() {
    return Set.of(ENGINE);
  }

  /** Loads the run named by the criteria's {@value #RUN} argument. */
  static final class RunLoader implements ModelLoader {
    @Override
    public String getGroupId() {
      return GROUP_ID;
    }

    @Override
    public String getArtifactId() {
      return ARTIFACT_ID;
    }

    @Override
    public Application getApplication() {
      return Application.CV.IMAGE_CLASSIFICATION;
    }

    /** None: a run directory is named by the criteria, not by a repository. */
    @Override
    public MRL getMrl() {
      return null;
    }

    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
        throws IOException, ModelNotFoundException, MalformedModelException {
      Map<String, Object> arguments = criteria.getArguments();
      Object run = arguments == null ? null : arguments.get(RUN);
      if (run == null) {
        throw new ModelNotFoundException(
            "vimoe models are loaded from a run directory: add optArgument(\""
                + RUN
                + "\", DIR) to the criteria");
      }
      Path dir = run instanceof Path p ? p : Path.of(run.toString());
      ModelFiles files = ModelFiles.locate(dir);
      RunConfig config = RunDir.readConfig(files.config());
      VisionTransformer block = new VisionTransformer(config.model());
      Path name = files.home().toAbsolutePath().normalize().getFileName();
      Model model =
          Model.newInstance(
              name == null ? ARTIFACT_ID : name.toString(), criteria.getDevice(), ENGINE);
      try {
        model.setBlock(block);
        Checkpoint.loadParameters(files.checkpoint(), block, model.getNDManager());
        model.setProperty("router", config.model().router().router());
        model.setProperty("checkpoint", files.checkpoint().toString());
        return new ZooModel<>(model, translator(criteria, model, config));
      } catch (IOException | ModelNotFoundException | RuntimeException e) {
        model.close();
        throw e;
      }
    }

    @SuppressWarnings("unchecked") // the types are checked before the cast
    private static <I, O> Translator<I, O> translator(
        Criteria<I, O> criteria, Model model, RunConfig config) throws ModelNotFoundException {
      TranslatorFactory factory = criteria.getTranslatorFactory();
      Class<I> in = criteria.getInputClass();
      Class<O> out = criteria.getOutputClass();
      if (factory != null && factory.isSupported(in, out)) {
        try {
          Map<String, Object> arguments = criteria.getArguments();
          return factory.newInstance(in, out, model, arguments == null ? Map.of() : arguments);
        } catch (TranslateException e) {
          throw new ModelNotFoundException(
              "the criteria's translator failed: " + e.getMessage(), e);
        }
      }
      if (in == Image.class && out == Classifications.class) {
        return (Translator<I, O>) new VitTranslator(config);
      }
      throw new ModelNotFoundException(
          "vimoe models take Image and give Classifications; for "
              + in.getSimpleName()
              + " -> "
              + out.getSimpleName()
              + " pass a translator with optTranslator");
    }

    /** Always: a run directory is local. */
    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
      return true;
    }

    /** Nothing to download. */
    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) {}

    @Override
    public String toString() {
      return GROUP_ID + ":" + ARTIFACT_ID;
    }
  }
}
