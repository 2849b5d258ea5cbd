package vimoe.moe.routing;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code route} JSON contract of docs/routing.md: a validated request for the plan of one
 * group, and its answer. Every malformed request is refused with a {@link BadRequest} whose message
 * names the problem.
 *
 * <p>Size limits: a request is read as a stream and refused as soon as it passes {@link
 * #MAX_REQUEST_BYTES} bytes or its logits pass {@link #MAX_LOGITS} numbers, before the rest is
 * read; a plan whose dispatch tensor would pass {@link #MAX_PLAN_ENTRIES} entries (S*E*C) is
 * refused before routing. 10,000 tokens x 64 experts at capacity factor 1 fits.
 *
 * @param spec the router and its options
 * @param logits the logits, row-major
 * @param shape (S, E) for sparse routers, (S, E, C) for Soft MoE
 * @param selectionBias a per-expert bias b (E) added to the scores for selection only, as
 *     auxiliary-loss-free balancing keeps it ({@link RouterOptions#BIAS_UPDATE_RATE}), or {@code
 *     null}: the request's optional {@code "selection_bias"}
 */
public record RouteRequest(RouterSpec spec, double[] logits, long[] shape, double[] selectionBias) {

  /** A request without a selection bias. */
  public RouteRequest(RouterSpec spec, double[] logits, long[] shape) {
    this(spec, logits, shape, null);
  }

  /** The most numbers the logits of one request may hold (S*E, or S*E*C for Soft MoE). */
  public static final int MAX_LOGITS = 1_000_000;

  /** The most entries each of the S x E x C dispatch and combine tensors of an answer may hold. */
  public static final long MAX_PLAN_ENTRIES = 1L << 27;

  /** The most bytes a request may take. */
  public static final long MAX_REQUEST_BYTES = 128L << 20;

  /** A request that breaks the contract; the message is one line naming the problem. */
  public static final class BadRequest extends IllegalArgumentException {
    BadRequest(String message) {
      super(message);
    }
  }

  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // so that NaN gets its own message
          .build();

  /** Parses and validates a request; throws {@link BadRequest}. */
  public static RouteRequest parse(String text) {
    try {
      return parse(
          new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array cannot fail to read
    }
  }

  /**
   * Reads, as a stream, and validates a request; throws {@link BadRequest}, also for a request
   * above the size limits, as soon as the limit is passed.
   *
   * @throws java.io.IOException if {@code in} cannot be read
   */
  public static RouteRequest parse(java.io.InputStream in) throws java.io.IOException {
    String name = null;
    JsonNode options = null;
    Logits logits = null;
    JsonNode bias = null;
    try (JsonParser p = JSON.createParser(new Limited(in, MAX_REQUEST_BYTES))) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new BadRequest(
            "request must be a JSON object with \"router\", \"logits\" and optional \"options\"");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "router" -> {
            if (value != JsonToken.VALUE_STRING) {
              throw new BadRequest(
                  "request needs \"router\" as a string, one of "
                      + String.join(", ", Routers.names()));
            }
            name = p.getText();
          }
          case "options" -> options = p.readValueAsTree();
          case "logits" -> logits = Logits.read(p);
          case "selection_bias" -> bias = p.readValueAsTree();
          default ->
              throw new BadRequest(
                  "unknown field \""
                      + field
                      + "\"; a request has \"router\", \"logits\" and \"options\""
                      + " (and \"selection_bias\" for Token Choice with a pointwise score)");
        }
      }
    } catch (JsonProcessingException e) {
      var where = e.getLocation();
      throw new BadRequest(
          "request is not valid JSON: "
              + e.getOriginalMessage().lines().findFirst().orElse("")
              + (where == null
                  ? ""
                  : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")"));
    } catch (
        java.io.CharConversionException
            e) { // bytes that are no Unicode text (Jackson guessed UTF-32)
      throw new BadRequest(
          "request is not valid JSON text: "
              + e.getMessage().lines().findFirst().orElse("")
              + "; write it in UTF-8");
    }
    if (name == null) {
      throw new BadRequest(
          "request needs \"router\" as a string, one of " + String.join(", ", Routers.names()));
    }
    RouterSpec spec;
    try {
      if (Routers.info(name).family() == Family.DENSE) {
        throw new BadRequest(
            "router \"dense\" has no routing plan: choose one of the routed routers");
      }
      RouterSpec.Builder builder = RouterSpec.of(name).toBuilder();
      if (options != null && !options.isNull()) {
        if (!options.isObject()) {
          throw new BadRequest("\"options\" must be a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
          var option = it.next();
          builder.optOption(option.getKey(), value(option.getValue()));
        }
      }
      spec = builder.build();
    } catch (BadRequest e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new BadRequest(e.getMessage());
    }
    boolean soft = spec.family() == Family.SOFT;
    if (logits == null) {
      throw new BadRequest(
          "request needs \"logits\": "
              + (soft ? "S x E x C nested numbers" : "S rows of E numbers"));
    }
    long[] dims = logits.shape(soft ? 3 : 2);
    if (spec.k() > dims[1]) {
      throw new BadRequest("k = " + spec.k() + " exceeds the number of experts E = " + dims[1]);
    }
    if (soft && spec.slots() != null && spec.slots() != dims[2]) {
      throw new BadRequest(
          "slots = " + spec.slots() + " but the logits have C = " + dims[2] + " slots per expert");
    }
    long capacity = soft ? dims[2] : Capacity.of((int) dims[0], (int) dims[1], spec);
    long entries = dims[0] * dims[1] * capacity;
    if (entries > MAX_PLAN_ENTRIES) {
      throw new BadRequest(
          "the plan would hold S x E x C = "
              + dims[0]
              + " x "
              + dims[1]
              + " x "
              + capacity
              + " = "
              + entries
              + " entries per tensor, above the limit of "
              + MAX_PLAN_ENTRIES
              + " of vimoe route; "
              + "lower capacity_factor or route fewer tokens (MoeLayer has no such limit)");
    }
    return new RouteRequest(
        spec,
        logits.values(),
        dims,
        bias == null || bias.isNull() ? null : selectionBias(bias, spec, dims[1]));
  }

  /**
   * The {@code "selection_bias"} of a request: E finite numbers, for the routers that keep such a
   * bias in training (those {@link RouterOptions#BIAS_UPDATE_RATE} applies to).
   */
  private static double[] selectionBias(JsonNode node, RouterSpec spec, long experts) {
    if (!RouterOptions.BIAS_UPDATE_RATE.appliesTo(Routers.info(spec.router()))) {
      throw new BadRequest(
          "selection_bias applies to Token Choice routers with pointwise scores (softmax-tc,"
              + " sigmoid-tc), not "
              + spec.router()
              + "; leave it out");
    }
    if (!node.isArray() || node.size() != experts) {
      throw new BadRequest(
          "selection_bias must be an array of E = "
              + experts
              + " numbers, one per expert (the logits' columns), got "
              + (node.isArray() ? node.size() + " numbers" : node.getNodeType().toString()));
    }
    double[] out = new double[(int) experts];
    for (int e = 0; e < out.length; e++) {
      JsonNode v = node.get(e);
      if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
        throw new BadRequest(
            "selection_bias[" + e + "] must be a finite number, got " + v.toString());
      }
      out[e] = v.doubleValue();
    }
    return out;
  }

  /**
   * Logits read as a stream: nested arrays of one depth, rectangular, of finite numbers, at most
   * MAX_LOGITS.
   */
  private static final class Logits {
    private double[] values = new double[1024];
    private int count;
    private int depth = -1; // levels of arrays, known at the first number
    private final long[] sizes = {-1, -1, -1};
    private String
        notArray; // the first number found where an array was expected, for soft's 3 levels

    static Logits read(JsonParser p) throws java.io.IOException {
      Logits l = new Logits();
      if (p.currentToken() != JsonToken.START_ARRAY) {
        throw new BadRequest(
            "logits must be an array (logits are S rows of E numbers, or S x E x C for "
                + "soft), got "
                + kind(p.currentToken()));
      }
      l.array(p, 0, "logits");
      return l;
    }

    /** Reads the array whose START_ARRAY is the current token, at {@code level} (0 = logits). */
    private void array(JsonParser p, int level, String path) throws java.io.IOException {
      long n = 0;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
        if (t == null) {
          throw new BadRequest("request is not valid JSON: it ends inside " + path);
        }
        String at = path + "[" + n + "]";
        if (sizes[level] >= 0 && n >= sizes[level]) {
          throw new BadRequest(
              "logits are ragged: "
                  + path
                  + " has more than "
                  + sizes[level]
                  + " entries, expected "
                  + sizes[level]);
        }
        if (t == JsonToken.START_ARRAY) {
          if (depth >= 0 && level + 1 >= depth) {
            throw new BadRequest(at + " must be a number, got array");
          }
          if (level + 1 >= 3) {
            throw new BadRequest(
                at + " nests too deep: logits are S rows of E numbers (S x E x C " + "for soft)");
          }
          array(p, level + 1, at);
        } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
          if (depth < 0) {
            depth = level + 1;
          } else if (depth != level + 1) {
            throw new BadRequest(at + " must be an array (logits are rows of the same depth)");
          }
          number(at, p.getDoubleValue());
          if (notArray == null && level < 2) {
            notArray = at;
          }
        } else {
          String what = kind(t);
          if (depth >= 0 && level + 1 < depth) {
            throw new BadRequest(at + " must be an array, got " + what);
          }
          throw new BadRequest(at + " must be a number, got " + what);
        }
        n++;
      }
      if (n == 0) {
        throw new BadRequest(
            path + " is empty; logits are S rows of E numbers (S x E x C for soft)");
      }
      if (sizes[level] < 0) {
        sizes[level] = n;
      } else if (sizes[level] != n) {
        throw new BadRequest(
            "logits are ragged: " + path + " has " + n + " entries, expected " + sizes[level]);
      }
    }

    private void number(String at, double v) {
      if (Double.isNaN(v)) {
        throw new BadRequest(at + " is NaN; logits must be finite numbers");
      }
      if (Double.isInfinite(v)) {
        throw new BadRequest(at + " is infinite; logits must be finite numbers");
      }
      if (count == MAX_LOGITS) {
        throw new BadRequest(
            "logits hold more than "
                + MAX_LOGITS
                + " numbers, the limit of vimoe route "
                + "(S x E, or S x E x C for soft); route a smaller group (MoeLayer has no such limit)");
      }
      if (count == values.length) {
        values = java.util.Arrays.copyOf(values, Math.min(MAX_LOGITS, 2 * values.length));
      }
      values[count++] = v;
    }

    /** The shape, checked against the depth the router needs (2, or 3 for soft). */
    long[] shape(int needed) {
      if (depth != needed) {
        String expected = needed == 2 ? "S rows of E numbers" : "S x E x C nested numbers";
        if (depth < needed) {
          throw new BadRequest(notArray + " must be an array (logits are " + expected + ")");
        }
        throw new BadRequest("logits nest " + depth + " levels deep; they are " + expected);
      }
      return java.util.Arrays.copyOf(sizes, depth);
    }

    double[] values() {
      return java.util.Arrays.copyOf(values, count);
    }

    private static String kind(JsonToken t) {
      if (t == null) {
        return "nothing";
      }
      return switch (t) {
        case VALUE_STRING -> "a string";
        case VALUE_TRUE, VALUE_FALSE -> "a boolean";
        case VALUE_NULL -> "null";
        case START_OBJECT -> "an object";
        case START_ARRAY -> "an array";
        default -> "a number";
      };
    }
  }

  /** An input stream that refuses to read past {@code limit} bytes with a {@link BadRequest}. */
  private static final class Limited extends java.io.FilterInputStream {
    private final long limit;
    private long read;

    Limited(java.io.InputStream in, long limit) {
      super(in);
      this.limit = limit;
    }

    @Override
    public int read() throws java.io.IOException {
      int b = super.read();
      count(b < 0 ? 0 : 1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws java.io.IOException {
      int n = super.read(b, off, len);
      count(Math.max(n, 0));
      return n;
    }

    private void count(int n) {
      read += n;
      if (read > limit) {
        throw new BadRequest(
            "request is larger than "
                + (limit >> 20)
                + " MiB, the limit of vimoe route; "
                + "route a smaller group");
      }
    }
  }

  private static Object value(JsonNode v) {
    if (v.isNumber()) {
      return v.numberValue();
    }
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    if (v.isTextual()) {
      return v.textValue();
    }
    return v.isNull() ? null : v.toString();
  }

  /**
   * Routes the group (never with noise) and writes the response of the contract, as {@link
   * #answer()} returns it, to {@code out} as a stream: the S x E x C tensors are written a token at
   * a time rather than built as a JSON tree and a string first.
   *
   * @param pretty indent the JSON
   */
  public void writeAnswer(java.io.OutputStream out, boolean pretty) throws java.io.IOException {
    try (NDManager manager = NDManager.newBaseManager()) {
      RoutingPlan plan = route(manager);
      JsonGenerator g = JSON.createGenerator(out);
      if (pretty) {
        g.useDefaultPrettyPrinter();
      }
      g.writeStartObject();
      g.writeStringField("router", spec.router());
      g.writeNumberField("tokens", plan.tokens());
      g.writeNumberField("experts", plan.experts());
      g.writeNumberField("capacity", plan.capacity());
      g.writeFieldName("dispatch");
      writeTensor(g, plan.denseDispatch()[0], pretty);
      g.writeFieldName("combine");
      writeTensor(g, plan.denseCombine()[0], pretty);
      g.writeFieldName("metrics");
      g.writeObject(plan.metrics().toMap());
      g.writeEndObject();
      g.writeRaw('\n');
      g.flush();
    }
  }

  /**
   * Writes S x E x C numbers as Jackson would, one raw JSON value per token when compact (much
   * faster).
   */
  private static void writeTensor(JsonGenerator g, double[][][] t, boolean pretty)
      throws java.io.IOException {
    g.writeStartArray();
    StringBuilder token = new StringBuilder();
    for (double[][] experts : t) {
      if (pretty) {
        g.writeStartArray();
        for (double[] slots : experts) {
          g.writeArray(slots, 0, slots.length);
        }
        g.writeEndArray();
        continue;
      }
      token.setLength(0);
      token.append('[');
      for (int e = 0; e < experts.length; e++) {
        token.append(e == 0 ? "[" : ",[");
        for (int c = 0; c < experts[e].length; c++) {
          if (c > 0) {
            token.append(',');
          }
          double v = experts[e][c];
          // Double.toString is what Jackson writes; 0 and 1, nearly every entry, skip it.
          token.append(
              v == 0 && Double.doubleToRawLongBits(v) == 0
                  ? "0.0"
                  : v == 1 ? "1.0" : Double.toString(v));
        }
        token.append(']');
      }
      token.append(']');
      g.writeRawValue(token.toString());
    }
    g.writeEndArray();
  }

  private RoutingPlan route(NDManager manager) {
    long[] batched = new long[shape.length + 1];
    batched[0] = 1;
    System.arraycopy(shape, 0, batched, 1, shape.length);
    var array = manager.create(logits, new Shape(batched)); // (1, S, E) or (1, S, E, C), float64
    RouterLogits in = RouterLogits.of(array);
    if (selectionBias != null) {
      in = in.withBias(manager.create(selectionBias)); // float64: added to the scores exactly
    }
    return Routers.create(spec).route(in);
  }

  /**
   * Routes the group (never with noise) and returns the response of the contract: router, tokens,
   * experts, capacity, dispatch and combine (S x E x C) and metrics.
   */
  public Map<String, Object> answer() {
    try (NDManager manager = NDManager.newBaseManager()) {
      RoutingPlan plan = route(manager);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("router", spec.router());
      out.put("tokens", plan.tokens());
      out.put("experts", plan.experts());
      out.put("capacity", plan.capacity());
      out.put("dispatch", plan.denseDispatch()[0]);
      out.put("combine", plan.denseCombine()[0]);
      out.put("metrics", plan.metrics().toMap());
      return out;
    }
  }
}
