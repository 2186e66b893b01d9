public import ORDPAuth
public import ORDPRPC
public import Prometheus
public import ServiceLifecycle

/// A service put together: what its server serves, which methods need no token, how tokens
/// are verified, how handlers run, what runs beside the server, and what to release at the
/// end. Each service has one function that assembles it (`IdentityAssembly`,
/// `CatalogueAssembly`, `AnalyticsAssembly`); its executable, `ordp dev up`, the benchmarks
/// and the fuzzer all use that function, and `ServiceHost` serves the result.
public struct ServiceAssembly: Sendable {
  /// The executable's name ("ordp-catalogue"), which starts its "listening on" line.
  public var name: String
  /// The port it listens on unless told otherwise.
  public var defaultPort: Int
  public var services: [any RPCService]
  /// Names reported SERVING by the health service once the server runs.
  public var healthNames: [String]
  /// Full method paths callers may use without a token.
  public var anonymousMethods: Set<String>
  /// Checks the bearer tokens of every other call.
  public var verifier: AccessTokenVerifier
  /// Interceptors before the token check (the gateway's edge metadata) and after it (the
  /// gateway's scope check).
  public var interceptorsBeforeTokens: [any ServerInterceptor] = []
  public var interceptorsAfterTokens: [any ServerInterceptor] = []
  public var handlerExecution: ServerConfiguration.HandlerExecution
  /// Runs beside the server (upkeep of the verifier, sweeps, housekeeping); cancelled at
  /// shutdown.
  public var background: [any Service]
  /// Registers the service's own metrics (beside the per-call ones) when it serves metrics.
  public var registerMetrics: @Sendable (PrometheusCollectorRegistry) -> Void = { _ in }
  /// Releases what the service holds, once the server has stopped.
  public var shutdown: @Sendable () async throws -> Void

  public init(
    name: String, defaultPort: Int, services: [any RPCService], healthNames: [String],
    anonymousMethods: Set<String>, verifier: AccessTokenVerifier,
    handlerExecution: ServerConfiguration.HandlerExecution = .eventLoop,
    background: [any Service] = [], shutdown: @escaping @Sendable () async throws -> Void = {}
  ) {
    self.name = name
    self.defaultPort = defaultPort
    self.services = services
    self.healthNames = healthNames
    self.anonymousMethods = anonymousMethods
    self.verifier = verifier
    self.handlerExecution = handlerExecution
    self.background = background
    self.shutdown = shutdown
  }

  /// Several services behind one server (the benchmarks and the fuzzer run identity and the
  /// service under test in one process): their services, health names, anonymous methods and
  /// background together, the first one's verifier, handlers on the global executor if any
  /// part wants that, their metrics, shut down in reverse order.
  public static func together(_ parts: [ServiceAssembly], name: String) -> ServiceAssembly {
    precondition(!parts.isEmpty, "at least one service")
    let wantsGlobal = parts.contains {
      if case .globalExecutor = $0.handlerExecution { return true }
      return false
    }
    let shutdowns = parts.reversed().map(\.shutdown)
    let registers = parts.map(\.registerMetrics)
    var assembly = ServiceAssembly(
      name: name, defaultPort: parts[0].defaultPort,
      services: parts.flatMap(\.services), healthNames: parts.flatMap(\.healthNames),
      anonymousMethods: parts.reduce(into: []) { $0.formUnion($1.anonymousMethods) },
      verifier: parts[0].verifier,
      handlerExecution: wantsGlobal ? .globalExecutor : parts[0].handlerExecution,
      background: parts.flatMap(\.background),
      shutdown: {
        for shutdown in shutdowns { try await shutdown() }
      })
    assembly.registerMetrics = { registry in for register in registers { register(registry) } }
    return assembly
  }
}
