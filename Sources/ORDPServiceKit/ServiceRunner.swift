import Foundation
public import Logging
public import ORDPAuth
public import ORDPRPC
public import ServiceLifecycle

/// Keeps an access-token verifier's keys and revocations current while a server runs.
public struct VerifierService: Service {
  let verifier: AccessTokenVerifier

  public init(verifier: AccessTokenVerifier) { self.verifier = verifier }

  public func run() async throws {
    await cancelWhenGracefulShutdown { try? await verifier.run() }
  }
}

/// How a service executable runs: its server, the verifier's upkeep and any other background
/// services in one group that shuts down gracefully on SIGTERM or SIGINT; once the server is
/// bound, one line "<name>: listening on <host>:<port>" on standard output (scripts and tests
/// read the port from it).
public enum ServiceRunner {
  /// Serves one service that trusts identity's tokens: connects to identity (`identity`),
  /// builds the service (given that connection, e.g. for town names), checks bearer tokens
  /// (`anonymousMethods` without), reports it serving under `healthName`, and runs it with
  /// `others` until a shutdown signal. Services whose handlers do heavy CPU work pass
  /// `.globalExecutor`, so that one big call never stalls the other connections of its loop.
  public static func serve(
    _ name: String, options: ServerOptions, port: Int, identity: IdentityClientOptions,
    healthName: String, anonymousMethods: Set<String>,
    handlerExecution: ServerConfiguration.HandlerExecution = .eventLoop,
    others: [any Service] = [], logger: Logger,
    service: (RPCChannel) async throws -> any RPCService
  ) async throws {
    let identityChannel = try identity.channel()
    defer { identityChannel.close() }
    let verifier = AccessTokenVerifier(
      configuration: .init(issuer: identity.issuer, audience: identity.audience),
      source: RemoteIdentityKeySource(channel: identityChannel), logger: logger)
    let server = ORDPServer(
      configuration: ServerConfiguration(
        host: options.host, port: port, security: try options.security(),
        handlerExecution: handlerExecution),
      services: [try await service(identityChannel)],
      interceptors: [
        BearerTokenInterceptor(verifier: verifier, anonymousMethods: anonymousMethods)
      ], logger: logger)
    server.health.setStatus(.serving, forService: healthName)
    try await run(
      name, server: server, host: options.host, verifier: verifier, others: others,
      logger: logger)
  }

  public static func run(
    _ name: String, server: ORDPServer, host: String, verifier: AccessTokenVerifier,
    others: [any Service] = [], logger: Logger
  ) async throws {
    let group = ServiceGroup(
      configuration: .init(
        services: ([server, VerifierService(verifier: verifier)] + others).map {
          .init(service: $0)
        },
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      let address = try await server.localAddress
      FileHandle.standardOutput.write(
        Data("\(name): listening on \(host):\(address.port ?? 0)\n".utf8))
      try await tasks.waitForAll()
    }
  }
}
