public import Logging
import ORDPAnalytics
import ORDPCatalogue
public import ORDPGateway
import ORDPIdentity
public import ORDPRPC

/// The gateway put together: a pool per backend service over its partitions' replicas
/// (`GatewayBackends`, with health watches and topology reload as background), the proxied
/// methods, the edge interceptors around the token check.
public enum GatewayAssembly {
  public static let defaultPort = 7443

  public struct Options: Sendable {
    /// Where the backends' partitions and replicas are.
    public var topology: Topology
    /// The file it came from, reloaded on SIGHUP; nil when it came from options.
    public var topologyPath: String?
    /// How the gateway reaches the backends (mutual TLS in production), balances and retries.
    public var pool: BackendPool.Options
    /// How long a partition may take to answer a spread call before the others' answers go
    /// out without it.
    public var partitionTimeout: Duration = .seconds(5)
    /// Token buckets per caller and method group.
    public var rateLimits = RateLimit.defaults
    /// Hedge unary reads after this percentile of their recent latencies; nil: no hedging.
    public var hedgeAfterPercentile: Double? = nil

    public init(topology: Topology, backendSecurity: ClientSecurity) {
      self.topology = topology
      self.pool = BackendPool.Options(security: backendSecurity)
    }
  }

  public static func assemble(
    _ options: Options, identity: IdentityLink, logger: Logger
  ) throws -> ServiceAssembly {
    let missing = GatewayMethods.missing
    guard missing.isEmpty else {
      throw RPCError(.internal, "methods without edge access: \(missing.joined(separator: ", "))")
    }
    if let problem = options.topology.problem() { throw RPCError(.invalidArgument, problem) }
    let backends = GatewayBackends(
      topology: options.topology, topologyPath: options.topologyPath, options: options.pool,
      logger: logger)
    let methods = GatewayMethods.all
    var assembly = ServiceAssembly(
      name: "ordp-gateway", defaultPort: defaultPort,
      services: [
        GatewayService(
          methods: methods, backends: backends.pools,
          requestLimits: IdentityService.requestLimits
            .merging(CatalogueService.requestLimits) { a, _ in a }
            .merging(AnalyticsService.requestLimits) { a, _ in a },
          partitionTimeout: options.partitionTimeout,
          hedgeAfterPercentile: options.hedgeAfterPercentile),
        PlatformService(pools: backends.pools, partitionTimeout: options.partitionTimeout),
      ],
      healthNames: [], anonymousMethods: GatewayMethods.anonymousPaths,
      verifier: identity.verifier, handlerExecution: .eventLoop,
      background: identity.background + [backends],
      shutdown: {
        backends.close()
        identity.close()
      })
    assembly.registerMetrics = { registry in
      for pool in backends.pools.values { pool.metrics.attach(registry) }
    }
    assembly.interceptorsBeforeTokens = [EdgeMetadata()]
    let edge = GatewayMethods.edge
    assembly.interceptorsAfterTokens = [
      EdgeScopes(methods: edge), EdgeRateLimit(methods: edge, limits: options.rateLimits),
    ]
    return assembly
  }
}
