import Crypto
import CryptoExtras
import Foundation
public import NIOPosix

/// scrypt cost parameters. Stored beside every hash, so they can be raised later: a login with
/// a hash of lower cost re-hashes the password with the current parameters.
public struct ScryptParameters: Sendable, Equatable, CustomStringConvertible {
  /// log2 of N, the CPU/memory cost.
  public var logN: Int
  /// Block size.
  public var r: Int
  /// Parallelism.
  public var p: Int

  public init(logN: Int, r: Int = 8, p: Int = 1) {
    self.logN = logN
    self.r = r
    self.p = p
  }

  /// OWASP's recommendation for scrypt: N = 2^17, r = 8, p = 1 (128 MiB per hash).
  public static let recommended = ScryptParameters(logN: 17)

  /// Memory one hash needs, in bytes.
  public var memory: Int { 128 * r * (1 << logN) * p }

  public var description: String { "scrypt N=2^\(logN) r=\(r) p=\(p) (\(memory >> 20) MiB)" }
}

/// Hashes and checks passwords with scrypt on a thread pool of its own, so that the event loops
/// never run a KDF and at most `threads` hashes (and their memory) are in progress at once.
///
/// Encoding: `scrypt$ln=<logN>,r=<r>,p=<p>$<salt, base64>$<hash, base64>`.
public final class PasswordHasher: Sendable {
  public let parameters: ScryptParameters
  private let pool: NIOThreadPool

  public init(parameters: ScryptParameters, pool: NIOThreadPool) {
    self.parameters = parameters
    self.pool = pool
  }

  public func hash(_ password: String) async throws -> String {
    var salt = [UInt8](repeating: 0, count: 16)
    var generator = SystemRandomNumberGenerator()
    for index in salt.indices { salt[index] = generator.next() }
    let parameters = self.parameters
    let derived = try await pool.runIfActive { [salt] in
      try Self.derive(password, salt: salt, parameters: parameters)
    }
    return Self.encode(parameters: parameters, salt: salt, hash: derived)
  }

  /// Whether `password` matches `encoded`. An unparseable `encoded` never matches.
  public func verify(_ password: String, against encoded: String) async throws -> Bool {
    guard let (parameters, salt, expected) = Self.decode(encoded) else { return false }
    let derived = try await pool.runIfActive {
      try Self.derive(password, salt: salt, parameters: parameters)
    }
    return Self.constantTimeEqual(derived, expected)
  }

  /// Whether a hash was made with parameters below the current ones.
  public func needsRehash(_ encoded: String) -> Bool {
    guard let (stored, _, _) = Self.decode(encoded) else { return true }
    return stored.memory < parameters.memory || stored.logN < parameters.logN
  }

  /// A well-formed hash of a random password with the current parameters: logins of unknown
  /// users are checked against it, so they take as long as those of known users.
  public func makeDummyHash() async throws -> String {
    try await hash(UUID().uuidString + UUID().uuidString)
  }

  static func derive(
    _ password: String, salt: [UInt8], parameters: ScryptParameters
  ) throws
    -> [UInt8]
  {
    let key = try KDF.Scrypt.deriveKey(
      from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << parameters.logN,
      blockSize: parameters.r, parallelism: parameters.p, maxMemory: parameters.memory + (1 << 20))
    return key.withUnsafeBytes { Array($0) }
  }

  static func encode(parameters: ScryptParameters, salt: [UInt8], hash: [UInt8]) -> String {
    "scrypt$ln=\(parameters.logN),r=\(parameters.r),p=\(parameters.p)$"
      + "\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
  }

  static func decode(_ encoded: String) -> (ScryptParameters, [UInt8], [UInt8])? {
    let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
    guard parts.count == 4, parts[0] == "scrypt",
      let salt = Data(base64Encoded: String(parts[2])),
      let hash = Data(base64Encoded: String(parts[3])), !salt.isEmpty, hash.count == 32
    else { return nil }
    var values: [String: Int] = [:]
    for item in parts[1].split(separator: ",") {
      let pair = item.split(separator: "=")
      guard pair.count == 2, let value = Int(pair[1]) else { return nil }
      values[String(pair[0])] = value
    }
    guard let logN = values["ln"], let r = values["r"], let p = values["p"],
      (1...24).contains(logN), (1...64).contains(r), (1...16).contains(p)
    else { return nil }
    return (ScryptParameters(logN: logN, r: r, p: p), Array(salt), Array(hash))
  }

  static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
  }
}
