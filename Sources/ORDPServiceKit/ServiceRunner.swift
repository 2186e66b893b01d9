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
