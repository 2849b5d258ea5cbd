package vimoe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import vimoe.moe.routing.RouterInfo;
import vimoe.moe.routing.RouterOption;
import vimoe.moe.routing.RouterOptions;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;

/** {@code vimoe routers}: every router with its family, what it selects and its defaults. */
@Command(
    name = "routers",
    mixinStandardHelpOptions = true,
    description =
        "List every router with its family, what it selects, its defaults and its paper,"
            + " then every router option.")
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
      row.put("defaults", defaults(info));
      rows.add(row);
    }
    if (json) {
      System.out.println(
          new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(rows));
      return 0;
    }
    String format = "%-13s %-14s %s%n";
    System.out.printf(format, "ROUTER", "FAMILY", "SELECTS / DEFAULTS / PAPER");
    for (Map<String, Object> row : rows) {
      System.out.printf(format, row.get("name"), row.get("family"), row.get("selects"));
      String defaults = row.get("defaults").toString();
      if (!defaults.equals("{}")) {
        System.out.printf(
            format, "", "", "defaults: " + defaults.substring(1, defaults.length() - 1));
      }
      System.out.printf(format, "", "", row.get("paper"));
    }
    printOptions();
    return 0;
  }

  /** Every declared router option with its description and common default. */
  private static void printOptions() {
    System.out.println();
    System.out.println("OPTIONS (--router-option NAME=VALUE, or \"options\" of a route request)");
    for (RouterOption<?> option : RouterOptions.ALL) {
      Object common = option.common();
      String description = option.description();
      if (common != null) { // an option without a common default says its default in words
        description +=
            " (default "
                + RouterSpec.of("dense").options().getOrDefault(option.name(), common)
                + ")";
      }
      System.out.printf("  %-22s %s%n", option.name(), description);
    }
  }

  /** The options that apply to this router (its registry entry) and their defaults. */
  private static Map<String, Object> defaults(RouterInfo info) {
    Map<String, Object> all = RouterSpec.of(info.name()).options();
    Map<String, Object> shown = new LinkedHashMap<>();
    for (String k : info.options()) {
      shown.put(k, k.equals("slots") ? "capacity formula" : all.get(k));
    }
    return shown;
  }
}
