import ArgumentParser
import Foundation
import ORDPAnalytics
import ORDPAnalyticsAPI
import ORDPAuth
import ORDPRPC
import ORDPServiceKit
import ServiceLifecycle

/// `ordp-analytics`: the analytics service as its own process.
@main
struct AnalyticsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-analytics",
    abstract:
      "ORDP analytics: sensor datastreams, lossless ingest, aggregates over time, towns and streams."
  )

  @OptionGroup var server: ServerOptions
  @OptionGroup var identity: IdentityClientOptions
  @Option(help: "Port to listen on (0: any free port).") var port = 7446
  @Option(help: "Directory of the database (created when missing).") var dataDir =
    ".ordp/analytics"
  @Option(help: "Seconds between retention sweeps.") var retentionInterval = 300

  func run() async throws {
    let logger = server.bootstrapLogging(label: "ordp.analytics")
    let store = try SQLiteAnalyticsStore(directory: URL(fileURLWithPath: dataDir))
    let service = AnalyticsService(store: store, logger: logger)
    try await service.start()
    let sweeper = RetentionSweeper(service: service, logger: logger)
    try await ServiceRunner.serve(
      "ordp-analytics", options: server, port: port, identity: identity,
      healthName: Ordp_Analytics_V1_Analytics.serviceName,
      anonymousMethods: AnalyticsService.anonymousMethods,
      handlerExecution: AnalyticsService.handlerExecution,
      others: [SweeperService(sweeper: sweeper, interval: .seconds(max(1, retentionInterval)))],
      logger: logger
    ) { _ in service }
  }
}

/// Runs the retention sweeps while the server runs.
struct SweeperService: Service {
  let sweeper: RetentionSweeper
  let interval: Duration
  func run() async throws {
    await cancelWhenGracefulShutdown { await sweeper.run(every: interval) }
  }
}
