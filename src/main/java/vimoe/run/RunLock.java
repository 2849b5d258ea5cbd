package vimoe.run;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The one-writer lock of a run directory: an OS file lock ({@code fcntl} on Linux, released by the
 * kernel when the process dies, even by {@code kill -9}) on {@code DIR/.lock}, which also records
 * who holds it ({@code pid 1234 on host, vimoe train, since ...}) so that a second process can name
 * the first. The file stays after the lock is released: deleting it would let a third process lock
 * a fresh file while a second still holds the old one.
 */
public final class RunLock implements AutoCloseable {
  /** The lock file's name inside the run directory. */
  public static final String FILE = ".lock";

  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of {@code dir} (which must exist) for {@code command}, without waiting.
   *
   * @throws RunLockedException when another process (or this one) holds it, naming the holder
   */
  public static RunLock acquire(Path dir, String command) throws IOException {
    Path file = dir.resolve(FILE);
    FileChannel channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new RunLockedException(
          dir
              + " is in use by "
              + holder(file)
              + "; wait for it to finish "
              + "(or stop it), or use another directory");
    }
    byte[] who =
        (describeThisProcess() + ", " + command + ", since " + Instant.now() + "\n")
            .getBytes(StandardCharsets.UTF_8);
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(who), 0);
    channel.force(false);
    return new RunLock(channel, lock);
  }

  /**
   * Checks, creating nothing, that no other process holds the lock of {@code dir}.
   *
   * @throws RunLockedException naming the holder when one does
   */
  public static void checkFree(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return;
    }
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock probe;
      try {
        probe = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        probe = null;
      }
      if (probe == null) {
        throw new RunLockedException(
            dir
                + " is in use by "
                + holder(file)
                + "; wait for it to finish "
                + "(or stop it), or use another directory");
      }
      probe.release();
    }
  }

  /** "pid N on HOST" of this process. */
  public static String describeThisProcess() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "unknown host";
    }
    long pid = ProcessHandle.current().pid();
    return "pid " + pid + " on " + host;
  }

  /**
   * Who holds the lock, from the lock file; the holder writes it just after locking, so wait a
   * moment for it.
   */
  private static String holder(Path file) {
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (true) {
      try {
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!text.isEmpty() || System.nanoTime() > deadline) {
          return text.isEmpty()
              ? "another process (it has not yet written its pid to " + file + ")"
              : "another process (" + text + ")";
        }
        Thread.sleep(50);
      } catch (IOException e) {
        return "another process";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "another process";
      }
    }
  }

  /** Releases the lock (the file stays). */
  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }

  /** Whether this lock is still held. */
  public boolean isValid() {
    return lock.isValid();
  }
}
