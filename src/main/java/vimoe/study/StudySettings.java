package vimoe.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import vimoe.model.Variants;
import vimoe.moe.routing.Routers;
import vimoe.run.RunJson;
import vimoe.run.TrainConfig;

/**
 * Every value a study's runs use, resolved (preset, defaults and options applied), written into
 * {@code study.json} and {@code results.json}; the report's header is made from it.
 *
 * @param preset the preset the values not given came from
 * @param changed what differs from the preset and the defaults, one entry per value, each with the
 *     value it replaced, e.g. "epochs 1 (preset quick: 3)"
 * @param training the training recipe of every run, as a run's {@code config.json} writes it; the
 *     seed is each run's own (0 .. seeds - 1)
 * @param models per grid entry (dense and variants included), its model at the first grid point as
 *     a run's {@code config.json} writes it
 */
public record StudySettings(
    String preset, List<String> changed, JsonNode training, Map<String, JsonNode> models) {

  /** The settings of {@code spec} on its data. */
  static StudySettings of(StudySpec spec, StudyData data) {
    GridPoint first = spec.points().get(0);
    Map<String, JsonNode> models = new LinkedHashMap<>();
    TrainConfig train = null;
    for (String router : spec.routers()) {
      StudyRun run = new StudyRun(router, router, 0, first);
      models.put(router, RunJson.CONFIG.valueToTree(data.model(run)));
      train = data.train(run);
    }
    ObjectNode training = RunJson.CONFIG.valueToTree(train);
    training.remove("seed");
    training.put("seeds", spec.seeds());
    return new StudySettings(spec.preset(), changed(spec), training, models);
  }

  /**
   * What {@code spec} sets differently from its preset, {@code train}'s and the variant's defaults.
   */
  static List<String> changed(StudySpec spec) {
    Preset p = Preset.of(spec.preset());
    String from = " (preset " + p.name() + ": ";
    List<String> out = new ArrayList<>();
    if (!spec.routers().equals(Routers.studied())) {
      out.add(
          "routers "
              + String.join(", ", spec.routers())
              + " (default: the paper's "
              + Routers.studied().size()
              + ")");
    }
    differs(out, "seeds", spec.seeds(), p.seeds(), from);
    differs(out, "epochs", spec.epochs(), p.epochs(), from);
    differs(out, "train limit", spec.trainLimit(), p.trainLimit(), from);
    differs(out, "validation size", spec.validationSize(), p.validationSize(), from);
    TrainConfig d = TrainConfig.defaults();
    if (spec.batchSize() != null && !spec.batchSize().equals(p.batchSize())) {
      out.add(
          "batch size "
              + spec.batchSize()
              + from
              + (p.batchSize() == null ? d.batchSize() : p.batchSize())
              + ")");
    }
    if (spec.learningRate() != null && spec.learningRate() != d.learningRate()) {
      out.add(
          "learning rate "
              + GridPoint.number(spec.learningRate())
              + " (default: "
              + GridPoint.number(d.learningRate())
              + ")");
    }
    if (spec.imageSize() != null) {
      out.add("image size " + spec.imageSize() + " (default: the dataset's)");
    }
    if (spec.channels() != null) {
      out.add("channels " + spec.channels() + " (default: the dataset's)");
    }
    ModelChoice m = spec.model();
    Variants.Defaults v = Variants.defaults(m.variant());
    String variant = " (" + m.variant() + ": ";
    model(out, "K", m.k(), 1, " (default: ");
    model(out, "capacity factor", m.capacityFactor(), 1.0, " (default: ");
    model(out, "experts", m.experts(), v.experts(), variant);
    model(out, "expert hidden", m.expertHidden(), v.expertHidden(), variant);
    model(out, "MoE layers", m.moeLayers(), v.moeLayers(), variant);
    model(out, "group images", m.groupImages(), v.groupImages(), variant);
    model(out, "patch size", m.patchSize(), v.patchSize(), variant);
    model(out, "width", m.width(), v.width(), variant);
    model(out, "depth", m.depth(), v.depth(), variant);
    model(out, "heads", m.heads(), v.heads(), variant);
    model(out, "MLP width", m.mlpDim(), v.mlpDim(), variant);
    model(out, "pooling", m.pooling(), v.pooling().toString().toLowerCase(Locale.ROOT), variant);
    m.routerOptions().forEach((k, value) -> out.add("router option " + k + " = " + value));
    spec.variants().forEach(rv -> out.add("variant " + rv.name() + " = " + rv.description()));
    spec.comparisons()
        .forEach(c -> out.add("declared comparison " + c.claim() + " (" + c.text() + ")"));
    spec.sweeps()
        .forEach(
            (k, values) ->
                out.add(
                    "swept "
                        + k
                        + " = "
                        + String.join(", ", values.stream().map(GridPoint::number).toList())));
    if (spec.evalCapacityFactors() != null) {
      out.add(
          "evaluated at capacity factors "
              + String.join(
                  ", ", spec.evalCapacityFactors().stream().map(GridPoint::number).toList())
              + " (default: the trained one and twice it)");
    }
    return out;
  }

  private static void differs(List<String> out, String name, int value, int preset, String from) {
    if (value != preset) {
      out.add(name + " " + value + from + preset + ")");
    }
  }

  private static void model(
      List<String> out, String name, Object value, Object fallback, String from) {
    if (value != null && !value.equals(fallback)) {
      String shown = value instanceof Double d ? GridPoint.number(d) : value.toString();
      String was = fallback instanceof Double d ? GridPoint.number(d) : fallback.toString();
      out.add(name + " " + shown + from + was + ")");
    }
  }
}
