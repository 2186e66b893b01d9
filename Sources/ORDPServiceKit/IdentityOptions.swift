public import ArgumentParser
import Foundation
import ORDPAuth
public import ORDPIdentity

/// `ordp-identity`'s own options.
public struct IdentityOptions: ParsableArguments {
  @Option(help: "Directory of the database (created when missing).") public var dataDir =
    ".ordp/identity"
  @Option(help: "Organisations to seed (JSON); default: the file shipped with the service.")
  public var organisations: String?
  @Option(help: "File with the first platform admin's password (default: generate one).")
  public var initialAdminPasswordFile: String?
  @Option(help: "Token issuer (iss).") public var issuer = "ordp-identity"
  @Option(help: "Token audience (aud).") public var audience = "ordp"
  @Option(help: "Access-token lifetime in seconds.") public var accessTokenTTL = 300
  @Option(help: "Login-session lifetime in seconds.") public var sessionTTL = 12 * 3600
  @Option(help: "Days before a new signing key takes over.") public var signingKeyRotationDays =
    30
  @Option(help: "scrypt cost: log2 of N (17 = 128 MiB per hash).") public var scryptLogN = 17
  @Option(help: "Failed logins per username that lock it.") public var lockThreshold = 10
  @Option(help: "Seconds a locked username stays locked.") public var lockSeconds = 900
  @Option(help: "Failed logins per username answered without delay.") public var freeFailures =
    3
  @Option(help: "Failed logins per source address that lock the address.")
  public var addressLockThreshold = 100
  @Option(
    help: """
      Create demo users (<town>.admin, .editor, .viewer) with the password in this file, \
      generated when missing (for ordp dev up).
      """)
  public var demoUsersPasswordFile: String?

  public init() {}

  public func validate() throws {
    let checks: [(String, Int, ClosedRange<Int>)] = [
      ("--access-token-ttl", accessTokenTTL, 10...86_400),
      ("--session-ttl", sessionTTL, 60...(400 * 86_400)),
      ("--signing-key-rotation-days", signingKeyRotationDays, 1...3650),
      ("--scrypt-log-n", scryptLogN, 10...20),
      ("--lock-threshold", lockThreshold, 1...1_000_000),
      ("--lock-seconds", lockSeconds, 1...(365 * 86_400)),
      ("--free-failures", freeFailures, 0...1_000_000),
      ("--address-lock-threshold", addressLockThreshold, 1...100_000_000),
    ]
    for (flag, value, range) in checks where !range.contains(value) {
      throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound)")
    }
  }

  /// The runtime's options these stand for.
  public func runtimeOptions() throws -> IdentityRuntime.Options {
    var options = IdentityRuntime.Options(dataDirectory: URL(fileURLWithPath: dataDir))
    options.organisationsFile = organisations.map { URL(fileURLWithPath: $0) }
    if let file = initialAdminPasswordFile {
      options.initialAdminPassword = try String(contentsOfFile: file, encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    var configuration = IdentityConfiguration()
    configuration.issuer = issuer
    configuration.audience = audience
    configuration.accessTokenLifetime = Int64(accessTokenTTL) * 1_000_000
    configuration.sessionLifetime = Int64(sessionTTL) * 1_000_000
    configuration.signingKeyRotation = Int64(signingKeyRotationDays) * 86_400 * 1_000_000
    configuration.scrypt = ScryptParameters(logN: scryptLogN)
    configuration.throttle.userLockThreshold = lockThreshold
    configuration.throttle.userLockDuration = Int64(lockSeconds) * 1_000_000
    configuration.throttle.freeFailures = freeFailures
    configuration.throttle.addressLockThreshold = addressLockThreshold
    options.configuration = configuration
    return options
  }
}
