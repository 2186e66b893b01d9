import Foundation
public import Logging
import ORDPAuth
public import ORDPRPC
import Prometheus
import ServiceLifecycle

/// Serves an assembled service: one server with the service's handlers behind a bearer-token
/// interceptor, its health reported, its background beside it. `run` is how an executable
/// serves (until SIGTERM or SIGINT, then gracefully); `start` serves in this process until
/// `stop` (benchmarks, the fuzzer).
public enum ServiceHost {
  /// The server for `assembly` with `configuration` (its handler execution is the
  /// assembly's).
  public static func server(
    _ assembly: ServiceAssembly, configuration: ServerConfiguration, logger: Logger
  ) -> ORDPServer {
    var configuration = configuration
    configuration.handlerExecution = assembly.handlerExecution
    let server = ORDPServer(
      configuration: configuration, services: assembly.services,
      interceptors: assembly.interceptorsBeforeTokens + [
        BearerTokenInterceptor(
          verifier: assembly.verifier, anonymousMethods: assembly.anonymousMethods)
      ] + assembly.interceptorsAfterTokens, logger: logger)
    for name in assembly.healthNames { server.health.setStatus(.serving, forService: name) }
    return server
  }

  /// Serves `assembly` until a shutdown signal; once the server is bound, prints one line
  /// "<name>: listening on <host>:<port>" on standard output (scripts, `ordp dev up` and
  /// tests read the port from it), then "<name>: metrics on <host>:<port>" when it serves
  /// metrics.
  public static func run(
    _ assembly: ServiceAssembly, configuration: ServerConfiguration,
    observability: Observability = Observability(), logger: Logger
  ) async throws {
    var configuration = configuration
    var observers: [any CallObserver] = []
    if observability.accessLog { observers.append(AccessLog()) }
    var endpoint: MetricsEndpoint? = nil
    if let port = observability.metricsPort {
      let registry = PrometheusCollectorRegistry()
      observers.append(CallMetrics(registry: registry))
      assembly.registerMetrics(registry)
      endpoint = MetricsEndpoint(registry: registry, host: observability.metricsHost, port: port)
    }
    if !observers.isEmpty { configuration.observer = CallObservers(observers) }
    let server = server(assembly, configuration: configuration, logger: logger)
    let services: [any Service] = [server] + assembly.background + (endpoint.map { [$0] } ?? [])
    let group = ServiceGroup(
      configuration: .init(
        services: services.map { .init(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    let host = configuration.host
    do {
      try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let address = try await server.localAddress
        var lines = listeningLine(assembly.name, host: host, port: address.port ?? 0) + "\n"
        if let endpoint {
          lines +=
            "\(assembly.name): metrics on \(observability.metricsHost):\(try await endpoint.boundPort)\n"
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
        try await tasks.waitForAll()
      }
    } catch {
      try? await assembly.shutdown()
      throw error
    }
    try await assembly.shutdown()
  }

  /// The line a service prints once it listens: "<name>: listening on <host>:<port>".
  public static func listeningLine(_ name: String, host: String, port: Int) -> String {
    "\(name): listening on \(host):\(port)"
  }

  /// The port in a line `listeningLine` made, or nil for any other line.
  public static func port(inListeningLine line: Substring) -> Int? {
    guard let range = line.range(of: ": listening on ") else { return nil }
    let address = line[range.upperBound...]
    guard let colon = address.lastIndex(of: ":") else { return nil }
    return Int(address[address.index(after: colon)...]).flatMap {
      (0...65_535).contains($0) ? $0 : nil
    }
  }

  /// Serves `assembly` in this process; `stop` ends it.
  public static func start(
    _ assembly: ServiceAssembly, configuration: ServerConfiguration, logger: Logger
  ) async throws -> RunningService {
    let server = server(assembly, configuration: configuration, logger: logger)
    let background = assembly.background
    let task = Task {
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        for service in background { group.addTask { try await service.run() } }
        try await group.waitForAll()
      }
    }
    let port = try await server.localAddress.port ?? 0
    return RunningService(server: server, port: port, task: task, shutdown: assembly.shutdown)
  }
}

/// A service served in this process by `ServiceHost.start`.
public final class RunningService: Sendable {
  public let server: ORDPServer
  public let port: Int
  let task: Task<Void, any Error>
  let shutdown: @Sendable () async throws -> Void

  init(
    server: ORDPServer, port: Int, task: Task<Void, any Error>,
    shutdown: @escaping @Sendable () async throws -> Void
  ) {
    self.server = server
    self.port = port
    self.task = task
    self.shutdown = shutdown
  }

  /// Stops the server (gracefully: calls in flight finish) and the background, then releases
  /// the service.
  public func stop() async throws {
    server.beginGracefulShutdown()
    task.cancel()
    _ = await task.result
    try await shutdown()
  }
}
