package vimoe.run;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Files written so that a crash at any instant leaves either the old or the new content: write a
 * temporary sibling ({@code .NAME.tmp}), force it to disk, rename it over the target, then force
 * the directory so that the rename itself survives a power cut.
 */
public final class AtomicFiles {
  /**
   * The suffix of temporary files; {@link RunDir} deletes leftovers of its own files when it opens
   * a run.
   */
  public static final String TMP_SUFFIX = ".tmp";

  private AtomicFiles() {}

  /** The temporary sibling that {@link #write} uses for {@code file}. */
  public static Path temporaryFor(Path file) {
    return file.resolveSibling("." + file.getFileName() + TMP_SUFFIX);
  }

  /**
   * Writes {@code bytes} to {@code file} atomically (temporary name, fsync, rename, fsync of the
   * directory).
   */
  public static void write(Path file, byte[] bytes) throws IOException {
    Path tmp = temporaryFor(file);
    try {
      writeDurably(tmp, bytes);
      move(tmp, file);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    syncDirectory(file.toAbsolutePath().getParent());
  }

  /** A body that writes a file through a stream. */
  @FunctionalInterface
  public interface Writer {
    /** Writes the content into {@code out}. */
    void writeTo(OutputStream out) throws IOException;
  }

  /** Writes {@code file} (not atomically) through {@code writer} and forces it to disk. */
  public static void writeDurably(Path file, Writer writer) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      OutputStream out =
          new java.io.BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
      writer.writeTo(out);
      out.flush();
      channel.force(true);
    }
  }

  /** Writes {@code bytes} to {@code file} (not atomically) and forces them to disk. */
  public static void writeDurably(Path file, byte[] bytes) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
  }

  /**
   * Renames {@code from} to {@code to}, atomically where the file system can, replacing a file
   * {@code to}.
   */
  public static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Forces a directory's entries (creations, renames, deletions) to disk; a no-op where the OS
   * refuses.
   */
  public static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot open or force a directory; the rename is still atomic there.
    }
  }

  /** Deletes {@code path} and everything below it; nothing when it does not exist. */
  public static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(path)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
