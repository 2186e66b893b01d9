public import Logging
public import ORDPAuth
import ORDPRPC
public import ServiceLifecycle

/// What a service needs of identity: a verifier for access tokens, the towns (names, keys),
/// and what keeps the verifier current. Identity in another process (`remote`, as every
/// service executable has it) or in this one (`local`, for the benchmarks and the fuzzer).
public struct IdentityLink: Sendable {
  public let verifier: AccessTokenVerifier
  /// The towns by id (never fails: the last known ones, possibly none).
  public let towns: @Sendable () async -> [String: TownInfo]
  /// What keeps the verifier's keys and revocations current; empty when identity's own
  /// housekeeping does (in the same process).
  public let background: [any Service]
  /// Releases the connection to identity.
  public let close: @Sendable () -> Void

  public init(
    verifier: AccessTokenVerifier,
    towns: @escaping @Sendable () async -> [String: TownInfo],
    background: [any Service], close: @escaping @Sendable () -> Void
  ) {
    self.verifier = verifier
    self.towns = towns
    self.background = background
    self.close = close
  }

  /// Identity over the network, as `options` say where.
  public static func remote(_ options: IdentityClientOptions, logger: Logger) throws -> IdentityLink
  {
    let channel = try options.channel()
    let verifier = AccessTokenVerifier(
      configuration: .init(issuer: options.issuer, audience: options.audience),
      source: RemoteIdentityKeySource(channel: channel), logger: logger)
    let directory = OrganisationDirectory(channel: channel, logger: logger)
    return IdentityLink(
      verifier: verifier, towns: { await directory.towns() },
      background: [VerifierService(verifier: verifier)], close: { channel.close() })
  }
}

/// Keeps an access-token verifier's keys and revocations current while a server runs.
public struct VerifierService: Service {
  let verifier: AccessTokenVerifier

  public init(verifier: AccessTokenVerifier) { self.verifier = verifier }

  public func run() async throws {
    await cancelWhenGracefulShutdown { try? await verifier.run() }
  }
}
