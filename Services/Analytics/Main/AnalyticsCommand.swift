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
    let identityChannel = try identity.channel()
    defer { identityChannel.close() }
    let verifier = AccessTokenVerifier(
      configuration: .init(issuer: identity.issuer, audience: identity.audience),
      source: RemoteIdentityKeySource(channel: identityChannel), logger: logger)
    let service = AnalyticsService(store: store, logger: logger)
    try await service.start()
    let rpcServer = ORDPServer(
      configuration: ServerConfiguration(
        host: server.host, port: port, security: try server.security()),
      services: [service],
      interceptors: [
        BearerTokenInterceptor(
          verifier: verifier, anonymousMethods: AnalyticsService.anonymousMethods)
      ], logger: logger)
    rpcServer.health.setStatus(.serving, forService: Ordp_Analytics_V1_Analytics.serviceName)
    let sweeper = RetentionSweeper(service: service, logger: logger)
    try await ServiceRunner.run(
      "ordp-analytics", server: rpcServer, host: server.host, verifier: verifier,
      others: [SweeperService(sweeper: sweeper, interval: .seconds(max(1, retentionInterval)))],
      logger: logger)
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
