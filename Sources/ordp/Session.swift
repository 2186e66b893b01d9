import ArgumentParser
import Foundation
import ORDPIdentityAPI
import ORDPRPC

/// A login kept between commands (`ordp login` writes it, `ordp logout` removes it): the
/// tokens for one gateway, in a file only its owner may read. Commands send its access token
/// and refresh it (identity's `Refresh`, which rotates the refresh token) when it is about to
/// expire.
struct Session: Codable, Equatable {
  /// "host:port" of the gateway the tokens are for.
  var server: String
  var subject: String
  var scopes: [String]
  var accessToken: String
  /// When the access token expires (seconds since 1970).
  var accessExpires: Double
  var refreshToken: String
  var refreshExpires: Double

  init(server: String, _ response: Ordp_Identity_V1_TokenResponse, now: Date = Date()) {
    self.server = server
    subject = response.subject
    scopes = response.scopes
    accessToken = response.accessToken
    accessExpires = now.timeIntervalSince1970 + Double(response.expiresInSeconds)
    refreshToken = response.refreshToken
    refreshExpires = now.timeIntervalSince1970 + Double(response.refreshExpiresInSeconds)
  }

  /// Whether the access token should be refreshed before a call at `now` (30 s to spare).
  func needsRefresh(now: Date = Date()) -> Bool {
    accessExpires - now.timeIntervalSince1970 < 30
  }

  /// The session file: `--session-file`, else `$ORDP_SESSION_FILE`, else
  /// `$XDG_CONFIG_HOME/ordp/session.json`, else `$HOME/.config/ordp/session.json` (the
  /// account's home when `HOME` is unset).
  static func path(_ option: String?) -> URL {
    if let option { return URL(fileURLWithPath: option) }
    let environment = ProcessInfo.processInfo.environment
    if let file = environment["ORDP_SESSION_FILE"], !file.isEmpty {
      return URL(fileURLWithPath: file)
    }
    let home =
      environment["HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
      ?? FileManager.default.homeDirectoryForCurrentUser
    let config =
      environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
      ?? home.appendingPathComponent(".config")
    return config.appendingPathComponent("ordp/session.json")
  }

  /// The session in `file`, nil when there is none.
  static func load(_ file: URL) throws -> Session? {
    guard FileManager.default.fileExists(atPath: file.path) else { return nil }
    do {
      return try JSONDecoder().decode(Session.self, from: Data(contentsOf: file))
    } catch {
      throw CLIError("the session file \(file.path) is unreadable (ordp logout removes it)")
    }
  }

  /// Writes the session to `file`, readable by its owner only.
  func save(_ file: URL) throws {
    let directory = file.deletingLastPathComponent()
    try FileManager.default.createDirectory(
      at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let temporary = directory.appendingPathComponent(".session-\(getpid()).json")
    guard
      FileManager.default.createFile(
        atPath: temporary.path, contents: try encoder.encode(self),
        attributes: [.posixPermissions: 0o600]),
      rename(temporary.path, file.path) == 0
    else {
      throw CLIError("cannot write the session file \(file.path)")
    }
  }
}

/// An error of the command line itself (not of a call): one line, exit code 1.
struct CLIError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// A failed call as the command line reports it: one line on standard error, and the exit
/// code 64 + its status code, as grpcurl does (80 UNAUTHENTICATED, 71 PERMISSION_DENIED, 69
/// NOT_FOUND, 67 INVALID_ARGUMENT, 78 UNAVAILABLE, 72 RESOURCE_EXHAUSTED). Other errors end
/// with exit code 1.
func failed(_ error: RPCError) -> ExitCode {
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  return ExitCode(Int32(64 + error.code.rawValue))
}
