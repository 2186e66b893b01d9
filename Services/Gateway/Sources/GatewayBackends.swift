public import Logging
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
public import ServiceLifecycle
import UnixSignals

/// The gateway's backends: a pool per service over the replicas the topology names. As a
/// `Service` (the gateway's background) it watches every replica's health and, when given the
/// topology's file, reloads it on SIGHUP — a town moved or added, a replica added or taken
/// out, without a restart. A file that does not check leaves the running topology as it is
/// (logged).
public final class GatewayBackends: Service, Sendable {
  public let pools: [Backend: BackendPool]
  let topologyPath: String?
  let logger: Logger

  public init(
    topology: Topology, topologyPath: String?, options: BackendPool.Options, logger: Logger
  ) {
    var pools: [Backend: BackendPool] = [:]
    for backend in Backend.allCases {
      pools[backend] = BackendPool(
        backend: backend, healthName: backend.healthName,
        partitions: topology.partitions(of: backend), options: options, logger: logger)
    }
    self.pools = pools
    self.topologyPath = topologyPath
    self.logger = logger
  }

  /// Takes `topology` (checked already).
  public func apply(_ topology: Topology) {
    for (backend, pool) in pools { pool.apply(topology.partitions(of: backend)) }
  }

  /// Reads the topology file again and applies it; false (logged) when it does not check.
  @discardableResult
  public func reload() -> Bool {
    guard let topologyPath else { return false }
    do {
      let topology = try TopologyFile.load(topologyPath)
      apply(topology)
      logger.notice(
        "topology reloaded",
        metadata: [
          "catalogue": "\(topology.catalogue.map(\.name))",
          "analytics": "\(topology.analytics.map(\.name))",
        ])
      return true
    } catch {
      logger.error("topology not reloaded, the running one stays: \(error)")
      return false
    }
  }

  public func run() async throws {
    let signals = topologyPath == nil ? nil : await UnixSignalsSequence(trapping: .sighup)
    await withDiscardingTaskGroup { group in
      for pool in pools.values { group.addTask { await pool.watchHealth() } }
      if let signals {
        group.addTask {
          for await _ in signals { self.reload() }
        }
      }
      try? await gracefulShutdown()
      group.cancelAll()
    }
  }

  public func close() {
    for pool in pools.values { pool.close() }
  }
}

extension Backend {
  /// The name its replicas report to the health service.
  public var healthName: String {
    switch self {
    case .identity: Ordp_Identity_V1_Identity.serviceName
    case .catalogue: Ordp_Catalogue_V1_Catalogue.serviceName
    case .analytics: Ordp_Analytics_V1_Analytics.serviceName
    }
  }
}
