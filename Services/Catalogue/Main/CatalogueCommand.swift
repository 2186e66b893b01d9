import ArgumentParser
import ORDPServiceKit

/// `ordp-catalogue`: the catalogue service as its own process.
@main
struct CatalogueCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-catalogue",
    abstract:
      "ORDP catalogue: the towns' datasets (DCAT-AP.de), revisions, search, change feed, export.")

  @OptionGroup var server: ServerOptions
  @OptionGroup var identity: IdentityClientOptions
  @OptionGroup var catalogue: CatalogueOptions

  /// Settings from a file, the environment and the command line (`ExecutableSettings`).
  static func main() async {
    await ExecutableSettings.main(Self.self, name: "catalogue")
  }

  func run() async throws {
    let logger = server.bootstrapLogging(label: "ordp.catalogue")
    let assembly = try await CatalogueAssembly.assemble(
      catalogue.assemblyOptions, identity: try .remote(identity, logger: logger), logger: logger)
    try await ServiceHost.run(
      assembly, configuration: try server.configuration(defaultPort: assembly.defaultPort),
      observability: server.observability, logger: logger)
  }
}
