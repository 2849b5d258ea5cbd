package vimoe.run;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;

/**
 * The JSON mappers of run files. Every file a run writes names its keys in snake_case ({@code
 * testAccuracy} is written {@code test_accuracy}); {@code config.json} writes a router as its name
 * and only the options that apply to it ({@link vimoe.moe.routing.RouterInfo#options()}), and the
 * measured numbers of results and metrics are rounded to {@link #SIGNIFICANT_DIGITS} significant
 * digits, so that a count averaged over groups reads {@code 7.0}, not {@code 6.999999999999996}.
 */
public final class RunJson {
  /** Significant digits of every measured number in results and metrics. */
  public static final int SIGNIFICANT_DIGITS = 6;

  /**
   * The mapper of {@code config.json}: snake_case, routers by {@link #routerJson}; numbers exact,
   * since eval and resume rebuild the run from them.
   */
  public static final ObjectMapper CONFIG =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .setPropertyNamingStrategy(new SnakeCase())
          .registerModule(
              new SimpleModule("vimoe-router")
                  .addSerializer(RouterSpec.class, new RouterSerializer())
                  .addDeserializer(RouterSpec.class, new RouterDeserializer()));

  /**
   * The mapper of {@code config.json} as vimoe wrote it before snake_case (keys named as the record
   * components, every router option listed, {@code trainLimit} 0 for all images); read only.
   */
  static final ObjectMapper LEGACY_CONFIG = new ObjectMapper();

  /**
   * The mapper of {@code result.json}, {@code eval.json} and {@code state.json}: snake_case names,
   * numbers rounded.
   */
  public static final ObjectMapper RESULTS =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .setPropertyNamingStrategy(new SnakeCase())
          .registerModule(rounding())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** As {@link #RESULTS} on one line, for {@code metrics.jsonl}. */
  public static final ObjectMapper LINES =
      new ObjectMapper()
          .setPropertyNamingStrategy(new SnakeCase())
          .registerModule(rounding())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private RunJson() {}

  /**
   * A router as {@code config.json} writes it: {@code {"name": ..., "options": {...}}} with only
   * the options that apply to it, by their JSON names.
   */
  public static Map<String, Object> routerJson(RouterSpec spec) {
    Map<String, Object> all = spec.options();
    Map<String, Object> options = new java.util.LinkedHashMap<>();
    for (String name : Routers.info(spec.router()).options()) {
      if (all.containsKey(name)) {
        options.put(name, all.get(name));
      }
    }
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    out.put("name", spec.router());
    out.put("options", options);
    return out;
  }

  /**
   * {@code eval.json}: what was evaluated (router, seed, the epochs its checkpoint holds, the
   * checkpoint directory) and then the evaluation's fields.
   *
   * @param config the configuration the model was evaluated with
   * @param checkpoint the checkpoint directory whose parameters were evaluated
   */
  public static byte[] evalJson(RunConfig config, Path checkpoint, EvalResult result)
      throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("router", config.model().router().router());
    m.put("seed", config.train().seed());
    m.put("epochs", Checkpoint.stateOf(checkpoint).epoch());
    m.put("checkpoint", checkpoint.toAbsolutePath().normalize().toString());
    m.putAll(RESULTS.convertValue(result, new TypeReference<Map<String, Object>>() {}));
    return RESULTS.writeValueAsBytes(m);
  }

  /**
   * Reads a {@code config.json} tree in either form: snake_case, or the camelCase of earlier
   * versions (recognised by its {@code classNames} key), whose {@code trainLimit} 0 becomes null.
   */
  static RunConfig readConfig(JsonNode tree) throws IOException {
    if (!(tree instanceof ObjectNode)) {
      throw new JsonMappingException(null, "not a JSON object");
    }
    if (tree instanceof ObjectNode o && o.has("classNames")) {
      if (o.path("train") instanceof ObjectNode train && train.path("trainLimit").asInt(-1) == 0) {
        train.putNull("trainLimit");
      }
      return LEGACY_CONFIG.treeToValue(o, RunConfig.class);
    }
    return CONFIG.treeToValue(tree, RunConfig.class);
  }

  /** {@code v} rounded to {@link #SIGNIFICANT_DIGITS} significant digits (NaN, infinities kept). */
  public static double round(double v) {
    if (!Double.isFinite(v) || v == 0) {
      return v;
    }
    return new BigDecimal(v)
        .round(new MathContext(SIGNIFICANT_DIGITS, RoundingMode.HALF_EVEN))
        .doubleValue();
  }

  private static SimpleModule rounding() {
    StdSerializer<Double> one =
        new StdSerializer<>(Double.class) {
          private static final long serialVersionUID = 1L;

          @Override
          public void serialize(Double v, JsonGenerator gen, SerializerProvider provider)
              throws IOException {
            gen.writeNumber(round(v));
          }
        };
    StdSerializer<double[]> many =
        new StdSerializer<>(double[].class) {
          private static final long serialVersionUID = 1L;

          @Override
          public void serialize(double[] v, JsonGenerator gen, SerializerProvider provider)
              throws IOException {
            gen.writeStartArray(v, v.length);
            for (double d : v) {
              gen.writeNumber(round(d));
            }
            gen.writeEndArray();
          }
        };
    return new SimpleModule("vimoe-rounding")
        .addSerializer(Double.class, one)
        .addSerializer(Double.TYPE, one)
        .addSerializer(double[].class, many);
  }

  /** Writes a router by {@link #routerJson}. */
  private static final class RouterSerializer extends StdSerializer<RouterSpec> {
    private static final long serialVersionUID = 1L;

    RouterSerializer() {
      super(RouterSpec.class);
    }

    @Override
    public void serialize(RouterSpec spec, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeObject(routerJson(spec));
    }
  }

  /**
   * Reads a router written by {@link #routerJson}: the router's defaults ({@link
   * RouterSpec#of(String)}) with the listed options on top.
   */
  private static final class RouterDeserializer extends StdDeserializer<RouterSpec> {
    private static final long serialVersionUID = 1L;

    RouterDeserializer() {
      super(RouterSpec.class);
    }

    @Override
    public RouterSpec deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonNode node = p.readValueAsTree();
      if (node == null || !node.path("name").isTextual()) {
        throw JsonMappingException.from(p, "router needs a \"name\"");
      }
      try {
        RouterSpec.Builder b = RouterSpec.of(node.get("name").asText()).toBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.path("options").fields();
            it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          JsonNode v = e.getValue();
          b.optOption(
              e.getKey(),
              v.isNull()
                  ? null
                  : v.isNumber() ? v.numberValue() : v.isBoolean() ? v.asBoolean() : v.asText());
        }
        return b.build();
      } catch (IllegalArgumentException e) {
        throw JsonMappingException.from(p, "router: " + e.getMessage(), e);
      }
    }
  }

  /**
   * snake_case with every capital starting a word, so that one-letter words keep their own
   * underscore ({@code underKFraction} is {@code under_k_fraction}, as docs/routing.md writes it;
   * Jackson's SNAKE_CASE gives {@code under_kfraction}).
   */
  static final class SnakeCase extends PropertyNamingStrategies.NamingBase {
    private static final long serialVersionUID = 1L;

    @Override
    public String translate(String name) {
      return name == null ? null : name.replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT);
    }
  }
}
