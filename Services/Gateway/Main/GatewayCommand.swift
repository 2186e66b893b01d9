import ArgumentParser
import ORDPServiceKit

/// `ordp-gateway`: the one front door, as its own process.
@main
struct GatewayCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-gateway",
    abstract:
      "ORDP gateway: the one front door; checks tokens and scopes at the edge and passes every public call on to identity, the catalogue or analytics."
  )

  @OptionGroup var server: ServerOptions
  @OptionGroup var identity: IdentityClientOptions
  @OptionGroup var gateway: GatewayOptions

  /// Settings from a file, the environment and the command line (`ExecutableSettings`).
  static func main() async {
    await ExecutableSettings.main(Self.self, name: "gateway")
  }

  func run() async throws {
    let logger = server.bootstrapLogging(label: "ordp.gateway")
    let assembly = try GatewayAssembly.assemble(
      try gateway.assemblyOptions(identity: identity),
      identity: try .remote(identity, logger: logger), logger: logger)
    try await ServiceHost.run(
      assembly, configuration: try server.configuration(defaultPort: assembly.defaultPort),
      observability: server.observability, logger: logger)
  }
}
