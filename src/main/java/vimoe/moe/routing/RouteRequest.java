package vimoe.moe.routing;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code route} JSON contract of ROUTING.md: a validated request for the plan of one group,
 * and its answer. Every malformed request is refused with a {@link BadRequest} whose message names
 * the problem.
 *
 * @param spec the router and its options
 * @param logits the logits, row-major
 * @param shape (S, E) for sparse routers, (S, E, C) for Soft MoE
 */
public record RouteRequest(RouterSpec spec, double[] logits, long[] shape) {

    /** A request that breaks the contract; the message is one line naming the problem. */
    public static final class BadRequest extends IllegalArgumentException {
        BadRequest(String message) {
            super(message);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // so that NaN gets its own message
            .build();

    /** Parses and validates a request; throws {@link BadRequest}. */
    public static RouteRequest parse(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            throw new BadRequest("request is not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse("")
                    + (where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) {
            throw new BadRequest("request must be a JSON object with \"router\", \"logits\" and optional \"options\"");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!List.of("router", "logits", "options").contains(field)) {
                throw new BadRequest("unknown field \"" + field + "\"; a request has \"router\", \"logits\" and \"options\"");
            }
        }
        JsonNode router = root.get("router");
        if (router == null || !router.isTextual()) {
            throw new BadRequest("request needs \"router\" as a string, one of " + String.join(", ", Routers.names()));
        }
        String name = router.asText();
        RouterSpec spec;
        try {
            if (Routers.info(name).family() == Family.DENSE) {
                throw new BadRequest("router \"dense\" has no routing plan: choose one of the routed routers");
            }
            RouterSpec.Builder builder = RouterSpec.of(name).toBuilder();
            JsonNode options = root.get("options");
            if (options != null && !options.isNull()) {
                if (!options.isObject()) {
                    throw new BadRequest("\"options\" must be a JSON object");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
                    var option = it.next();
                    builder.option(option.getKey(), value(option.getValue()));
                }
            }
            spec = builder.build();
        } catch (BadRequest e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        boolean soft = spec.family() == Family.SOFT;
        JsonNode logits = root.get("logits");
        if (logits == null) {
            throw new BadRequest("request needs \"logits\": " + (soft ? "S x E x C nested numbers" : "S rows of E numbers"));
        }
        List<Long> shape = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        readNested(logits, soft ? 3 : 2, "logits", 0, shape, values);
        long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
        if (spec.k() > dims[1]) {
            throw new BadRequest("k = " + spec.k() + " exceeds the number of experts E = " + dims[1]);
        }
        if (soft && spec.slots() != null && spec.slots() != dims[2]) {
            throw new BadRequest("slots = " + spec.slots() + " but the logits have C = " + dims[2] + " slots per expert");
        }
        return new RouteRequest(spec, values.stream().mapToDouble(Double::doubleValue).toArray(), dims);
    }

    /** Reads {@code depth} levels of non-empty, rectangular arrays of finite numbers. */
    private static void readNested(JsonNode node, int depth, String path, int level, List<Long> shape,
            List<Double> values) {
        if (level == depth) {
            if (!node.isNumber()) {
                String what = node.isTextual() && List.of("NaN", "Infinity", "-Infinity").contains(node.asText())
                        ? "a string" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
                throw new BadRequest(path + " must be a number, got " + what);
            }
            double v = node.asDouble();
            if (Double.isNaN(v)) {
                throw new BadRequest(path + " is NaN; logits must be finite numbers");
            }
            if (Double.isInfinite(v)) {
                throw new BadRequest(path + " is infinite; logits must be finite numbers");
            }
            values.add(v);
            return;
        }
        String expected = depth == 2 ? "S rows of E numbers" : "S x E x C nested numbers";
        if (!node.isArray()) {
            throw new BadRequest(path + " must be an array (logits are " + expected + ")");
        }
        if (node.isEmpty()) {
            throw new BadRequest(path + " is empty; logits are " + expected);
        }
        if (shape.size() == level) {
            shape.add((long) node.size());
        } else if (shape.get(level) != node.size()) {
            throw new BadRequest("logits are ragged: " + path + " has " + node.size() + " entries, expected "
                    + shape.get(level));
        }
        for (int i = 0; i < node.size(); i++) {
            readNested(node.get(i), depth, path + "[" + i + "]", level + 1, shape, values);
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
     * Routes the group (never with noise) and returns the response of the contract: router, tokens,
     * experts, capacity, dispatch and combine (S x E x C) and metrics.
     */
    public Map<String, Object> answer() {
        try (NDManager manager = NDManager.newBaseManager()) {
            long[] batched = new long[shape.length + 1];
            batched[0] = 1;
            System.arraycopy(shape, 0, batched, 1, shape.length);
            var array = manager.create(logits, new Shape(batched)); // (1, S, E) or (1, S, E, C), float64
            RoutingPlan plan = Routers.create(spec).route(RouterLogits.of(array));
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
