package vimoe.run;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The JSON mappers of run files. {@code config.json} keeps the record components' own names (as it
 * always had); results, checkpoint state and metrics use snake_case names, the form README and
 * docs/routing.md show ({@code testAccuracy} is written {@code test_accuracy}).
 */
public final class RunJson {
  /** The mapper of {@code config.json}. */
  public static final ObjectMapper CONFIG =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * The mapper of {@code result.json}, {@code eval.json} and {@code state.json}: snake_case names.
   */
  public static final ObjectMapper RESULTS =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .setPropertyNamingStrategy(new SnakeCase())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** As {@link #RESULTS} on one line, for {@code metrics.jsonl}. */
  public static final ObjectMapper LINES =
      new ObjectMapper()
          .setPropertyNamingStrategy(new SnakeCase())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private RunJson() {}

  /**
   * snake_case with every capital starting a word, so that one-letter words keep their own
   * underscore ({@code underKFraction} is {@code under_k_fraction}, as docs/routing.md writes it;
   * Jackson's SNAKE_CASE gives {@code under_kfraction}).
   */
  private static final class SnakeCase extends PropertyNamingStrategies.NamingBase {
    private static final long serialVersionUID = 1L;

    @Override
    public String translate(String name) {
      return name == null
          ? null
          : name.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
    }
  }
}
