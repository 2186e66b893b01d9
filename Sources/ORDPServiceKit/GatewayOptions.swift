public import ArgumentParser
import NIOCore
public import ORDPGateway
public import ORDPRPC

/// `ordp-gateway`'s own options: where the backends' replicas are and how to reach them.
public struct GatewayOptions: ParsableArguments {
  @Option(help: "Identity's replicas, host:port,… (default: --identity-host:--identity-port).")
  public var identityBackends: String?
  @Option(help: "The catalogue's replicas, host:port,…") public var catalogueBackends =
    "127.0.0.1:7445"
  @Option(help: "Analytics' replicas, host:port,…") public var analyticsBackends = "127.0.0.1:7446"
  @Option(help: "CA (PEM) that signed the backends' certificates.") public var backendCA: String?
  @Option(help: "Name to check the backends' certificates against.") public var backendServerName =
    "localhost"
  @Option(help: "Client certificate chain (PEM) for the backends (mutual TLS).")
  public var backendClientCert: String?
  @Option(help: "Client private key (PEM) for the backends.") public var backendClientKey: String?
  @Flag(help: "Reach the backends without TLS (local tests only).") public var backendPlaintext =
    false
  @Option(
    help:
      "Connections to each backend replica (default: one per event loop thread, so a call is passed on by the thread that received it)."
  )
  public var connectionsPerBackend = min(16, System.coreCount)
  @Option(
    help:
      "Topology file (JSON: partitions and replicas of each service; reloaded on SIGHUP). Replaces the --*-backends lists."
  )
  public var topology: String?
  @Option(help: "Calls in flight per replica beyond which it takes no more.")
  public var maxPendingPerReplica = 1024
  @Option(help: "Consecutive failures that eject a replica.") public var ejectAfterFailures = 5
  @Option(help: "Seconds of a first ejection (each further one longer, at most 300).")
  public var ejectionSeconds = 10
  @Option(help: "Retries in flight as a share of calls in flight, in percent.")
  public var retryBudgetPercent = 20
  @Option(
    help:
      "Seconds a partition may take to answer a call spread over every partition before the answer goes out without it (naming it)."
  )
  public var partitionTimeout: Double = 5
  @Option(
    help: ArgumentHelp(
      "Calls per second and burst per caller of a method group: auth, read or write (e.g. read=1000/2000; rate 0: no limit).",
      valueName: "group=rate/burst"))
  public var rateLimit: [String] = []
  @Option(
    help:
      "Hedge unary reads: when no answer came within this percentile of the method's recent latencies (e.g. 95), ask a second replica too; the first answer wins. Off by default."
  )
  public var hedgeAfterPercentile: Double?

  public init() {}

  public func validate() throws {
    for list in [identityBackends, catalogueBackends, analyticsBackends].compactMap({ $0 }) {
      _ = try Self.targets(list)
    }
    guard (1...16).contains(connectionsPerBackend) else {
      throw ValidationError("--connections-per-backend must be in 1...16")
    }
    guard (1...1_000_000).contains(maxPendingPerReplica) else {
      throw ValidationError("--max-pending-per-replica must be in 1...1000000")
    }
    guard (1...1000).contains(ejectAfterFailures) else {
      throw ValidationError("--eject-after-failures must be in 1...1000")
    }
    guard (1...300).contains(ejectionSeconds) else {
      throw ValidationError("--ejection-seconds must be in 1...300")
    }
    _ = try Self.rateLimits(rateLimit)
    if let p = hedgeAfterPercentile, !(50...99.9).contains(p) {
      throw ValidationError("--hedge-after-percentile must be in 50...99.9")
    }
    guard (0.05...120).contains(partitionTimeout) else {
      throw ValidationError("--partition-timeout must be in 0.05...120 seconds")
    }
    guard (0...100).contains(retryBudgetPercent) else {
      throw ValidationError("--retry-budget-percent must be in 0...100")
    }
    if (backendClientCert == nil) != (backendClientKey == nil) {
      throw ValidationError("give both --backend-client-cert and --backend-client-key")
    }
  }

  /// The default rate limits with the `--rate-limit` entries over them.
  public static func rateLimits(_ entries: [String]) throws -> [MethodGroup: RateLimit] {
    var limits = RateLimit.defaults
    guard entries.count <= 16 else { throw ValidationError("--rate-limit: at most 16 entries") }
    for entry in entries {
      let parts = entry.split(separator: "=", maxSplits: 1)
      guard parts.count == 2, let group = MethodGroup(rawValue: String(parts[0])) else {
        throw ValidationError(
          "--rate-limit \"\(entry.prefix(40))\": a group is auth, read or write")
      }
      let numbers = parts[1].split(separator: "/")
      guard numbers.count == 2, let rate = Double(numbers[0]), let burst = Double(numbers[1]),
        (0...1_000_000).contains(rate), (1...1_000_000).contains(burst)
      else {
        throw ValidationError(
          "--rate-limit \"\(entry.prefix(40))\": rate/burst, rate 0–1000000, burst 1–1000000")
      }
      limits[group] = RateLimit(rate: rate, burst: burst)
    }
    return limits
  }

  /// "host:port,host:port" as targets: 1 to 64 of them, ports 1–65535.
  public static func targets(_ list: String) throws -> [RPCChannel.Target] {
    let items = list.split(separator: ",", omittingEmptySubsequences: true)
    guard (1...Topology.maximumReplicas).contains(items.count) else {
      throw ValidationError("a backend list takes 1 to 64 host:port entries, got \"\(list)\"")
    }
    do { return try TopologyFile.targets(items) } catch let problem as TopologyFile.Problem {
      throw ValidationError(problem.description)
    }
  }

  /// The assembly's options these stand for: the topology file, or one partition per service
  /// from the lists (identity's replicas default to where the verifier finds identity).
  public func assemblyOptions(identity: IdentityClientOptions) throws -> GatewayAssembly.Options {
    let security = try ClientTLSFiles(
      plaintext: backendPlaintext, ca: backendCA, serverName: backendServerName,
      clientCert: backendClientCert, clientKey: backendClientKey, prefix: "backend"
    ).security()
    let topology: Topology
    if let path = self.topology {
      do { topology = try TopologyFile.load(path) } catch let problem as TopologyFile.Problem {
        throw ValidationError(problem.description)
      }
    } else {
      topology = .unpartitioned(
        identity: try Self.targets(
          identityBackends ?? "\(identity.identityHost):\(identity.identityPort)"),
        catalogue: try Self.targets(catalogueBackends),
        analytics: try Self.targets(analyticsBackends))
    }
    var options = GatewayAssembly.Options(topology: topology, backendSecurity: security)
    options.topologyPath = self.topology
    options.pool.connectionsPerReplica = connectionsPerBackend
    options.pool.policy.maximumPending = maxPendingPerReplica
    options.pool.policy.consecutiveFailuresToEject = ejectAfterFailures
    options.pool.policy.baseEjection = .seconds(Int64(ejectionSeconds))
    options.pool.retryPercent = retryBudgetPercent
    options.partitionTimeout = .milliseconds(Int64(partitionTimeout * 1000))
    options.rateLimits = try Self.rateLimits(rateLimit)
    options.hedgeAfterPercentile = hedgeAfterPercentile
    return options
  }
}
