public import Foundation
public import Logging
public import ORDPAnalytics
import ORDPAnalyticsAPI
public import ServiceLifecycle

/// Analytics put together: its store, service (started), retention sweeps, demo sensors if
/// asked.
public enum AnalyticsAssembly {
  public static let defaultPort = 7446

  public struct Options: Sendable {
    public var dataDirectory: URL
    /// Time between retention sweeps.
    public var retentionInterval: Duration = .seconds(300)
    /// Create demo sensors with two weeks of data in an empty store (`ordp dev up`).
    public var demoSensors = false
    /// The towns whose demo sensors to create (a partition's); nil for every town.
    public var demoTowns: Set<String>? = nil
    /// When the demo data ends (microseconds since 1970); nil for now.
    public var demoTime: Int64? = nil
    /// Feed the demo sensors live (`DemoFeed`).
    public var demoFeed = false
    public var admission = AnalyticsService.Admission.defaults

    public init(dataDirectory: URL) { self.dataDirectory = dataDirectory }
  }

  /// Opens the store in the data directory and assembles analytics on it.
  public static func assemble(
    _ options: Options, identity: IdentityLink, logger: Logger
  ) async throws -> ServiceAssembly {
    try await assemble(
      options, store: try SQLiteAnalyticsStore(directory: options.dataDirectory),
      identity: identity, logger: logger)
  }

  /// Seeds demo sensors into `store` when asked, starts the service; the retention sweeps run
  /// beside the server (benchmarks pass the store they also read).
  public static func assemble(
    _ options: Options, store: any AnalyticsStore, identity: IdentityLink, logger: Logger
  ) async throws -> ServiceAssembly {
    if options.demoSensors {
      let seeded = try await DemoSensors.seed(
        into: store, towns: options.demoTowns,
        now: options.demoTime ?? Int64(Date().timeIntervalSince1970 * 1_000_000))
      if seeded > 0 { logger.info("created \(seeded) demo datastreams with two weeks of data") }
    }
    let service = AnalyticsService(store: store, logger: logger, admission: options.admission)
    try await service.start()
    let sweeper = RetentionSweeperService(
      sweeper: RetentionSweeper(service: service, logger: logger),
      interval: options.retentionInterval)
    var background: [any Service] = identity.background + [sweeper]
    if options.demoFeed {
      background.append(
        DemoFeedService(feed: DemoFeed(service: service, towns: options.demoTowns, logger: logger)))
    }
    return ServiceAssembly(
      name: "ordp-analytics", defaultPort: defaultPort, services: [service],
      healthNames: [Ordp_Analytics_V1_Analytics.serviceName],
      anonymousMethods: AnalyticsService.anonymousMethods, verifier: identity.verifier,
      handlerExecution: AnalyticsService.handlerExecution,
      background: background, shutdown: { identity.close() })
  }
}

/// Runs analytics' retention sweeps while the server runs.
public struct RetentionSweeperService: Service {
  let sweeper: RetentionSweeper
  let interval: Duration

  public func run() async throws {
    await cancelWhenGracefulShutdown { await sweeper.run(every: interval) }
  }
}

/// Runs the demo sensors' live feed while the server runs, looking every 15 seconds.
struct DemoFeedService: Service {
  let feed: DemoFeed

  func run() async throws {
    await cancelWhenGracefulShutdown {
      await feed.run(every: .seconds(15)) { Int64(Date().timeIntervalSince1970 * 1_000_000) }
    }
  }
}
