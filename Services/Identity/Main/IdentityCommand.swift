import ArgumentParser
import Foundation
import ORDPServiceKit

/// `ordp-identity`: the identity service as its own process.
@main
struct IdentityCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-identity",
    abstract: "ORDP identity: towns, users, roles, API keys, signed tokens, audit.")

  @OptionGroup var server: ServerOptions
  @OptionGroup var identity: IdentityOptions

  /// Settings from a file, the environment and the command line (`ExecutableSettings`).
  static func main() async {
    await ExecutableSettings.main(Self.self, name: "identity")
  }

  func run() async throws {
    let logger = server.bootstrapLogging(label: "ordp.identity")
    let (assembly, _) = try await IdentityAssembly.assemble(
      try identity.runtimeOptions(),
      demoUsersPasswordFile: identity.demoUsersPasswordFile.map { URL(fileURLWithPath: $0) },
      logger: logger)
    try await ServiceHost.run(
      assembly, configuration: try server.configuration(defaultPort: assembly.defaultPort),
      observability: server.observability, logger: logger)
  }
}
