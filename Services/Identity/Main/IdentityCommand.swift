import ArgumentParser
import Foundation
import Logging
import ORDPIdentity
import ORDPRPC
import ORDPServiceKit
import ServiceLifecycle

/// `ordp-identity`: the identity service as its own process.
@main
struct IdentityCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-identity",
    abstract: "ORDP identity: towns, users, roles, API keys, signed tokens, audit.")

  @OptionGroup var server: ServerOptions
  @Option(help: "Port to listen on (0: any free port).") var port = 7444
  @Option(help: "Directory of the database (created when missing).") var dataDir = ".ordp/identity"
  @Option(help: "Organisations to seed (JSON); default: the file shipped with the service.")
  var organisations: String?
  @Option(help: "File with the first platform admin's password (default: generate one).")
  var initialAdminPasswordFile: String?
  @Option(help: "Token issuer (iss).") var issuer = "ordp-identity"
  @Option(help: "Token audience (aud).") var audience = "ordp"
  @Option(help: "Access-token lifetime in seconds.") var accessTokenTTL = 300
  @Option(help: "Login-session lifetime in seconds.") var sessionTTL = 12 * 3600
  @Option(help: "Days before a new signing key takes over.") var signingKeyRotationDays = 30
  @Option(help: "scrypt cost: log2 of N (17 = 128 MiB per hash).") var scryptLogN = 17
  @Option(help: "Failed logins per username that lock it.") var lockThreshold = 10
  @Option(help: "Seconds a locked username stays locked.") var lockSeconds = 900
  @Option(help: "Failed logins per username answered without delay.") var freeFailures = 3
  @Option(help: "Failed logins per source address that lock the address.")
  var addressLockThreshold = 100

  func run() async throws {
    let logger = server.bootstrapLogging(label: "ordp.identity")
    var options = IdentityRuntime.Options(dataDirectory: URL(fileURLWithPath: dataDir))
    options.organisationsFile = organisations.map { URL(fileURLWithPath: $0) }
    if let file = initialAdminPasswordFile {
      options.initialAdminPassword = try String(contentsOfFile: file, encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    var configuration = IdentityConfiguration()
    configuration.issuer = issuer
    configuration.audience = audience
    configuration.accessTokenLifetime = Int64(accessTokenTTL) * 1_000_000
    configuration.sessionLifetime = Int64(sessionTTL) * 1_000_000
    configuration.signingKeyRotation = Int64(signingKeyRotationDays) * 86_400 * 1_000_000
    configuration.scrypt = ScryptParameters(logN: scryptLogN)
    configuration.throttle.userLockThreshold = lockThreshold
    configuration.throttle.userLockDuration = Int64(lockSeconds) * 1_000_000
    configuration.throttle.freeFailures = freeFailures
    configuration.throttle.addressLockThreshold = addressLockThreshold
    options.configuration = configuration

    let runtime = try await IdentityRuntime.start(options: options, logger: logger)
    let rpcServer = ORDPServer(
      configuration: ServerConfiguration(
        host: server.host, port: port, security: try server.security()),
      services: [runtime.service], interceptors: [runtime.interceptor], logger: logger)
    rpcServer.health.setStatus(.serving, forService: "ordp.identity.v1.Identity")
    let group = ServiceGroup(
      configuration: .init(
        services: [.init(service: rpcServer), .init(service: runtime.maintenance)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      let address = try await rpcServer.localAddress
      let line = "ordp-identity: listening on \(server.host):\(address.port ?? port)\n"
      FileHandle.standardOutput.write(Data(line.utf8))
      try await tasks.waitForAll()
    }
    try await runtime.shutdown()
  }
}
