import ArgumentParser
import ORDPServiceKit

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
  @OptionGroup var analytics: AnalyticsOptions

  /// Settings from a file, the environment and the command line (`ExecutableSettings`).
  static func main() async {
    await ExecutableSettings.main(Self.self, name: "analytics")
  }

  func run() async throws {
    let logger = server.bootstrapLogging(label: "ordp.analytics")
    let assembly = try await AnalyticsAssembly.assemble(
      analytics.assemblyOptions, identity: try .remote(identity, logger: logger), logger: logger)
    try await ServiceHost.run(
      assembly, configuration: try server.configuration(defaultPort: assembly.defaultPort),
      observability: server.observability, logger: logger)
  }
}
