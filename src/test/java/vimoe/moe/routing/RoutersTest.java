package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry is consistent: one entry per router, its options, defaults and factory agree. */
class RoutersTest {

  @Test
  void everyEntryBuildsItsRouterAndOnlyItsOptionsDepartFromTheCommonDefaults() {
    Map<String, Object> common = RouterSpec.of("dense").options();
    for (RouterInfo info : Routers.all()) {
      assertTrue(
          RouterSpec.OPTION_NAMES.containsAll(info.options()), info.name() + ": " + info.options());
      assertTrue(
          info.options().containsAll(info.defaults().keySet()),
          info.name() + ": " + info.defaults());
      RouterSpec spec = RouterSpec.of(info.name());
      spec.options()
          .forEach(
              (option, value) -> {
                if (!info.options().contains(option)) {
                  assertEquals(
                      common.get(option), value, info.name() + ": " + option + " does not apply");
                }
              });
      info.defaults()
          .forEach(
              (option, value) ->
                  assertEquals(
                      value, spec.options().get(option), info.name() + ": default " + option));
      if (info.family() == Family.DENSE) {
        assertEquals(RouterInput.NONE, info.input());
        assertThrows(IllegalArgumentException.class, () -> Routers.create(spec));
      } else {
        Router router = Routers.create(spec);
        assertEquals(spec, router.spec());
        assertEquals(
            info.family() == Family.SOFT ? RouterInput.SLOT_LOGITS : RouterInput.TOKEN_LOGITS,
            info.input(),
            info.name());
        assertEquals(info.family() == Family.SOFT, info.score() == null, info.name() + ": score");
      }
    }
  }

  @Test
  void optionsThatDoNotApplyAreRefused() {
    for (RouterInfo info : Routers.all()) {
      if (!info.options().contains("noise_std")) {
        assertThrows(
            IllegalArgumentException.class,
            () -> RouterSpec.of(info.name()).toBuilder().optNoiseStd(0.5).build(),
            info.name());
      }
      if (!info.options().contains("k")) {
        assertThrows(
            IllegalArgumentException.class,
            () -> RouterSpec.of(info.name()).toBuilder().optK(2).build(),
            info.name());
      }
    }
  }
}
