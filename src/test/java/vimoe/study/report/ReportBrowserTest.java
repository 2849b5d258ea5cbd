package vimoe.study.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Opens a written report in headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}): every figure decodes, the tables and findings are there, nothing was fetched.
 * Runs in CI (CI=true) and fails there without Chromium; elsewhere it is skipped, with the reason,
 * when Chromium is absent.
 */
class ReportBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium"),
      DRIVER = Path.of("/usr/bin/chromedriver");

  @Test
  void reportOpensInChromiumWithEveryFigureDecoded(@TempDir Path tmp) throws Exception {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!present) {
      String reason =
          CHROMIUM + " or " + DRIVER + " is missing (apt-get install chromium chromium-driver)";
      assertFalse("true".equals(System.getenv("CI")), "CI must run the browser test: " + reason);
      System.out.println("ReportBrowserTest skipped: " + reason);
      assumeTrue(false, reason);
    }
    Page page = PagesTest.page();
    Path dir = tmp.resolve("study");
    Pages.write(page, dir);
    String html = Files.readString(dir.resolve("report.html"));
    assertFalse(
        html.contains("http://") || html.contains("https://"), "the file names no network address");

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + Files.createDirectory(tmp.resolve("profile")));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(DRIVER.toFile())
            .usingAnyFreePort()
            .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    try {
      driver.get(dir.resolve("report.html").toUri().toString());
      JavascriptExecutor js = driver;
      // decoding is asynchronous: wait until every image has loaded or failed
      js.executeAsyncScript(
          "const done = arguments[arguments.length - 1];"
              + "Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null))).then(done);");
      List<WebElement> images = driver.findElements(By.tagName("img"));
      assertEquals(page.figures().size(), images.size());
      for (WebElement img : images) {
        long width = (Long) js.executeScript("return arguments[0].naturalWidth;", img);
        assertTrue(width > 0, "figure " + img.getAttribute("alt") + " did not decode");
      }
      assertEquals(800L, js.executeScript("return document.images[0].naturalWidth;"));
      List<WebElement> tables = driver.findElements(By.tagName("table"));
      assertEquals(page.tables().size(), tables.size());
      List<WebElement> rows = tables.get(0).findElements(By.cssSelector("tbody tr"));
      assertEquals(2, rows.size());
      assertEquals("dense", rows.get(0).findElement(By.tagName("code")).getText());
      assertEquals("88.08%", rows.get(0).findElements(By.tagName("td")).get(1).getText());
      List<WebElement> findings = driver.findElements(By.cssSelector("li.finding"));
      assertEquals(
          page.findings(),
          findings.stream().map(WebElement::getText).toList(),
          "the findings read as written, markup in them shown as text");
      // every resource the page loaded (none but the document itself)
      Object fetched =
          js.executeScript(
              "return performance.getEntriesByType('resource')"
                  + ".map(e => e.name).filter(n => !n.startsWith('data:'));");
      assertEquals(List.of(), fetched, "the report fetched nothing");
    } finally {
      driver.quit();
    }
  }
}
