package vimoe.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import vimoe.moe.routing.Routers;

/**
 * The report of a wide synthetic study (every router, 3 seeds, two capacity factors) in headless
 * Chromium on a 1280-px-wide window: no element is wider than the window and nothing scrolls
 * sideways, so every column of every table is on screen. Screenshots of the page are left in {@code
 * target/report-screenshots/} for a person to look at. Runs in CI (CI=true) and fails there without
 * Chromium; elsewhere it is skipped, with the reason, when Chromium is absent.
 */
class StudyReportBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium"),
      DRIVER = Path.of("/usr/bin/chromedriver");
  private static final int WIDTH = 1280, HEIGHT = 900;

  @Test
  void everyColumnFitsA1280PixelScreen(@TempDir Path tmp) throws Exception {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!present) {
      String reason =
          CHROMIUM + " or " + DRIVER + " is missing (apt-get install chromium chromium-driver)";
      assertFalse("true".equals(System.getenv("CI")), "CI must run the browser test: " + reason);
      assumeTrue(false, reason);
    }
    Path dir = tmp.resolve("study");
    StudySpec spec =
        SyntheticStudy.spec(Routers.names(), 3, Map.of("capacity_factor", List.of(1.0, 2.0)));
    StudyResults results =
        SyntheticStudy.results(
            dir,
            spec,
            (router, seed) -> 0.30 + 0.01 * Math.floorMod(router.hashCode(), 7) + 0.02 * seed,
            router ->
                router.endsWith("-tc")
                    ? new double[] {180, 150, 120, 100, 90, 70, 50, 40}
                    : new double[] {100, 100, 100, 100, 100, 100, 100, 100});
    results.write(dir);
    StudyReport.write(results, dir);

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=" + WIDTH + "," + HEIGHT,
        "--user-data-dir=" + Files.createDirectory(tmp.resolve("profile")));
    ChromeDriver driver =
        new ChromeDriver(
            new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort()
                .build(),
            options);
    try {
      driver.manage().window().setSize(new Dimension(WIDTH, HEIGHT));
      driver.get(dir.resolve("report.html").toUri().toString());
      JavascriptExecutor js = driver;
      js.executeAsyncScript(
          "const done = arguments[arguments.length - 1];"
              + "Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)))"
              + ".then(done);");
      // screenshots first, so that they show a failure too
      Path shots = Files.createDirectories(Path.of("target", "report-screenshots"));
      long height = (Long) js.executeScript("return document.documentElement.scrollHeight;");
      for (int i = 0; (long) i * HEIGHT < height && i < 40; i++) {
        js.executeScript("window.scrollTo(0, arguments[0]);", i * HEIGHT);
        Files.write(
            shots.resolve(String.format("study-1280-%02d.png", i)),
            driver.getScreenshotAs(OutputType.BYTES));
      }
      js.executeScript("window.scrollTo(0, 0);");
      long viewport = (Long) js.executeScript("return document.documentElement.clientWidth;");
      assertTrue(viewport >= WIDTH - 20 && viewport <= WIDTH, "viewport " + viewport);
      @SuppressWarnings("unchecked")
      List<String> wide =
          (List<String>)
              js.executeScript(
                  "const w = document.documentElement.clientWidth; const out = [];"
                      + "for (const e of document.querySelectorAll('body *')) {"
                      + "  const r = e.getBoundingClientRect();"
                      + "  if (r.right > w + 0.5 || r.left < -0.5 || e.scrollWidth > e.clientWidth + 1"
                      + "      && getComputedStyle(e).overflowX !== 'visible')"
                      + "    out.push(e.tagName + (e.id ? '#' + e.id : '') + ' ' + Math.round(r.left)"
                      + "      + '..' + Math.round(r.right) + ' scroll ' + e.scrollWidth + '/' + e.clientWidth"
                      + "      + ' ' + (e.textContent || '').slice(0, 40));"
                      + "}"
                      + "return out;");
      assertEquals(List.of(), wide, "elements wider than the " + viewport + "-px viewport");
      assertEquals(
          viewport,
          js.executeScript("return document.documentElement.scrollWidth;"),
          "the page scrolls sideways");
      // accuracy, cost and routing, capacity at evaluation, claims
      // accuracy, cost and routing, capacity at evaluation, claims, ranking, all pairs
      assertEquals(6, driver.findElements(org.openqa.selenium.By.tagName("table")).size());

    } finally {
      driver.quit();
    }
  }
}
