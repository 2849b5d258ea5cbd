package vimoe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.RouterInfo;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;

/** {@code vimoe routers}: every router with its family, what it selects and its defaults. */
@Command(name = "routers", mixinStandardHelpOptions = true,
        description = "List every router with its family, what it selects, its defaults and its paper.")
final class RoutersCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print the list as JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (RouterInfo info : Routers.all()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", info.name());
            row.put("family", info.family().label());
            row.put("selects", info.selects());
            row.put("paper", info.paper());
            row.put("defaults", info.family() == Family.DENSE ? Map.of() : defaults(info.name()));
            rows.add(row);
        }
        if (json) {
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(rows));
            return 0;
        }
        String format = "%-13s %-14s %s%n";
        System.out.printf(format, "ROUTER", "FAMILY", "SELECTS / DEFAULTS / PAPER");
        for (Map<String, Object> row : rows) {
            System.out.printf(format, row.get("name"), row.get("family"), row.get("selects"));
            String defaults = row.get("defaults").toString();
            if (!defaults.equals("{}")) {
                System.out.printf(format, "", "", "defaults: " + defaults.substring(1, defaults.length() - 1));
            }
            System.out.printf(format, "", "", row.get("paper"));
        }
        return 0;
    }

    /** The options that matter for this router and their defaults. */
    private static Map<String, Object> defaults(String name) {
        RouterSpec spec = RouterSpec.of(name);
        Map<String, Object> all = spec.options();
        Map<String, Object> shown = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(List.of("capacity_factor", "capacity_rounding"));
        switch (spec.family()) {
            case TOKEN_CHOICE -> keys.addAll(0, List.of("k"));
            case SOFT -> keys.add("slots");
            default -> { }
        }
        if (spec.family() == Family.TOKEN_CHOICE) {
            keys.addAll(List.of("batch_priority", "normalize_gates"));
        }
        if (name.startsWith("softmax") || name.startsWith("sinkhorn")) {
            keys.add("noise_std");
        }
        if (name.startsWith("sinkhorn")) {
            keys.addAll(List.of("sinkhorn_epsilon", "sinkhorn_iterations"));
        }
        if (name.startsWith("sparse-ot")) {
            keys.addAll(List.of("ot_iterations", "ot_learning_rate"));
        }
        if (name.equals("softmax-tc")) {
            keys.addAll(List.of("importance_weight", "load_weight", "z_loss_weight"));
        }
        for (String k : keys) {
            shown.put(k, k.equals("slots") ? "capacity formula" : all.get(k));
        }
        return shown;
    }
}
