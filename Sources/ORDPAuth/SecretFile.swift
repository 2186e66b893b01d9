public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `write(2)`, under a name the enum's own `write` does not hide.
private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
  write(descriptor, bytes, count)
}

/// Files that hold secrets — password files, databases with keys and password hashes — made
/// readable by their owner only from the moment they exist (written and then restricted, a
/// file would be world-readable for a moment under the usual umask).
public enum SecretFile {
  /// Writes `text` to `url` atomically (a temporary file renamed over it), mode 0600.
  public static func write(_ text: String, to url: URL) throws {
    let temporary = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).\(UUID().uuidString.prefix(8))")
    let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw error("cannot create", temporary) }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { posixWrite(descriptor, $0.baseAddress, $0.count) }
    let synced = fsync(descriptor)
    close(descriptor)
    guard written == bytes.count, synced == 0 else {
      unlink(temporary.path)
      throw error("cannot write", temporary)
    }
    guard rename(temporary.path, url.path) == 0 else {
      unlink(temporary.path)
      throw error("cannot rename", url)
    }
  }

  /// Creates `url` (and its parents) as a directory only its owner may enter, or restricts the
  /// existing one to its owner.
  public static func ownerOnlyDirectory(_ url: URL) throws {
    try FileManager.default.createDirectory(
      at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    guard chmod(url.path, 0o700) == 0 else { throw error("cannot restrict", url) }
  }

  /// Creates an empty file at `url` with mode 0600 when there is none (so that a database
  /// opened there afterwards, and the journal files SQLite derives from it, are owner-only),
  /// or restricts the existing file and its companions `suffixes` ("-wal", "-shm").
  public static func ownerOnlyFile(_ url: URL, companions suffixes: [String] = []) throws {
    let descriptor = open(url.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw error("cannot create", url) }
    close(descriptor)
    for path in [url.path] + suffixes.map({ url.path + $0 })
    where FileManager.default.fileExists(atPath: path) {
      guard chmod(path, 0o600) == 0 else { throw error("cannot restrict", url) }
    }
  }

  static func error(_ what: String, _ url: URL) -> CocoaError {
    CocoaError(
      .fileWriteNoPermission,
      userInfo: [NSFilePathErrorKey: url.path, "reason": "\(what) (errno \(errno))"])
  }
}
